package huaweielb

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
)

const (
	epA = "2d8f6d3e-1b7c-4a3e-9c61-5f0e8b7a6c21"
	epB = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
)

func rsaCertificate(t *testing.T, names ...string) *certs.Bundle {
	t.Helper()
	is := certstest.Must(t, certstest.Options{DNSNames: names, KeyType: certstest.RSA2048})
	b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A principal whose ELB rights are granted in one enterprise project works when the target
// names that project, and gets a permanent 403 when it does not.
func TestEnterpriseProjectIsSentOnListAndCreate(t *testing.T) {
	const ak, sk = "SCOPEDEPKEY", "scoped-ep-secret"
	for _, tc := range []struct {
		name, ep string
		ok       bool
	}{
		{"target names the granted project", epA, true},
		{"target names no project", "", false},
		{"target names another project", epB, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, elb := start(t)
			e.Cloud.Keys().Add(fakecore.Credential{AccessKeyID: ak, AccessKeySecret: sk})
			elb.ScopeAccessKey(ak, epA)
			elb.AddEnterpriseProject(epB)
			old := certificate(t, "www.example.com")
			def, err := elb.AddCertificate(testProject, elbfake.Certificate{Name: "old", EnterpriseProjectID: epA,
				Certificate: old.CertificatePEM, PrivateKey: old.PrivateKeyPEM})
			if err != nil {
				t.Fatal(err)
			}
			lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "ep", EnterpriseProjectID: epA})
			l := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: def})
			cfg := testConfig(e.URL)
			cfg.AccessKey, cfg.SecretKey = ak, sk
			p := mustNew(t, cfg)
			tg := elbTarget(func(t *provider.Target) { t.ListenerID, t.EnterpriseProjectID = l, tc.ep })
			slot := discoverOne(t, p, tg)
			id, err := p.Deploy(context.Background(), slot, certificate(t, "www.example.com"))
			if !tc.ok {
				if err == nil || !provider.IsPermanent(err) || StatusCode(err) != http.StatusForbidden {
					t.Fatalf("Deploy = %v, want a permanent 403", err)
				}
				if got := mutating(e); len(got) != 0 {
					t.Fatalf("mutating calls %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c, _ := elb.Certificate(testProject, id); c.EnterpriseProjectID != epA {
				t.Fatalf("created in enterprise project %q, want %s", c.EnterpriseProjectID, epA)
			}
			for _, c := range e.Cloud.Calls() {
				switch c.Action {
				case "ListCertificates":
					if c.Params["enterprise_project_id"] != epA {
						t.Errorf("ListCertificates without the enterprise project: %v", c.Params)
					}
				case "CreateCertificate":
					if c.Params["certificate.enterprise_project_id"] != epA {
						t.Errorf("CreateCertificate without the enterprise project: %v", c.Params)
					}
				}
			}
			if err := p.Rebind(context.Background(), slot, def); err != nil {
				t.Fatal(err)
			}
			owned, err := p.Owned(context.Background(), testRegion)
			if err != nil || len(owned) != 1 || owned[0].ID != id {
				t.Fatalf("Owned = %v, %v", owned, err)
			}
			if err := p.Delete(context.Background(), testRegion, id); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The default enterprise project "0" is listed by name and never named on create, which the
// API refuses.
func TestDefaultEnterpriseProjectIsNotNamedOnCreate(t *testing.T) {
	e, _ := start(t)
	seeded := seedListener(t, e, certificate(t, "www.example.com"))
	p := mustNew(t, testConfig(e.URL))
	tg := seeded.Target
	tg.EnterpriseProjectID = "0"
	if _, err := p.Deploy(context.Background(), discoverOne(t, p, tg), certificate(t, "www.example.com")); err != nil {
		t.Fatal(err)
	}
	for _, c := range e.Cloud.Calls() {
		if c.Action == "CreateCertificate" && c.Params["certificate.enterprise_project_id"] != "" {
			t.Errorf("CreateCertificate named the default project: %v", c.Params)
		}
		if c.Action == "ListCertificates" && c.Params["enterprise_project_id"] != "0" {
			t.Errorf("ListCertificates without the default project: %v", c.Params)
		}
	}
}

// The copy of a certificate is found by its deterministic name and checked by fingerprint; the
// fingerprint filter, whose format the API does not document, is not used.
func TestCopiesAreFoundByNameThenFingerprint(t *testing.T) {
	e, elb := start(t)
	seeded := seedListener(t, e, certificate(t, "www.example.com"))
	b := certificate(t, "www.example.com")
	impostor := certificate(t, "www.example.com")
	// A certificate carrying our name but another leaf is not a copy.
	if _, err := elb.AddCertificate(testProject, elbfake.Certificate{Name: provider.CertificateName(b),
		Certificate: impostor.CertificatePEM, PrivateKey: impostor.PrivateKeyPEM}); err != nil {
		t.Fatal(err)
	}
	first := mustNew(t, testConfig(e.URL))
	id, err := first.Deploy(context.Background(), discoverOne(t, first, seeded.Target), b)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := elb.Certificate(testProject, id); got.Fingerprint == "" || certs.NormalizeFingerprint(got.Fingerprint) != certs.NormalizeFingerprint(b.FingerprintSHA1()) {
		t.Fatalf("bound %s holding %s, not the new certificate", id, got.Fingerprint)
	}
	e.Cloud.ResetCalls()
	second := mustNew(t, testConfig(e.URL)) // another invocation: nothing cached
	again, err := second.Deploy(context.Background(), discoverOne(t, second, seeded.Target), b)
	if err != nil || again != id {
		t.Fatalf("redelivery bound %s, %v; want the copy %s", again, err, id)
	}
	if got := mutating(e); len(got) != 0 {
		t.Fatalf("redelivery made mutating calls %v", got)
	}
	for _, c := range e.Cloud.Calls() {
		if _, ok := c.Params["fingerprint"]; ok {
			t.Errorf("%s used the fingerprint filter", c.Action)
		}
	}
}

func TestDomainField(t *testing.T) {
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprintf("n%02d.example.com", i)
	}
	long := make([]string, 20)
	for i := range long {
		long[i] = fmt.Sprintf("%02d%s.example.com", i, strings.Repeat("a", 58)) // 72 characters
	}
	for _, tc := range []struct {
		name        string
		names       []string
		first       string
		wantFirst   string
		wantN, maxN int
	}{
		{"few names keep their order", []string{"a.example.com", "b.example.com"}, "", "a.example.com", 2, 2},
		{"the slot's domain comes first", []string{"a.example.com", "b.example.com"}, "b.example.com", "b.example.com", 2, 2},
		{"a wildcard covering the slot comes first", []string{"example.com", "*.example.com"}, "www.example.com", "*.example.com", 2, 2},
		{"at most 30 names", many, "n35.example.com", "n35.example.com", 30, 30},
		{"at most 1024 characters", long, "", long[0], 14, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := domainField(tc.names, tc.first)
			parts := strings.Split(got, ",")
			if parts[0] != tc.wantFirst || len(parts) != tc.wantN || len(got) > maxDomainLength {
				t.Fatalf("domainField = %q (%d names, %d characters); want %d names starting with %s", got, len(parts), len(got), tc.wantN, tc.wantFirst)
			}
		})
	}
}

// An SNI slot for one of the names of a certificate with more than 30 is created with that name
// first, and ELB (which refuses more than 30) takes it.
func TestSNICertificateWithManyNamesKeepsTheSlotsDomain(t *testing.T) {
	e, elb := start(t)
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("n%02d.example.com", i)
	}
	def := addCertificate(t, e, "default", "", certificate(t, "default.example.org"))
	lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "many"})
	l := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: def})
	p := mustNew(t, testConfig(e.URL))
	slot := discoverOne(t, p, elbTarget(func(t *provider.Target) { t.ListenerID, t.Domain = l, "n35.example.com" }))
	b := certificate(t, names...)
	id, err := p.Deploy(context.Background(), slot, b)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := elb.Certificate(testProject, id)
	if d := strings.Split(c.Domain, ","); len(d) != 30 || d[0] != "n35.example.com" {
		t.Fatalf("domain %q", c.Domain)
	}
	if got, err := p.Bound(context.Background(), slot); err != nil || got.ID != id {
		t.Fatalf("Bound = %+v, %v", got, err)
	}
	// Another slot of this run for a name the copy's domain left out fails clearly, before any write.
	other := discoverOne(t, p, elbTarget(func(t *provider.Target) { t.ListenerID, t.Domain = l, "n39.example.com" }))
	e.Cloud.ResetCalls()
	_, err = p.Deploy(context.Background(), other, b)
	if err == nil || !provider.IsPermanent(err) || !strings.Contains(err.Error(), "not n39.example.com") {
		t.Fatalf("Deploy = %v, want a permanent error naming the left-out domain", err)
	}
	if got := mutating(e); len(got) != 0 {
		t.Fatalf("mutating calls %v", got)
	}
}

// One ECC and one RSA certificate serve a domain: a new certificate replaces the one of its own
// key algorithm, the other stays and the report says so; read-back and rollback follow.
func TestECCAndRSASNIPair(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func(*testing.T, ...string) *certs.Bundle
		same string // which old certificate the new one replaces: "rsa" or "ecc"
		note string
	}{
		{"new RSA", rsaCertificate, "rsa", "also served by the ECC certificate"},
		{"new ECC", certificate, "ecc", "also served by the RSA certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, elb := start(t)
			const domain = "www.example.com"
			def := addCertificate(t, e, "default", "", certificate(t, "default.example.org"))
			oldRSA := addCertificate(t, e, "rsa", domain, rsaCertificate(t, domain))
			oldECC := addCertificate(t, e, "ecc", domain, certificate(t, domain))
			lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "pair"})
			l := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443,
				DefaultTLSContainerRef: def, SNIContainerRefs: []string{oldRSA, oldECC}})
			p := mustNew(t, testConfig(e.URL))
			slot := discoverOne(t, p, elbTarget(func(t *provider.Target) { t.ListenerID, t.Domain = l, domain }))
			b := tc.new(t, domain)
			id, err := p.Deploy(context.Background(), slot, b)
			if err != nil {
				t.Fatal(err)
			}
			replaced, kept := oldRSA, oldECC
			if tc.same == "ecc" {
				replaced, kept = oldECC, oldRSA
			}
			got, _ := elb.Listener(testProject, l)
			if !sameSet(got.SNIContainerRefs, []string{id, kept}) {
				t.Fatalf("SNI %v, want the new %s beside %s", got.SNIContainerRefs, id, kept)
			}
			if b, err := p.Bound(context.Background(), slot); err != nil || b.ID != id {
				t.Fatalf("Bound = %+v, %v; want %s", b, err, id)
			}
			if note := p.Note(slot); !strings.Contains(note, tc.note) || !strings.Contains(note, kept) {
				t.Fatalf("Note = %q", note)
			}
			// Convergence moves the slot onto another copy of the same certificate.
			canonical := addCertificate(t, e, "copy", domain, b)
			if err := p.Rebind(context.Background(), slot, canonical); err != nil {
				t.Fatal(err)
			}
			if got, _ := elb.Listener(testProject, l); !sameSet(got.SNIContainerRefs, []string{canonical, kept}) {
				t.Fatalf("SNI after moving to the copy %v, want %s and %s", got.SNIContainerRefs, canonical, kept)
			}
			if b, err := p.Bound(context.Background(), slot); err != nil || b.ID != canonical {
				t.Fatalf("Bound = %+v, %v; want the copy %s", b, err, canonical)
			}
			// Rollback puts back what Deploy replaced, whichever of the pair Discover reported.
			if err := p.Rebind(context.Background(), slot, slot.Current.ID); err != nil {
				t.Fatal(err)
			}
			if got, _ := elb.Listener(testProject, l); !sameSet(got.SNIContainerRefs, []string{replaced, kept}) {
				t.Fatalf("SNI after rollback %v, want %s and %s", got.SNIContainerRefs, replaced, kept)
			}
		})
	}
}

// Two SNI slots of one listener deployed at once both end up bound: the provider writes one
// listener's SNI list at a time.
func TestTwoSNISlotsOfOneListenerDeployedConcurrently(t *testing.T) {
	e, elb := start(t)
	def := addCertificate(t, e, "default", "", certificate(t, "default.example.org"))
	domains := []string{"a.example.com", "b.example.com", "c.example.com", "d.example.com"}
	var refs []string
	for _, d := range domains {
		refs = append(refs, addCertificate(t, e, "old", d, certificate(t, d)))
	}
	lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "concurrent"})
	l := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443,
		DefaultTLSContainerRef: def, SNIContainerRefs: refs})
	p := mustNew(t, testConfig(e.URL))
	ids := make([]string, len(domains))
	errs := make([]error, len(domains))
	var wg sync.WaitGroup
	for i, d := range domains {
		slot := discoverOne(t, p, elbTarget(func(t *provider.Target) { t.ListenerID, t.Domain = l, d }))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = p.Deploy(context.Background(), slot, certificate(t, d))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := elb.Listener(testProject, l); !sameSet(got.SNIContainerRefs, ids) {
		t.Fatalf("SNI %v, want every new certificate %v (a lost update)", got.SNIContainerRefs, ids)
	}
}

// TLS and QUIC listeners carry certificates like HTTPS; QUIC takes RSA only, refused before any write.
func TestTLSAndQUICListeners(t *testing.T) {
	for _, tc := range []struct {
		protocol string
		bundle   func(*testing.T, ...string) *certs.Bundle
		ok       bool
		says     string
	}{
		{"TLS", certificate, true, ""},
		{"QUIC", rsaCertificate, true, ""},
		{"QUIC", certificate, false, "RSA certificates only"},
		{"TCP", rsaCertificate, false, "not HTTPS, TLS or QUIC"},
	} {
		t.Run(tc.protocol+"/"+tc.bundle(t, "x.example.com").Leaf.PublicKeyAlgorithm.String(), func(t *testing.T) {
			e, elb := start(t)
			old := addCertificate(t, e, "old", "", rsaCertificate(t, "www.example.com"))
			lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "l4"})
			ls := elbfake.Listener{LoadBalancerID: lb, Protocol: tc.protocol, Port: 443}
			if tc.protocol != "TCP" {
				ls.DefaultTLSContainerRef = old
			}
			l := elb.AddListener(testProject, ls)
			p := mustNew(t, testConfig(e.URL))
			tg := elbTarget(func(t *provider.Target) { t.ListenerID = l })
			slots, err := p.Discover(context.Background(), tg)
			if err == nil {
				var id string
				id, err = p.Deploy(context.Background(), slots[0], tc.bundle(t, "www.example.com"))
				if got, _ := elb.Listener(testProject, l); err == nil && got.DefaultTLSContainerRef != id {
					t.Fatalf("default %s, want %s", got.DefaultTLSContainerRef, id)
				}
			}
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok {
				if err == nil || !provider.IsPermanent(err) || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("err = %v, want a permanent error saying %q", err, tc.says)
				}
				if got := mutating(e); len(got) != 0 {
					t.Fatalf("mutating calls %v", got)
				}
			}
		})
	}
}

// A certificate answered with 400 ELB.5040 "The certificate does not exist." is gone, like 404.
// No source says when ELB answers it, so a proxy in front of the emulator injects the answer.
func TestELB5040IsGone(t *testing.T) {
	e, _ := start(t)
	const missingID = "5040aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	upstream, _ := url.Parse(e.URL)
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/certificates/"+missingID) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error_code":"ELB.5040","error_msg":"The certificate does not exist.","request_id":"0123456789abcdef0123456789abcdef"}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	cfg.ProjectID = testProject
	p := mustNew(t, cfg)
	t.Run("Delete", func(t *testing.T) {
		if err := p.Delete(context.Background(), testRegion, missingID); err != nil {
			t.Fatalf("Delete of a gone certificate: %v", err)
		}
	})
	t.Run("deleteCertificate", func(t *testing.T) {
		if err := p.deleteCertificate(context.Background(), p.scope(testRegion, testProject, ""), missingID); err != nil {
			t.Fatalf("deleteCertificate of a gone certificate: %v", err)
		}
	})
	t.Run("describe", func(t *testing.T) {
		b, err := p.describe(context.Background(), p.scope(testRegion, testProject, ""), missingID)
		if err != nil || b.ID != missingID || b.Fingerprint != "" {
			t.Fatalf("describe = %+v, %v", b, err)
		}
	})
	t.Run("Discover", func(t *testing.T) {
		_, err := p.Discover(context.Background(), elbTarget(func(t *provider.Target) { t.CertificateID = missingID }))
		if err == nil || !provider.IsPermanent(err) || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("Discover = %v, want a permanent missing target", err)
		}
	})
}

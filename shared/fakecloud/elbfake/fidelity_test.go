package elbfake_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

const (
	epA = "2d8f6d3e-1b7c-4a3e-9c61-5f0e8b7a6c21"
	epB = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
)

// An access key whose ELB rights are granted in enterprise project epA only, through the SDK.
func TestEnterpriseProjectScopedPrincipal(t *testing.T) {
	e := newEnv(t)
	const ak, sk = "SCOPEDAKEXAMPLE", "scoped-secret"
	e.keys.Add(fakecore.Credential{AccessKeyID: ak, AccessKeySecret: sk})
	e.svc.ScopeAccessKey(ak, epA)
	e.svc.AddEnterpriseProject(epB)
	a := issue(t, "a.example.com")
	inA, err := e.svc.AddCertificate(project, elbfake.Certificate{Name: "in-a", EnterpriseProjectID: epA,
		Certificate: string(a.FullchainPEM), PrivateKey: string(a.KeyPEM)})
	if err != nil {
		t.Fatal(err)
	}
	inDefault := e.addCert(t, "in-default", "", issue(t, "d.example.com"))
	lbB := e.svc.AddLoadBalancer(project, elbfake.LoadBalancer{Name: "b", EnterpriseProjectID: epB})
	lsB := e.svc.AddListener(project, elbfake.Listener{LoadBalancerID: lbB, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: inDefault})

	scoped := clientFor(t, e.url, project, ak, sk, "")
	list := func(eps ...string) (*model.ListCertificatesResponse, error) {
		req := &model.ListCertificatesRequest{}
		if eps != nil {
			req.EnterpriseProjectId = &eps
		}
		return scoped.ListCertificates(req)
	}
	create := func(ep *string) (*model.CreateCertificateResponse, error) {
		is := issue(t, "new.example.com")
		return scoped.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{
			Certificate: &model.CreateCertificateOption{Name: ptr("new"), Certificate: ptr(string(is.FullchainPEM)),
				PrivateKey: ptr(string(is.KeyPEM)), EnterpriseProjectId: ep}}})
	}
	refusals := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"list without enterprise_project_id", func() error { _, err := list(); return err }, 403, elbfake.CodeForbidden},
		{"list in a project without a grant", func() error { _, err := list(epB); return err }, 403, elbfake.CodeForbidden},
		{"create without enterprise_project_id (default project)", func() error { _, err := create(nil); return err }, 403, elbfake.CodeForbidden},
		{"create in a project without a grant", func() error { _, err := create(ptr(epB)); return err }, 403, elbfake.CodeForbidden},
		{"create naming the default project", func() error { _, err := create(ptr("0")); return err }, 400, elbfake.CodeInvalidInput},
		{"create naming an unknown project", func() error { _, err := create(ptr("00000000-0000-4000-8000-000000000000")); return err }, 400, elbfake.CodeInvalidInput},
		{"show a certificate of another project", func() error {
			_, err := scoped.ShowCertificate(&model.ShowCertificateRequest{CertificateId: inDefault})
			return err
		}, 403, elbfake.CodeForbidden},
		{"delete a certificate of another project", func() error {
			_, err := scoped.DeleteCertificate(&model.DeleteCertificateRequest{CertificateId: inDefault})
			return err
		}, 403, elbfake.CodeForbidden},
		{"show a listener of another project", func() error {
			_, err := scoped.ShowListener(&model.ShowListenerRequest{ListenerId: lsB})
			return err
		}, 403, elbfake.CodeForbidden},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) { serviceError(t, tc.call(), tc.status, tc.code) })
	}
	t.Run("list in its project", func(t *testing.T) {
		for _, eps := range [][]string{{epA}, {"all_granted_eps"}} {
			resp, err := list(eps...)
			if err != nil || len(*resp.Certificates) != 1 || (*resp.Certificates)[0].Id != inA {
				t.Fatalf("list %v = %+v, %v; want only %s", eps, resp, err, inA)
			}
		}
	})
	t.Run("create in its project", func(t *testing.T) {
		resp, err := create(ptr(epA))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.Certificate(project, resp.Certificate.Id); got.EnterpriseProjectID != epA || *resp.Certificate.EnterpriseProjectId != epA {
			t.Fatalf("created in %q (answer %q), want %s", got.EnterpriseProjectID, *resp.Certificate.EnterpriseProjectId, epA)
		}
	})
	t.Run("an unscoped key lists every project", func(t *testing.T) {
		resp, err := e.client(t).ListCertificates(&model.ListCertificatesRequest{})
		if err != nil || len(*resp.Certificates) != 3 {
			t.Fatalf("unscoped list = %v, %v", resp, err)
		}
		resp, err = e.client(t).ListCertificates(&model.ListCertificatesRequest{EnterpriseProjectId: &[]string{"0"}})
		if err != nil || len(*resp.Certificates) != 1 || (*resp.Certificates)[0].Id != inDefault {
			t.Fatalf("unscoped list in 0 = %v, %v", resp, err)
		}
	})
}

// The fingerprint filter matches the value the API answers, exactly.
func TestFingerprintFilterIsExact(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	is := issue(t, "fp.example.com")
	e.addCert(t, "fp", "", is)
	fp := colonSHA1(is.Leaf.Raw)
	for _, tc := range []struct {
		name, value string
		hit         bool
	}{
		{"as answered", fp, true},
		{"upper case", strings.ToUpper(fp), false},
		{"without colons", strings.ReplaceAll(fp, ":", ""), false},
		{"openssl spelling", "SHA1 Fingerprint=" + strings.ToUpper(fp), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.ListCertificates(&model.ListCertificatesRequest{Fingerprint: &[]string{tc.value}})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(*resp.Certificates) == 1; got != tc.hit {
				t.Fatalf("%q: hit %v, want %v", tc.value, got, tc.hit)
			}
		})
	}
}

// A certificate's domain holds at most 30 names and 1024 characters (the stricter published limits).
func TestCertificateDomainLimits(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	names := func(n int, label string) string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%d.example.com", label, i)
		}
		return strings.Join(out, ",")
	}
	// 13 names of 72 characters and commas make 948; a 75- or 76-character name ends it.
	ofLength := func(last string) string {
		out := make([]string, 13)
		for i := range out {
			out[i] = fmt.Sprintf("%02d%s.example.com", i, strings.Repeat("a", 58))
		}
		return strings.Join(append(out, last), ",")
	}
	for _, tc := range []struct {
		name, domain string
		ok           bool
	}{
		{"30 names", names(30, "n"), true},
		{"31 names", names(31, "n"), false},
		{"1024 characters", ofLength(strings.Repeat("b", 63) + ".example.com"), true},
		{"1025 characters", ofLength("x." + strings.Repeat("b", 62) + ".example.com"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := len(tc.domain); strings.HasSuffix(tc.name, "characters") && n != 1024 && n != 1025 {
				t.Fatalf("the test builds %d characters", n)
			}
			is := issue(t, "limit.example.com")
			_, err := c.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{
				Certificate: &model.CreateCertificateOption{Certificate: ptr(string(is.FullchainPEM)), PrivateKey: ptr(string(is.KeyPEM)), Domain: ptr(tc.domain)}}})
			if tc.ok && err != nil {
				t.Fatalf("%d characters refused: %v", len(tc.domain), err)
			}
			if !tc.ok {
				serviceError(t, err, 400, elbfake.CodeInvalidInput)
			}
		})
	}
}

// One ECC and one RSA SNI certificate may share a domain; two of one algorithm may not.
func TestECCAndRSAMayShareAnSNIDomain(t *testing.T) {
	ecc := func(t *testing.T) *certstest.Issued { return issue(t, "www.example.com") }
	rsa := func(t *testing.T) *certstest.Issued {
		return certstest.Must(t, certstest.Options{DNSNames: []string{"www.example.com"}, KeyType: certstest.RSA2048})
	}
	for _, tc := range []struct {
		name   string
		a, b   func(*testing.T) *certstest.Issued
		shared bool
	}{
		{"ECC and RSA", ecc, rsa, true},
		{"two RSA", rsa, rsa, false},
		{"two ECC", ecc, ecc, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			def := e.addCert(t, "def", "", issue(t, "default.example.org"))
			first := e.addCert(t, "a", "www.example.com", tc.a(t))
			second := e.addCert(t, "b", "www.example.com", tc.b(t))
			lb := e.svc.AddLoadBalancer(project, elbfake.LoadBalancer{Name: "lb"})
			ls := e.svc.AddListener(project, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: def})
			_, err := e.client(t).UpdateListener(&model.UpdateListenerRequest{ListenerId: ls, Body: &model.UpdateListenerRequestBody{
				Listener: &model.UpdateListenerOption{SniContainerRefs: &[]string{first, second}}}})
			if tc.shared && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.shared {
				serviceError(t, err, 400, elbfake.CodeInvalidInput)
			}
		})
	}
}

// TLS and QUIC listeners carry a default and SNI certificates like HTTPS ones; QUIC takes RSA
// only; TCP takes none.
func TestTLSAndQUICListenersCarryCertificates(t *testing.T) {
	rsa := func(t *testing.T) *certstest.Issued {
		return certstest.Must(t, certstest.Options{DNSNames: []string{"www.example.com"}, KeyType: certstest.RSA2048})
	}
	ecc := func(t *testing.T) *certstest.Issued { return issue(t, "www.example.com") }
	for _, tc := range []struct {
		protocol string
		cert     func(*testing.T) *certstest.Issued
		status   int // 0: accepted
		code     string
	}{
		{"TLS", ecc, 0, ""},
		{"TLS", rsa, 0, ""},
		{"QUIC", rsa, 0, ""},
		{"QUIC", ecc, 400, elbfake.CodeKeyAlgorithm},
		{"TCP", rsa, 400, elbfake.CodeInvalidInput},
	} {
		is := tc.cert(t)
		t.Run(fmt.Sprintf("%s %s", tc.protocol, is.Leaf.PublicKeyAlgorithm), func(t *testing.T) {
			e := newEnv(t)
			def := e.addCert(t, "def", "", rsa(t))
			id := e.addCert(t, "new", "www.example.com", is)
			lb := e.svc.AddLoadBalancer(project, elbfake.LoadBalancer{Name: "lb"})
			l := elbfake.Listener{LoadBalancerID: lb, Protocol: tc.protocol, Port: 443}
			if tc.protocol != "TCP" {
				l.DefaultTLSContainerRef = def
			}
			ls := e.svc.AddListener(project, l)
			for _, opt := range []*model.UpdateListenerOption{{DefaultTlsContainerRef: ptr(id)}, {SniContainerRefs: &[]string{id}}} {
				_, err := e.client(t).UpdateListener(&model.UpdateListenerRequest{ListenerId: ls, Body: &model.UpdateListenerRequestBody{Listener: opt}})
				if tc.status == 0 && err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tc.status != 0 {
					serviceError(t, err, tc.status, tc.code)
				}
			}
			if tc.status == 0 {
				got, _ := e.svc.Listener(project, ls)
				if got.DefaultTLSContainerRef != id || len(got.SNIContainerRefs) != 1 || got.SNIContainerRefs[0] != id {
					t.Fatalf("listener %+v", got)
				}
			}
		})
	}
}

package alislb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/retry"
)

const testRegion = "cn-hangzhou"

// world is an emulator seeded with two load balancers:
//
//	lb-a:443  old example.com cert, SNI api.example.com (old api cert)
//	lb-a:80   HTTP
//	lb-b:443  old example.com cert
//	lb-b:8443 shop.other.org cert
type world struct {
	cloud         *fakecloud.Cloud
	url           string
	oldID, apiID  string
	shopID, extID string
	fresh         *certs.Bundle
}

func newWorld(t *testing.T) *world {
	t.Helper()
	c, url := fakecloud.Start(t)
	slb := c.SLB()
	w := &world{cloud: c, url: url}
	add := func(name string, names ...string) string {
		is := rsaIssued(t, time.Now().Add(5*24*time.Hour), names...)
		sc, err := slb.AddServerCertificate(testRegion, name, is.FullchainPEM, is.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return sc.ID
	}
	w.oldID = add("old-example", "example.com", "www.example.com")
	w.apiID = add("old-api", "api.example.com")
	w.shopID = add("shop", "shop.other.org")
	must(t, slb.AddLoadBalancer(testRegion, "lb-a", "web"))
	must(t, slb.AddLoadBalancer(testRegion, "lb-b", "shop"))
	must(t, slb.AddListener("lb-a", 443, "https", w.oldID))
	must(t, slb.AddListener("lb-a", 80, "http", ""))
	must(t, slb.AddListener("lb-b", 443, "https", w.oldID))
	must(t, slb.AddListener("lb-b", 8443, "https", w.shopID))
	var err error
	if w.extID, err = slb.AddDomainExtension("lb-a", 443, "api.example.com", w.apiID); err != nil {
		t.Fatal(err)
	}
	is := rsaIssuedAs(t, certstest.FormatPKCS8, time.Time{}, "example.com", "*.example.com") // the provider sends PKCS#1
	if w.fresh, err = certs.Parse(is.FullchainPEM, is.KeyPEM, nil); err != nil {
		t.Fatal(err)
	}
	c.ResetCalls()
	return w
}

var (
	rsaMu    sync.Mutex
	rsaCache = map[string]*certstest.Issued{}
)

// rsaIssued makes an RSA-2048 leaf with a PKCS#1 key (the only kind CLB takes), once per set of
// names for the whole test binary (RSA keys are slow to make); notAfter counts only the first time.
func rsaIssued(t *testing.T, notAfter time.Time, names ...string) *certstest.Issued {
	t.Helper()
	return rsaIssuedAs(t, certstest.FormatPKCS1, notAfter, names...)
}

// rsaIssuedAs is rsaIssued with the key in format.
func rsaIssuedAs(t *testing.T, format string, notAfter time.Time, names ...string) *certstest.Issued {
	t.Helper()
	rsaMu.Lock()
	defer rsaMu.Unlock()
	key := format + " " + strings.Join(names, ",")
	if is, ok := rsaCache[key]; ok {
		return is
	}
	is := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: notAfter, KeyType: certstest.RSA2048, KeyFormat: format})
	rsaCache[key] = is
	return is
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) provider(t *testing.T, edit ...func(*Config)) *Provider {
	t.Helper()
	cfg := Config{Endpoint: w.url, AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret,
		Concurrency: 4, Retry: retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}}
	for _, e := range edit {
		e(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *world) actions(mutatingOnly bool) []string {
	var out []string
	for _, c := range w.cloud.Calls() {
		if c.Service == "slb" && (!mutatingOnly || c.Mutating) {
			out = append(out, c.Action)
		}
	}
	sort.Strings(out)
	return out
}

func TestDiscover(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name   string
		target provider.Target
		want   []string // slot name → current certificate id, as "name=id"
	}{
		{"listener", provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443},
			[]string{"t=" + w.oldID}},
		{"sni domain", provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443, Domain: "api.example.com"},
			[]string{"t=" + w.apiID}},
		{"load balancer", provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a"},
			[]string{"t:443=" + w.oldID, "t:443/api.example.com=" + w.apiID}},
		{"region", provider.Target{Name: "t", Region: testRegion},
			[]string{"t/lb-a:443=" + w.oldID, "t/lb-a:443/api.example.com=" + w.apiID, "t/lb-b:443=" + w.oldID, "t/lb-b:8443=" + w.shopID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w.cloud.ResetCalls()
			tc.target.Provider = provider.AliSLB
			slots, err := w.provider(t).Discover(context.Background(), tc.target)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range slots {
				got = append(got, s.Name+"="+s.Current.ID)
				if s.Current.Fingerprint == "" || len(s.Current.Names) == 0 {
					t.Errorf("slot %s: current certificate not described: %+v", s.Name, s.Current)
				}
			}
			sort.Strings(got)
			sort.Strings(tc.want)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("slots\n got %v\nwant %v", got, tc.want)
			}
			if m := w.actions(true); len(m) != 0 {
				t.Errorf("discovery made mutating calls: %v", m)
			}
		})
	}
}

func TestDiscoverMissingTargetsArePermanent(t *testing.T) {
	w := newWorld(t)
	for _, tg := range []provider.Target{
		{Name: "t", Region: testRegion, LoadBalancerID: "lb-missing"},
		{Name: "t", Region: testRegion, LoadBalancerID: "lb-missing", ListenerPort: 443},
		{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 8443},
		{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443, Domain: "nope.example.com"},
		{Name: "t", Region: "cn-beijing", LoadBalancerID: "lb-a", ListenerPort: 443},
	} {
		t.Run(fmt.Sprintf("%s:%d/%s", tg.LoadBalancerID, tg.ListenerPort, tg.Domain), func(t *testing.T) {
			_, err := w.provider(t).Discover(context.Background(), tg)
			if err == nil || !provider.IsPermanent(err) {
				t.Fatalf("want a permanent error, got %v", err)
			}
		})
	}
}

func TestDeployUploadsOncePerRegionAndBinds(t *testing.T) {
	w := newWorld(t)
	p := w.provider(t)
	slots, err := p.Discover(context.Background(), provider.Target{Name: "t", Provider: provider.AliSLB, Region: testRegion})
	if err != nil {
		t.Fatal(err)
	}
	w.cloud.ResetCalls()
	ids := map[string]bool{}
	for _, s := range slots {
		if s.Current.ID == w.shopID {
			continue
		}
		id, err := p.Deploy(context.Background(), s, w.fresh)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		ids[id] = true
	}
	if len(ids) != 1 {
		t.Fatalf("deployed %d different certificate ids, want 1", len(ids))
	}
	got := w.actions(true)
	want := []string{"SetDomainExtensionAttribute", "SetLoadBalancerHTTPSListenerAttribute", "SetLoadBalancerHTTPSListenerAttribute", "UploadServerCertificate"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("mutating calls %v, want %v", got, want)
	}
	var newID string
	for id := range ids {
		newID = id
	}
	slb := w.cloud.SLB()
	for _, l := range []struct {
		lb   string
		port int
		want string
	}{{"lb-a", 443, newID}, {"lb-b", 443, newID}, {"lb-b", 8443, w.shopID}} {
		if got, _ := slb.ListenerCertificate(l.lb, l.port); got != l.want {
			t.Errorf("%s:%d serves %s, want %s", l.lb, l.port, got, l.want)
		}
	}
	if got, _ := slb.DomainExtensionCertificate(w.extID); got != newID {
		t.Errorf("SNI extension serves %s, want %s", got, newID)
	}
	sc, _ := slb.ServerCertificateByID(newID)
	if sc.Fingerprint != w.fresh.FingerprintSHA1() || !strings.HasPrefix(sc.Name, NamePrefix) {
		t.Errorf("uploaded certificate %+v", sc)
	}
	if strings.Contains(string(sc.ChainPEM), "\n\n") || !strings.HasPrefix(string(sc.ChainPEM), "-----BEGIN CERTIFICATE-----") {
		t.Error("uploaded chain not normalised")
	}

	// A second run (a redelivered event) reuses the certificate it finds by fingerprint.
	w.cloud.ResetCalls()
	again, err := w.provider(t).Deploy(context.Background(), slots[0], w.fresh)
	if err != nil || again != newID {
		t.Fatalf("second deploy: %s, %v; want %s", again, err, newID)
	}
	if got := w.actions(true); len(got) != 1 || got[0] != "SetLoadBalancerHTTPSListenerAttribute" {
		t.Fatalf("second deploy mutating calls %v, want only the bind", got)
	}
	if n := len(slb.ServerCertificates(testRegion)); n != 4 {
		t.Fatalf("%d server certificates in the region, want 4 (3 old + 1 new)", n)
	}
}

func TestDeployReusesForeignCertificateWithSameFingerprint(t *testing.T) {
	w := newWorld(t)
	existing, err := w.cloud.SLB().AddServerCertificate(testRegion, "uploaded-by-hand", []byte(w.fresh.CertificatePEM), []byte(w.fresh.PrivateKeyPEM))
	must(t, err)
	w.cloud.ResetCalls()
	id, err := w.provider(t).Deploy(context.Background(),
		provider.Slot{Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443}, w.fresh)
	if err != nil || id != existing.ID {
		t.Fatalf("deploy = %s, %v; want the existing %s", id, err, existing.ID)
	}
	for _, a := range w.actions(true) {
		if a == "UploadServerCertificate" {
			t.Fatal("uploaded although a certificate with the same fingerprint exists")
		}
	}
}

func TestRetriesThrottlingAndServerErrors(t *testing.T) {
	w := newWorld(t)
	w.cloud.Faults().FailNext("UploadServerCertificate", fakecore.Throttle, 1)
	w.cloud.Faults().FailNext("SetLoadBalancerHTTPSListenerAttribute", fakecore.ServerError, 2)
	id, err := w.provider(t).Deploy(context.Background(), provider.Slot{Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443}, w.fresh)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := w.cloud.SLB().ListenerCertificate("lb-a", 443); got != id {
		t.Fatalf("listener serves %s, want %s", got, id)
	}
	var codes []string
	for _, c := range w.cloud.Calls() {
		if c.Code != "" {
			codes = append(codes, c.Action+":"+c.Code)
		}
	}
	want := "UploadServerCertificate:Throttling.User SetLoadBalancerHTTPSListenerAttribute:ServiceUnavailable SetLoadBalancerHTTPSListenerAttribute:ServiceUnavailable"
	if strings.Join(codes, " ") != want {
		t.Fatalf("faults seen %v, want %s", codes, want)
	}
	if n := len(w.cloud.SLB().ServerCertificates(testRegion)); n != 4 {
		t.Fatalf("%d certificates after retries, want 4: a throttled upload must not leave a duplicate", n)
	}
}

func TestRetriesStopAtAttemptsAndAreNotPermanent(t *testing.T) {
	w := newWorld(t)
	w.cloud.Faults().FailNext("DescribeLoadBalancerHTTPSListenerAttribute", fakecore.Throttle, 10)
	_, err := w.provider(t).Discover(context.Background(), provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443})
	if err == nil || provider.IsPermanent(err) || ErrorCode(err) != "Throttling.User" {
		t.Fatalf("want a retryable Throttling.User error, got %v (permanent %v)", err, provider.IsPermanent(err))
	}
	if n := strings.Count(strings.Join(w.actions(false), " "), "DescribeLoadBalancerHTTPSListenerAttribute"); n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
}

func TestWrongSecretIsPermanentAndLeaksNothing(t *testing.T) {
	w := newWorld(t)
	p := w.provider(t, func(c *Config) { c.AccessKeySecret = "wrong" })
	_, err := p.Deploy(context.Background(), provider.Slot{Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443}, w.fresh)
	if err == nil || !provider.IsPermanent(err) || ErrorCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("want a permanent SignatureDoesNotMatch, got %v", err)
	}
	keyLine := strings.Split(w.fresh.PrivateKeyPEM, "\n")[1]
	for _, leak := range []string{"PRIVATE KEY", keyLine, "string to sign", "PrivateKey="} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error leaks %q: %v", leak, err)
		}
	}
	if m := w.actions(true); len(m) != 0 && w.cloud.MutatingCalls()[0].Status == 200 {
		t.Fatalf("a refused request changed state: %v", m)
	}
}

func TestSecurityToken(t *testing.T) {
	w := newWorld(t)
	w.cloud.Keys().Add(fakecore.Credential{AccessKeyID: "STS.fc-role", AccessKeySecret: "sts-secret", SecurityToken: "token-1"})
	ok := w.provider(t, func(c *Config) {
		c.AccessKeyID, c.AccessKeySecret, c.SecurityToken = "STS.fc-role", "sts-secret", "token-1"
	})
	if _, err := ok.Discover(context.Background(), provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443}); err != nil {
		t.Fatalf("STS credentials refused: %v", err)
	}
	missing := w.provider(t, func(c *Config) { c.AccessKeyID, c.AccessKeySecret = "STS.fc-role", "sts-secret" })
	if _, err := missing.Discover(context.Background(), provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443}); err == nil {
		t.Fatal("an STS key without its token was accepted")
	}
}

func TestCancelledContextStopsBeforeCalling(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := w.provider(t).Deploy(ctx, provider.Slot{Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443}, w.fresh)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if n := len(w.cloud.Calls()); n != 0 {
		t.Fatalf("%d calls after cancellation", n)
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no credentials"},
		{Config{AccessKeyID: "a", AccessKeySecret: "b", Endpoint: "127.0.0.1:80"}, "not an http:// or https:// URL"},
		{Config{AccessKeyID: "a", AccessKeySecret: "b", Endpoint: "http://h/path"}, "must not have a path"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

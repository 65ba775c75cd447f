package huaweielb

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/providertest"
	"github.com/certrotate/certrotate/shared/retry"
)

func certificate(t *testing.T, names ...string) *certs.Bundle {
	t.Helper()
	is := certstest.Must(t, certstest.Options{DNSNames: names})
	b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func start(t *testing.T) (*providertest.Env, *elbfake.Service) {
	t.Helper()
	e := &providertest.Env{}
	e.Cloud, e.URL = fakecloud.Start(t)
	return e, e.Cloud.ELB()
}

func mutating(e *providertest.Env) []string {
	var out []string
	for _, c := range e.Cloud.MutatingCalls() {
		out = append(out, c.Action)
	}
	return out
}

func discoverOne(t *testing.T, p *Provider, tg provider.Target) provider.Slot {
	t.Helper()
	slots, err := p.Discover(context.Background(), tg)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if len(slots) != 1 {
		t.Fatalf("%d slots", len(slots))
	}
	return slots[0]
}

func TestSNIDeployReplacesOnlyItsDomain(t *testing.T) {
	e, elb := start(t)
	seeded := seedSNI(t, e, certificate(t, "www.example.com"))
	p := mustNew(t, testConfig(e.URL))
	slot := discoverOne(t, p, seeded.Target)
	before, _ := elb.Listener(testProject, slot.ListenerID)
	id, err := p.Deploy(context.Background(), slot, certificate(t, "www.example.com", "example.com"))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := elb.Listener(testProject, slot.ListenerID)
	want := slices.Clone(before.SNIContainerRefs)
	want[slices.Index(want, seeded.CertificateID)] = id
	if !slices.Equal(after.SNIContainerRefs, want) || after.DefaultTLSContainerRef != before.DefaultTLSContainerRef {
		t.Fatalf("listener after deploy: default %s SNI %v; want default %s SNI %v",
			after.DefaultTLSContainerRef, after.SNIContainerRefs, before.DefaultTLSContainerRef, want)
	}
	c, _ := elb.Certificate(testProject, id)
	if c.Domain != "www.example.com,example.com" || c.Type != "server" || !strings.HasPrefix(c.Name, NamePrefix) {
		t.Errorf("created certificate: name %q type %q domain %q", c.Name, c.Type, c.Domain)
	}
}

func TestSNIDomainWithoutCertificateIsAdded(t *testing.T) {
	e, elb := start(t)
	seeded := seedSNI(t, e, certificate(t, "www.example.com"))
	p := mustNew(t, testConfig(e.URL))
	tg := seeded.Target
	tg.Domain, tg.Match = "api.example.com", []string{"api.example.com"}
	slot := discoverOne(t, p, tg)
	if slot.Current.ID != "" || slot.Domain != "api.example.com" {
		t.Fatalf("slot for a domain no SNI certificate holds: %+v", slot)
	}
	before, _ := elb.Listener(testProject, slot.ListenerID)
	id, err := p.Deploy(context.Background(), slot, certificate(t, "api.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := elb.Listener(testProject, slot.ListenerID)
	if want := append(slices.Clone(before.SNIContainerRefs), id); !slices.Equal(after.SNIContainerRefs, want) {
		t.Fatalf("SNI %v, want %v", after.SNIContainerRefs, want)
	}
	if b, err := p.Bound(context.Background(), slot); err != nil || b.ID != id {
		t.Fatalf("Bound = %+v, %v", b, err)
	}
	// Rolling back removes it again.
	if err := p.Rebind(context.Background(), slot, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := elb.Listener(testProject, slot.ListenerID); !slices.Equal(got.SNIContainerRefs, before.SNIContainerRefs) {
		t.Fatalf("SNI after rollback %v, want %v", got.SNIContainerRefs, before.SNIContainerRefs)
	}
}

func TestInPlaceKeepsNameAndDomain(t *testing.T) {
	e, elb := start(t)
	old := certificate(t, "www.example.com", "example.com")
	id := addCertificate(t, e, "by-hand", "www.example.com", old)
	lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "lb"})
	def := addCertificate(t, e, "default", "", certificate(t, "default.example.org"))
	elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: def, SNIContainerRefs: []string{id}})
	before, _ := elb.Certificate(testProject, id)
	p := mustNew(t, testConfig(e.URL))
	slot := discoverOne(t, p, elbTarget(func(t *provider.Target) { t.CertificateID = id }))
	if !sameSet(slot.Current.Names, []string{"www.example.com", "example.com"}) {
		t.Errorf("Current.Names = %v", slot.Current.Names)
	}
	fresh := certificate(t, "*.example.com", "example.com")
	e.Cloud.ResetCalls()
	got, err := p.Deploy(context.Background(), slot, fresh)
	if err != nil || got != id {
		t.Fatalf("Deploy = %s, %v", got, err)
	}
	after, _ := elb.Certificate(testProject, id)
	if after.Name != before.Name || after.Domain != before.Domain || after.Fingerprint == before.Fingerprint {
		t.Errorf("after the update: name %q domain %q; before: name %q domain %q", after.Name, after.Domain, before.Name, before.Domain)
	}
	if certs.NormalizeFingerprint(after.Fingerprint) != certs.NormalizeFingerprint(fresh.FingerprintSHA1()) {
		t.Error("the certificate does not hold the new leaf")
	}
	calls := e.Cloud.MutatingCalls()
	if len(calls) != 1 || calls[0].Action != "UpdateCertificate" || calls[0].Params["certificate.domain"] != "www.example.com" {
		t.Fatalf("mutating calls %+v, want one UpdateCertificate keeping the domain", calls)
	}
	if v := calls[0].Params["certificate.private_key"]; v != "<redacted>" {
		t.Errorf("the call log holds the key: %q", v)
	}
	// Again: nothing to do.
	e.Cloud.ResetCalls()
	if got, err := mustNew(t, testConfig(e.URL)).Deploy(context.Background(), slot, fresh); err != nil || got != id {
		t.Fatalf("redeploy = %s, %v", got, err)
	}
	if m := mutating(e); len(m) != 0 {
		t.Fatalf("redeploy made mutating calls %v", m)
	}
}

func TestInPlaceRefusesADomainTheCertificateDoesNotCover(t *testing.T) {
	e, _ := start(t)
	id := addCertificate(t, e, "by-hand", "shop.example.org", certificate(t, "shop.example.org", "example.com"))
	p := mustNew(t, testConfig(e.URL))
	tg := elbTarget(func(t *provider.Target) { t.CertificateID = id; t.Match = []string{"example.com"} })
	slot := discoverOne(t, p, tg)
	e.Cloud.ResetCalls()
	_, err := p.Deploy(context.Background(), slot, certificate(t, "example.com"))
	if err == nil || !provider.IsPermanent(err) || !strings.Contains(err.Error(), "shop.example.org") {
		t.Fatalf("Deploy = %v, want a permanent error naming the uncovered domain", err)
	}
	if m := mutating(e); len(m) != 0 {
		t.Fatalf("mutating calls %v", m)
	}
}

func TestProjectComesFromTargetOrConfig(t *testing.T) {
	e, _ := start(t)
	seeded := seedListener(t, e, certificate(t, "example.com"))
	tg := seeded.Target
	tg.ProjectID = ""

	cfg := testConfig(e.URL)
	cfg.ProjectID = testProject
	if slot := discoverOne(t, mustNew(t, cfg), tg); slot.Current.ID != seeded.CertificateID {
		t.Fatalf("with the default project: %+v", slot)
	}
	e.Cloud.ResetCalls()
	_, err := mustNew(t, testConfig(e.URL)).Discover(context.Background(), tg)
	if err == nil || !provider.IsPermanent(err) || !strings.Contains(err.Error(), "HUAWEICLOUD_SDK_PROJECT_ID") {
		t.Fatalf("without any project: %v", err)
	}
	if n := len(e.Cloud.Calls()); n != 0 {
		t.Fatalf("%d calls without a project (an IAM lookup?)", n)
	}
	for _, c := range seededCalls(t, e, cfg, tg) {
		if c.Params["project_id"] != testProject {
			t.Errorf("call %s went to project %q", c.Action, c.Params["project_id"])
		}
	}
}

func seededCalls(t *testing.T, e *providertest.Env, cfg Config, tg provider.Target) []fakecore.Call {
	e.Cloud.ResetCalls()
	discoverOne(t, mustNew(t, cfg), tg)
	return e.Cloud.Calls()
}

func TestSecurityToken(t *testing.T) {
	e, _ := start(t)
	e.Cloud.Keys().Add(fakecore.Credential{AccessKeyID: "TEMPAKFAKE", AccessKeySecret: "temp-secret", SecurityToken: "token-1"})
	seeded := seedListener(t, e, certificate(t, "example.com"))
	cfg := testConfig(e.URL)
	cfg.AccessKey, cfg.SecretKey, cfg.SecurityToken = "TEMPAKFAKE", "temp-secret", "token-1"
	discoverOne(t, mustNew(t, cfg), seeded.Target)
	cfg.SecurityToken = ""
	if _, err := mustNew(t, cfg).Discover(context.Background(), seeded.Target); err == nil || !provider.IsPermanent(err) {
		t.Fatalf("a temporary key without its token: %v", err)
	}
}

func TestRefusedCertificateIsPermanentAndLeaksNothing(t *testing.T) {
	e, _ := start(t)
	seeded := seedListener(t, e, certificate(t, "example.com"))
	p := mustNew(t, testConfig(e.URL))
	slot := discoverOne(t, p, seeded.Target)
	bad := *certificate(t, "example.com")
	bad.PrivateKeyPEM = certificate(t, "example.com").PrivateKeyPEM // not this leaf's key
	_, err := p.Deploy(context.Background(), slot, &bad)
	if err == nil || !provider.IsPermanent(err) || ErrorCode(err) != elbfake.CodeInvalidCert {
		t.Fatalf("Deploy of a mismatched key = %v, want a permanent %s", err, elbfake.CodeInvalidCert)
	}
	lines := strings.Split(strings.TrimSpace(bad.PrivateKeyPEM), "\n")
	for _, leak := range []string{"PRIVATE KEY", lines[1], "BEGIN CERTIFICATE"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("the error leaks %q: %v", leak, err)
		}
	}
}

func TestCancellationStopsACallInFlight(t *testing.T) {
	e, _ := start(t)
	seeded := seedListener(t, e, certificate(t, "example.com"))
	e.Cloud.Faults().SetLatency(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := mustNew(t, testConfig(e.URL)).Discover(ctx, seeded.Target)
	if !errors.Is(err, context.DeadlineExceeded) || provider.IsPermanent(err) {
		t.Fatalf("Discover past the deadline = %v, want a retryable context.DeadlineExceeded", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("returned after %s", d)
	}
}

func TestSlowCallsTimeOutAndAreRetried(t *testing.T) {
	e, _ := start(t)
	seeded := seedListener(t, e, certificate(t, "example.com"))
	e.Cloud.Faults().SetLatency(300 * time.Millisecond)
	cfg := testConfig(e.URL)
	cfg.Timeout = 50 * time.Millisecond
	_, err := mustNew(t, cfg).Discover(context.Background(), seeded.Target)
	if err == nil || provider.IsPermanent(err) || !errors.Is(err, errCallTimeout) {
		t.Fatalf("Discover with every call too slow = %v, want a retryable timeout", err)
	}
	time.Sleep(350 * time.Millisecond) // let the emulator log the abandoned calls
	if n := len(e.Cloud.Calls()); n != cfg.Retry.Attempts {
		t.Errorf("%d attempts, want %d", n, cfg.Retry.Attempts)
	}
}

func TestQPSBoundsTheCallRate(t *testing.T) {
	e, _ := start(t)
	seeded := seedInPlace(t, e, certificate(t, "www.example.com"))
	cfg := testConfig(e.URL)
	cfg.QPS = 4 // a burst of 4, then one call every 250 ms
	p := mustNew(t, cfg)
	began := time.Now()
	for range 8 {
		discoverOne(t, p, seeded.Target)
	}
	if d := time.Since(began); d < 900*time.Millisecond {
		t.Fatalf("8 calls at 4 per second took %s", d)
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no credentials"},
		{Config{AccessKey: "a", SecretKey: "b", Endpoint: "127.0.0.1:80"}, "not an http:// or https:// URL"},
		{Config{AccessKey: "a", SecretKey: "b", Endpoint: "http://h/elb"}, "must not have a path"},
		{Config{AccessKey: "a", SecretKey: "b", QPS: -1}, "QPS"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "huaweielb: ") {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestNewDefaultConfigReadsTheEnvironment(t *testing.T) {
	t.Setenv("HUAWEICLOUD_SDK_AK", "ak")
	t.Setenv("HUAWEICLOUD_SDK_SK", "sk")
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "tok")
	t.Setenv("HUAWEICLOUD_SDK_PROJECT_ID", "proj")
	t.Setenv("ROTATE_ELB_ENDPOINT", "http://127.0.0.1:1")
	c := NewDefaultConfig()
	if c.AccessKey != "ak" || c.SecretKey != "sk" || c.SecurityToken != "tok" || c.ProjectID != "proj" || c.Endpoint != "http://127.0.0.1:1" {
		t.Fatalf("NewDefaultConfig() = %+v", c)
	}
}

func TestRegionEndpoint(t *testing.T) {
	p := mustNew(t, Config{AccessKey: "a", SecretKey: "b", Retry: retry.Policy{Attempts: 1}})
	got, err := p.resolveEndpoint(p.scope("cn-north-4", "proj", ""))
	if err != nil || got != "https://elb.cn-north-4.myhuaweicloud.com" {
		t.Errorf("cn-north-4: %q, %v", got, err)
	}
	_, err = p.Discover(context.Background(), provider.Target{Name: "t", Region: "xx-nowhere-1", ProjectID: "proj", ListenerID: "l"})
	if err == nil || !provider.IsPermanent(err) || !strings.Contains(err.Error(), "ROTATE_ELB_ENDPOINT") {
		t.Errorf("unknown region: %v", err)
	}
}

func TestOwnedAndDeleteUseTheDefaultProjectWhenTheRunUsedNone(t *testing.T) {
	e, _ := start(t)
	cfg := testConfig(e.URL)
	if _, err := mustNew(t, cfg).Owned(context.Background(), testRegion); err == nil || !provider.IsPermanent(err) {
		t.Fatalf("Owned with no project known: %v", err)
	}
	cfg.ProjectID = testProject
	owned, err := mustNew(t, cfg).Owned(context.Background(), testRegion)
	if err != nil || len(owned) != 0 {
		t.Fatalf("Owned = %v, %v", owned, err)
	}
}

func TestReplaceRef(t *testing.T) {
	for _, tc := range []struct {
		refs    []string
		old, id string
		want    []string
	}{
		{[]string{"a", "b"}, "a", "n", []string{"n", "b"}},
		{[]string{"a", "b"}, "", "n", []string{"a", "b", "n"}},
		{[]string{"a", "n"}, "a", "n", []string{"n"}},
		{[]string{"n", "b"}, "", "n", []string{"n", "b"}},
		{nil, "", "n", []string{"n"}},
	} {
		if got := replaceRef(tc.refs, tc.old, tc.id); !slices.Equal(got, tc.want) {
			t.Errorf("replaceRef(%v, %q, %q) = %v, want %v", tc.refs, tc.old, tc.id, got, tc.want)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestSNIWildcardHolderIsReplacedOnlyByACertificateCoveringIt(t *testing.T) {
	for _, tc := range []struct {
		name     string
		newNames []string
		replaced bool
	}{
		{"covers the wildcard", []string{"*.example.com", "example.com"}, true},
		{"one name only", []string{"www.example.com"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, elb := start(t)
			def := addCertificate(t, e, "default", "", certificate(t, "default.example.org"))
			wild := addCertificate(t, e, "wild", "*.example.com", certificate(t, "*.example.com"))
			lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "lb"})
			l := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443,
				DefaultTLSContainerRef: def, SNIContainerRefs: []string{wild}})
			p := mustNew(t, testConfig(e.URL))
			slot := discoverOne(t, p, elbTarget(func(t *provider.Target) {
				t.ListenerID, t.Domain, t.Match = l, "www.example.com", []string{"www.example.com"}
			}))
			if slot.Current.ID != wild {
				t.Fatalf("Current = %+v, want the wildcard certificate %s", slot.Current, wild)
			}
			id, err := p.Deploy(context.Background(), slot, certificate(t, tc.newNames...))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{wild, id}
			if tc.replaced {
				want = []string{id}
			}
			if got, _ := elb.Listener(testProject, l); !slices.Equal(got.SNIContainerRefs, want) {
				t.Fatalf("SNI %v, want %v", got.SNIContainerRefs, want)
			}
			if b, err := p.Bound(context.Background(), slot); err != nil || b.ID != id {
				t.Fatalf("Bound = %+v, %v; want %s", b, err, id)
			}
			if err := p.Rebind(context.Background(), slot, slot.Current.ID); err != nil {
				t.Fatal(err)
			}
			if got, _ := elb.Listener(testProject, l); !slices.Equal(got.SNIContainerRefs, []string{wild}) {
				t.Fatalf("SNI after rollback %v, want [%s]", got.SNIContainerRefs, wild)
			}
		})
	}
}

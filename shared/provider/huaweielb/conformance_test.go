package huaweielb

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/providertest"
	"github.com/certrotate/certrotate/shared/retry"
)

const (
	testRegion  = "cn-north-4"
	testProject = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Service: "elb",
		New: func(t *testing.T, e *providertest.Env, o providertest.Options) provider.Provider {
			cfg := testConfig(e.URL)
			if o.WrongSecret {
				cfg.SecretKey = "wrong"
			}
			return mustNew(t, cfg)
		},
		Kinds: []providertest.Kind{
			{Name: "listener", Seed: seedListener, Read: "ShowListener", Store: "CreateCertificate", Bind: "UpdateListener"},
			{Name: "sni", Seed: seedSNI, Read: "ShowListener", Store: "CreateCertificate", Bind: "UpdateListener"},
			{Name: "certificate", Seed: seedInPlace, InPlace: true, Read: "ShowCertificate", Store: "UpdateCertificate"},
		},
		Missing: func(t *testing.T, e *providertest.Env) []provider.Target {
			elb := e.Cloud.ELB()
			lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "missing"})
			http := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTP", Port: 80})
			https := seedListener(t, e, certificate(t, "a.example.com")).Target.ListenerID
			tg := func(edit func(*provider.Target)) provider.Target {
				t := provider.Target{Name: "t", Provider: provider.HuaweiELB, Region: testRegion, ProjectID: testProject}
				edit(&t)
				return t
			}
			return []provider.Target{
				tg(func(t *provider.Target) { t.CertificateID = strings.Repeat("0", 32) }),
				tg(func(t *provider.Target) { t.CertificateID = "not-an-id" }),
				tg(func(t *provider.Target) { t.ListenerID = "00000000-0000-4000-8000-000000000000" }),
				tg(func(t *provider.Target) { t.ListenerID = http }),
				tg(func(t *provider.Target) { t.ListenerID = https; t.ProjectID = "ffffffffffffffffffffffffffffffff" }),
				tg(func(t *provider.Target) { t.ListenerID = https; t.ProjectID = "" }), // no default project either
			}
		},
		Copies: func(t *testing.T, e *providertest.Env, region, fp string) []string {
			var ids []string
			for _, c := range e.Cloud.ELB().Certificates(testProject) {
				if certs.NormalizeFingerprint(c.Fingerprint) == fp {
					ids = append(ids, c.ID)
				}
			}
			return ids
		},
	})
}

// testConfig talks to the emulator at url with fast retries; targets name their project.
func testConfig(url string) Config {
	return Config{Endpoint: url, AccessKey: fakecore.DefaultAccessKeyID, SecretKey: fakecore.DefaultAccessKeySecret,
		Concurrency: 4, Timeout: 10 * time.Second, Retry: retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}}
}

func mustNew(t *testing.T, cfg Config) *Provider {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// addCertificate stores b in the emulator under a name this project does not use.
func addCertificate(t *testing.T, e *providertest.Env, name, domain string, b *certs.Bundle) string {
	t.Helper()
	id, err := e.Cloud.ELB().AddCertificate(testProject, elbfake.Certificate{
		Name: fmt.Sprintf("%s-%d", name, e.Next()), Domain: domain, Certificate: b.CertificatePEM, PrivateKey: b.PrivateKeyPEM})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func elbTarget(edit func(*provider.Target)) provider.Target {
	t := provider.Target{Provider: provider.HuaweiELB, Region: testRegion, ProjectID: testProject}
	edit(&t)
	if t.Name == "" {
		t.Name = fmt.Sprintf("elb/%s%s/%s", t.ListenerID, t.CertificateID, t.Domain)
	}
	return t
}

// seedListener adds a load balancer with an HTTPS listener whose default certificate holds b.
func seedListener(t *testing.T, e *providertest.Env, b *certs.Bundle) providertest.Seeded {
	t.Helper()
	elb := e.Cloud.ELB()
	id := addCertificate(t, e, "seed", "", b)
	lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "web"})
	l := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: id})
	return providertest.Seeded{
		Target:        elbTarget(func(t *provider.Target) { t.ListenerID = l }),
		CertificateID: id,
		Serving: func() string {
			got, _ := elb.Listener(testProject, l)
			return got.DefaultTLSContainerRef
		},
	}
}

// seedSNI adds a listener with a default certificate and two SNI certificates: b for
// www.example.com, and another for shop.example.org.
func seedSNI(t *testing.T, e *providertest.Env, b *certs.Bundle) providertest.Seeded {
	t.Helper()
	elb := e.Cloud.ELB()
	const domain = "www.example.com"
	def := addCertificate(t, e, "filler", "", certificate(t, "filler.example.org"))
	shop := addCertificate(t, e, "shop", "shop.example.org", certificate(t, "shop.example.org"))
	id := addCertificate(t, e, "seed-sni", domain, b)
	lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "sni"})
	l := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443,
		DefaultTLSContainerRef: def, SNIContainerRefs: []string{id, shop}})
	return providertest.Seeded{
		Target:        elbTarget(func(t *provider.Target) { t.ListenerID, t.Domain = l, domain }),
		CertificateID: id,
		Serving: func() string {
			got, _ := elb.Listener(testProject, l)
			if !slices.Contains(got.SNIContainerRefs, shop) {
				t.Errorf("the other SNI certificate %s was dropped: %v", shop, got.SNIContainerRefs)
			}
			for _, ref := range got.SNIContainerRefs {
				if c, _ := elb.Certificate(testProject, ref); slices.Contains(strings.Split(c.Domain, ","), domain) ||
					(ref != shop && strings.Contains(c.Domain, "*.example.com")) {
					return ref
				}
			}
			return ""
		},
	}
}

// seedInPlace adds a certificate holding b, with a domain, used by a listener as its default.
func seedInPlace(t *testing.T, e *providertest.Env, b *certs.Bundle) providertest.Seeded {
	t.Helper()
	elb := e.Cloud.ELB()
	id := addCertificate(t, e, "managed-by-hand", "www.example.com", b)
	lb := elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: "inplace"})
	elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: id})
	return providertest.Seeded{
		Target:        elbTarget(func(t *provider.Target) { t.CertificateID = id }),
		CertificateID: id,
		Serving: func() string {
			if _, ok := elb.Certificate(testProject, id); ok {
				return id
			}
			return ""
		},
	}
}

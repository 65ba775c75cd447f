package alislb

import (
	"fmt"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/providertest"
	"github.com/certrotate/certrotate/shared/retry"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Service: "slb",
		New: func(t *testing.T, e *providertest.Env, o providertest.Options) provider.Provider {
			cfg := Config{Endpoint: e.URL, AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret,
				Concurrency: 4, QPS: 1000, Retry: retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}}
			if o.WrongSecret {
				cfg.AccessKeySecret = "wrong"
			}
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Kinds: []providertest.Kind{
			{Name: "listener", Seed: seedListener, Read: "DescribeLoadBalancerHTTPSListenerAttribute",
				Store: "UploadServerCertificate", Bind: "SetLoadBalancerHTTPSListenerAttribute"},
			{Name: "sni", Seed: seedDomainExtension, Read: "DescribeLoadBalancerHTTPSListenerAttribute",
				Store: "UploadServerCertificate", Bind: "SetDomainExtensionAttribute"},
		},
		Missing: func(t *testing.T, e *providertest.Env) []provider.Target {
			lb := seedLoadBalancer(t, e)
			return []provider.Target{
				{Name: "t", Provider: provider.AliSLB, Region: testRegion, LoadBalancerID: "lb-missing"},
				{Name: "t", Provider: provider.AliSLB, Region: testRegion, LoadBalancerID: "lb-missing", ListenerPort: 443},
				{Name: "t", Provider: provider.AliSLB, Region: testRegion, LoadBalancerID: lb, ListenerPort: 8443},
				{Name: "t", Provider: provider.AliSLB, Region: testRegion, LoadBalancerID: lb, ListenerPort: 443, Domain: "nope.example.com"},
			}
		},
		KeyType: certstest.RSA2048, // CLB takes RSA certificates only
		Copies: func(t *testing.T, e *providertest.Env, region, fp string) []string {
			var ids []string
			for _, sc := range e.Cloud.SLB().ServerCertificates(region) {
				if certs.NormalizeFingerprint(sc.Fingerprint) == fp {
					ids = append(ids, sc.ID)
				}
			}
			return ids
		},
	})
}

// seedLoadBalancer adds a load balancer with an HTTPS listener on 443 serving a filler
// certificate, and returns its id.
func seedLoadBalancer(t *testing.T, e *providertest.Env) string {
	t.Helper()
	slb := e.Cloud.SLB()
	n := e.Next()
	lb := fmt.Sprintf("lb-conf-%d", n)
	filler := upload(t, e, fmt.Sprintf("filler-%d", n), certstestBundle(t, "filler.example.org"))
	must(t, slb.AddLoadBalancer(testRegion, lb, lb))
	must(t, slb.AddListener(lb, 443, "https", filler))
	return lb
}

func upload(t *testing.T, e *providertest.Env, name string, b *certs.Bundle) string {
	t.Helper()
	sc, err := e.Cloud.SLB().AddServerCertificate(testRegion, name, []byte(b.CertificatePEM), []byte(b.PrivateKeyPEM))
	must(t, err)
	return sc.ID
}

func seedListener(t *testing.T, e *providertest.Env, b *certs.Bundle) providertest.Seeded {
	t.Helper()
	slb := e.Cloud.SLB()
	n := e.Next()
	lb := fmt.Sprintf("lb-conf-%d", n)
	id := upload(t, e, fmt.Sprintf("seed-%d", n), b)
	must(t, slb.AddLoadBalancer(testRegion, lb, lb))
	must(t, slb.AddListener(lb, 443, "https", id))
	return providertest.Seeded{
		Target:        provider.Target{Name: lb, Provider: provider.AliSLB, Region: testRegion, LoadBalancerID: lb, ListenerPort: 443},
		CertificateID: id,
		Serving: func() string {
			got, _ := slb.ListenerCertificate(lb, 443)
			return got
		},
	}
}

func seedDomainExtension(t *testing.T, e *providertest.Env, b *certs.Bundle) providertest.Seeded {
	t.Helper()
	lb := seedLoadBalancer(t, e)
	id := upload(t, e, fmt.Sprintf("seed-sni-%d", e.Next()), b)
	const domain = "www.example.com"
	ext, err := e.Cloud.SLB().AddDomainExtension(lb, 443, domain, id)
	must(t, err)
	return providertest.Seeded{
		Target: provider.Target{Name: lb + "/" + domain, Provider: provider.AliSLB, Region: testRegion,
			LoadBalancerID: lb, ListenerPort: 443, Domain: domain},
		CertificateID: id,
		Serving: func() string {
			got, _ := e.Cloud.SLB().DomainExtensionCertificate(ext)
			return got
		},
	}
}

func certstestBundle(t *testing.T, names ...string) *certs.Bundle {
	t.Helper()
	is := rsaIssued(t, time.Time{}, names...)
	b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
	must(t, err)
	return b
}

// Package alicastest adapts the ALB and NLB providers and their emulators to the shared
// conformance suite, runs the tests both pass alike, and gives their tests seeded listeners.
package alicastest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alicas"
	"github.com/certrotate/certrotate/shared/provider/providertest"
	"github.com/certrotate/certrotate/shared/retry"
)

// Region is the load balancer region of the tests; CASRegion the CAS region.
const (
	Region    = "cn-shanghai"
	CASRegion = "cn-hangzhou"
)

// Product describes one of ALB and NLB to the suite.
type Product struct {
	Provider string // provider.AliALB, provider.AliNLB
	Service  string // "alb", "nlb"
	Protocol string // a protocol that takes certificates
	Store    func(*fakecloud.Cloud) *lbcerts.Store
	// ListenerID makes the n-th listener id in the product's form.
	ListenerID func(n int) string
	Read       string // a read action of Discover
	Bind       string // the default-certificate write
	Associate  string // the additional-certificate write
	// Open is the product's New; Rate its provider's current call rate; DefaultQPS and
	// DefaultQPSMax its default rate and ceiling.
	Open                      func(alicas.Settings) (provider.Provider, error)
	Rate                      func(provider.Provider) float64
	DefaultQPS, DefaultQPSMax float64
}

// Config is the configuration of the tests against the emulator at url.
func Config(url string) alicas.Settings {
	return alicas.Settings{Endpoint: url, CASEndpoint: url, CASRegion: CASRegion,
		AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret,
		Deployment: "test", Timeout: 10 * time.Second, Poll: 20 * time.Millisecond,
		Retry: retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}}
}

// MustOpen opens the product's provider with cfg.
func (p Product) MustOpen(t testing.TB, cfg alicas.Settings) provider.Provider {
	t.Helper()
	pr, err := p.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// New is the provider the conformance suite runs against.
func (p Product) New(t *testing.T, e *providertest.Env, o providertest.Options) provider.Provider {
	cfg := Config(e.URL)
	if o.WrongSecret {
		cfg.AccessKeySecret = "wrong"
	}
	return p.MustOpen(t, cfg)
}

// TestThrottlingHalvesTheRate: the emulator answers one call with the throttling error
// (400 Throttling.User); the call is retried and passes, and the provider's rate is halved. A
// 5xx is retried too but leaves the rate alone.
func (p Product) TestThrottlingHalvesTheRate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakecore.FaultKind
		want  float64
	}{
		{"throttled", fakecore.Throttle, p.DefaultQPS / 2},
		{"server error", fakecore.ServerError, p.DefaultQPS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, url := fakecloud.Start(t)
			cfg := Config(url)
			cfg.QPS, cfg.QPSMax = p.DefaultQPS, p.DefaultQPSMax
			pr := p.MustOpen(t, cfg)
			lsn := p.Listener(t, c, 1, AddCAS(t, c, "old", Bundle(t, "example.com")))
			c.Faults().FailNext(p.Read, tc.fault, 1)
			if _, err := pr.Discover(context.Background(), provider.Target{Name: "t", Provider: p.Provider, Region: Region, ListenerID: lsn}); err != nil {
				t.Fatal(err)
			}
			if r := p.Rate(pr); r != tc.want {
				t.Fatalf("rate %v after the %s answer, want %v", r, tc.name, tc.want)
			}
		})
	}
}

// AddCAS stores b in the emulated CAS under name and returns the id listeners bind.
func AddCAS(t testing.TB, c *fakecloud.Cloud, name string, b *certs.Bundle) string {
	t.Helper()
	id, err := c.CAS().AddCertificate(name, []byte(b.CertificatePEM), []byte(b.PrivateKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10) + "-" + CASRegion
}

// Bundle issues a certificate for names.
func Bundle(t testing.TB, names ...string) *certs.Bundle {
	t.Helper()
	is := certstest.Must(t, certstest.Options{DNSNames: names})
	b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Listener seeds a listener serving def (and additional) and returns its id.
func (p Product) Listener(t testing.TB, c *fakecloud.Cloud, n int, def string, additional ...string) string {
	t.Helper()
	l := lbcerts.Listener{ID: p.ListenerID(n), Region: Region, LoadBalancerID: fmt.Sprintf("%s-lb%d", p.Service, n), Protocol: p.Protocol, Port: 443, Default: def}
	for _, a := range additional {
		l.Additional = append(l.Additional, lbcerts.Cert{ID: a})
	}
	if err := p.Store(c).Add(l); err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// Get reads listener id from the emulator.
func (p Product) Get(t testing.TB, c *fakecloud.Cloud, id string) lbcerts.Listener {
	t.Helper()
	for _, l := range p.Store(c).Listeners() {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("listener %s is gone", id)
	return lbcerts.Listener{}
}

// Harness is the conformance harness of the product.
func (p Product) Harness() providertest.Harness {
	return providertest.Harness{
		Service: p.Service,
		Also:    []string{"cas"},
		New:     p.New,
		Kinds: []providertest.Kind{
			{Name: "default", Seed: p.seedDefault, Read: p.Read, Store: "UploadUserCertificate", Bind: p.Bind},
			{Name: "additional", Seed: p.seedAdditional, Read: p.Read, Store: "UploadUserCertificate", Bind: p.Associate},
		},
		Missing: func(t *testing.T, e *providertest.Env) []provider.Target {
			n := e.Next()
			plain := p.ListenerID(1000 + n)
			if err := p.Store(e.Cloud).Add(lbcerts.Listener{ID: plain, Region: Region, LoadBalancerID: "lb-plain", Protocol: "TCP", Port: 80}); err != nil {
				t.Fatal(err)
			}
			tg := func(edit func(*provider.Target)) provider.Target {
				t := provider.Target{Name: "t", Provider: p.Provider, Region: Region}
				edit(&t)
				return t
			}
			return []provider.Target{
				tg(func(t *provider.Target) { t.ListenerID = p.ListenerID(99999) }),
				tg(func(t *provider.Target) { t.ListenerID = plain }),
				tg(func(t *provider.Target) { t.LoadBalancerID = "lb-missing" }),
				tg(func(t *provider.Target) { t.ListenerID = p.ListenerID(1); t.Region = "cn-beijing" }),
			}
		},
		Copies: func(t *testing.T, e *providertest.Env, region, fp string) []string {
			var ids []string
			for _, c := range e.Cloud.CAS().Certificates() {
				if certs.NormalizeFingerprint(c.Fingerprint) == fp {
					ids = append(ids, strconv.FormatInt(c.ID, 10)+"-"+CASRegion)
				}
			}
			return ids
		},
	}
}

func (p Product) seedDefault(t *testing.T, e *providertest.Env, b *certs.Bundle) providertest.Seeded {
	n := e.Next()
	id := AddCAS(t, e.Cloud, fmt.Sprintf("seeded-%d", n), b)
	lsn := p.Listener(t, e.Cloud, n, id)
	return providertest.Seeded{
		Target:        provider.Target{Name: fmt.Sprintf("default-%d", n), Provider: p.Provider, Region: Region, ListenerID: lsn},
		CertificateID: id,
		Serving:       func() string { return p.Get(t, e.Cloud, lsn).Default },
	}
}

func (p Product) seedAdditional(t *testing.T, e *providertest.Env, b *certs.Bundle) providertest.Seeded {
	n := e.Next()
	other := AddCAS(t, e.Cloud, fmt.Sprintf("other-%d", n), Bundle(t, fmt.Sprintf("other%d.example.org", n)))
	id := AddCAS(t, e.Cloud, fmt.Sprintf("seeded-%d", n), b)
	lsn := p.Listener(t, e.Cloud, n, other, id)
	return providertest.Seeded{
		Target:        provider.Target{Name: fmt.Sprintf("additional-%d", n), Provider: p.Provider, Region: Region, ListenerID: lsn, Domain: "www.example.com"},
		CertificateID: id,
		Serving: func() string {
			var ids []string
			for _, a := range p.Get(t, e.Cloud, lsn).Additional {
				ids = append(ids, a.ID)
			}
			return strings.Join(ids, ",")
		},
	}
}

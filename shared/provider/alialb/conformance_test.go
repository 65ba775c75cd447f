package alialb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alialb"
	"github.com/certrotate/certrotate/shared/provider/alicas/alicastest"
	"github.com/certrotate/certrotate/shared/provider/providertest"
	"github.com/certrotate/certrotate/shared/retry"
)

// product is ALB as the shared suite and this package's tests see it.
var product = alicastest.Product{
	Provider: provider.AliALB, Service: "alb", Protocol: "HTTPS",
	Store:      func(c *fakecloud.Cloud) *lbcerts.Store { return c.ALB().Store() },
	ListenerID: func(n int) string { return fmt.Sprintf("lsn-alb%06d", n) },
	Read:       "GetListenerAttribute", Bind: "UpdateListenerAttribute", Associate: "AssociateAdditionalCertificatesWithListener",
	New: func(t *testing.T, e *providertest.Env, o providertest.Options) provider.Provider {
		cfg := testConfig(e.URL)
		if o.WrongSecret {
			cfg.AccessKeySecret = "wrong"
		}
		return mustNew(t, cfg)
	},
}

func TestConformance(t *testing.T) { providertest.Run(t, product.Harness()) }

func testConfig(url string) alialb.Config {
	return alialb.Config{Endpoint: url, CASEndpoint: url, CASRegion: alicastest.CASRegion,
		AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret,
		Deployment: "test", Timeout: 10 * time.Second, Poll: 20 * time.Millisecond,
		Retry: retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}}
}

func mustNew(t *testing.T, cfg alialb.Config) *alialb.Provider {
	t.Helper()
	p, err := alialb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

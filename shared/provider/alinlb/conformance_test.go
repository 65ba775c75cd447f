package alinlb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alicas/alicastest"
	"github.com/certrotate/certrotate/shared/provider/alinlb"
	"github.com/certrotate/certrotate/shared/provider/providertest"
	"github.com/certrotate/certrotate/shared/retry"
)

// product is NLB as the shared suite and this package's tests see it.
var product = alicastest.Product{
	Provider: provider.AliNLB, Service: "nlb", Protocol: "TCPSSL",
	Store:      func(c *fakecloud.Cloud) *lbcerts.Store { return c.NLB().Store() },
	ListenerID: func(n int) string { return fmt.Sprintf("lsn-nlb%06d@443", n) },
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

func testConfig(url string) alinlb.Config {
	return alinlb.Config{Endpoint: url, CASEndpoint: url, CASRegion: alicastest.CASRegion,
		AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret,
		Deployment: "test", Timeout: 10 * time.Second, Poll: 20 * time.Millisecond,
		Retry: retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}}
}

func mustNew(t *testing.T, cfg alinlb.Config) *alinlb.Provider {
	t.Helper()
	p, err := alinlb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

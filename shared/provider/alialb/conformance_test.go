package alialb_test

import (
	"fmt"
	"testing"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alialb"
	"github.com/certrotate/certrotate/shared/provider/alicas"
	"github.com/certrotate/certrotate/shared/provider/alicas/alicastest"
	"github.com/certrotate/certrotate/shared/provider/providertest"
)

// product is ALB as the shared suite and this package's tests see it.
var product = alicastest.Product{
	Provider: provider.AliALB, Service: "alb", Protocol: "HTTPS",
	Store:      func(c *fakecloud.Cloud) *lbcerts.Store { return c.ALB().Store() },
	ListenerID: func(n int) string { return fmt.Sprintf("lsn-alb%06d", n) },
	Read:       "GetListenerAttribute", Bind: "UpdateListenerAttribute", Associate: "AssociateAdditionalCertificatesWithListener",
	Open:       func(cfg alicas.Settings) (provider.Provider, error) { return alialb.New(cfg) },
	Rate:       func(p provider.Provider) float64 { return alialb.Rate(p.(*alialb.Provider)) },
	DefaultQPS: alialb.DefaultQPS, DefaultQPSMax: alialb.DefaultQPSMax,
}

func TestConformance(t *testing.T) { providertest.Run(t, product.Harness()) }

func TestThrottlingHalvesTheRate(t *testing.T) { product.TestThrottlingHalvesTheRate(t) }

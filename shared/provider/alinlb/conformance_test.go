package alinlb_test

import (
	"fmt"
	"testing"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alicas"
	"github.com/certrotate/certrotate/shared/provider/alicas/alicastest"
	"github.com/certrotate/certrotate/shared/provider/alinlb"
	"github.com/certrotate/certrotate/shared/provider/providertest"
)

// product is NLB as the shared suite and this package's tests see it.
var product = alicastest.Product{
	Provider: provider.AliNLB, Service: "nlb", Protocol: "TCPSSL",
	Store:      func(c *fakecloud.Cloud) *lbcerts.Store { return c.NLB().Store() },
	ListenerID: func(n int) string { return fmt.Sprintf("lsn-nlb%06d@443", n) },
	Read:       "GetListenerAttribute", Bind: "UpdateListenerAttribute", Associate: "AssociateAdditionalCertificatesWithListener",
	Open:       func(cfg alicas.Settings) (provider.Provider, error) { return alinlb.New(cfg) },
	Rate:       func(p provider.Provider) float64 { return alinlb.Rate(p.(*alinlb.Provider)) },
	DefaultQPS: alinlb.DefaultQPS, DefaultQPSMax: alinlb.DefaultQPSMax,
}

func TestConformance(t *testing.T) { providertest.Run(t, product.Harness()) }

func TestThrottlingHalvesTheRate(t *testing.T) { product.TestThrottlingHalvesTheRate(t) }

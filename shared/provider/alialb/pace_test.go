package alialb_test

import (
	"context"
	"testing"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alialb"
	"github.com/certrotate/certrotate/shared/provider/alicas/alicastest"
)

// TestThrottlingHalvesTheRate: the emulator answers one ALB call with the throttling error
// (400 Throttling.User); the call is retried and passes, and the provider's rate is halved. A
// 5xx is retried too but leaves the rate alone.
func TestThrottlingHalvesTheRate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakecore.FaultKind
		want  float64
	}{
		{"throttled", fakecore.Throttle, alialb.DefaultQPS / 2},
		{"server error", fakecore.ServerError, alialb.DefaultQPS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, url := fakecloud.Start(t)
			cfg := testConfig(url)
			cfg.QPS, cfg.QPSMax = alialb.DefaultQPS, alialb.DefaultQPSMax
			p := mustNew(t, cfg)
			lsn := product.Listener(t, c, 1, alicastest.AddCAS(t, c, "old", alicastest.Bundle(t, "example.com")))
			c.Faults().FailNext(product.Read, tc.fault, 1)
			if _, err := p.Discover(context.Background(), provider.Target{Name: "t", Provider: product.Provider, Region: alicastest.Region, ListenerID: lsn}); err != nil {
				t.Fatal(err)
			}
			if r := alialb.Rate(p); r != tc.want {
				t.Fatalf("rate %v after the %s answer, want %v", r, tc.name, tc.want)
			}
		})
	}
}

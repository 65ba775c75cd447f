package alislb

import (
	"context"
	"testing"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
)

// TestThrottlingHalvesTheRate: the emulator answers one call with SLB's throttling error
// (400 Throttling.User); the call is retried and passes, and the provider's rate is halved.
// A 5xx is retried too but leaves the rate alone: it says nothing about the call rate.
func TestThrottlingHalvesTheRate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakecore.FaultKind
		want  float64
	}{
		{"throttled", fakecore.Throttle, DefaultQPS / 2},
		{"server error", fakecore.ServerError, DefaultQPS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			p := w.provider(t, func(c *Config) { c.QPS, c.QPSMax = DefaultQPS, DefaultQPSMax })
			if r := p.limiter.Rate(); r != DefaultQPS {
				t.Fatalf("rate %v before any call, want %v", r, DefaultQPS)
			}
			w.cloud.Faults().FailNext("DescribeLoadBalancerHTTPSListenerAttribute", tc.fault, 1)
			if _, err := p.Discover(context.Background(), provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 443}); err != nil {
				t.Fatal(err)
			}
			if r := p.limiter.Rate(); r != tc.want {
				t.Fatalf("rate %v after the %s answer, want %v", r, tc.name, tc.want)
			}
		})
	}
}

func TestDefaultConfigRate(t *testing.T) {
	c := NewDefaultConfig()
	if c.QPS != 20 || c.QPSMax != 100 {
		t.Fatalf("default rate %v, ceiling %v; want 20 and 100", c.QPS, c.QPSMax)
	}
}

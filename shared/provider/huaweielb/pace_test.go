package huaweielb

import (
	"context"
	"math"
	"testing"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// TestThrottlingHalvesTheRate: the emulator answers the first call with the API Gateway's
// throttling error (429 APIGW.0308); the call is retried and passes, and the provider's rate is
// halved. A 5xx is retried too but leaves the rate alone: it says nothing about the call rate.
func TestThrottlingHalvesTheRate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakecore.FaultKind
		want  float64
	}{
		{"throttled", fakecore.Throttle, 10},
		{"server error", fakecore.ServerError, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := start(t)
			seeded := seedInPlace(t, e, certificate(t, "www.example.com"))
			cfg := testConfig(e.URL)
			cfg.QPS, cfg.QPSMax = 20, 100
			p := mustNew(t, cfg)
			e.Cloud.Faults().FailNext("", tc.fault, 1)
			if _, err := p.Discover(context.Background(), seeded.Target); err != nil {
				t.Fatal(err)
			}
			if failed := e.Cloud.Calls()[0].Code; failed == "" {
				t.Fatal("the fault was not injected")
			}
			if r := p.limiter.Rate(); r != tc.want {
				t.Fatalf("rate %v after the %s answer, want %v", r, tc.name, tc.want)
			}
		})
	}
}

// TestZeroQPSIsUnlimited: for this provider's Config, QPS 0 still means no limit, and a
// throttling answer does not make one.
func TestZeroQPSIsUnlimited(t *testing.T) {
	e, _ := start(t)
	seeded := seedInPlace(t, e, certificate(t, "www.example.com"))
	p := mustNew(t, testConfig(e.URL))
	e.Cloud.Faults().FailNext("", fakecore.Throttle, 1)
	if _, err := p.Discover(context.Background(), seeded.Target); err != nil {
		t.Fatal(err)
	}
	if r := p.limiter.Rate(); !math.IsInf(r, 1) {
		t.Fatalf("rate %v, want unlimited", r)
	}
}

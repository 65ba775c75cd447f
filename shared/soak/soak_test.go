package soak_test

import (
	"context"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/soak"
)

// TestShortSoak is `make soak` in a shorter form: every promise holds under faults and crashes.
func TestShortSoak(t *testing.T) {
	runs := 60
	if testing.Short() {
		runs = 20
	}
	res, err := soak.Run(context.Background(), soak.Options{Runs: runs, FaultRate: 0.2, CrashRate: 0.3, Seed: 7,
		Progress: func(done, total int) { // relayed by scripts/gotest while make test runs
			if done%20 == 0 {
				t.Logf("progress: soaking %d of %d", done, total)
			}
		},
		ConfiguringWindow: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Converged != res.Runs || res.Duplicates+res.Gaps+res.ForeignDeleted+res.KeyLeaks != 0 {
		t.Fatalf("%s (deliveries %d, crashes %d)", res, res.Deliveries, res.Crashes)
	}
	if res.Busy == 0 {
		t.Fatal("no load balancer was ever busy: the configuring window was not exercised")
	}
	if res.Crashes == 0 || res.Deliveries <= res.Runs {
		t.Fatalf("the soak injected nothing: %d crashes, %d deliveries for %d runs", res.Crashes, res.Deliveries, res.Runs)
	}
}

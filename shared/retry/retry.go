// Package retry runs cloud calls again on throttling, 5xx and network errors, with exponential
// backoff and full jitter, never past the context's deadline.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy bounds the retries of one call.
type Policy struct {
	Attempts int           // total attempts, at least 1
	Base     time.Duration // first backoff ceiling
	Max      time.Duration // largest backoff ceiling
	// Budget, when positive, bounds the waiting of a ctx without a deadline: no wait that would
	// end later than Budget after the first attempt (with a deadline, the deadline bounds it).
	Budget time.Duration
}

// Default suits the vendors' control-plane APIs: up to 5 attempts over about 6 seconds.
var Default = Policy{Attempts: 5, Base: 200 * time.Millisecond, Max: 3 * time.Second}

// Do calls fn until it succeeds, returns an error retryable rejects, the attempts are used up,
// or the next wait would pass ctx's deadline (without one: the Budget). It returns fn's last error (or ctx's, if ctx ended
// while waiting).
func Do(ctx context.Context, p Policy, retryable func(error) bool, fn func() error) error {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	ceiling, start := p.Base, time.Now()
	var err error
	for attempt := 1; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err != nil {
				return err
			}
			return cerr
		}
		if err = fn(); err == nil || attempt >= p.Attempts || !retryable(err) {
			return err
		}
		wait := time.Duration(0)
		if ceiling > 0 {
			wait = rand.N(ceiling) + ceiling/4
		}
		if dl, ok := ctx.Deadline(); ok {
			if time.Until(dl) < wait {
				return err
			}
		} else if p.Budget > 0 && time.Since(start)+wait > p.Budget {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		if ceiling *= 2; ceiling > p.Max {
			ceiling = p.Max
		}
	}
}

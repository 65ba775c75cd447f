// Package pace paces the calls of one provider to a cloud API with an adaptive token bucket: it
// starts at a configured rate, raises it while calls wait for the bucket and none is throttled,
// and halves it when the cloud answers that it is throttling.
//
// The rules, with start the configured rate (ROTATE_QPS) and ceiling its upper bound
// (ROTATE_QPS_MAX):
//
//   - Bucket: a token bucket (golang.org/x/time/rate) filled at the current rate, holding up to
//     max(1, ⌈start⌉) tokens: one second's worth at the start rate, so that the few calls one
//     round trip makes in parallel are not spaced out. The bucket's size never changes.
//   - Raise: when at least one second has passed since the last change of the rate (or since
//     the last throttling answer), some call had to wait for a token in that time (the rate was
//     what held the calls back) and no call was throttled, the rate is doubled, up to
//     ceiling. When no call waited, the rate stays: nothing shows that it is the bottleneck.
//   - Halve: a throttling answer (Observe(true)) halves the rate, down to a floor of 1 call per
//     second (or start, when start is lower), at most once per second: the throttling answers
//     to calls that were already in flight count as one signal. Every throttling answer restarts
//     the one second a raise waits for.
//
// This is the shape of the AWS SDKs' "adaptive" retry mode (a client-side rate that backs off
// on throttling), kept simpler: multiplicative increase and decrease, no cubic curve.
package pace

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The rules' constants.
const (
	raiseFactor = 2.0         // the rate is multiplied by this on a raise (slow start, as TCP doubles)
	cutFactor   = 0.5         // and by this on a throttling answer
	period      = time.Second // the least time between two changes of one kind
	floorRate   = 1.0         // calls per second a cut never goes below (unless start is lower)
)

// Limiter is an adaptive token bucket shared by every call of one provider. Its methods are
// safe for concurrent use; a nil or unlimited Limiter never waits.
type Limiter struct {
	lim            *rate.Limiter // nil: unlimited
	ceiling, floor float64
	now            func() time.Time

	mu      sync.Mutex
	current float64   // calls per second now
	calm    time.Time // the last change of the rate or throttling answer: a raise waits a period from it
	cut     time.Time // the last halving; zero: none yet
	waited  bool      // a call had to wait for a token since calm
}

// New returns a limiter that starts at start calls per second and never rises above ceiling.
// ceiling below start means start: the rate never rises. start zero or less: unlimited, Wait
// never waits.
func New(start, ceiling float64) *Limiter {
	return newAt(start, ceiling, time.Now)
}

// newAt is New with the clock tests control.
func newAt(start, ceiling float64, now func() time.Time) *Limiter {
	if start <= 0 || math.IsInf(start, 1) || math.IsNaN(start) {
		return &Limiter{now: now, current: math.Inf(1)}
	}
	if ceiling < start || math.IsNaN(ceiling) {
		ceiling = start
	}
	burst := max(1, int(math.Ceil(start)))
	t := now()
	return &Limiter{
		lim:     rate.NewLimiter(rate.Limit(start), burst),
		ceiling: ceiling, floor: min(floorRate, start),
		now: now, current: start, calm: t,
	}
}

// Wait blocks until the bucket gives a token or ctx ends, like rate.Limiter.Wait: it returns
// ctx's error at once when ctx has ended, and an error wrapping context.DeadlineExceeded at
// once, without taking a token, when ctx's deadline comes before the token would.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l == nil || l.lim == nil {
		return nil
	}
	now := l.now()
	var limit time.Duration = -1
	if dl, ok := ctx.Deadline(); ok {
		limit = dl.Sub(now)
	}
	r, delay := l.reserve(now, limit)
	if r == nil {
		return fmt.Errorf("pace: the next call at %.4g calls/s would start after the deadline: %w", l.Rate(), context.DeadlineExceeded)
	}
	if delay <= 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.CancelAt(l.now()) // give the token back to the calls still waiting
		return ctx.Err()
	}
}

// reserve takes a token at now and returns its reservation and how long until it may be used.
// When limit is not negative and the wait would be longer, it takes nothing and returns nil.
func (l *Limiter) reserve(now time.Time, limit time.Duration) (*rate.Reservation, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raiseLocked(now)
	var delay time.Duration
	if tokens := l.lim.TokensAt(now); tokens < 1 {
		delay = time.Duration((1 - tokens) / l.current * float64(time.Second))
		l.waited = true // the rate, not the calls, is what holds this one back
	}
	if limit >= 0 && delay > limit {
		return nil, delay
	}
	r := l.lim.ReserveN(now, 1)
	return r, r.DelayFrom(now)
}

// Observe tells the limiter how the cloud answered an attempt: throttled when the answer is
// that cloud's throttling error. Call it after every attempt that got an answer, not after a
// timeout or a network error.
func (l *Limiter) Observe(throttled bool) {
	if l == nil || l.lim == nil {
		return
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !throttled {
		l.raiseLocked(now)
		return
	}
	if l.cut.IsZero() || now.Sub(l.cut) >= period {
		l.setLocked(now, max(l.floor, l.current*cutFactor))
		l.cut = now
	}
	l.calm, l.waited = now, false
}

// raiseLocked raises the rate when a period without a change or a throttling answer has passed
// and some call waited for a token in it.
func (l *Limiter) raiseLocked(now time.Time) {
	if !l.waited || now.Sub(l.calm) < period || l.current >= l.ceiling {
		return
	}
	l.setLocked(now, min(l.ceiling, l.current*raiseFactor))
	l.calm, l.waited = now, false
}

func (l *Limiter) setLocked(now time.Time, r float64) {
	l.current = r
	l.lim.SetLimitAt(now, rate.Limit(r))
}

// Rate returns the current rate in calls per second; +Inf when unlimited.
func (l *Limiter) Rate() float64 {
	if l == nil || l.lim == nil {
		return math.Inf(1)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current
}

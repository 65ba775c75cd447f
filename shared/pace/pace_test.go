package pace

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"
)

// clock is a clock the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTest(start, ceiling float64) (*Limiter, *clock) {
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return newAt(start, ceiling, c.now), c
}

// take takes one token at the clock's time and returns how long the call would wait for it.
func take(t *testing.T, l *Limiter, c *clock) time.Duration {
	t.Helper()
	r, d := l.reserve(c.now(), -1)
	if r == nil || !r.OK() {
		t.Fatal("no reservation without a deadline")
	}
	return d
}

// free counts the calls that get a token at once, at the clock's time, taking them; it stops at
// the first call that would wait (which is counted as waiting, its token taken).
func free(t *testing.T, l *Limiter, c *clock) int {
	t.Helper()
	for n := 0; n < 10000; n++ {
		if take(t, l, c) > 0 {
			return n
		}
	}
	t.Fatal("the bucket never ran dry")
	return 0
}

// near reports whether d is want, give or take float rounding.
func near(d, want time.Duration) bool { return (d - want).Abs() < time.Microsecond }

func wantRate(t *testing.T, l *Limiter, want float64) {
	t.Helper()
	if got := l.Rate(); math.Abs(got-want) > 1e-9 {
		t.Fatalf("rate %v, want %v", got, want)
	}
}

func TestBurstIsOneSecondAtTheStartRate(t *testing.T) {
	for _, tc := range []struct {
		start float64
		burst int
	}{{20, 20}, {2.5, 3}, {1, 1}, {0.5, 1}, {0.001, 1}} {
		l, c := newTest(tc.start, 100)
		if n := free(t, l, c); n != tc.burst {
			t.Errorf("start %v: %d calls at once, want %d", tc.start, n, tc.burst)
		}
	}
	// The next token comes 1/rate after the bucket ran dry: 20 calls/s, 50 ms.
	l, c := newTest(20, 100)
	free(t, l, c) // 20 free, the 21st waits 50 ms
	if d := take(t, l, c); !near(d, 100*time.Millisecond) {
		t.Fatalf("the 22nd call waits %v, want 100ms", d)
	}
}

func TestRaiseAfterASecondOfWaitingCalls(t *testing.T) {
	l, c := newTest(20, 100)
	free(t, l, c) // a call waits
	c.advance(999 * time.Millisecond)
	l.Observe(false)
	wantRate(t, l, 20) // less than a second
	c.advance(time.Millisecond)
	l.Observe(false)
	wantRate(t, l, 40)
	// No call waited since: the rate stays, however long it runs.
	for range 10 {
		c.advance(time.Second)
		l.Observe(false)
		take(t, l, c) // one call a second never waits
	}
	wantRate(t, l, 40)
}

func TestRaiseIsCheckedWhenACallWaits(t *testing.T) {
	l, c := newTest(20, 100)
	free(t, l, c)
	c.advance(time.Second)
	take(t, l, c) // no Observe: the next Wait raises
	wantRate(t, l, 40)
}

func TestNoRaiseWhenNothingWaits(t *testing.T) {
	l, c := newTest(20, 100)
	for range 30 {
		for range 19 { // under the rate: never waits
			if d := take(t, l, c); d > 0 {
				t.Fatalf("a call under the rate waits %v", d)
			}
			l.Observe(false)
		}
		c.advance(time.Second)
	}
	l.Observe(false)
	wantRate(t, l, 20)
}

func TestRaiseStopsAtTheCeiling(t *testing.T) {
	l, c := newTest(20, 100)
	for _, want := range []float64{40, 80, 100, 100, 100, 100} {
		free(t, l, c)
		c.advance(time.Second)
		l.Observe(false)
		wantRate(t, l, want)
	}
}

func TestCeilingBelowStartKeepsTheStartRate(t *testing.T) {
	l, c := newTest(20, 5)
	free(t, l, c)
	c.advance(2 * time.Second)
	l.Observe(false)
	wantRate(t, l, 20)
	l.Observe(true)
	wantRate(t, l, 10)
}

func TestBurstDoesNotGrowWithTheRate(t *testing.T) {
	l, c := newTest(4, 100)
	for range 4 { // 4 → 8 → 16 → 32 → 64
		free(t, l, c)
		c.advance(time.Second)
		l.Observe(false)
	}
	wantRate(t, l, 64)
	c.advance(time.Minute) // the bucket refills
	if n := free(t, l, c); n != 4 {
		t.Fatalf("%d calls at once after the raises, want the start's burst, 4", n)
	}
}

func TestThrottleHalvesAtMostOncePerSecond(t *testing.T) {
	l, c := newTest(20, 100)
	l.Observe(true)
	wantRate(t, l, 10)
	c.advance(500 * time.Millisecond)
	l.Observe(true) // a call in flight at the cut, answered later: the same signal
	wantRate(t, l, 10)
	c.advance(500 * time.Millisecond)
	l.Observe(true)
	wantRate(t, l, 5)
	// The bucket now fills at the halved rate.
	c.advance(time.Minute)
	for range 20 {
		take(t, l, c)
	}
	if d := take(t, l, c); !near(d, 200*time.Millisecond) {
		t.Fatalf("the 21st call waits %v, want 200ms at 5 calls/s", d)
	}
}

func TestThrottleStopsAtTheFloor(t *testing.T) {
	for _, tc := range []struct{ start, floor float64 }{{20, 1}, {3, 1}, {0.5, 0.5}} {
		l, c := newTest(tc.start, 100)
		for range 10 {
			l.Observe(true)
			c.advance(time.Second)
		}
		wantRate(t, l, tc.floor)
	}
}

func TestThrottleRestartsTheRaiseTimer(t *testing.T) {
	l, c := newTest(20, 100)
	free(t, l, c) // a call waits
	c.advance(900 * time.Millisecond)
	l.Observe(true)
	wantRate(t, l, 10)
	free(t, l, c) // a call waits after the cut
	c.advance(900 * time.Millisecond)
	l.Observe(false)
	wantRate(t, l, 10) // 1.8 s since start, but 0.9 s since the cut
	c.advance(100 * time.Millisecond)
	l.Observe(false)
	wantRate(t, l, 20)

	// A throttling answer ignored for the halving (within a second of the last) still blocks
	// a raise for a second.
	l, c = newTest(20, 100)
	l.Observe(true) // 10
	c.advance(500 * time.Millisecond)
	free(t, l, c)
	c.advance(400 * time.Millisecond)
	l.Observe(true) // not halved again
	wantRate(t, l, 10)
	free(t, l, c)
	c.advance(700 * time.Millisecond) // 1.6 s since the cut, 0.7 s since the last throttle
	l.Observe(false)
	wantRate(t, l, 10)
	c.advance(300 * time.Millisecond)
	l.Observe(false)
	wantRate(t, l, 20)
}

func TestUnlimited(t *testing.T) {
	for _, l := range []*Limiter{New(0, 100), New(-1, 0), nil} {
		for range 1000 {
			if err := l.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			l.Observe(true)
		}
		if r := l.Rate(); !math.IsInf(r, 1) {
			t.Fatalf("unlimited rate %v", r)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := New(0, 0).Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on an ended context: %v", err)
	}
}

func TestWaitFailsAtOnceWhenTheDeadlineComesFirst(t *testing.T) {
	l := New(0.001, 0.001) // one token, the next in 1000 s
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := l.Wait(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Fatalf("Wait = %v (ctx %v); want a deadline error before the context ends", err, ctx.Err())
	}
	if tokens := l.lim.TokensAt(time.Now()); tokens < -0.01 {
		t.Fatalf("the failed Wait took a token: %v left", tokens)
	}

	ended, stop := context.WithCancel(context.Background())
	stop()
	if err := l.Wait(ended); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on an ended context: %v", err)
	}
}

func TestWaitGivesTheTokenBackWhenCancelled(t *testing.T) {
	l := New(0.001, 0.001)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Wait(ctx) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want canceled", err)
	}
	if tokens := l.lim.TokensAt(time.Now()); tokens < -0.01 {
		t.Fatalf("the cancelled Wait kept its token: %v left", tokens)
	}
}

func TestConcurrentUse(t *testing.T) {
	l := New(1000, 1000)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 50 {
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
				l.Observe((i+j)%97 == 0)
				_ = l.Rate()
			}
		})
	}
	wg.Wait()
}

package deadline

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPlanKeepsBackEachStep(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name                     string
		left                     time.Duration
		notify                   bool
		answer, notifyT, readBck time.Duration
	}{
		{"1 s, no notify", time.Second, false, AnswerMin, 0, ReadBackMin},
		{"1 s with notify", time.Second, true, AnswerMin, NotifyMin, ReadBackMin},
		{"3 s with notify", 3 * time.Second, true, 300 * time.Millisecond, 600 * time.Millisecond, 300 * time.Millisecond},
		{"10 s with notify", 10 * time.Second, true, AnswerMax, 2 * time.Second, time.Second},
		{"15 min with notify", 15 * time.Minute, true, AnswerMax, NotifyMax, ReadBackMax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithDeadline(context.Background(), now.Add(tc.left))
			defer cancel()
			p := New(ctx, now, tc.notify)
			if p.Answer != tc.answer || p.Notify != tc.notifyT || p.ReadBack != tc.readBck {
				t.Fatalf("plan %+v, want answer %s notify %s read-back %s", p, tc.answer, tc.notifyT, tc.readBck)
			}
			if p.Reserve() >= tc.left {
				t.Fatalf("reserve %s leaves no time to work in %s", p.Reserve(), tc.left)
			}
			writes, c1 := p.Writes(ctx)
			defer c1()
			work, c2 := p.Work(ctx)
			defer c2()
			report, c3 := p.Report(ctx)
			defer c3()
			w, _ := writes.Deadline()
			k, _ := work.Deadline()
			r, _ := report.Deadline()
			d, _ := ctx.Deadline()
			if !w.Before(k) || k.After(r) || (tc.notify && !k.Before(r)) || !r.Before(d) {
				t.Fatalf("steps out of order: writes %s, work %s, report %s, deadline %s", w, k, r, d)
			}
			if got := d.Sub(r); got != p.Answer {
				t.Fatalf("the answer has %s, want %s", got, p.Answer)
			}
		})
	}
	t.Run("no deadline keeps nothing back", func(t *testing.T) {
		p := New(context.Background(), now, true)
		if p.Reserve() != 0 {
			t.Fatalf("plan %+v", p)
		}
		work, cancel := p.Work(context.Background())
		defer cancel()
		if _, ok := work.Deadline(); ok {
			t.Fatal("work has a deadline")
		}
	})
	t.Run("stored in the context", func(t *testing.T) {
		p := Plan{Deadline: now, Answer: time.Second}
		got, ok := From(With(context.Background(), p))
		if !ok || got != p {
			t.Fatalf("From = %+v, %v", got, ok)
		}
		if _, ok := From(context.Background()); ok {
			t.Fatal("a plan in an empty context")
		}
	})
}

func TestTimeout(t *testing.T) {
	past, cancel := context.WithDeadlineCause(context.Background(), time.Now().Add(-time.Second), ErrNear)
	defer cancel()
	soon, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		limit   time.Duration
		atMost  time.Duration
		wantErr error
	}{
		{"no deadline: the limit", context.Background(), 10 * time.Second, 10 * time.Second, nil},
		{"deadline first: the time left", soon, 10 * time.Second, 200 * time.Millisecond, nil},
		{"limit first", soon, 50 * time.Millisecond, 50 * time.Millisecond, nil},
		{"no time left: the cause", past, 10 * time.Second, 0, ErrNear},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Timeout(tc.ctx, tc.limit)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if got > tc.atMost || (tc.wantErr == nil && got <= 0) {
				t.Fatalf("timeout %s, want (0, %s]", got, tc.atMost)
			}
			if tc.wantErr != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err %v does not say the deadline passed", err)
			}
		})
	}
}

// fakeClient records the timeouts Call sets, as the v1 SDK's client would take them.
type fakeClient struct{ read, connect time.Duration }

func (c *fakeClient) SetReadTimeout(d time.Duration)    { c.read = d }
func (c *fakeClient) SetConnectTimeout(d time.Duration) { c.connect = d }

func TestCall(t *testing.T) {
	t.Run("the client's timeouts are the time left", func(t *testing.T) {
		ctx, cancel := context.WithDeadlineCause(context.Background(), time.Now().Add(300*time.Millisecond), ErrNear)
		defer cancel()
		c := &fakeClient{}
		// The SDK ends the call on its own timeout, as a real one does against a hanging server.
		err := Call(ctx, c, 10*time.Second, 5*time.Second, func() error {
			time.Sleep(c.read)
			return &url.Error{Op: "Post", URL: "http://slb/?Signature=abc", Err: fmt.Errorf("Client.Timeout exceeded: %w", context.DeadlineExceeded)}
		})
		if !errors.Is(err, ErrNear) || !errors.Is(err, context.DeadlineExceeded) || errors.As(err, new(*url.Error)) {
			t.Fatalf("err %v, want the deadline's cause and never the SDK's error", err)
		}
		if c.read <= 0 || c.read > 300*time.Millisecond || c.connect != c.read {
			t.Fatalf("timeouts read %s connect %s, want the time left", c.read, c.connect)
		}
	})
	t.Run("the SDK's own timeout error never comes back (it quotes the URL)", func(t *testing.T) {
		sdkErr := &url.Error{Op: "Post", URL: "http://slb/?Signature=abc", Err: fmt.Errorf("Client.Timeout exceeded: %w", context.DeadlineExceeded)}
		c := &fakeClient{}
		err := Call(context.Background(), c, time.Second, 5*time.Second, func() error { return sdkErr })
		if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, new(*url.Error)) || strings.Contains(err.Error(), "Signature") {
			t.Fatalf("err %v", err)
		}
		if c.read != time.Second || c.connect != time.Second {
			t.Fatalf("timeouts read %s connect %s, want the limit", c.read, c.connect)
		}
	})
	t.Run("other errors pass through", func(t *testing.T) {
		boom := errors.New("boom")
		if err := Call(context.Background(), &fakeClient{}, time.Second, time.Second, func() error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("no time left: nothing runs", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := Call(ctx, &fakeClient{}, time.Second, time.Second, func() error { ran = true; return nil })
		if ran || !errors.Is(err, context.Canceled) {
			t.Fatalf("ran %v err %v", ran, err)
		}
	})
}

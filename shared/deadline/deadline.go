// Package deadline divides an invocation's time: what its cloud work may use, and what is kept
// back so that the report is read back, posted to notify and answered before the platform stops
// the function.
package deadline

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNear is the cause of a context that a Plan ended: the invocation's deadline is near.
var ErrNear = errors.New("the invocation's deadline is near")

// Bounds of each slice a Plan keeps back. A slice is a share of the time the invocation had when
// it started, clamped to these bounds, so that a 1 s function still does work and a 15 min one
// keeps enough for the notify post's every attempt.
const (
	// AnswerMin and AnswerMax bound the time kept for returning the answer (marshal it and hand it
	// to the runtime API, or print it): a tenth of the invocation.
	AnswerMin, AnswerMax = 100 * time.Millisecond, 500 * time.Millisecond
	// NotifyMin and NotifyMax bound the time kept for posting the report to notify, every attempt
	// and wait included: a fifth of the invocation. NotifyMax is the notify post's own budget.
	NotifyMin, NotifyMax = 200 * time.Millisecond, 20 * time.Second
	// ReadBackMin and ReadBackMax bound the time kept between the last write and the end of the
	// cloud work, for reading a binding back: a tenth of the invocation.
	ReadBackMin, ReadBackMax = 100 * time.Millisecond, 3 * time.Second
)

// Plan is an invocation's deadline and the slices kept back before it, last step first:
//
//	start … writes end … cloud work ends … notify post ends … Deadline
//	        ReadBack     Notify              Answer
//
// Every cloud call runs under Work (reads, read-back, rollback, cleanup) or Writes (uploads and
// bindings); the notify post runs under Report; nothing but the answer runs after that.
type Plan struct {
	Deadline time.Time     // the platform's deadline; zero: none, and nothing is kept back
	Answer   time.Duration // returning the answer
	Notify   time.Duration // the notify post; zero when the report is posted nowhere
	ReadBack time.Duration // reading back the last write
}

// New plans the time from now to ctx's deadline. notify says whether the report is posted to
// notify after the run.
func New(ctx context.Context, now time.Time, notify bool) Plan {
	d, ok := ctx.Deadline()
	if !ok {
		return Plan{}
	}
	left := d.Sub(now)
	p := Plan{
		Deadline: d,
		Answer:   clamp(left/10, AnswerMin, AnswerMax),
		ReadBack: clamp(left/10, ReadBackMin, ReadBackMax),
	}
	if notify {
		p.Notify = clamp(left/5, NotifyMin, NotifyMax)
	}
	return p
}

func clamp(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}

// Reserve is the whole time kept back before the deadline: no write runs past Deadline-Reserve.
func (p Plan) Reserve() time.Duration { return p.Answer + p.Notify + p.ReadBack }

// Work returns ctx ending when the cloud work must stop (Deadline - Answer - Notify), with
// cause ErrNear. Without a deadline it only adds a cancel.
func (p Plan) Work(ctx context.Context) (context.Context, context.CancelFunc) {
	return p.until(ctx, p.Answer+p.Notify)
}

// Writes returns ctx ending when writes must stop (Deadline - Reserve()), leaving ReadBack to
// read the last one back.
func (p Plan) Writes(ctx context.Context) (context.Context, context.CancelFunc) {
	return p.until(ctx, p.Reserve())
}

// Report returns ctx ending when the notify post must stop (Deadline - Answer).
func (p Plan) Report(ctx context.Context) (context.Context, context.CancelFunc) {
	return p.until(ctx, p.Answer)
}

func (p Plan) until(ctx context.Context, keep time.Duration) (context.Context, context.CancelFunc) {
	if p.Deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadlineCause(ctx, p.Deadline.Add(-keep), ErrNear)
}

type planKey struct{}

// With stores p in ctx, so that every step of the invocation divides the same time.
func With(ctx context.Context, p Plan) context.Context {
	return context.WithValue(ctx, planKey{}, p)
}

// From returns the plan stored in ctx by With.
func From(ctx context.Context) (Plan, bool) {
	p, ok := ctx.Value(planKey{}).(Plan)
	return p, ok
}

// Timeout is the timeout of one call that may take up to limit: limit, or less when ctx's
// deadline comes first. It returns ctx's error (its cause, when there is one) when no time is left.
func Timeout(ctx context.Context, limit time.Duration) (time.Duration, error) {
	if err := Err(ctx); err != nil {
		return 0, err
	}
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d)
		if left <= 0 {
			return 0, Err(ctx)
		}
		if limit <= 0 || left < limit {
			return left, nil
		}
	}
	return limit, nil
}

// Err is ctx's error; when ctx ended for a cause (ErrNear), the cause wraps it as well, so that
// errors.Is finds both.
func Err(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			err = context.DeadlineExceeded
		} else {
			return nil
		}
	}
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("%w (%w)", cause, err)
	}
	return err
}

// TimeoutSetter is a client whose calls take no context but a read timeout (bounding the whole
// exchange: connecting, sending, and reading the answer to its end) and a connect timeout: the
// Alibaba Cloud v1 SDK's clients (sdk.Client, which sets http.Client.Timeout from the read one).
type TimeoutSetter interface {
	SetReadTimeout(time.Duration)
	SetConnectTimeout(time.Duration)
}

// Call makes one call on client, which takes no context, bounded by ctx: it sets the client's
// timeouts from the time ctx has left (at most limit; connect at most connect), so that the call
// returns by ctx's deadline even from a server that accepts the connection and never answers,
// then runs fn. The caller gives the client to no other call meanwhile. It waits for fn rather
// than leave it running: fn writes the caller's variables, and its own timeout ends it in time.
// A timeout, whether ctx's or the client's own, comes back as Err(ctx) or as an error wrapping
// context.DeadlineExceeded, never as the SDK's error, which quotes the request's URL (and with
// it every parameter and the signature).
func Call(ctx context.Context, client TimeoutSetter, limit, connect time.Duration, fn func() error) error {
	timeout, err := Timeout(ctx, limit)
	if err != nil {
		return err
	}
	client.SetReadTimeout(timeout)
	client.SetConnectTimeout(min(timeout, connect))
	err = fn()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		err = Err(ctx)
	case errors.Is(err, context.DeadlineExceeded) && (timeout < limit || limit <= 0):
		// The client's timeout was ctx's deadline, and fired first by a hair: say why it ended.
		t := time.NewTimer(100 * time.Millisecond)
		defer t.Stop()
		select {
		case <-ctx.Done():
			err = Err(ctx)
		case <-t.C:
			err = fmt.Errorf("no answer within %s: %w", timeout.Round(time.Millisecond), context.DeadlineExceeded)
		}
	case errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("no answer within %s: %w", timeout.Round(time.Millisecond), context.DeadlineExceeded)
	}
	return err
}

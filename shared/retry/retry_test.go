package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

var errBusy = errors.New("busy")

func isBusy(err error) bool { return errors.Is(err, errBusy) }

func TestDo(t *testing.T) {
	p := Policy{Attempts: 4, Base: time.Millisecond, Max: 2 * time.Millisecond}
	tests := []struct {
		name     string
		failures int
		err      error
		calls    int
		wantErr  bool
	}{
		{"first try", 0, errBusy, 1, false},
		{"after retries", 3, errBusy, 4, false},
		{"attempts used up", 10, errBusy, 4, true},
		{"not retryable", 10, errors.New("bad request"), 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := Do(context.Background(), p, isBusy, func() error {
				calls++
				if calls <= tc.failures {
					return tc.err
				}
				return nil
			})
			if calls != tc.calls || (err != nil) != tc.wantErr {
				t.Fatalf("calls %d err %v; want %d, error %v", calls, err, tc.calls, tc.wantErr)
			}
		})
	}
}

func TestDoStopsBeforeTheDeadline(t *testing.T) {
	// The backoff (at least 250 ms) would pass the deadline: Do returns the last error at once.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	calls := 0
	err := Do(ctx, Policy{Attempts: 10, Base: time.Second, Max: time.Second}, isBusy, func() error { calls++; return errBusy })
	if !errors.Is(err, errBusy) || calls != 1 {
		t.Fatalf("calls %d err %v", calls, err)
	}
}

func TestDoCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := Do(ctx, Default, isBusy, func() error { calls++; return nil })
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Fatalf("calls %d err %v", calls, err)
	}
}

// TestDoStopsAtTheBudget: without a deadline, a wait that would end past the budget is not
// waited; with a deadline, the budget does not apply.
func TestDoStopsAtTheBudget(t *testing.T) {
	p := Policy{Attempts: 1 << 30, Base: time.Hour, Max: time.Hour, Budget: time.Millisecond}
	calls := 0
	err := Do(context.Background(), p, isBusy, func() error { calls++; return errBusy })
	if !errors.Is(err, errBusy) || calls != 1 {
		t.Fatalf("%v after %d calls; want the busy error after 1 (the first wait passes the budget)", err, calls)
	}
	p = Policy{Attempts: 3, Base: time.Microsecond, Max: time.Microsecond, Budget: time.Nanosecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	calls = 0
	if err := Do(ctx, p, isBusy, func() error { calls++; return errBusy }); !errors.Is(err, errBusy) || calls != 3 {
		t.Fatalf("%v after %d calls; want all 3 attempts: the deadline, not the budget, bounds a ctx that has one", err, calls)
	}
}

// Package fakecore holds what every emulated service shares: the call log, fault injection and
// the clock, so that tests can assert on calls and inject latency, throttling and 5xx uniformly.
package fakecore

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Call is one request an emulated service received, as the call log records it.
// Params never hold key material: services redact private keys before logging.
//
// Time and End bracket the handling: Time is read when the request arrives, before the
// injected latency (Faults.Apply) and any hang; End when the answer is ready, just before the
// call is logged and the answer written. So End − Time includes the latency, and a client that
// waits for one call's answer before sending the next makes calls whose intervals do not overlap.
type Call struct {
	Time     time.Time         `json:"time"`
	End      time.Time         `json:"end"`
	Service  string            `json:"service"` // "slb", "cas", "oss", "s3", "elb", "alb", "nlb"
	Action   string            `json:"action"`  // API action, e.g. "UploadServerCertificate", "GetObject"
	Region   string            `json:"region,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	Status   int               `json:"status"`         // HTTP status answered
	Code     string            `json:"code,omitempty"` // error code answered, empty on success
	Mutating bool              `json:"mutating"`       // the action changes state when it succeeds
}

// CriticalPath returns the number of dependent round trips the calls show: the length of the
// longest chain c1, c2, … of calls in which each starts (Time) at or after the previous one
// ended (End). A client that makes its calls one after another yields a chain as long as the
// calls; one that makes independent calls at once yields a chain of one per wave. A call that
// needs another's answer starts after that one ended, so the chain is at least as long as the
// client's longest run of dependent round trips; it can be longer, as calls that merely happen
// not to overlap (queued behind a concurrency or rate limit) chain too. The run's wall time is
// at least the sum of the chain's call durations. It counts every call given, failed or not:
// each is a round trip the client waited for. A call without End (zero) counts as ending when
// it started.
func CriticalPath(calls []Call) int {
	type span struct {
		start, end time.Time
		pos        int // position in start order
	}
	spans := make([]span, len(calls))
	for i, c := range calls {
		end := c.End
		if end.Before(c.Time) {
			end = c.Time
		}
		spans[i] = span{start: c.Time, end: end}
	}
	// Every chain is ordered by (start, end): process the calls in that order, so that each
	// call's predecessors are done before it.
	slices.SortStableFunc(spans, func(a, b span) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return a.end.Compare(b.end)
	})
	for i := range spans {
		spans[i].pos = i
	}
	byEnd := slices.Clone(spans)
	slices.SortFunc(byEnd, func(a, b span) int {
		if c := a.end.Compare(b.end); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	})
	// chain[i] is the longest chain ending with spans[i]; best the longest among the calls
	// that ended by the current call's start and come before it. Those calls are a prefix of
	// byEnd (the only ones ending by that start but coming after it are zero-length calls at
	// that very instant, which sort last among them), so one pointer walks byEnd once.
	chain := make([]int, len(spans))
	best, next, longest := 0, 0, 0
	for i, s := range spans {
		for next < len(byEnd) && !byEnd[next].end.After(s.start) && byEnd[next].pos < i {
			best = max(best, chain[byEnd[next].pos])
			next++
		}
		chain[i] = best + 1
		longest = max(longest, chain[i])
	}
	return longest
}

// Log is a concurrency-safe call log.
type Log struct {
	mu    sync.Mutex
	calls []Call
}

// Add appends a call.
func (l *Log) Add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

// Calls returns a copy of every call so far, oldest first.
func (l *Log) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls...)
}

// Len returns how many calls the log holds.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// Since returns a copy of the calls from index i on (i as Len returned it before them).
func (l *Log) Since(i int) []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i > len(l.calls) {
		i = len(l.calls)
	}
	return append([]Call(nil), l.calls[i:]...)
}

// Reset forgets every call.
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = nil
}

// FaultKind says which kind of failure to inject.
type FaultKind int

const (
	// Throttle answers the service's throttling error (SLB: 400 Throttling.User; OSS/S3: 503 SlowDown).
	Throttle FaultKind = iota + 1
	// ServerError answers the service's 5xx (SLB: 503 ServiceUnavailable; OSS/S3: 500 InternalError).
	ServerError
)

// Faults decides, per request, whether to inject latency, a hang or a failure. The zero value
// injects nothing.
type Faults struct {
	mu           sync.Mutex
	latency      time.Duration
	throttleRate float64
	errorRate    float64
	rng          *rand.Rand
	scripted     map[string][]FaultKind // key: action ("" = any action)
	hang         map[string]bool        // services whose requests are never answered
	held         int                    // requests held now
	release      chan struct{}          // closed by Clear: held requests return
}

// SetHang makes every request to the given services (Call.Service names: "slb", "elb", …) hang:
// the connection is accepted and the request read, and no answer is ever written, as with a
// stalled load balancer or a black-holed route. It replaces the services set before.
func (f *Faults) SetHang(services ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hang = map[string]bool{}
	for _, s := range services {
		f.hang[s] = true
	}
}

// Hangs reports whether requests to service hang.
func (f *Faults) Hangs(service string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hang[service]
}

// Hold holds a hanging request (see Hangs): it blocks until ctx ends (the client gave up and
// closed the connection) or Clear releases it. It reports false, at once, when service does not
// hang (any more).
func (f *Faults) Hold(ctx context.Context, service string) bool {
	f.mu.Lock()
	if !f.hang[service] {
		f.mu.Unlock()
		return false
	}
	if f.release == nil {
		f.release = make(chan struct{})
	}
	release := f.release
	f.held++
	f.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-release:
	}
	f.mu.Lock()
	f.held--
	f.mu.Unlock()
	return true
}

// Held returns how many requests a hang holds now.
func (f *Faults) Held() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

// SetLatency makes every request wait d before it is answered.
func (f *Faults) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// SetRates injects throttling and 5xx at random with the given probabilities (0..1), from seed.
func (f *Faults) SetRates(throttle, serverError float64, seed uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttleRate, f.errorRate = throttle, serverError
	f.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// FailNext makes the next n requests for action ("" for any action) fail with kind.
func (f *Faults) FailNext(action string, kind FaultKind, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.scripted == nil {
		f.scripted = map[string][]FaultKind{}
	}
	for range n {
		f.scripted[action] = append(f.scripted[action], kind)
	}
}

// Clear removes every latency, hang, rate and scripted fault, and releases held requests.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency, f.throttleRate, f.errorRate, f.rng, f.scripted, f.hang = 0, 0, 0, nil, nil, nil
	if f.release != nil {
		close(f.release)
		f.release = nil
	}
}

// Apply waits the configured latency (or until ctx ends) and returns the fault to inject for
// action, or 0 for none. Services call it after authenticating a request and before touching state.
func (f *Faults) Apply(ctx context.Context, action string) FaultKind {
	f.mu.Lock()
	latency := f.latency
	kind := f.pickLocked(action)
	f.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return kind
}

func (f *Faults) pickLocked(action string) FaultKind {
	for _, key := range []string{action, ""} {
		if q := f.scripted[key]; len(q) > 0 {
			f.scripted[key] = q[1:]
			return q[0]
		}
	}
	if f.rng == nil {
		return 0
	}
	r := f.rng.Float64()
	switch {
	case r < f.throttleRate:
		return Throttle
	case r < f.throttleRate+f.errorRate:
		return ServerError
	}
	return 0
}

// Package fakecore holds what every emulated service shares: the call log, fault injection and
// the clock, so that tests can assert on calls and inject latency, throttling and 5xx uniformly.
package fakecore

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Call is one request an emulated service received, as the call log records it.
// Params never hold key material: services redact private keys before logging.
type Call struct {
	Time     time.Time         `json:"time"`
	Service  string            `json:"service"` // "slb", "cas", "oss", "s3", "elb", "alb", "nlb"
	Action   string            `json:"action"`  // API action, e.g. "UploadServerCertificate", "GetObject"
	Region   string            `json:"region,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	Status   int               `json:"status"`         // HTTP status answered
	Code     string            `json:"code,omitempty"` // error code answered, empty on success
	Mutating bool              `json:"mutating"`       // the action changes state when it succeeds
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

// Package runtimeapitest serves the AWS Lambda and Function Compute go1 runtime APIs locally, to drive a function binary in tests.
package runtimeapitest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Result is a function's answer to one invocation.
type Result struct {
	Body      []byte // the response payload, or the error payload when Error is set
	Error     bool   // the function reported an error (…/error)
	ErrorType string // the errorType of an error payload
	RequestID string
	Received  time.Time // when the answer reached the runtime API: compare it with the deadline
}

// InvokeOption changes one invocation.
type InvokeOption func(*invocation)

// WithDeadline sets the invocation's deadline (default: 30 s from the call).
func WithDeadline(t time.Time) InvokeOption {
	return func(inv *invocation) { inv.deadline = t }
}

// WithFCCredentials gives the invocation Function Compute role credentials
// (x-fc-access-key-id, x-fc-access-key-secret, x-fc-security-token). Lambda ignores them.
func WithFCCredentials(accessKeyID, accessKeySecret, securityToken string) InvokeOption {
	return func(inv *invocation) {
		inv.header.Set("x-fc-access-key-id", accessKeyID)
		inv.header.Set("x-fc-access-key-secret", accessKeySecret)
		inv.header.Set("x-fc-security-token", securityToken)
	}
}

// WithRequestID sets the request id (default: a random one).
func WithRequestID(id string) InvokeOption {
	return func(inv *invocation) { inv.id = id }
}

// WithHeader adds a header to the invocation as the next call delivers it (for
// instance x-fc-retry-count, or Lambda-Runtime-Client-Context).
func WithHeader(name, value string) InvokeOption {
	return func(inv *invocation) { inv.header.Set(name, value) }
}

type flavour int

const (
	lambdaAPI flavour = iota
	fcAPI
)

// Server is one runtime API endpoint serving one function process.
//
// The Lambda flavour follows the runtime API (2018-06-01) that aws-lambda-go's
// lambda.Start polls: GET …/runtime/invocation/next, POST …/{id}/response and
// …/{id}/error (answered 202), POST …/runtime/init/error. The Function Compute
// flavour follows what fc-runtime-go-sdk v0.3.1 (fc/runtime_api_client.go,
// fc/invoke_loop.go) expects: the same paths under /2020-11-11/, x-fc-* headers on
// next (request id, deadline and function timeout, both of which it requires, role
// credentials, region, account and function metadata), and 200 answers. Servers
// listen on 127.0.0.1 only.
type Server struct {
	flavour flavour
	ln      net.Listener
	srv     *http.Server
	queue   chan *invocation
	closed  chan struct{}
	once    sync.Once

	mu       sync.Mutex
	pending  map[string]*invocation
	initErr  []byte
	initFail chan struct{}
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	timeout  int // seconds, for x-fc-function-timeout
	header   http.Header
	done     chan Result
	answered bool
}

// NewLambda starts an AWS Lambda runtime API on 127.0.0.1; tb.Cleanup closes it.
func NewLambda(tb testing.TB) *Server { return start(tb, lambdaAPI) }

// NewFC starts a Function Compute go1 runtime API on 127.0.0.1; tb.Cleanup closes it.
func NewFC(tb testing.TB) *Server { return start(tb, fcAPI) }

func start(tb testing.TB, f flavour) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("runtimeapitest: %v", err)
	}
	s := &Server{
		flavour:  f,
		ln:       ln,
		queue:    make(chan *invocation),
		closed:   make(chan struct{}),
		pending:  map[string]*invocation{},
		initFail: make(chan struct{}),
	}
	mux := http.NewServeMux()
	if f == lambdaAPI {
		mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.next)
		mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.answer(false))
		mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.answer(true))
		mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.initError)
	} else {
		mux.HandleFunc("GET /2020-11-11/runtime/invocation/next", s.next)
		mux.HandleFunc("POST /2020-11-11/runtime/invocation/{id}/response", s.answer(false))
		mux.HandleFunc("POST /2020-11-11/runtime/invocation/{id}/error", s.answer(true))
	}
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns when Close is called
	tb.Cleanup(s.Close)
	return s
}

// Addr returns host:port, the value for AWS_LAMBDA_RUNTIME_API or FC_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Env returns the environment variable that points a function at this server:
// "AWS_LAMBDA_RUNTIME_API=host:port" or "FC_RUNTIME_API=host:port".
func (s *Server) Env() string {
	if s.flavour == lambdaAPI {
		return "AWS_LAMBDA_RUNTIME_API=" + s.Addr()
	}
	return "FC_RUNTIME_API=" + s.Addr()
}

// InitError returns the body the function posted to …/runtime/init/error, if any.
func (s *Server) InitError() ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr, s.initErr != nil
}

// Close stops the server; a pending Invoke returns an error. Stop the function
// process first: fc-runtime-go-sdk retries next without pause when it fails.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.srv.Close()
		}
	})
}

// ErrClosed is returned by Invoke once the server is closed.
var ErrClosed = errors.New("runtimeapitest: server closed")

// Invoke queues the event, blocks until the function takes it and answers, and
// returns the answer. It fails when ctx ends, when the server closes, or when the
// function reports an init error.
func (s *Server) Invoke(ctx context.Context, payload []byte, opts ...InvokeOption) (Result, error) {
	inv := &invocation{
		id:       newID(),
		payload:  append([]byte(nil), payload...),
		deadline: time.Now().Add(30 * time.Second),
		header:   http.Header{},
		done:     make(chan Result, 1),
	}
	for _, o := range opts {
		o(inv)
	}
	inv.timeout = int(math.Ceil(time.Until(inv.deadline).Seconds()))
	if inv.timeout < 1 {
		inv.timeout = 1
	}
	s.mu.Lock()
	if _, dup := s.pending[inv.id]; dup {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("runtimeapitest: request id %q is already in use", inv.id)
	}
	s.pending[inv.id] = inv
	s.mu.Unlock()

	// Until the function takes the invocation it can be withdrawn; once taken it
	// stays known, so that a late answer is still accepted (a refused answer makes
	// aws-lambda-go exit).
	var err error
	select {
	case s.queue <- inv:
	case <-ctx.Done():
		err = ctx.Err()
	case <-s.closed:
		err = ErrClosed
	case <-s.initFail:
		err = s.initFailure()
	}
	if err != nil {
		s.mu.Lock()
		delete(s.pending, inv.id)
		s.mu.Unlock()
		return Result{}, err
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-s.closed:
		return Result{}, ErrClosed
	case <-s.initFail:
		return Result{}, s.initFailure()
	}
}

func (s *Server) initFailure() error {
	body, _ := s.InitError()
	return fmt.Errorf("runtimeapitest: the function reported an init error: %s", body)
}

// next hands the function the next queued invocation, waiting for one.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	var inv *invocation
	select {
	case inv = <-s.queue:
	case <-r.Context().Done():
		return
	case <-s.closed:
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	for k, v := range inv.header {
		h[k] = v
	}
	deadlineMS := strconv.FormatInt(inv.deadline.UnixMilli(), 10)
	if s.flavour == lambdaAPI {
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", deadlineMS)
		setDefault(h, "Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:test")
		setDefault(h, "Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
	} else {
		h.Set("x-fc-request-id", inv.id)
		h.Set("x-fc-function-deadline", deadlineMS)
		setDefault(h, "x-fc-function-timeout", strconv.Itoa(inv.timeout))
		setDefault(h, "x-fc-function-name", "test")
		setDefault(h, "x-fc-function-handler", "main")
		setDefault(h, "x-fc-function-memory", "128")
		setDefault(h, "x-fc-region", "cn-hangzhou")
		setDefault(h, "x-fc-account-id", "1234567890123456")
		setDefault(h, "x-fc-qualifier", "LATEST")
		setDefault(h, "x-fc-retry-count", "0")
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(inv.payload) //nolint:errcheck // a lost invocation shows as a timed-out Invoke
}

func setDefault(h http.Header, k, v string) {
	if h.Get(k) == "" {
		h.Set(k, v)
	}
}

// answer records the function's response or error for an invocation.
func (s *Server) answer(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res := Result{Body: body, Error: isError, RequestID: id, Received: time.Now()}
		// aws-lambda-go reports an error met while streaming a response in trailers.
		if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
			res.Error, res.ErrorType = true, t
		}
		if res.Error && res.ErrorType == "" {
			var e struct {
				Type string `json:"errorType"`
			}
			if json.Unmarshal(body, &e) == nil {
				res.ErrorType = e.Type
			}
			if t := r.Header.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
				res.ErrorType = t
			}
		}
		s.mu.Lock()
		inv, ok := s.pending[id]
		if ok && inv.answered {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "InvalidStateTransition", "invocation "+id+" was already answered")
			return
		}
		if !ok {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "InvalidRequestID", "no pending invocation "+id)
			return
		}
		inv.answered = true
		s.mu.Unlock()
		inv.done <- res
		if s.flavour == lambdaAPI {
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"status":"OK"}`) //nolint:errcheck
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// initError records an init error (Lambda only).
func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if body == nil {
		body = []byte{}
	}
	s.mu.Lock()
	first := s.initErr == nil
	if first {
		s.initErr = body
	}
	s.mu.Unlock()
	if first {
		close(s.initFail)
	}
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`) //nolint:errcheck
}

func writeError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg}) //nolint:errcheck
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

package runtimeapitest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fn plays the function's side of the protocol with plain HTTP.
type fn struct {
	t    *testing.T
	base string
}

func (f fn) next() (http.Header, string) {
	f.t.Helper()
	resp, err := http.Get(f.base + "next")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("next: %d %s", resp.StatusCode, body)
	}
	return resp.Header, string(body)
}

func (f fn) post(path, body string) int {
	f.t.Helper()
	resp, err := http.Post(f.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type outcome struct {
	r   Result
	err error
}

func invokeAsync(s *Server, ctx context.Context, payload string, opts ...InvokeOption) chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		r, err := s.Invoke(ctx, []byte(payload), opts...)
		ch <- outcome{r, err}
	}()
	return ch
}

func TestLambdaProtocol(t *testing.T) {
	s := NewLambda(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.Env() != "AWS_LAMBDA_RUNTIME_API="+s.Addr() {
		t.Fatalf("Addr %q Env %q", s.Addr(), s.Env())
	}
	f := fn{t, "http://" + s.Addr() + "/2018-06-01/runtime/invocation/"}
	deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)

	ch := invokeAsync(s, context.Background(), `{"a":1}`, WithRequestID("r1"), WithDeadline(deadline))
	h, body := f.next()
	if body != `{"a":1}` || h.Get("Lambda-Runtime-Aws-Request-Id") != "r1" ||
		h.Get("Lambda-Runtime-Deadline-Ms") != strconv.FormatInt(deadline.UnixMilli(), 10) ||
		!strings.HasPrefix(h.Get("Lambda-Runtime-Invoked-Function-Arn"), "arn:aws:lambda:") {
		t.Fatalf("next: %v %s", h, body)
	}
	if code := f.post("unknown/response", "{}"); code != http.StatusBadRequest {
		t.Errorf("answer for an unknown id: %d", code)
	}
	if code := f.post("r1/response", `"ok"`); code != http.StatusAccepted {
		t.Errorf("response: %d", code)
	}
	if o := <-ch; o.err != nil || o.r.Error || string(o.r.Body) != `"ok"` || o.r.RequestID != "r1" {
		t.Errorf("Invoke = %+v, %v", o.r, o.err)
	}
	if code := f.post("r1/response", `"again"`); code != http.StatusBadRequest {
		t.Errorf("second answer: %d", code)
	}

	ch = invokeAsync(s, context.Background(), `{}`, WithRequestID("r2"))
	f.next()
	if code := f.post("r2/error", `{"errorMessage":"boom","errorType":"errorString"}`); code != http.StatusAccepted {
		t.Errorf("error: %d", code)
	}
	if o := <-ch; o.err != nil || !o.r.Error || o.r.ErrorType != "errorString" {
		t.Errorf("Invoke = %+v, %v", o.r, o.err)
	}

	// An invocation nobody takes ends with its context.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke without a function = %v", err)
	}

	// An init error fails the invocations waiting for the function.
	ch = invokeAsync(s, context.Background(), `{}`)
	resp, err := http.Post("http://"+s.Addr()+"/2018-06-01/runtime/init/error", "application/json", strings.NewReader(`{"errorMessage":"bad config"}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("init error: %v %v", resp, err)
	}
	resp.Body.Close()
	if o := <-ch; o.err == nil || !strings.Contains(o.err.Error(), "bad config") {
		t.Errorf("Invoke after an init error = %v", o.err)
	}
	if b, ok := s.InitError(); !ok || !strings.Contains(string(b), "bad config") {
		t.Errorf("InitError = %s, %v", b, ok)
	}
}

func TestFCProtocol(t *testing.T) {
	s := NewFC(t)
	if s.Env() != "FC_RUNTIME_API="+s.Addr() {
		t.Fatalf("Env %q", s.Env())
	}
	f := fn{t, "http://" + s.Addr() + "/2020-11-11/runtime/invocation/"}
	deadline := time.Now().Add(10 * time.Second)

	ch := invokeAsync(s, context.Background(), `{"b":2}`, WithRequestID("f1"), WithDeadline(deadline),
		WithFCCredentials("AK", "SK", "TOKEN"), WithHeader("x-fc-retry-count", "2"))
	h, body := f.next()
	want := map[string]string{
		"x-fc-request-id":        "f1",
		"x-fc-function-deadline": strconv.FormatInt(deadline.UnixMilli(), 10),
		"x-fc-access-key-id":     "AK",
		"x-fc-access-key-secret": "SK",
		"x-fc-security-token":    "TOKEN",
		"x-fc-retry-count":       "2",
		"x-fc-region":            "cn-hangzhou",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("next header %s = %q, want %q", k, got, v)
		}
	}
	if to := h.Get("x-fc-function-timeout"); to != "10" && to != "9" {
		t.Errorf("x-fc-function-timeout = %q, want about 10", to)
	}
	if body != `{"b":2}` {
		t.Errorf("next body %s", body)
	}
	if code := f.post("f1/response", `{"ok":true}`); code != http.StatusOK {
		t.Errorf("response: %d", code)
	}
	if o := <-ch; o.err != nil || o.r.Error || string(o.r.Body) != `{"ok":true}` {
		t.Errorf("Invoke = %+v, %v", o.r, o.err)
	}

	// Without credentials the headers are absent.
	ch = invokeAsync(s, context.Background(), `{}`, WithRequestID("f2"))
	h, _ = f.next()
	if h.Get("x-fc-access-key-id") != "" {
		t.Errorf("credentials sent without WithFCCredentials")
	}
	if code := f.post("f2/error", `{"errorMessage":"boom","errorType":"errorString"}`); code != http.StatusOK {
		t.Errorf("error: %d", code)
	}
	if o := <-ch; !o.r.Error || o.r.ErrorType != "errorString" {
		t.Errorf("Invoke = %+v, %v", o.r, o.err)
	}

	// A request id cannot be in use twice.
	ch = invokeAsync(s, context.Background(), `{}`, WithRequestID("f3"))
	f.next()
	if _, err := s.Invoke(context.Background(), nil, WithRequestID("f3")); err == nil {
		t.Errorf("a request id in use was accepted")
	}
	f.post("f3/response", `null`)
	<-ch

	// Close ends a waiting Invoke.
	ch = invokeAsync(s, context.Background(), `{}`)
	time.Sleep(20 * time.Millisecond)
	s.Close()
	if o := <-ch; !errors.Is(o.err, ErrClosed) {
		t.Errorf("Invoke after Close = %v", o.err)
	}
}

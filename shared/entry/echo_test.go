package entry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/entry/runtimeapitest"
)

// echoAnswer is testdata/echo's answer.
type echoAnswer struct {
	Platform       string          `json:"platform"`
	RequestID      string          `json:"request_id"`
	FCCredentials  bool            `json:"fc_credentials"`
	SecurityToken  bool            `json:"security_token"`
	CredentialsSum string          `json:"credentials_sum"`
	DeadlineUnixMS int64           `json:"deadline_unix_ms"`
	Event          json.RawMessage `json:"event"`
	Exit           int             `json:"exit_code"`
}

// buildEcho builds testdata/echo as the platforms run it.
func buildEcho(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "echo")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "./testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// baseEnv is the test's environment without the variables that pick a platform.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "AWS_LAMBDA_RUNTIME_API", "FC_RUNTIME_API", "AWS_LAMBDA_MAX_CONCURRENCY":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// startFunction runs bin against a runtime API; t.Cleanup kills it (before the
// server, registered earlier, closes).
func startFunction(t *testing.T, bin string, s *runtimeapitest.Server) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(bin)
	cmd.Env = append(baseEnv(), s.Env())
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("function output:\n%s", out)
		}
	})
	return out
}

func invoke(t *testing.T, s *runtimeapitest.Server, payload string, opts ...runtimeapitest.InvokeOption) runtimeapitest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := s.Invoke(ctx, []byte(payload), opts...)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	return r
}

func decodeEcho(t *testing.T, r runtimeapitest.Result) echoAnswer {
	t.Helper()
	if r.Error {
		t.Fatalf("function error: %s", r.Body)
	}
	var a echoAnswer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatalf("answer %s: %v", r.Body, err)
	}
	return a
}

func credentialsSum(ak, sk, token string) string {
	sum := sha256.Sum256([]byte(ak + "\n" + sk + "\n" + token))
	return hex.EncodeToString(sum[:8])
}

// TestEchoProgram builds testdata/echo (CGO_ENABLED=0, -tags lambda.norpc) and runs
// it on the command line and behind both runtime APIs.
func TestEchoProgram(t *testing.T) {
	bin := buildEcho(t)

	t.Run("command line", func(t *testing.T) {
		cmd := exec.Command(bin, "invoke", "--event", "-")
		cmd.Env = baseEnv()
		cmd.Stdin = strings.NewReader(`{"hello":"world","exit_code":1}`)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Fatalf("exit %d (%v), want 1; stderr %s", code, err, stderr.String())
		}
		var a echoAnswer
		if err := json.Unmarshal(stdout.Bytes(), &a); err != nil {
			t.Fatalf("stdout %q: %v", stdout.String(), err)
		}
		var event bytes.Buffer
		_ = json.Compact(&event, a.Event) // the answer is printed indented, the event with it
		if a.Platform != "cli" || a.RequestID == "" || a.FCCredentials || event.String() != `{"hello":"world","exit_code":1}` {
			t.Errorf("answer %+v", a)
		}

		help := exec.Command(bin, "--help")
		help.Env = baseEnv()
		out, err := help.Output()
		if err != nil || !strings.Contains(string(out), "echo invoke --event FILE") {
			t.Errorf("--help: %v\n%s", err, out)
		}
		fail := exec.Command(bin, "invoke", "--event", "-")
		fail.Env = baseEnv()
		fail.Stdin = strings.NewReader(`{"fail":"no such bucket"}`)
		var failErr bytes.Buffer
		fail.Stderr = &failErr
		_ = fail.Run()
		if fail.ProcessState.ExitCode() != 1 || !strings.Contains(failErr.String(), "echo: no such bucket") {
			t.Errorf("failing handler: exit %d, stderr %q", fail.ProcessState.ExitCode(), failErr.String())
		}
	})

	t.Run("lambda", func(t *testing.T) {
		s := runtimeapitest.NewLambda(t)
		startFunction(t, bin, s)

		deadline := time.Now().Add(20 * time.Second).Truncate(time.Millisecond)
		r := invoke(t, s, `{"hello":"lambda"}`, runtimeapitest.WithRequestID("lambda-req-1"), runtimeapitest.WithDeadline(deadline),
			runtimeapitest.WithFCCredentials("AKID", "SECRET", "TOKEN"))
		a := decodeEcho(t, r)
		if r.RequestID != "lambda-req-1" || a.RequestID != "lambda-req-1" || a.Platform != "lambda" {
			t.Errorf("request id %q / %q, platform %q", r.RequestID, a.RequestID, a.Platform)
		}
		if a.FCCredentials {
			t.Errorf("FC credentials reached a Lambda handler")
		}
		if a.DeadlineUnixMS != deadline.UnixMilli() {
			t.Errorf("deadline %d, want %d", a.DeadlineUnixMS, deadline.UnixMilli())
		}
		if string(a.Event) != `{"hello":"lambda"}` {
			t.Errorf("event %s", a.Event)
		}

		r = invoke(t, s, `{"fail":"throttled"}`)
		if !r.Error || !strings.Contains(string(r.Body), "throttled") || r.ErrorType != "errorString" {
			t.Errorf("function error: %+v %s", r, r.Body)
		}
		r = invoke(t, s, `not json`)
		if !r.Error {
			t.Errorf("a payload that is not JSON was answered: %s", r.Body)
		}
		checkConcurrent(t, s)
	})

	t.Run("fc", func(t *testing.T) {
		s := runtimeapitest.NewFC(t)
		startFunction(t, bin, s)

		deadline := time.Now().Add(20 * time.Second).Truncate(time.Millisecond)
		r := invoke(t, s, `{"hello":"fc"}`, runtimeapitest.WithRequestID("fc-req-1"), runtimeapitest.WithDeadline(deadline),
			runtimeapitest.WithFCCredentials("STS.AKID", "SECRET", "TOKEN"))
		a := decodeEcho(t, r)
		if r.RequestID != "fc-req-1" || a.RequestID != "fc-req-1" || a.Platform != "fc" {
			t.Errorf("request id %q / %q, platform %q", r.RequestID, a.RequestID, a.Platform)
		}
		if !a.FCCredentials || !a.SecurityToken || a.CredentialsSum != credentialsSum("STS.AKID", "SECRET", "TOKEN") {
			t.Errorf("credentials did not reach the handler intact: %+v", a)
		}
		if strings.Contains(string(r.Body), "SECRET") {
			t.Errorf("the answer holds the secret: %s", r.Body)
		}
		if a.DeadlineUnixMS != deadline.UnixMilli() {
			t.Errorf("deadline %d, want %d", a.DeadlineUnixMS, deadline.UnixMilli())
		}

		a = decodeEcho(t, invoke(t, s, `{"hello":"no role"}`))
		if a.FCCredentials || a.SecurityToken {
			t.Errorf("credentials without a role: %+v", a)
		}

		r = invoke(t, s, `{"fail":"throttled"}`, runtimeapitest.WithRequestID("fc-req-err"))
		if !r.Error || r.RequestID != "fc-req-err" || !strings.Contains(string(r.Body), "throttled") || r.ErrorType != "errorString" {
			t.Errorf("function error: %+v %s", r, r.Body)
		}
		r = invoke(t, s, `not json`)
		if !r.Error {
			t.Errorf("a payload that is not JSON was answered: %s", r.Body)
		}
		// A panic is a function error, and the instance goes on serving.
		r = invoke(t, s, `{"panic":"bad state"}`)
		if !r.Error || !strings.Contains(string(r.Body), "bad state") {
			t.Errorf("panic: %+v %s", r, r.Body)
		}
		checkConcurrent(t, s)
	})
}

// checkConcurrent sends several invocations at once: each answer carries its own
// request id and event (FC runs them in parallel goroutines, Lambda one by one).
func checkConcurrent(t *testing.T, s *runtimeapitest.Server) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			id := fmt.Sprintf("req-%d", i)
			payload := fmt.Sprintf(`{"n":%d}`, i)
			r, err := s.Invoke(ctx, []byte(payload), runtimeapitest.WithRequestID(id))
			if err != nil {
				t.Errorf("Invoke %s: %v", id, err)
				return
			}
			var a echoAnswer
			if err := json.Unmarshal(r.Body, &a); err != nil || r.Error {
				t.Errorf("Invoke %s: %s %v", id, r.Body, err)
				return
			}
			if a.RequestID != id || r.RequestID != id || string(a.Event) != payload {
				t.Errorf("Invoke %s answered for %s with %s", id, a.RequestID, a.Event)
			}
		}()
	}
	wg.Wait()
}

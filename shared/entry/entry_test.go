package entry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// testAnswer is a report-like answer.
type testAnswer struct {
	Status    string          `json:"status"`
	Platform  string          `json:"platform"`
	RequestID string          `json:"request_id"`
	Event     json.RawMessage `json:"event"`
	Code      int             `json:"-"`
}

func (a *testAnswer) ExitCode() int { return a.Code }

// testHandler answers as the event says: {"status","code","error","nil","panic"}.
func testHandler(ctx context.Context, event json.RawMessage) (Answer, error) {
	var in struct {
		Status string `json:"status"`
		Code   int    `json:"code"`
		Error  string `json:"error"`
		Nil    bool   `json:"nil"`
		Panic  string `json:"panic"`
	}
	if err := json.Unmarshal(event, &in); err != nil {
		return nil, err
	}
	if in.Panic != "" {
		panic(in.Panic)
	}
	var a Answer
	if !in.Nil {
		a = &testAnswer{Status: in.Status, Platform: Platform(ctx), RequestID: RequestID(ctx), Event: event, Code: in.Code}
	}
	if in.Error != "" {
		return a, errors.New(in.Error)
	}
	return a, nil
}

var testProgram = Program{Name: "rotate", Usage: "rotate deploys certificates.", Handle: testHandler}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), testProgram, args, strings.NewReader(stdin), &out, &errOut)
	return cliResult{code, out.String(), errOut.String()}
}

func TestCLIInvoke(t *testing.T) {
	event := writeFile(t, "event.json", []byte(`{"status":"rotated"}`+"\n"))
	failed := writeFile(t, "failed.json", []byte(`{"status":"failed","code":1}`))
	bad := writeFile(t, "bad.json", []byte(`{"status":"failed","code":2}`))
	errOnly := writeFile(t, "error.json", []byte(`{"error":"throttled","nil":true}`))
	errAnswer := writeFile(t, "error-answer.json", []byte(`{"status":"rotated","error":"notify failed"}`))
	nilAnswer := writeFile(t, "nil.json", []byte(`{"nil":true}`))
	panics := writeFile(t, "panic.json", []byte(`{"panic":"boom"}`))
	html := writeFile(t, "html.json", []byte(`{"status":"<a&b>"}`))

	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdout     string // substring; "" means stdout must be empty
		stderr     string // substring; "" means stderr must be empty
		answerJSON bool
	}{
		{"file", []string{"invoke", "--event", event}, "", 0, `"status": "rotated"`, "", true},
		{"file, = form", []string{"invoke", "--event=" + event}, "", 0, `"status": "rotated"`, "", true},
		{"file, single dash", []string{"invoke", "-event", event}, "", 0, `"status": "rotated"`, "", true},
		{"stdin", []string{"invoke", "--event", "-"}, `{"status":"unchanged"}`, 0, `"status": "unchanged"`, "", true},
		{"answer exit 1", []string{"invoke", "--event", failed}, "", 1, `"status": "failed"`, "", true},
		{"answer exit 2", []string{"invoke", "--event", bad}, "", 2, `"status": "failed"`, "", true},
		{"error, no answer", []string{"invoke", "--event", errOnly}, "", 1, "", "rotate: throttled", false},
		{"error with an answer", []string{"invoke", "--event", errAnswer}, "", 1, `"status": "rotated"`, "rotate: notify failed", true},
		{"nil answer", []string{"invoke", "--event", nilAnswer}, "", 0, "null", "", false},
		{"panic", []string{"invoke", "--event", panics}, "", 1, "", "panic: boom", false},
		{"byte-order mark", []string{"invoke", "--event", "-"}, "\xef\xbb\xbf{\"status\":\"bom\"}", 0, `"status": "bom"`, "", true},
		{"HTML is not escaped", []string{"invoke", "--event", html}, "", 0, `"status": "<a&b>"`, "", true},
		{"missing file", []string{"invoke", "--event", filepath.Join(t.TempDir(), "nope.json")}, "", 2, "", "nope.json", false},
		{"directory", []string{"invoke", "--event", t.TempDir()}, "", 2, "", "cannot read", false},
		{"empty stdin", []string{"invoke", "--event", "-"}, " \n", 2, "", "empty", false},
		{"not JSON", []string{"invoke", "--event", "-"}, `{"status":`, 2, "", "not valid JSON", false},
		{"missing --event", []string{"invoke"}, "", 2, "", "missing --event FILE", false},
		{"empty --event", []string{"invoke", "--event", ""}, "", 2, "", "missing --event FILE", false},
		{"extra argument", []string{"invoke", "--event", event, "more"}, "", 2, "", `unexpected argument "more"`, false},
		{"unknown flag", []string{"invoke", "--evnt", event}, "", 2, "", "flag provided but not defined: -evnt", false},
		{"--event without value", []string{"invoke", "--event"}, "", 2, "", "flag needs an argument", false},
		{"invoke --help", []string{"invoke", "--help"}, "", 0, "Usage:", "", false},
		{"--help", []string{"--help"}, "", 0, "rotate invoke --event FILE", "", false},
		{"-h", []string{"-h"}, "", 0, "rotate deploys certificates.", "", false},
		{"help", []string{"help"}, "", 0, "Exit status: 0", "", false},
		{"help with more", []string{"help", "invoke"}, "", 2, "", "unexpected argument", false},
		{"no command", nil, "", 2, "", "missing command", false},
		{"unknown command", []string{"run", "--event", event}, "", 2, "", `unknown command "run"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			check := func(what, got, want string) {
				if want == "" && got != "" {
					t.Errorf("%s should be empty, got %q", what, got)
				}
				if !strings.Contains(got, want) {
					t.Errorf("%s %q does not hold %q", what, got, want)
				}
			}
			check("stdout", r.stdout, tt.stdout)
			check("stderr", r.stderr, tt.stderr)
			if tt.answerJSON {
				var a testAnswer
				if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
					t.Fatalf("stdout is not the answer as JSON: %v\n%s", err, r.stdout)
				}
				if a.Platform != PlatformCLI || a.RequestID == "" {
					t.Errorf("handler saw platform %q, request id %q", a.Platform, a.RequestID)
				}
				if !strings.HasSuffix(r.stdout, "}\n") || !strings.Contains(r.stdout, "\n  \"") {
					t.Errorf("stdout is not indented JSON ending in a newline: %q", r.stdout)
				}
			}
		})
	}
}

// TestCLIBadUsage checks that bad usage shows the usage on stderr, never on stdout.
func TestCLIBadUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"run"}, {"invoke"}, {"invoke", "--event", "-", "x"}, {"invoke", "--nope"}, {"--version"}} {
		r := runCLI(t, "{}", args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "Usage:\n  rotate invoke --event FILE") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestCLIEventSizeLimit(t *testing.T) {
	// Exactly MaxEvent bytes (a JSON object padded with spaces) is read; one byte more is refused.
	event := []byte(`{"status":"rotated"}`)
	atLimit := append(append([]byte{}, event...), bytes.Repeat([]byte(" "), MaxEvent-len(event))...)
	over := append(append([]byte{}, atLimit...), ' ')
	for _, tt := range []struct {
		name string
		data []byte
		code int
	}{{"at the limit", atLimit, 0}, {"one byte over", over, 2}} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", "invoke", "--event", writeFile(t, "event.json", tt.data))
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tt.code, r.stderr)
			}
			if tt.code == 2 && !strings.Contains(r.stderr, "larger than 1 MiB") {
				t.Errorf("stderr %q does not state the limit", r.stderr)
			}
			r = runCLI(t, string(tt.data), "invoke", "--event", "-")
			if r.code != tt.code {
				t.Fatalf("stdin: exit %d, want %d: %s", r.code, tt.code, r.stderr)
			}
		})
	}
}

func TestCLIRequestIDs(t *testing.T) {
	ids := map[string]bool{}
	for range 3 {
		r := runCLI(t, `{"status":"rotated"}`, "invoke", "--event", "-")
		var a testAnswer
		if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
			t.Fatal(err)
		}
		if len(a.RequestID) != 36 || ids[a.RequestID] {
			t.Errorf("request id %q is not a fresh UUID", a.RequestID)
		}
		ids[a.RequestID] = true
	}
}

func TestPlatform(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, PlatformCLI},
		{map[string]string{EnvLambdaRuntimeAPI: "127.0.0.1:9001"}, PlatformLambda},
		{map[string]string{EnvFCRuntimeAPI: "127.0.0.1:9000"}, PlatformFC},
		{map[string]string{EnvLambdaRuntimeAPI: "a", EnvFCRuntimeAPI: "b"}, PlatformLambda},
		{map[string]string{EnvLambdaRuntimeAPI: "", EnvFCRuntimeAPI: ""}, PlatformCLI},
	}
	for _, tt := range tests {
		if got := platform(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("platform(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

// TestLambdaHandler runs the function given to lambda.Start through aws-lambda-go's
// own invoke path, on the exact bytes the runtime sends.
func TestLambdaHandler(t *testing.T) {
	h := lambda.NewHandler(testProgram.function())
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})

	out, err := h.Invoke(ctx, []byte(`{"status":"rotated","code":1}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var a testAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	want := testAnswer{Status: "rotated", Platform: PlatformLambda, RequestID: "lambda-req-1", Event: json.RawMessage(`{"status":"rotated","code":1}`)}
	if a.Status != want.Status || a.Platform != want.Platform || a.RequestID != want.RequestID || string(a.Event) != string(want.Event) {
		t.Errorf("answer %+v, want %+v", a, want)
	}

	// An error is the function error, whatever the answer.
	if _, err := h.Invoke(ctx, []byte(`{"status":"partial","error":"throttled"}`)); err == nil || err.Error() != "throttled" {
		t.Errorf("Invoke error = %v, want throttled", err)
	}
	// A nil answer is JSON null.
	if out, err := h.Invoke(ctx, []byte(`{"nil":true}`)); err != nil || string(out) != "null" {
		t.Errorf("nil answer: %q, %v", out, err)
	}
	// A payload that is not JSON never reaches the handler.
	if _, err := h.Invoke(ctx, []byte(`not json`)); err == nil {
		t.Errorf("a payload that is not JSON was accepted")
	}
	// Outside Lambda's context the handler still runs, with no request id.
	out, err = h.Invoke(context.Background(), []byte(`{"status":"x"}`))
	if err != nil || !strings.Contains(string(out), `"request_id":""`) {
		t.Errorf("without a Lambda context: %s, %v", out, err)
	}
}

// TestFCHandler runs the same function through fc-runtime-go-sdk's invoke path.
func TestFCHandler(t *testing.T) {
	var seen struct {
		ak, sk, token string
		ok            bool
		id, platform  string
		event         string
	}
	p := Program{Name: "rotate", Handle: func(ctx context.Context, event json.RawMessage) (Answer, error) {
		seen.ak, seen.sk, seen.token, seen.ok = FCCredentials(ctx)
		seen.id, seen.platform, seen.event = RequestID(ctx), Platform(ctx), string(event)
		return testHandler(ctx, event)
	}}
	h := fc.NewHandler(p.function())
	fcc := &fccontext.FcContext{RequestID: "fc-req-1", Credentials: fccontext.Credentials{AccessKeyId: "AKID", AccessKeySecret: "SECRET", SecurityToken: "TOKEN"}}
	ctx := fccontext.NewContext(context.Background(), fcc)

	out, err := h.Invoke(ctx, []byte(`{"status":"rotated"}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if !seen.ok || seen.ak != "AKID" || seen.sk != "SECRET" || seen.token != "TOKEN" {
		t.Errorf("FCCredentials = %q %q %q %v", seen.ak, seen.sk, seen.token, seen.ok)
	}
	if seen.id != "fc-req-1" || seen.platform != PlatformFC || seen.event != `{"status":"rotated"}` {
		t.Errorf("handler saw id %q platform %q event %q", seen.id, seen.platform, seen.event)
	}
	// The same function answers the same bytes on both platforms.
	lout, err := lambda.NewHandler(p.function()).Invoke(lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "fc-req-1"}), []byte(`{"status":"rotated"}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Replace(string(out), `"platform":"fc"`, `"platform":"lambda"`, 1) != string(lout) {
		t.Errorf("FC answered %s, Lambda %s", out, lout)
	}

	if _, err := h.Invoke(ctx, []byte(`{"error":"throttled"}`)); err == nil || err.Error() != "throttled" {
		t.Errorf("Invoke error = %v, want throttled", err)
	}
	if _, err := h.Invoke(ctx, []byte(`not json`)); err == nil {
		t.Errorf("a payload that is not JSON was accepted")
	}
	// No role: no credentials.
	noRole := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "fc-req-2"})
	if _, err := h.Invoke(noRole, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if seen.ok || seen.ak != "" {
		t.Errorf("FCCredentials without a role = %q, %v", seen.ak, seen.ok)
	}
}

func TestContextHelpers(t *testing.T) {
	bg := context.Background()
	if RequestID(bg) != "" || Platform(bg) != "" {
		t.Errorf("a bare context has an invocation")
	}
	if _, _, _, ok := FCCredentials(bg); ok {
		t.Errorf("a bare context has FC credentials")
	}
	lc := lambdacontext.NewContext(bg, &lambdacontext.LambdaContext{AwsRequestID: "r"})
	if RequestID(lc) != "r" || Platform(lc) != PlatformLambda {
		t.Errorf("Lambda context: %q %q", RequestID(lc), Platform(lc))
	}
	if _, _, _, ok := FCCredentials(lc); ok {
		t.Errorf("FC credentials on Lambda")
	}
	fcc := fccontext.NewContext(bg, &fccontext.FcContext{RequestID: "f", Credentials: fccontext.Credentials{AccessKeyId: "a", AccessKeySecret: "s"}})
	if ak, sk, tok, ok := FCCredentials(fcc); !ok || ak != "a" || sk != "s" || tok != "" {
		t.Errorf("FCCredentials = %q %q %q %v", ak, sk, tok, ok)
	}
	// Main's wrapper reads the SDK context once; later calls use the copy.
	w := withInvocation(fcc)
	if w == fcc || RequestID(w) != "f" || withInvocation(w) != w {
		t.Errorf("withInvocation did not store the invocation once")
	}
}

func TestCLISetupRunsOnlyForInvoke(t *testing.T) {
	calls := 0
	p := Program{Name: "rotate", Setup: func() (Handler, error) {
		calls++
		return nil, errors.New("configuration: ROTATE_TARGETS: is empty")
	}}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), p, []string{"--help"}, strings.NewReader(""), &out, &errOut); code != ExitOK || calls != 0 {
		t.Fatalf("--help: exit %d, Setup called %d times; want 0 and 0", code, calls)
	}
	event := writeFile(t, "e.json", []byte(`{}`))
	code := run(context.Background(), p, []string{"invoke", "--event", event}, strings.NewReader(""), &out, &errOut)
	if code != ExitBadInput || calls != 1 || !strings.Contains(errOut.String(), "ROTATE_TARGETS: is empty") {
		t.Fatalf("invoke with a bad configuration: exit %d, Setup called %d, stderr %q", code, calls, errOut.String())
	}
	ok := Program{Name: "rotate", Setup: func() (Handler, error) { return testHandler, nil }}
	out.Reset()
	if code := run(context.Background(), ok, []string{"invoke", "--event", writeFile(t, "ok.json", []byte(`{"status":"rotated"}`))}, strings.NewReader(""), &out, &errOut); code != ExitOK {
		t.Fatalf("invoke after a good Setup: exit %d, stdout %q", code, out.String())
	}
}

// TestPrefixedOnce: an error whose package prefix is the program's name is not prefixed twice.
func TestPrefixedOnce(t *testing.T) {
	for _, tc := range []struct{ name, err, want string }{
		{"notify", "notify: every channel failed", "notify: every channel failed"},
		{"notify", "configuration: 1 problem(s)", "notify: configuration: 1 problem(s)"},
		{"rotate", "rotation: deadline", "rotate: rotation: deadline"},
	} {
		t.Run(tc.err, func(t *testing.T) {
			if got := prefixed(tc.name, errors.New(tc.err)); got != tc.want {
				t.Errorf("prefixed(%q, %q) = %q, want %q", tc.name, tc.err, got, tc.want)
			}
		})
	}
}

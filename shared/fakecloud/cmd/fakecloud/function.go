package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// A fronted function: `serve --function rotate=PATH` answers HTTP requests to /fn/rotate/… the
// way a Function Compute HTTP trigger (or a Lambda function URL) does: the request becomes the
// trigger's event, the built function runs once on it (`PATH invoke --event -`, the command line
// every certrotate function has), and its answer (statusCode, headers, body, isBase64Encoded)
// becomes the HTTP response. The event follows the HTTP trigger's event format
// (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function,
// fc-runtime-go-sdk events.HTTPTriggerEvent).

// fnPrefix is where fronted functions are served: /fn/<name>/.
const fnPrefix = "/fn/"

// maxFunctionBody is the largest request body passed on: Function Compute's limit for a
// synchronous invocation's payload (32 MB) is larger than what rotate accepts (1 MiB); 6 MiB,
// Lambda's, is the stricter of the two platforms.
const maxFunctionBody = 6 << 20

// functionTimeout bounds one invocation, as the platforms' function timeout does.
const functionTimeout = 60 * time.Second

var functionName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// functionFlag collects repeated --function NAME=PATH flags.
type functionFlag map[string]string

func (f functionFlag) String() string { return "" }

func (f functionFlag) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || !functionName.MatchString(name) || path == "" {
		return fmt.Errorf("want NAME=PATH (NAME: lower-case letters, digits, -), e.g. rotate=bin/rotate/bootstrap")
	}
	if _, dup := f[name]; dup {
		return fmt.Errorf("function %q given twice", name)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("function %s: %v (build it first: make build)", name, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("function %s: %s is not an executable file", name, path)
	}
	f[name] = path
	return nil
}

// functionEnv is the environment a fronted function runs with: fakecloud's own, plus, for each
// endpoint and credential the function reads that is not set, this emulator and its keys, so a
// function started with nothing set talks to this emulator and never to a real cloud.
func functionEnv(base string) []string {
	env := os.Environ()
	set := map[string]bool{}
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); v != "" {
			set[k] = true
		}
	}
	defaults := []struct{ name, value string }{
		{"ROTATE_SLB_ENDPOINT", base}, {"ROTATE_OSS_ENDPOINT", base}, {"ROTATE_ELB_ENDPOINT", base}, {"ROTATE_CAS_ENDPOINT", base},
		{"AWS_ENDPOINT_URL_S3", base},
		{"ALIBABA_CLOUD_ACCESS_KEY_ID", fakecore.DefaultAccessKeyID}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", fakecore.DefaultAccessKeySecret},
		{"HUAWEICLOUD_SDK_AK", fakecore.DefaultAccessKeyID}, {"HUAWEICLOUD_SDK_SK", fakecore.DefaultAccessKeySecret},
		{"AWS_ACCESS_KEY_ID", fakecore.DefaultAccessKeyID}, {"AWS_SECRET_ACCESS_KEY", fakecore.DefaultAccessKeySecret},
	}
	for _, d := range defaults {
		if !set[d.name] {
			env = append(env, d.name+"="+d.value)
		}
	}
	// The function runs as a command, never as a runtime client of this process's platform.
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_LAMBDA_RUNTIME_API=") && !strings.HasPrefix(kv, "FC_RUNTIME_API=") {
			out = append(out, kv)
		}
	}
	return out
}

// fronted serves the functions under /fn/<name>/ and everything else with next.
func fronted(log *slog.Logger, functions map[string]string, env func() []string, next http.Handler) http.Handler {
	if len(functions) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, fnPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, fnPrefix), "/")
		path, ok := functions[name]
		if !ok {
			writeFnError(w, http.StatusNotFound, fmt.Sprintf("no function %q: serve was started with --function for %s", name, strings.Join(sortedNames(functions), ", ")))
			return
		}
		invokeFunction(log, w, r, name, path, "/"+rest, env())
	})
}

func invokeFunction(log *slog.Logger, w http.ResponseWriter, r *http.Request, name, path, rawPath string, env []string) {
	start := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFunctionBody))
	if err != nil {
		writeFnError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxFunctionBody))
		return
	}
	event, err := httpTriggerEvent(r, rawPath, body, start)
	if err != nil {
		writeFnError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), functionTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "invoke", "--event", "-")
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(event)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr // the function's own JSON log lines, beside fakecloud's
	runErr := cmd.Run()
	code := 0
	if ee, ok := runErr.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	var ans struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Body            string            `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &ans); err != nil || ans.StatusCode < 100 || ans.StatusCode > 599 {
		// What the platforms answer when the function fails without an HTTP answer: a 502.
		msg := fmt.Sprintf("function %s gave no HTTP answer (exit %d); its log is on fakecloud's stderr", name, code)
		if ctx.Err() != nil {
			msg = fmt.Sprintf("function %s did not answer within %s", name, functionTimeout)
		}
		log.Info("function", "function", name, "method", r.Method, "path", rawPath, "status", http.StatusBadGateway, "exit", code,
			"duration_ms", time.Since(start).Milliseconds())
		writeFnError(w, http.StatusBadGateway, msg)
		return
	}
	out := []byte(ans.Body)
	if ans.IsBase64Encoded {
		if out, err = base64.StdEncoding.DecodeString(ans.Body); err != nil {
			writeFnError(w, http.StatusBadGateway, fmt.Sprintf("function %s answered isBase64Encoded with a body that is not base64", name))
			return
		}
	}
	for k, v := range ans.Headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(ans.StatusCode)
	_, _ = w.Write(out)
	log.Info("function", "function", name, "method", r.Method, "path", rawPath, "status", ans.StatusCode, "exit", code,
		"duration_ms", time.Since(start).Milliseconds())
}

// httpTriggerEvent is the Function Compute HTTP trigger's event for r: headers and query
// parameters with several values joined by ",", a body that is not UTF-8 base64-encoded.
func httpTriggerEvent(r *http.Request, rawPath string, body []byte, at time.Time) ([]byte, error) {
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[k] = strings.Join(vs, ",")
	}
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	b64 := !utf8.Valid(body)
	text := string(body)
	if b64 {
		text = base64.StdEncoding.EncodeToString(body)
	}
	host := r.Host
	ev := map[string]any{
		"version": "v1", "rawPath": rawPath, "body": text, "isBase64Encoded": b64,
		"headers": headers, "queryParameters": query,
		"requestContext": map[string]any{
			"accountId": "1234567890", "domainName": host, "domainPrefix": strings.Split(host, ".")[0],
			"http": map[string]any{"method": r.Method, "path": rawPath, "protocol": r.Proto,
				"sourceIp": remoteIP(r.RemoteAddr), "userAgent": r.UserAgent()},
			"requestId": fmt.Sprintf("1-%x-fakecloud", at.UnixNano()),
			"time":      at.UTC().Format(time.RFC3339), "timeEpoch": strconv.FormatInt(at.UnixMilli(), 10),
		},
	}
	return json.Marshal(ev)
}

func writeFnError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func sortedNames(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

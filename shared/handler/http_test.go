package handler

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/webhook"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// withSecret rebuilds e's handler with a webhook secret.
func withSecret(t *testing.T, e *env) {
	t.Helper()
	t.Setenv("ROTATE_WEBHOOK_SECRET", secret)
	cfg, err := config.LoadRotate()
	if err != nil {
		t.Fatal(err)
	}
	if e.h, err = NewRotate(cfg, slog.New(slog.NewJSONHandler(io.MultiWriter(e.logs, e.tr), nil))); err != nil {
		t.Fatal(err)
	}
}

// httpEvent wraps a request as Function Compute's HTTP trigger ("fc") or a Lambda function URL
// ("lambda") delivers it.
func httpEvent(t *testing.T, platform, method string, headers map[string]string, body []byte, b64 bool) []byte {
	t.Helper()
	payload := string(body)
	if b64 {
		payload = base64.StdEncoding.EncodeToString(body)
	}
	var ev map[string]any
	if platform == "fc" {
		ev = map[string]any{"version": "v1", "rawPath": "/rotate", "body": payload, "isBase64Encoded": b64, "headers": headers,
			"queryParameters": map[string]string{}, "requestContext": map[string]any{"accountId": "1", "domainName": "x.fcapp.run",
				"http":      map[string]any{"method": method, "path": "/rotate", "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1", "userAgent": "certbot"},
				"requestId": "1-abc", "time": "2026-11-22T06:41:11Z", "timeEpoch": "1693896071895"}}
	} else {
		lower := map[string]string{}
		for k, v := range headers {
			lower[strings.ToLower(k)] = v
		}
		ev = map[string]any{"version": "2.0", "rawPath": "/", "rawQueryString": "", "headers": lower, "body": payload, "isBase64Encoded": b64,
			"requestContext": map[string]any{"accountId": "1", "apiId": "u", "domainName": "u.lambda-url.us-east-1.on.aws",
				"http":      map[string]any{"method": method, "path": "/", "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1", "userAgent": "certbot"},
				"requestId": "id", "time": "22/Nov/2026:06:41:11 +0000", "timeEpoch": 1693896071895}}
	}
	out, _ := json.Marshal(ev)
	return out
}

func signed(t *testing.T, body []byte, id string, at time.Time) map[string]string {
	t.Helper()
	key, err := webhook.Key(secret)
	if err != nil {
		t.Fatal(err)
	}
	h := webhook.Sign(key, id, at, body)
	delete(h, webhook.HeaderGitHub)
	h["Content-Type"] = "application/json"
	// Function Compute keeps the sender's header case: use mixed case on purpose.
	mixed := map[string]string{}
	for k, v := range h {
		mixed[strings.ToUpper(k[:1])+k[1:]] = v
	}
	return mixed
}

func (e *env) call(t *testing.T, ev []byte) (int, map[string]any) {
	t.Helper()
	out, err := lambda.NewHandler(e.h.Handle).Invoke(context.Background(), ev)
	if err != nil {
		t.Fatalf("function error: %v", err)
	}
	_, _ = e.tr.Write(append(out, '\n'))
	var resp entry.HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer %s", out)
	}
	if resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("answer is not JSON: %v", resp.Headers)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q is not JSON", resp.Body)
	}
	return resp.StatusCode, body
}

func TestWebhook(t *testing.T) {
	for _, platform := range []string{"fc", "lambda"} {
		t.Run(platform, func(t *testing.T) {
			e := newEnv(t)
			withSecret(t, e)
			good, _ := json.Marshal(map[string]any{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM), "name": "hook"})
			now := time.Now()
			n := 0
			nextID := func() string { n++; return "msg_" + platform + strconv.Itoa(n) }
			refused := []struct {
				name   string
				method string
				head   map[string]string
				body   []byte
				status int
				says   string
			}{
				{"GET", "GET", signed(t, good, nextID(), now), good, 405, "POST"},
				{"unsigned", "POST", map[string]string{"Content-Type": "application/json"}, good, 401, "webhook-id"},
				{"stale", "POST", signed(t, good, nextID(), now.Add(-301*time.Second)), good, 401, "timestamp"},
				{"future", "POST", signed(t, good, nextID(), now.Add(400*time.Second)), good, 401, "timestamp"}, // well past 300 s, however slow the machine,
				{"tampered body", "POST", signed(t, good, nextID(), now), append([]byte(" "), good...), 401, "signature"},
				{"too large", "POST", signed(t, good, nextID(), now), []byte(`{"name":"` + strings.Repeat("a", 1<<20) + `"}`), 413, "1 MiB"},
				{"bad body", "POST", signed(t, []byte(`{"certificate":"x"}`), "msg_bad", now), []byte(`{"certificate":"x"}`), 400, "private_key"},
			}
			for _, tc := range refused {
				t.Run(tc.name, func(t *testing.T) {
					e.cloud.ResetCalls()
					status, body := e.call(t, httpEvent(t, platform, tc.method, tc.head, tc.body, false))
					if status != tc.status || !strings.Contains(body["error"].(string), tc.says) {
						t.Fatalf("%d %v, want %d saying %q", status, body, tc.status, tc.says)
					}
					if n := len(e.cloud.Calls()); n != 0 {
						t.Fatalf("%d cloud calls for a refused request", n)
					}
				})
			}
			id := nextID()
			ev := httpEvent(t, platform, "POST", signed(t, good, id, now), good, true)
			status, body := e.call(t, ev)
			if status != http.StatusOK || body["status"] != "rotated" || body["source"].(map[string]any)["kind"] != "webhook" {
				t.Fatalf("signed call: %d %v", status, body)
			}
			e.cloud.ResetCalls()
			status, body = e.call(t, ev)
			if status != http.StatusOK || body["replay"] != true || body["webhook_id"] != id || len(e.cloud.Calls()) != 0 {
				t.Fatalf("replay: %d %v, %d calls", status, body, len(e.cloud.Calls()))
			}
			assertNoSecrets(t, e.fresh, e.logs.Bytes())
		})
	}
}

func TestWebhookAnswersByOutcome(t *testing.T) {
	e := newEnv(t)
	withSecret(t, e)
	post := func(v any) (int, map[string]any) {
		body, _ := json.Marshal(v)
		return e.call(t, httpEvent(t, "fc", "POST", signed(t, body, "id-"+time.Now().Format(time.RFC3339Nano), time.Now()), body, false))
	}
	e.cloud.Objects().CreateBucket("oss", "certs")
	if status, body := post(map[string]any{"bucket": "certs", "key": "live/a/fullchain.pem", "store": "oss"}); status != http.StatusAccepted || body["status"] != "pending" {
		t.Fatalf("pending: %d %v", status, body)
	}
	expired := map[string]any{"certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "private_key": "x"}
	if status, body := post(expired); status != http.StatusBadRequest || body["status"] != "failed" {
		t.Fatalf("bad certificate: %d %v", status, body)
	}
	if status, _ := post(map[string]any{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM), "targets": []string{"nope"}}); status != http.StatusBadRequest {
		t.Fatalf("unknown target: %d", status)
	}
	e.cloud.Faults().FailNext("SetLoadBalancerHTTPSListenerAttribute", 2 /* fakecore.ServerError */, 1000)
	status, body := post(map[string]any{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM)})
	if status != http.StatusBadGateway || body["status"] != "failed" {
		t.Fatalf("cloud failure: %d %v", status, body)
	}
}

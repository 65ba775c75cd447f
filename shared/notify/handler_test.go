package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/webhook"
)

const notifySecret = "whsec_" + "bm90aWZ5IHNlY3JldCBmb3IgdGVzdHMgb25seQ=="

func newHandler(t *testing.T, chans ...Channel) (*Handler, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	out := io.MultiWriter(logs, leakcheck.Writer(t, notifySecret))
	n := NewWithOptions(Options{Backoff: fast, Channels: chans, Log: slog.New(slog.NewJSONHandler(out, nil))})
	h, err := NewHandlerWith(n, notifySecret, slog.New(slog.NewJSONHandler(out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return h, logs
}

// invoke runs payload through the Lambda runtime's own path.
func invoke(t *testing.T, h *Handler, payload []byte) (map[string]any, error) {
	t.Helper()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
	if err != nil {
		return nil, err
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	return got, nil
}

func TestHandlerInputs(t *testing.T) {
	for _, tc := range []struct {
		file, origin, status string
		messages             int
	}{
		{"report-partial.json", OriginInvoke, Sent, 1},
		{"lambda-destination-report.json", OriginLambdaDestination, Sent, 1},
		{"lambda-destination-failure.json", OriginLambdaDestination, Sent, 1},
		{"fc-destination-report.json", OriginFCDestination, Sent, 1},
		{"fc-destination-failure.json", OriginFCDestination, Sent, 1},
		{"lambda-destination-success.json", "", Refused, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s, base := sink(t)
			h, logs := newHandler(t, &WeCom{URL: base + "/_fake/chat/wecom?key=k"})
			got, err := invoke(t, h, readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got["status"] != tc.status || (tc.origin != "" && got["origin"] != tc.origin) || len(s.Messages()) != tc.messages {
				t.Fatalf("answer %v, %d messages\nlogs:\n%s", got, len(s.Messages()), logs)
			}
			if strings.Contains(tc.file, "failure") && !strings.Contains(s.Messages()[0].Text, "rotate did not finish") {
				t.Errorf("message:\n%s", s.Messages()[0].Text)
			}
		})
	}
}

func TestHandlerAsksThePlatformToRetryOnlyWhenNobodyWasTold(t *testing.T) {
	down := &scripted{statuses: []int{503, 503, 503, 503, 503, 503}}
	url := down.serve(t)
	h, _ := newHandler(t, &Slack{URL: url})
	if _, err := invoke(t, h, readFixture(t, "report-partial.json")); err == nil {
		t.Fatal("every channel failed with 503 and the platform was not asked to retry")
	}
	_, base := sink(t)
	h, _ = newHandler(t, &Slack{URL: url}, &WeCom{URL: base + "/_fake/chat/wecom?key=k"})
	got, err := invoke(t, h, readFixture(t, "report-partial.json"))
	if err != nil || got["status"] != Partial {
		t.Fatalf("one channel delivered: %v %v", got, err)
	}
	rejected := &scripted{statuses: []int{400}}
	h, _ = newHandler(t, &Slack{URL: rejected.serve(t)})
	if got, err := invoke(t, h, readFixture(t, "report-partial.json")); err != nil || got["status"] != Failed {
		t.Fatalf("a permanent failure: %v %v", got, err)
	}
}

// signedEvent is a Lambda function URL event carrying body, signed with secret at ts.
func signedEvent(t *testing.T, secret, id string, ts time.Time, method string, body []byte) []byte {
	t.Helper()
	headers := map[string]string{"content-type": "application/json"}
	if secret != "" {
		key, err := webhook.Key(secret)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range webhook.Sign(key, id, ts, body) {
			headers[k] = v
		}
	}
	ev, _ := json.Marshal(map[string]any{"version": "2.0", "rawPath": "/", "rawQueryString": "", "headers": headers,
		"requestContext": map[string]any{"http": map[string]any{"method": method, "path": "/"}, "requestId": "req", "timeEpoch": 1},
		"body":           base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true})
	return ev
}

func TestHandlerHTTP(t *testing.T) {
	s, base := sink(t)
	h, logs := newHandler(t, &DingTalk{URL: base + "/_fake/chat/dingtalk?access_token=t"})
	body := readFixture(t, "report-partial.json")
	now := time.Now()
	for _, tc := range []struct {
		name     string
		event    []byte
		status   int
		messages int
		words    string
	}{
		{"signed", signedEvent(t, notifySecret, "msg_1", now, "POST", body), 200, 1, `"status":"sent"`},
		{"replay", signedEvent(t, notifySecret, "msg_1", now, "POST", body), 200, 1, `"replay":true`},
		{"wrong secret", signedEvent(t, "another secret", "msg_2", now, "POST", body), 401, 1, "signature"},
		{"unsigned", signedEvent(t, "", "", now, "POST", body), 401, 1, "webhook-"},
		{"stale", signedEvent(t, notifySecret, "msg_3", now.Add(-time.Hour), "POST", body), 401, 1, "timestamp"},
		{"GET", signedEvent(t, notifySecret, "msg_4", now, "GET", nil), 405, 1, "POST"},
		{"not a report", signedEvent(t, notifySecret, "msg_5", now, "POST", []byte(`{"hello":1}`)), 400, 1, "id and status are required"},
		{"a corrected body under the same id", signedEvent(t, notifySecret, "msg_5", now, "POST", body), 200, 2, `"status":"sent"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), tc.event)
			if err != nil {
				t.Fatal(err)
			}
			var resp entry.HTTPResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(resp.Body, tc.words) || len(s.Messages()) != tc.messages {
				t.Fatalf("HTTP %d %s; %d messages", resp.StatusCode, resp.Body, len(s.Messages()))
			}
		})
	}
	assertNoSecrets(t, logs.String(), notifySecret)

	noSecret, err := NewHandlerWith(NewWithOptions(Options{Channels: []Channel{&stub{name: "s"}}}), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := lambda.NewHandler(noSecret.Handle).Invoke(context.Background(), signedEvent(t, notifySecret, "msg_9", now, "POST", body))
	if !bytes.Contains(out, []byte(`"statusCode":401`)) || !bytes.Contains(out, []byte("NOTIFY_SECRET is not set")) {
		t.Fatalf("no secret: %s", out)
	}
}

func TestHandlerHTTPAnswers502AndLetsTheSenderRetry(t *testing.T) {
	down := &scripted{statuses: []int{503, 503, 503}}
	h, _ := newHandler(t, &Slack{URL: down.serve(t)})
	body := readFixture(t, "report-partial.json")
	ev := signedEvent(t, notifySecret, "msg_r", time.Now(), "POST", body)
	for _, want := range []string{`"statusCode":502`, `"statusCode":200`} {
		out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), ev)
		if err != nil || !bytes.Contains(out, []byte(want)) {
			t.Fatalf("want %s: %s %v", want, out, err)
		}
	}
}

func TestPostToNotify(t *testing.T) {
	s, base := sink(t)
	h, _ := newHandler(t, &WeCom{URL: base + "/_fake/chat/wecom?key=k"})
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			http.Error(w, "cold start", http.StatusServiceUnavailable)
			return
		}
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		headers := map[string]string{}
		for k := range r.Header {
			headers[k] = r.Header.Get(k)
		}
		ev, _ := json.Marshal(map[string]any{"version": "v1", "rawPath": "/", "headers": headers, "queryParameters": map[string]string{},
			"body": body.String(), "isBase64Encoded": false,
			"requestContext": map[string]any{"http": map[string]any{"method": r.Method, "path": "/"}, "requestId": "fc", "timeEpoch": "1"}})
		out, err := lambda.NewHandler(h.Handle).Invoke(r.Context(), ev)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var resp entry.HTTPResponse
		_ = json.Unmarshal(out, &resp)
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write([]byte(resp.Body))
	}))
	defer srv.Close()
	defer func(p PostPolicy) { PostBackoff = p }(PostBackoff)
	PostBackoff.Base = 10 * time.Millisecond

	rep := partialReport(t)
	if err := Post(context.Background(), nil, srv.URL, notifySecret, rep); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if attempts.Load() != 2 || len(s.Messages()) != 1 {
		t.Fatalf("%d attempts, %d messages", attempts.Load(), len(s.Messages()))
	}
	// Posted again (rotate's platform retried the invocation): the same webhook-id is a replay.
	if err := Post(context.Background(), nil, srv.URL, notifySecret, rep); err != nil || len(s.Messages()) != 1 {
		t.Fatalf("Post again: %v, %d messages", err, len(s.Messages()))
	}
	err := Post(context.Background(), nil, srv.URL, "whsec_"+"d3Jvbmc=", &report.Report{ID: "other", Status: report.Failed})
	if err == nil || IsTemporary(err) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := Post(context.Background(), nil, "http://127.0.0.1:1/", notifySecret, rep); err == nil || !IsTemporary(err) {
		t.Fatalf("nobody listening: %v", err)
	}
}

func TestAnswerExitCodes(t *testing.T) {
	for _, tc := range []struct {
		a    Answer
		code int
	}{
		{Answer{Status: Sent}, entry.ExitOK}, {Answer{Status: Filtered}, entry.ExitOK},
		{Answer{Status: Partial}, entry.ExitFailed}, {Answer{Status: Failed}, entry.ExitFailed},
		{Answer{Status: Refused, badInput: true}, entry.ExitBadInput},
	} {
		if got := tc.a.ExitCode(); got != tc.code {
			t.Errorf("%s: exit %d, want %d", tc.a.Status, got, tc.code)
		}
	}
}

func TestNewHandlerFromConfig(t *testing.T) {
	_, err := NewHandler(&config.Notify{Secret: "whsec_!!", SlackWebhook: "https://hooks.slack.com/x", Timeout: time.Second, Attempts: 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "NOTIFY_SECRET") || errors.Unwrap(err) == nil {
		t.Fatalf("err %v", err)
	}
}

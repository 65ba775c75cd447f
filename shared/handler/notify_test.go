package handler

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/fakecloud/chatsink"
	"github.com/certrotate/certrotate/shared/notify"
	"github.com/certrotate/certrotate/shared/report"
)

const rotateNotifySecret = "whsec_" + "cm90YXRlIHRvIG5vdGlmeSwgdGVzdHMgb25seQ=="

// notifyTrigger serves the real notify handler as Function Compute's HTTP trigger would, with one
// fake WeCom robot as its channel.
func notifyTrigger(t *testing.T) (*httptest.Server, *chatsink.Sink) {
	t.Helper()
	sink := chatsink.New(io.Discard)
	robots := httptest.NewServer(sink)
	t.Cleanup(robots.Close)
	n := notify.NewWithOptions(notify.Options{Channels: []notify.Channel{&notify.WeCom{URL: robots.URL + "/_fake/chat/wecom?key=k"}}})
	h, err := notify.NewHandlerWith(n, rotateNotifySecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		headers := map[string]string{}
		for k := range r.Header {
			headers[k] = r.Header.Get(k)
		}
		ev, _ := json.Marshal(map[string]any{"version": "v1", "rawPath": r.URL.Path, "headers": headers, "queryParameters": map[string]string{},
			"body": string(body), "isBase64Encoded": false,
			"requestContext": map[string]any{"http": map[string]any{"method": r.Method, "path": r.URL.Path}, "requestId": "fc-notify", "timeEpoch": "1"}})
		out, err := lambda.NewHandler(h.Handle).Invoke(r.Context(), ev)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var resp entry.HTTPResponse
		_ = json.Unmarshal(out, &resp)
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv, sink
}

func TestRotatePostsItsReportToNotify(t *testing.T) {
	e := newEnv(t)
	srv, sink := notifyTrigger(t)
	e.h.cfg.NotifyURL, e.h.cfg.NotifySecret = srv.URL, rotateNotifySecret
	body, _ := json.Marshal(map[string]string{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM)})
	got, err := e.invoke(t, body)
	if err != nil || got["status"] != report.Rotated {
		t.Fatalf("answer %v, %v", got, err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "✅ Rotated · example.com") || !strings.Contains(msgs[0].Text, got["id"].(string)) {
		t.Fatalf("messages %+v", msgs)
	}
	if !strings.Contains(e.logs.String(), `"msg":"report posted to notify"`) {
		t.Errorf("logs:\n%s", e.logs)
	}
	for _, m := range msgs {
		if strings.Contains(m.Text, "PRIVATE") || bytes.Contains([]byte(m.Text), e.fresh.KeyPEM[40:80]) {
			t.Fatal("the message holds key material")
		}
	}
}

func TestNotifyFailureNeverFailsTheRotation(t *testing.T) {
	defer func(p notify.PostPolicy) { notify.PostBackoff = p }(notify.PostBackoff)
	notify.PostBackoff.Base, notify.PostBackoff.Budget = 10*time.Millisecond, 5*time.Second
	var calls atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "notify is down", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	e := newEnv(t)
	e.h.cfg.NotifyURL, e.h.cfg.NotifySecret = down.URL, rotateNotifySecret
	body, _ := json.Marshal(map[string]string{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM)})
	got, err := e.invoke(t, body)
	if err != nil || got["status"] != report.Rotated {
		t.Fatalf("answer %v, %v", got, err)
	}
	if calls.Load() != int32(notify.PostBackoff.Attempts) {
		t.Errorf("%d attempts, want %d", calls.Load(), notify.PostBackoff.Attempts)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"msg":"notify failed: the rotation stands, but nobody was told"`) || !strings.Contains(logs, `"run_id":"`+got["id"].(string)+`"`) ||
		!strings.Contains(logs, "HTTP 503") {
		t.Errorf("logs:\n%s", logs)
	}

	// A refused event is a failed report: it is posted too.
	calls.Store(0)
	if got, err := e.invoke(t, []byte(`{"hello":"world"}`)); err != nil || got["status"] != report.Failed || calls.Load() == 0 {
		t.Fatalf("refused event: %v %v, %d posts", got, err, calls.Load())
	}
}

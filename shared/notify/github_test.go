package notify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/webhook"
)

// TestNotifyGitHubSignatureOnlyWhenOptedIn: a request carrying only a valid GitHub-style
// signature is a 401 unless NOTIFY_ACCEPT_GITHUB is true.
func TestNotifyGitHubSignatureOnlyWhenOptedIn(t *testing.T) {
	_, base := sink(t)
	body := readFixture(t, "report-partial.json")
	key, _ := webhook.Key(notifySecret)
	headers := map[string]string{"content-type": "application/json"}
	for k, v := range webhook.SignGitHub(key, body) {
		headers[k] = v
	}
	ev, _ := json.Marshal(map[string]any{"version": "2.0", "rawPath": "/", "rawQueryString": "", "headers": headers,
		"requestContext": map[string]any{"http": map[string]any{"method": "POST", "path": "/"}, "requestId": "req", "timeEpoch": 1},
		"body":           base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true})
	for _, tc := range []struct {
		accept bool
		status string
	}{{false, `"statusCode":401`}, {true, `"statusCode":200`}} {
		t.Run(map[bool]string{false: "default", true: "opted in"}[tc.accept], func(t *testing.T) {
			cfg := &config.Notify{Secret: notifySecret, AcceptGitHub: tc.accept, On: config.NotifyOnAll, Lang: "en",
				DingTalkWebhook: base + "/_fake/chat/dingtalk?access_token=t0k3n", Timeout: 5 * time.Second, Attempts: 1}
			h, err := NewHandler(cfg, slog.New(slog.NewJSONHandler(leakcheck.Writer(t, notifySecret), nil)))
			if err != nil {
				t.Fatal(err)
			}
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), ev)
			if err != nil || !strings.Contains(string(out), tc.status) {
				t.Fatalf("answer %s, %v; want %s", out, err, tc.status)
			}
		})
	}
}

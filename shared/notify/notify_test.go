package notify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/report"
)

// fast keeps the tests' backoff short.
var fast = Backoff{Attempts: 3, Base: 5 * time.Millisecond, Max: 50 * time.Millisecond}

// stub is a channel whose attempts fail with the scripted errors, then succeed.
type stub struct {
	name  string
	errs  []error
	calls atomic.Int32
	block bool // wait for ctx instead
}

func (s *stub) Name() string { return s.name }

func (s *stub) Send(ctx context.Context, msg *Message) error {
	n := int(s.calls.Add(1))
	if s.block {
		<-ctx.Done()
		return Temporary(ctx.Err(), 0)
	}
	if n <= len(s.errs) {
		return s.errs[n-1]
	}
	return nil
}

func TestOneFailingChannelDoesNotBlockTheOthers(t *testing.T) {
	s, base := sink(t)
	broken := &stub{name: "broken", errs: []error{errors.New("broken: refused"), errors.New("never reached")}}
	panicky := &panicChannel{}
	slow := &stub{name: "slow", block: true}
	n := NewWithOptions(Options{Backoff: fast, Timeout: 200 * time.Millisecond, Now: func() time.Time { return fixedNow }, Channels: []Channel{
		broken, panicky, slow,
		&WeCom{URL: base + "/_fake/chat/wecom?key=k"},
		&Slack{URL: base + "/_fake/chat/slack/T/B/X"},
	}})
	out := n.Notify(context.Background(), partialReport(t), "")
	if out.Status != Partial || out.ReportStatus != report.Partial || len(out.Channels) != 5 {
		t.Fatalf("outcome %+v", out)
	}
	want := map[string]string{"broken": Failed, "panicky": Failed, "slow": Failed, "wecom": Sent, "slack": Sent}
	for _, d := range out.Channels {
		if d.Status != want[d.Channel] {
			t.Errorf("%s: %+v", d.Channel, d)
		}
	}
	if broken.calls.Load() != 1 {
		t.Errorf("a permanent error was retried: %d calls", broken.calls.Load())
	}
	if got := slow.calls.Load(); got != 3 {
		t.Errorf("a timed-out channel made %d attempts, want 3", got)
	}
	if len(s.Messages()) != 2 {
		t.Fatalf("the robots got %d messages", len(s.Messages()))
	}
	if out.Retryable() {
		t.Fatal("a partly delivered message must not be retried by the platform")
	}
}

type panicChannel struct{}

func (*panicChannel) Name() string                         { return "panicky" }
func (*panicChannel) Send(context.Context, *Message) error { panic("boom") }

func TestRetriesWithBackoff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		attempts int
		status   string
	}{
		{"503 then 500 then ok", []int{503, 500}, 3, Sent},
		{"429 then ok", []int{429}, 2, Sent},
		{"always 502", []int{502, 502, 502, 502}, 3, Failed},
		{"400 is not retried", []int{400}, 1, Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &scripted{statuses: tc.statuses, headers: map[string]string{"Retry-After": "0"}}
			url := srv.serve(t)
			n := NewWithOptions(Options{Backoff: fast, Channels: []Channel{&Slack{URL: url}}})
			out := n.Notify(context.Background(), partialReport(t), "")
			d := out.Channels[0]
			if d.Status != tc.status || d.Attempts != tc.attempts || srv.count() != tc.attempts {
				t.Fatalf("delivery %+v after %d requests", d, srv.count())
			}
			if tc.status == Failed && out.Retryable() != (tc.statuses[0] != 400) {
				t.Fatalf("retryable %v", out.Retryable())
			}
		})
	}
}

func TestRetryHonoursRetryAfterAndTheDeadline(t *testing.T) {
	srv := &scripted{statuses: []int{http.StatusTooManyRequests, http.StatusTooManyRequests}, headers: map[string]string{"Retry-After": "1"}}
	url := srv.serve(t)
	n := NewWithOptions(Options{Backoff: Backoff{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Second}, Channels: []Channel{&Slack{URL: url}}})
	start := time.Now()
	out := n.Notify(context.Background(), partialReport(t), "")
	if out.Status != Sent || time.Since(start) < 2*time.Second {
		t.Fatalf("Retry-After not honoured: %+v in %v", out, time.Since(start))
	}

	srv = &scripted{statuses: []int{503, 503, 503}, headers: map[string]string{"Retry-After": "30"}}
	url = srv.serve(t)
	n = NewWithOptions(Options{Backoff: Backoff{Attempts: 3, Base: time.Millisecond, Max: time.Minute}, Channels: []Channel{&Slack{URL: url}}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start = time.Now()
	out = n.Notify(ctx, partialReport(t), "")
	if out.Status != Failed || srv.count() != 1 || time.Since(start) > time.Second {
		t.Fatalf("waited past the deadline: %+v, %d requests in %v", out, srv.count(), time.Since(start))
	}
}

func TestNotifyFilters(t *testing.T) {
	ch := &stub{name: "s"}
	n := NewWithOptions(Options{On: config.NotifyOnFailures, Channels: []Channel{ch}})
	rep := partialReport(t)
	rep.Status = report.Rotated
	rep.Targets = rep.Targets[:1]
	out := n.Notify(context.Background(), rep, "")
	if out.Status != Filtered || ch.calls.Load() != 0 || !strings.Contains(out.Reason, "NOTIFY_ON=failures") {
		t.Fatalf("outcome %+v", out)
	}
	// A report that says rotated while a target failed is a failure to every filter.
	rep = partialReport(t)
	rep.Status = report.Rotated
	if out := n.Notify(context.Background(), rep, ""); out.Status != Sent || out.ReportStatus != report.Partial {
		t.Fatalf("outcome %+v", out)
	}
	unchanged := &report.Report{ID: "u", Status: report.Unchanged}
	if out := NewWithOptions(Options{Channels: []Channel{ch}}).Notify(context.Background(), unchanged, ""); out.Status != Filtered {
		t.Fatalf("daily noise: %+v", out)
	}
	if out := NewWithOptions(Options{On: config.NotifyOnAll, Channels: []Channel{ch}}).Notify(context.Background(), unchanged, ""); out.Status != Sent {
		t.Fatalf("all: %+v", out)
	}
}

func TestNewBuildsEveryConfiguredChannel(t *testing.T) {
	cfg := &config.Notify{On: "all", Lang: "zh", Timeout: time.Second, Attempts: 2,
		DingTalkWebhook: "https://oapi.dingtalk.com/robot/send?access_token=t", FeishuWebhook: "https://open.feishu.cn/open-apis/bot/v2/hook/x",
		WeComWebhook: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", SlackWebhook: "https://hooks.slack.com/services/T/B/X",
		WebhookURL: "https://hooks.example.com/cert", WebhookSecret: "s", SMTPHost: "smtp.example.com", SMTPPort: 587, SMTPFrom: "a@example.com", To: []string{"b@example.com"}}
	n := New(cfg, nil)
	var names []string
	for _, c := range n.channels {
		names = append(names, c.Name())
	}
	if strings.Join(names, ",") != strings.Join(cfg.Channels(), ",") || n.backoff.Attempts != 2 || n.lang != "zh" || n.on != "all" {
		t.Fatalf("channels %v, notifier %+v", names, n)
	}
}

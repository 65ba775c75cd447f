package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud/chatsink"
	"github.com/certrotate/certrotate/shared/report"
)

func left(d int) *int { return &d }

// bigAudit has 30 places: 2 ok listed first in the report, then 24 expiring, one stale, one
// expired, one missing and one failed whose name holds markup every channel must escape.
func bigAudit() *report.Audit {
	a := &report.Audit{Kind: report.KindAudit, ID: "0123456789abcdef0123456789abcdef", Status: report.AuditAttention, Days: 30,
		StartedAt: "2026-05-21T00:00:00Z", FinishedAt: "2026-05-21T00:00:02Z"}
	for i := range 2 {
		a.Places = append(a.Places, report.Place{Name: fmt.Sprintf("ok-%d", i), Provider: "alislb", CertificateID: "c-ok",
			CommonName: "ok.example.com", DNSNames: []string{"ok.example.com"}, NotAfter: "2026-08-19T00:00:00Z", DaysLeft: left(90), Status: report.PlaceOK})
	}
	for i := range 24 {
		a.Places = append(a.Places, report.Place{Name: fmt.Sprintf("soon-%02d", i), Provider: "alislb", CertificateID: "c-soon",
			CommonName: "soon.example.com", DNSNames: []string{"soon.example.com"}, NotAfter: "2026-06-02T00:00:00Z", DaysLeft: left(12),
			Status: report.PlaceExpiring, Reason: "12 days left, fewer than 30"})
	}
	a.Places = append(a.Places,
		report.Place{Name: "old", Provider: "huaweielb", CertificateID: "c-old", CommonName: "www.example.com", DNSNames: []string{"www.example.com"},
			NotAfter: "2026-07-01T00:00:00Z", DaysLeft: left(41), Status: report.PlaceStale, Reason: "a newer certificate c-new covers the same names"},
		report.Place{Name: "gone", Provider: "alislb", CertificateID: "c-gone", CommonName: "gone.example.com", DNSNames: []string{"gone.example.com"},
			NotAfter: "2026-05-19T00:00:00Z", DaysLeft: left(-2), Status: report.PlaceExpired},
		report.Place{Name: "sni", Provider: "huaweielb", Status: report.PlaceMissing, Reason: "serves no certificate"},
		report.Place{Name: "web_<b>*x*</b>&[y]", Provider: "alislb", Status: report.PlaceFailed, Reason: "could not be read: <denied> & *co*"},
	)
	return a
}

func TestAuditMessage(t *testing.T) {
	for _, tc := range []struct {
		lang, title, more, first, expiring string
	}{
		{"en", "⚠️ Audit: 28 of 30 places need attention", "… and 5 more", "failed", "expires 2026-06-02 (in 12 days)"},
		{"zh", "⚠️ 证书巡检：30 处中 28 处需要处理", "… 另有 5 个", "读取失败", "2026-06-02 到期（剩 12 天）"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			m := NewAuditMessage(bigAudit(), tc.lang, fixedNow)
			text := m.Text()
			lines := strings.Split(text, "\n")
			if lines[0] != tc.title || m.Title() != tc.title {
				t.Errorf("title %q, want %q", lines[0], tc.title)
			}
			if !strings.HasPrefix(lines[2], "- "+tc.first+" web_") {
				t.Errorf("the first place is not the failed one: %q", lines[2])
			}
			if !strings.Contains(text, tc.more) || strings.Count(text, "\n- ") != 26 {
				t.Errorf("want 25 places then %q:\n%s", tc.more, text)
			}
			if strings.Contains(text, "ok-0") {
				t.Errorf("an ok place is listed before the attention it displaced:\n%s", text)
			}
			if !strings.Contains(text, tc.expiring) {
				t.Errorf("no %q:\n%s", tc.expiring, text)
			}
		})
	}
	// A small ok audit lists its places and says so.
	ok := &report.Audit{Kind: report.KindAudit, ID: "r1", Status: report.AuditOK, Days: 30, Places: bigAudit().Places[:2]}
	if text := NewAuditMessage(ok, "en", fixedNow).Text(); !strings.HasPrefix(text, "✅ Audit: every place is fine\n") || !strings.Contains(text, "- ok ok-1") {
		t.Errorf("ok audit:\n%s", text)
	}
}

// TestAuditMessageInEveryChannel sends the audit on each channel, in both languages, and checks
// that it arrives with its title and that each channel's renderer escaped the place's markup.
func TestAuditMessageInEveryChannel(t *testing.T) {
	const dingSecret, feishuSecret = "SECfake-dingtalk-secret", "fake-feishu-secret"
	for _, lang := range []string{"en", "zh"} {
		for _, tc := range []struct {
			name    string
			channel func(base string) Channel
			escaped string // how the failed place's name reads in this channel
		}{
			{"dingtalk", func(b string) Channel {
				return &DingTalk{URL: b + "/_fake/chat/dingtalk?access_token=tok", Secret: dingSecret}
			}, `web_&lt;b&gt;\*x\*&lt;/b&gt;&\[y\]`},
			{"feishu", func(b string) Channel { return &Feishu{URL: b + "/_fake/chat/feishu/hook-token", Secret: feishuSecret} }, "`web_‹b›*x*‹/b›&[y]`"},
			{"wecom", func(b string) Channel { return &WeCom{URL: b + "/_fake/chat/wecom?key=robot-key"} }, "`web_‹b›*x*‹/b›&[y]`"},
			{"slack", func(b string) Channel { return &Slack{URL: b + "/_fake/chat/slack/T000/B000/XXXX"} }, "`web_&lt;b&gt;*x*&lt;/b&gt;&amp;[y]`"},
		} {
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				s, base := sink(t)
				s.SetSecret("dingtalk", dingSecret)
				s.SetSecret("feishu", feishuSecret)
				msg := NewAuditMessage(bigAudit(), lang, fixedNow)
				if err := tc.channel(base).Send(context.Background(), msg); err != nil {
					t.Fatalf("Send: %v", err)
				}
				got := s.Messages()
				if len(got) != 1 {
					t.Fatalf("the robot kept %d messages", len(got))
				}
				m := got[0]
				if !strings.Contains(m.Title+m.Text, msg.Title()) {
					t.Errorf("the message does not carry its title %q: %+v", msg.Title(), m)
				}
				if !strings.Contains(m.Text, tc.escaped) {
					t.Errorf("the place name is not escaped as %s:\n%s", tc.escaped, m.Text)
				}
				if strings.Contains(m.Text, "<denied>") || strings.Contains(m.Text, "<b>") {
					t.Errorf("a reason's markup went through unescaped:\n%s", m.Text)
				}
				assertAuditOrder(t, m)
			})
		}
		t.Run(lang+"/email", func(t *testing.T) {
			e := &Email{From: "a@example.com", To: []string{"b@example.com"}}
			raw := e.compose(NewAuditMessage(bigAudit(), lang, fixedNow))
			_, body, _ := strings.Cut(string(raw), "\r\n\r\n")
			text, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
			if err != nil || !strings.Contains(string(text), "web_<b>*x*</b>&[y]") || !strings.Contains(string(raw), "Subject: =?utf-8?q?") {
				t.Errorf("email (%v):\n%s", err, text)
			}
		})
		t.Run(lang+"/webhook", func(t *testing.T) {
			s := &scripted{}
			w := &Webhook{URL: s.serve(t), Secret: "whsec_c2lnbmluZy1rZXktZm9yLXRoZS1nZW5lcmljLWhvb2s="}
			if err := w.Send(context.Background(), NewAuditMessage(bigAudit(), lang, fixedNow)); err != nil {
				t.Fatal(err)
			}
			var got report.Audit
			if err := json.Unmarshal(s.bodies[0], &got); err != nil || got.Kind != report.KindAudit || len(got.Places) != 30 {
				t.Errorf("the webhook did not post the audit report: %v %s", err, s.bodies[0])
			}
			if id := s.reqs[0].Header.Get("webhook-id"); id != "msg_0123456789abcdef0123456789abcdef" {
				t.Errorf("webhook-id %q", id)
			}
		})
	}
}

func assertAuditOrder(t *testing.T, m chatsink.Message) {
	t.Helper()
	failed, soon := strings.Index(m.Text, "web_"), strings.Index(m.Text, "soon-00")
	if failed < 0 || soon < 0 || failed > soon {
		t.Errorf("attention is not first (failed at %d, expiring at %d)", failed, soon)
	}
}

func TestWantsAudit(t *testing.T) {
	for _, tc := range []struct {
		on, status string
		want       bool
	}{
		{config.NotifyOnChanges, report.AuditAttention, true},
		{config.NotifyOnChanges, report.AuditOK, false},
		{config.NotifyOnFailures, report.AuditAttention, true},
		{config.NotifyOnFailures, report.AuditOK, false},
		{config.NotifyOnAll, report.AuditOK, true},
		{config.NotifyOnAll, report.AuditAttention, true},
	} {
		t.Run(tc.on+"/"+tc.status, func(t *testing.T) {
			if got := WantsAudit(tc.on, tc.status); got != tc.want {
				t.Errorf("WantsAudit = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNotifyAuditAndDecode(t *testing.T) {
	s, base := sink(t)
	n := NewWithOptions(Options{Channels: []Channel{&WeCom{URL: base + "/_fake/chat/wecom?key=k"}}, Now: func() time.Time { return fixedNow }})
	ok := &report.Audit{Kind: report.KindAudit, ID: "r-ok", Status: report.AuditOK, Places: []report.Place{}}
	if out := n.NotifyAudit(context.Background(), ok); out.Status != Filtered || !strings.Contains(out.Reason, "NOTIFY_ON=changes") {
		t.Errorf("an ok audit under changes: %+v", out)
	}
	raw, _ := json.Marshal(bigAudit())
	in, err := Decode(raw)
	if err != nil || len(in.Audits) != 1 || len(in.Reports) != 0 {
		t.Fatalf("Decode: %v %+v", err, in)
	}
	if out := n.NotifyAudit(context.Background(), in.Audits[0]); out.Status != Sent || len(s.Messages()) != 1 {
		t.Errorf("an attention audit: %+v", out)
	}
	for _, bad := range []string{
		`{"kind":"audit","id":"x","status":"fine","places":[]}`,
		`{"kind":"audit","id":"x","status":"attention","places":[{"name":"a","status":"**boom**"}]}`,
		`{"kind":"audit","status":"ok"}`,
	} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode accepted %s", bad)
		}
	}
}

package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/chatsink"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/webhook"
)

// Known answers computed with the vendors' own sample code (Python, as their documentation gives it):
//
//	DingTalk: hmac.new(secret, f"{timestamp}\n{secret}", sha256) → base64 → urllib.parse.quote_plus
//	Feishu:   hmac.new(f"{timestamp}\n{secret}", b"", sha256) → base64
func TestSignaturesMatchTheVendorsSampleCode(t *testing.T) {
	if got := DingTalkSign("1700000000000", "SEC0123456789abcdef"); got != "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=" {
		t.Errorf("DingTalkSign = %s", got)
	}
	if got := url.QueryEscape(DingTalkSign("1700000000000", "SEC0123456789abcdef")); got != "TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D" {
		t.Errorf("DingTalk sign, URL-encoded = %s", got)
	}
	if got := FeishuSign("1700000000", "feishu-bot-secret"); got != "Q4FS+NQ4v/BgCqHYM/0ZOgddUZYcmQYoJtxIB4VIk8c=" {
		t.Errorf("FeishuSign = %s", got)
	}
}

func TestChatChannelsAgainstTheirFakes(t *testing.T) {
	const dingSecret, feishuSecret = "SECfake-dingtalk-secret", "fake-feishu-secret"
	for _, tc := range []struct {
		name    string
		channel func(base string) Channel
		secret  string // the robot's signing secret, "" for none
		wrong   func(base string) Channel
		check   func(t *testing.T, m chatsink.Message)
	}{
		{
			name: "dingtalk",
			channel: func(base string) Channel {
				return &DingTalk{URL: base + "/_fake/chat/dingtalk?access_token=tok", Secret: dingSecret}
			},
			secret: dingSecret,
			wrong: func(base string) Channel {
				return &DingTalk{URL: base + "/_fake/chat/dingtalk?access_token=tok", Secret: "SECwrong"}
			},
			check: func(t *testing.T, m chatsink.Message) {
				if m.Type != "markdown" || !m.Signed || m.Title != "⚠️ Partially rotated · example.com" || !strings.HasPrefix(m.Text, "### ⚠️ Partially rotated") {
					t.Errorf("dingtalk message %+v", m)
				}
			},
		},
		{
			name: "feishu",
			channel: func(base string) Channel {
				return &Feishu{URL: base + "/_fake/chat/feishu/hook-token", Secret: feishuSecret}
			},
			secret: feishuSecret,
			wrong: func(base string) Channel {
				return &Feishu{URL: base + "/_fake/chat/feishu/hook-token", Secret: "wrong"}
			},
			check: func(t *testing.T, m chatsink.Message) {
				if m.Type != "interactive" || !m.Signed || m.Title != "⚠️ Partially rotated · example.com" || !strings.Contains(m.Text, "**failed** `shanghai-api`") {
					t.Errorf("feishu message %+v", m)
				}
			},
		},
		{
			name:    "wecom",
			channel: func(base string) Channel { return &WeCom{URL: base + "/_fake/chat/wecom?key=robot-key"} },
			wrong:   func(base string) Channel { return &WeCom{URL: base + "/_fake/chat/wecom"} },
			check: func(t *testing.T, m chatsink.Message) {
				if m.Type != "markdown" || !strings.HasPrefix(m.Text, "**⚠️ Partially rotated · example.com**\n") {
					t.Errorf("wecom message %+v", m)
				}
			},
		},
		{
			name:    "slack",
			channel: func(base string) Channel { return &Slack{URL: base + "/_fake/chat/slack/T000/B000/XXXX"} },
			check: func(t *testing.T, m chatsink.Message) {
				if !strings.HasPrefix(m.Text, "*⚠️ Partially rotated · example.com*\n") || !strings.Contains(m.Text, "• *rotated* `hangzhou-web`") {
					t.Errorf("slack message %+v", m)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, base := sink(t)
			if tc.secret != "" {
				s.SetSecret(tc.name, tc.secret)
			}
			msg := NewMessage(partialReport(t), "en", fixedNow)
			if err := tc.channel(base).Send(context.Background(), msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := s.Messages()
			if len(got) != 1 {
				t.Fatalf("the robot kept %d messages", len(got))
			}
			tc.check(t, got[0])
			if tc.wrong == nil {
				return
			}
			err := tc.wrong(base).Send(context.Background(), msg)
			if err == nil || IsTemporary(err) || !strings.HasPrefix(err.Error(), tc.name+": ") {
				t.Fatalf("a refused message: %v (temporary %v)", err, IsTemporary(err))
			}
			assertNoSecrets(t, err.Error(), "SECwrong", "tok", "robot-key")
			if len(s.Messages()) != 1 {
				t.Fatal("the refused message was kept")
			}
		})
	}
}

func TestWeComTruncatesToItsLimit(t *testing.T) {
	s, base := sink(t)
	rep := partialReport(t)
	for i := range rep.Targets {
		rep.Targets[i].Reason = strings.Repeat("理由很长", 100)
		rep.Targets[i].Error = rep.Targets[i].Reason
	}
	for range 20 {
		rep.Targets = append(rep.Targets, rep.Targets[3])
	}
	if err := (&WeCom{URL: base + "/_fake/chat/wecom?key=k"}).Send(context.Background(), NewMessage(rep, "zh", fixedNow)); err != nil {
		t.Fatal(err)
	}
	if got := s.Messages()[0].Text; len(got) > weComMax || !strings.HasSuffix(got, "…") {
		t.Fatalf("%d bytes", len(got))
	}
}

func TestRobotErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		answer    string
		temporary bool
	}{
		{`{"errcode":0,"errmsg":"ok"}`, false},
		{`{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, true},
		{`{"errcode":45009,"errmsg":"api freq out of limit"}`, true},
		{`{"errcode":310000,"errmsg":"sign not match"}`, false},
		{`<html>gateway</html>`, false},
	} {
		err := robotAnswer("dingtalk", []byte(tc.answer), map[int]bool{130101: true, 45009: true})
		if (err == nil) != strings.Contains(tc.answer, `"errcode":0`) || IsTemporary(err) != tc.temporary {
			t.Errorf("%s: %v (temporary %v)", tc.answer, err, IsTemporary(err))
		}
	}
}

func TestSlackStatusCodes(t *testing.T) {
	for _, tc := range []struct {
		status    int
		temporary bool
		after     time.Duration
	}{
		{http.StatusBadRequest, false, 0}, {http.StatusForbidden, false, 0}, {http.StatusGone, false, 0},
		{http.StatusTooManyRequests, true, 7 * time.Second}, {http.StatusInternalServerError, true, 7 * time.Second},
	} {
		srv := &scripted{statuses: []int{tc.status}, headers: map[string]string{"Retry-After": "7"}}
		url := srv.serve(t)
		err := (&Slack{URL: url + "/services/T/B/secret-part"}).Send(context.Background(), NewMessage(partialReport(t), "en", fixedNow))
		if err == nil || IsTemporary(err) != tc.temporary || retryAfter(err) != tc.after {
			t.Errorf("HTTP %d: %v (temporary %v, after %v)", tc.status, err, IsTemporary(err), retryAfter(err))
		}
		if err != nil {
			assertNoSecrets(t, err.Error(), "secret-part")
		}
	}
}

func TestWebhookPostsTheSignedReport(t *testing.T) {
	secret := "whsec_" + "ZmFrZSB3ZWJob29rIGtleSBmb3IgdGVzdHM="
	srv := &scripted{}
	url := srv.serve(t)
	rep := partialReport(t)
	if err := (&Webhook{URL: url, Secret: secret}).Send(context.Background(), NewMessage(rep, "en", fixedNow)); err != nil {
		t.Fatal(err)
	}
	v, err := webhook.NewVerifier([]string{secret}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	req := srv.reqs[0]
	headers := map[string]string{}
	for k := range req.Header {
		headers[strings.ToLower(k)] = req.Header.Get(k)
	}
	id, err := v.Verify(headers, srv.bodies[0])
	if err != nil || id != "msg_"+rep.ID {
		t.Fatalf("Verify: id %q, %v", id, err)
	}
	var got report.Report
	if err := json.Unmarshal(srv.bodies[0], &got); err != nil || got.ID != rep.ID || len(got.Targets) != 4 {
		t.Fatalf("body is not the report: %s", srv.bodies[0])
	}
	if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
}

package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/certrotate/certrotate/shared/report"
)

// Feishu posts to a Feishu or Lark custom bot (自定义机器人) as an interactive card whose body is
// markdown. With Secret (签名校验), the body carries "timestamp" (Unix seconds, a string) and
// "sign" = base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = empty)), as the bot's
// documentation says: the string to sign is the HMAC key, not the message.
type Feishu struct {
	URL    string // https://open.feishu.cn/open-apis/bot/v2/hook/… (Lark: open.larksuite.com)
	Secret string // optional
	Client *http.Client
	Now    func() time.Time // nil: time.Now
}

var _ Channel = (*Feishu)(nil)

// Name implements Channel.
func (f *Feishu) Name() string { return "feishu" }

// FeishuSign returns the sign of timestamp (Unix seconds, as sent) for secret.
func FeishuSign(timestamp, secret string) string {
	m := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// feishuMax bounds the card's markdown, in bytes (a request may carry at most 20 KB).
const feishuMax = 15000

// feishuTemplate colours the card header by status.
var feishuTemplate = map[string]string{
	report.Rotated: "green", report.Partial: "orange", report.Failed: "red", report.DryRun: "blue",
	report.Unchanged: "grey", report.Pending: "yellow", report.Skipped: "orange",
}

// Send implements Channel.
func (f *Feishu) Send(ctx context.Context, msg *Message) error {
	tmpl := feishuTemplate[msg.Status]
	if tmpl == "" {
		tmpl = "grey"
	}
	payload := map[string]any{
		"msg_type": "interactive",
		"card": map[string]any{
			"config": map[string]any{"wide_screen_mode": true},
			"header": map[string]any{"template": tmpl, "title": map[string]string{"tag": "plain_text", "content": msg.Title()}},
			"elements": []any{
				map[string]any{"tag": "markdown", "content": truncateBytes(msg.render(markdownStyle, false), feishuMax)},
			},
		},
	}
	if f.Secret != "" {
		ts := strconv.FormatInt(now(f.Now).Unix(), 10)
		payload["timestamp"] = ts
		payload["sign"] = FeishuSign(ts, f.Secret)
	}
	body, _ := json.Marshal(payload)
	answer, err := post(ctx, f.Client, f.Name(), f.URL, nil, body)
	if err != nil {
		return err
	}
	var a struct {
		Code *int   `json:"code"`
		Msg  string `json:"msg"`
		// Older answers carry StatusCode/StatusMessage instead.
		StatusCode *int   `json:"StatusCode"`
		StatusMsg  string `json:"StatusMessage"`
	}
	if err := json.Unmarshal(answer, &a); err != nil || (a.Code == nil && a.StatusCode == nil) {
		return fmt.Errorf("feishu: unexpected answer%s", snippet(answer))
	}
	code, text := 0, a.Msg
	if a.Code != nil {
		code = *a.Code
	} else {
		code, text = *a.StatusCode, a.StatusMsg
	}
	if code == 0 {
		return nil
	}
	err = fmt.Errorf("feishu: code %d: %s", code, oneLine(text, 200))
	if code == 11232 { // "frequency limited": the bot's rate limit
		return Temporary(err, 0)
	}
	return err
}

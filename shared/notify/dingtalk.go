package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DingTalk posts to a DingTalk custom robot (自定义机器人) as a markdown message. With Secret
// (the robot's 加签 secret, "SEC…"), each request is signed as the robot's documentation says:
// sign = urlencode(base64(HMAC-SHA256(key = secret, timestamp + "\n" + secret))), timestamp in
// milliseconds, both added to the URL as &timestamp=…&sign=….
type DingTalk struct {
	URL    string // https://oapi.dingtalk.com/robot/send?access_token=…
	Secret string // optional
	Client *http.Client
	Now    func() time.Time // nil: time.Now
}

var _ Channel = (*DingTalk)(nil)

// Name implements Channel.
func (d *DingTalk) Name() string { return "dingtalk" }

// DingTalkSign returns the sign of timestamp (Unix milliseconds, as sent) for secret, before URL encoding.
func DingTalkSign(timestamp, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// dingTalkMax bounds the markdown text, in bytes (the robot refuses very long messages).
const dingTalkMax = 15000

// Send implements Channel.
func (d *DingTalk) Send(ctx context.Context, msg *Message) error {
	target := d.URL
	if d.Secret != "" {
		u, err := url.Parse(d.URL)
		if err != nil {
			return errors.New("dingtalk: bad webhook URL")
		}
		ts := strconv.FormatInt(now(d.Now).UnixMilli(), 10)
		q := u.Query()
		q.Set("timestamp", ts)
		q.Set("sign", DingTalkSign(ts, d.Secret))
		u.RawQuery = q.Encode()
		target = u.String()
	}
	body, _ := json.Marshal(map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"title": msg.Title(), "text": truncateBytes(msg.render(dingTalkStyle, true), dingTalkMax)},
	})
	answer, err := post(ctx, d.Client, d.Name(), target, nil, body)
	if err != nil {
		return err
	}
	return robotAnswer(d.Name(), answer, map[int]bool{-1: true, 130101: true, 410100: true})
}

// robotAnswer reads the {"errcode":0,"errmsg":"ok"} answer DingTalk and WeCom robots give with
// HTTP 200; temporary lists the codes that mean "busy, try again".
func robotAnswer(channel string, answer []byte, temporary map[int]bool) error {
	var a struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(answer, &a); err != nil || a.ErrCode == nil {
		return fmt.Errorf("%s: unexpected answer%s", channel, snippet(answer))
	}
	if *a.ErrCode == 0 {
		return nil
	}
	err := fmt.Errorf("%s: errcode %d: %s", channel, *a.ErrCode, oneLine(a.ErrMsg, 200))
	if temporary[*a.ErrCode] {
		return Temporary(err, 0)
	}
	return err
}

func now(f func() time.Time) time.Time {
	if f == nil {
		return time.Now()
	}
	return f()
}

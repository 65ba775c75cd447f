package notify

import (
	"context"
	"encoding/json"
	"net/http"
)

// WeCom posts to a WeCom (企业微信) group robot as a markdown message. The robot has no
// signature: the key in the URL is the credential, so keep the URL secret.
type WeCom struct {
	URL    string // https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
	Client *http.Client
}

var _ Channel = (*WeCom)(nil)

// Name implements Channel.
func (w *WeCom) Name() string { return "wecom" }

// weComMax is the robot's limit on markdown content, in UTF-8 bytes.
const weComMax = 4096

// Send implements Channel.
func (w *WeCom) Send(ctx context.Context, msg *Message) error {
	body, _ := json.Marshal(map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"content": truncateBytes(msg.render(markdownStyle, true), weComMax)},
	})
	answer, err := post(ctx, w.Client, w.Name(), w.URL, nil, body)
	if err != nil {
		return err
	}
	// -1: system busy; 45009: the robot's rate limit (20 messages a minute).
	return robotAnswer(w.Name(), answer, map[int]bool{-1: true, 45009: true})
}

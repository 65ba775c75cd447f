package notify

import (
	"context"
	"encoding/json"
	"net/http"
)

// Slack posts to a Slack incoming webhook. The text is mrkdwn; the webhook has no signature:
// the URL is the credential, so keep it secret. Slack answers "ok" with 200, and errors such as
// invalid_payload (400), channel_is_archived (410) or rate limiting (429 with Retry-After) by status.
type Slack struct {
	URL    string // https://hooks.slack.com/services/T…/B…/…
	Client *http.Client
}

var _ Channel = (*Slack)(nil)

// Name implements Channel.
func (s *Slack) Name() string { return "slack" }

// slackMax bounds the text, in runes (Slack truncates longer text).
const slackMax = 3000

// Send implements Channel.
func (s *Slack) Send(ctx context.Context, msg *Message) error {
	text := truncate(msg.render(slackStyle, true), slackMax)
	body, _ := json.Marshal(map[string]any{
		"text": text,
		"blocks": []any{
			map[string]any{"type": "section", "text": map[string]string{"type": "mrkdwn", "text": text}},
		},
	})
	_, err := post(ctx, s.Client, s.Name(), s.URL, nil, body)
	return err
}

package notify

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/certrotate/certrotate/shared/webhook"
)

// Webhook POSTs the report itself (its JSON) to any endpoint, signed with Standard Webhooks:
// webhook-id "msg_<report id>" (the same on every attempt, so the receiver can drop
// duplicates), webhook-timestamp, webhook-signature, and x-hub-signature-256.
type Webhook struct {
	URL    string
	Secret string // "whsec_<base64>" or any other string, whose bytes are the key
	Client *http.Client
	Now    func() time.Time // nil: time.Now
}

var _ Channel = (*Webhook)(nil)

// Name implements Channel.
func (w *Webhook) Name() string { return "webhook" }

// Send implements Channel.
func (w *Webhook) Send(ctx context.Context, msg *Message) error {
	key, err := webhook.Key(w.Secret)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	body, err := msg.payload()
	if err != nil {
		return fmt.Errorf("webhook: encoding the report: %w", err)
	}
	_, err = post(ctx, w.Client, w.Name(), w.URL, webhook.Sign(key, "msg_"+msg.runID(), now(w.Now), body), body)
	return err
}

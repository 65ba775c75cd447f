// Package notify tells people what a rotation did, on the chat and e-mail channels they already use.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/report"
)

// Channel delivers messages to one place people read.
type Channel interface {
	// Name is the channel's name in answers and logs: dingtalk, feishu, wecom, slack, webhook, email.
	Name() string
	// Send delivers msg once, within ctx. It returns an error wrapped by Temporary when another
	// attempt may succeed (429, 5xx, a network error, the vendor's rate-limit code), any other
	// error when it will not (bad token, bad signature, refused payload). Its errors never hold
	// the channel's secret, token or the message body. Safe for concurrent use.
	Send(ctx context.Context, msg *Message) error
}

// temporaryError is a failure another attempt may fix.
type temporaryError struct {
	err   error
	after time.Duration // the server's Retry-After, 0 when it gave none
}

func (e *temporaryError) Error() string { return e.err.Error() }
func (e *temporaryError) Unwrap() error { return e.err }

// Temporary marks err as a failure another attempt may fix, after at least after (0: the backoff decides).
func Temporary(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &temporaryError{err: err, after: after}
}

// IsTemporary reports whether another attempt may fix err.
func IsTemporary(err error) bool {
	var t *temporaryError
	return errors.As(err, &t)
}

func retryAfter(err error) time.Duration {
	var t *temporaryError
	if errors.As(err, &t) {
		return t.after
	}
	return 0
}

// Backoff bounds the attempts one channel makes for one message.
type Backoff struct {
	Attempts int           // total attempts, at least 1
	Base     time.Duration // the first wait's ceiling; it doubles after each attempt
	Max      time.Duration // the largest wait, Retry-After included
}

// DefaultBackoff: 3 attempts, waits of up to 1 s then 2 s (a server's Retry-After, up to 10 s, wins).
var DefaultBackoff = Backoff{Attempts: 3, Base: time.Second, Max: 10 * time.Second}

// Delivery is what one channel did with one message.
type Delivery struct {
	Channel  string `json:"channel"`
	Status   string `json:"status"` // sent | failed
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`

	temporary bool
}

// Outcome is what notify did with one report.
type Outcome struct {
	Status       string     `json:"status"` // sent | partial (some channels failed) | failed (every channel failed) | filtered
	ReportID     string     `json:"report_id,omitempty"`
	ReportStatus string     `json:"report_status,omitempty"` // the effective run status
	Reason       string     `json:"reason,omitempty"`        // why it was filtered
	Channels     []Delivery `json:"channels,omitempty"`
}

// Outcome statuses.
const (
	Sent     = "sent"
	Partial  = "partial"
	Failed   = "failed"
	Filtered = "filtered"
)

// Retryable reports whether every channel failed and at least one of them might succeed on
// another invocation: then the platform should retry (nobody has been told yet).
func (o *Outcome) Retryable() bool {
	if o.Status != Failed {
		return false
	}
	for _, d := range o.Channels {
		if d.temporary {
			return true
		}
	}
	return false
}

// Notifier sends each report to every configured channel. It is safe for concurrent use.
type Notifier struct {
	channels []Channel
	on       string
	lang     string
	backoff  Backoff
	timeout  time.Duration // one attempt
	now      func() time.Time
	log      *slog.Logger
}

// Options build a Notifier from parts (tests, and New).
type Options struct {
	Channels []Channel
	On       string // NOTIFY_ON; "" is changes
	Lang     string // NOTIFY_LANG; "" is en
	Backoff  Backoff
	Timeout  time.Duration // one attempt; 0 is 10 s
	Now      func() time.Time
	Log      *slog.Logger
}

// NewWithOptions returns a Notifier over opts.Channels.
func NewWithOptions(opts Options) *Notifier {
	n := &Notifier{channels: opts.Channels, on: opts.On, lang: opts.Lang, backoff: opts.Backoff, timeout: opts.Timeout, now: opts.Now, log: opts.Log}
	if n.on == "" {
		n.on = config.NotifyOnChanges
	}
	if n.backoff.Attempts < 1 {
		n.backoff = DefaultBackoff
	}
	if n.timeout <= 0 {
		n.timeout = 10 * time.Second
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	return n
}

// New returns the Notifier for a validated configuration: one channel per configured NOTIFY_* group.
func New(cfg *config.Notify, log *slog.Logger) *Notifier {
	client := &http.Client{Timeout: cfg.Timeout}
	var chans []Channel
	if cfg.DingTalkWebhook != "" {
		chans = append(chans, &DingTalk{URL: cfg.DingTalkWebhook, Secret: cfg.DingTalkSecret, Client: client})
	}
	if cfg.FeishuWebhook != "" {
		chans = append(chans, &Feishu{URL: cfg.FeishuWebhook, Secret: cfg.FeishuSecret, Client: client})
	}
	if cfg.WeComWebhook != "" {
		chans = append(chans, &WeCom{URL: cfg.WeComWebhook, Client: client})
	}
	if cfg.SlackWebhook != "" {
		chans = append(chans, &Slack{URL: cfg.SlackWebhook, Client: client})
	}
	if cfg.WebhookURL != "" {
		chans = append(chans, &Webhook{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Client: client})
	}
	if cfg.SMTPHost != "" {
		chans = append(chans, &Email{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword,
			From: cfg.SMTPFrom, To: cfg.To, Timeout: cfg.Timeout})
	}
	b := DefaultBackoff
	b.Attempts = cfg.Attempts
	return NewWithOptions(Options{Channels: chans, On: cfg.On, Lang: cfg.Lang, Backoff: b, Timeout: cfg.Timeout, Log: log})
}

// Notify sends the message about rep to every channel at once, unless NOTIFY_ON filters it out.
// note, when not empty, is what the platform said about a rotate that did not finish. One
// channel's failure never stops another's delivery.
func (n *Notifier) Notify(ctx context.Context, rep *report.Report, note string) *Outcome {
	msg := NewMessage(rep, n.lang, n.now())
	msg.Note = note
	out := &Outcome{ReportID: rep.ID, ReportStatus: msg.Status}
	log := n.log.With("run_id", rep.ID, "report_status", msg.Status)
	if !Wants(n.on, msg.Status) {
		out.Status = Filtered
		out.Reason = fmt.Sprintf("NOTIFY_ON=%s does not ask for %s runs", n.on, msg.Status)
		log.Info("notification filtered", "notify_on", n.on)
		return out
	}
	n.fanOut(ctx, msg, out, log)
	return out
}

// NotifyAudit sends the message about an audit to every channel at once: under NOTIFY_ON=all
// always, otherwise only when the audit needs attention (WantsAudit).
func (n *Notifier) NotifyAudit(ctx context.Context, a *report.Audit) *Outcome {
	msg := NewAuditMessage(a, n.lang, n.now())
	out := &Outcome{ReportID: a.ID, ReportStatus: a.Status}
	log := n.log.With("run_id", a.ID, "report_status", a.Status, "kind", report.KindAudit)
	if !WantsAudit(n.on, a.Status) {
		out.Status = Filtered
		out.Reason = fmt.Sprintf("NOTIFY_ON=%s does not ask for audits that are %s", n.on, a.Status)
		log.Info("notification filtered", "notify_on", n.on)
		return out
	}
	n.fanOut(ctx, msg, out, log)
	return out
}

// fanOut delivers msg on every channel at once and sets out's channels and status. One
// channel's failure never stops another's delivery.
func (n *Notifier) fanOut(ctx context.Context, msg *Message, out *Outcome, log *slog.Logger) {
	out.Channels = make([]Delivery, len(n.channels))
	var wg sync.WaitGroup
	for i, ch := range n.channels {
		wg.Go(func() { out.Channels[i] = n.deliver(ctx, ch, msg) })
	}
	wg.Wait()
	sent := 0
	for _, d := range out.Channels {
		if d.Status == Sent {
			sent++
			log.Info("notification sent", "channel", d.Channel, "attempts", d.Attempts)
		} else {
			log.Warn("notification failed", "channel", d.Channel, "attempts", d.Attempts, "error", d.Error)
		}
	}
	switch {
	case sent == len(out.Channels):
		out.Status = Sent
	case sent == 0:
		out.Status = Failed
	default:
		out.Status = Partial
	}
}

// deliver sends msg on ch with bounded retries: exponential backoff with full jitter, a
// server's Retry-After honoured, never waiting past ctx's deadline.
func (n *Notifier) deliver(ctx context.Context, ch Channel, msg *Message) Delivery {
	d := Delivery{Channel: ch.Name()}
	ceiling := n.backoff.Base
	var err error
	for d.Attempts < n.backoff.Attempts {
		if ctx.Err() != nil {
			if err == nil {
				err = ctx.Err()
			}
			break
		}
		d.Attempts++
		actx, cancel := context.WithTimeout(ctx, n.timeout)
		err = safeSend(actx, ch, msg)
		cancel()
		if err == nil || !IsTemporary(err) || d.Attempts >= n.backoff.Attempts {
			break
		}
		wait := time.Duration(0)
		if ceiling > 0 {
			wait = rand.N(ceiling)
		}
		wait = max(wait, retryAfter(err))
		if n.backoff.Max > 0 {
			wait = min(wait, n.backoff.Max)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		ceiling *= 2
	}
	if err == nil {
		d.Status = Sent
		return d
	}
	d.Status, d.Error, d.temporary = Failed, err.Error(), IsTemporary(err) || errors.Is(err, context.DeadlineExceeded)
	return d
}

// safeSend runs one attempt, turning a panic in a channel into that channel's error.
func safeSend(ctx context.Context, ch Channel, msg *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: panic: %v", ch.Name(), r)
		}
	}()
	return ch.Send(ctx, msg)
}

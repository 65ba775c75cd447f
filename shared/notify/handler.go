package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/webhook"
)

// Answer is notify's answer to one invocation.
type Answer struct {
	Status        string     `json:"status"` // sent | partial | failed | filtered | refused
	Origin        string     `json:"origin,omitempty"`
	Error         string     `json:"error,omitempty"`
	Notifications []*Outcome `json:"notifications,omitempty"`

	badInput bool
}

// Refused is the status of an input notify could not use.
const Refused = "refused"

// ExitCode implements entry.Answer: 0 sent or filtered, 1 a channel failed, 2 bad input.
func (a *Answer) ExitCode() int {
	switch {
	case a.badInput:
		return entry.ExitBadInput
	case a.Status == Failed || a.Status == Partial:
		return entry.ExitFailed
	}
	return entry.ExitOK
}

// summarise sets the answer's status from its outcomes.
func (a *Answer) summarise() {
	var sent, failed, total int
	for _, o := range a.Notifications {
		switch o.Status {
		case Sent:
			sent++
			total++
		case Partial:
			sent++
			failed++
			total++
		case Failed:
			failed++
			total++
		}
	}
	switch {
	case total == 0:
		a.Status = Filtered
	case failed == 0:
		a.Status = Sent
	case sent == 0:
		a.Status = Failed
	default:
		a.Status = Partial
	}
}

// retry reports whether the platform should run the invocation again: nobody was told, and
// another attempt may succeed.
func (a *Answer) retry() bool {
	if a.Status != Failed {
		return false
	}
	for _, o := range a.Notifications {
		if o.Retryable() {
			return true
		}
	}
	return false
}

// Handler is the notify function's handler. It is safe for concurrent use.
type Handler struct {
	n        *Notifier
	verifier *webhook.Verifier // nil: no NOTIFY_SECRET, every HTTP request is refused
	log      *slog.Logger
}

// NewHandler returns the handler for a validated configuration.
func NewHandler(cfg *config.Notify, log *slog.Logger) (*Handler, error) {
	h, err := NewHandlerWith(New(cfg, log), cfg.Secret, log)
	if err == nil && h.verifier != nil {
		h.verifier.AcceptGitHub(cfg.AcceptGitHub)
	}
	return h, err
}

// NewHandlerWith returns a handler over n; secret is NOTIFY_SECRET ("" refuses every HTTP request).
func NewHandlerWith(n *Notifier, secret string, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{n: n, log: log}
	if secret != "" {
		v, err := webhook.NewVerifier([]string{secret}, time.Now)
		if err != nil {
			return nil, fmt.Errorf("NOTIFY_SECRET: %w", err)
		}
		h.verifier = v
	}
	return h, nil
}

// Handle implements entry.Handler. It answers an HTTP request with an HTTP response, anything
// else with an Answer. It returns an error (so that the platform retries) only when no channel
// delivered the message and another attempt may succeed.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (entry.Answer, error) {
	log := h.log.With("request_id", entry.RequestID(ctx))
	in, err := Decode(raw)
	if err != nil {
		log.Warn("input refused", "error", err.Error())
		return &Answer{Status: Refused, Error: err.Error(), badInput: true}, nil
	}
	log = log.With("origin", in.Origin)
	if in.HTTP != nil {
		return h.http(ctx, in.HTTP, log), nil
	}
	a := h.notify(ctx, in, log)
	if a.retry() {
		return a, errors.New("notify: every channel failed in a way that may pass on retry; see the answer")
	}
	return a, nil
}

func (h *Handler) notify(ctx context.Context, in *Input, log *slog.Logger) *Answer {
	n2 := *h.n // the same channels, logging with this invocation's fields
	n2.log = log
	a := &Answer{Origin: in.Origin}
	for _, rep := range in.Reports {
		a.Notifications = append(a.Notifications, n2.Notify(ctx, rep, in.Note))
	}
	for _, au := range in.Audits {
		a.Notifications = append(a.Notifications, n2.NotifyAudit(ctx, au))
	}
	a.summarise()
	return a
}

// http answers a signed report from rotate (NOTIFY_SECRET): 200 with the Answer when
// at least one channel got it (or it was filtered), 502 when every channel failed, 401 unsigned,
// 400 not a report, 405 not POST, 413 too large; a replayed webhook-id is answered 200, nothing sent.
func (h *Handler) http(ctx context.Context, req *event.HTTPRequest, log *slog.Logger) *entry.HTTPResponse {
	log = log.With("method", req.Method, "path", req.Path)
	if h.verifier == nil {
		log.Warn("request refused: no secret configured")
		return entry.ErrorResponse(http.StatusUnauthorized, "HTTP requests are refused: NOTIFY_SECRET is not set")
	}
	if req.Method != http.MethodPost {
		return entry.ErrorResponse(http.StatusMethodNotAllowed, "method "+req.Method+" is not allowed: POST the report")
	}
	if len(req.Body) > event.MaxSize {
		return entry.ErrorResponse(http.StatusRequestEntityTooLarge, "body: larger than 1 MiB")
	}
	id, err := h.verifier.Verify(req.Headers, req.Body)
	if err != nil {
		var we *webhook.Error
		status := http.StatusUnauthorized
		if errors.As(err, &we) && we.Status != 0 {
			status = we.Status
		}
		log.Warn("request refused", "error", err.Error())
		return entry.ErrorResponse(status, err.Error())
	}
	if id != "" && h.verifier.Seen(id) {
		log.Info("replay ignored", "webhook_id", id)
		return entry.JSONResponse(http.StatusOK, map[string]any{"replay": true, "webhook_id": id})
	}
	reps, audit, err := decodeReportOrAudit(req.Body)
	if err != nil {
		h.verifier.Forget(id)
		return entry.ErrorResponse(http.StatusBadRequest, "body: "+err.Error())
	}
	in := &Input{Origin: OriginHTTP, Reports: reps}
	if audit != nil {
		in.Audits = []*report.Audit{audit}
	}
	a := h.notify(ctx, in, log.With("webhook_id", id))
	if a.Status == Failed {
		h.verifier.Forget(id) // the sender may try again under the same id
		return entry.JSONResponse(http.StatusBadGateway, a)
	}
	return entry.JSONResponse(http.StatusOK, a)
}

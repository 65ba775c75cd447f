package handler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/webhook"
)

// http answers a webhook call: refused without a secret, POST only, 1 MiB at most,
// signed, not a replay; then the body runs like a direct invocation. Nothing is called before
// the request is authenticated and its body decoded.
func (h *Rotate) http(ctx context.Context, req *event.HTTPRequest, log *slog.Logger) (entry.Answer, error) {
	log = log.With("method", req.Method, "path", req.Path)
	if h.verifier == nil {
		log.Warn("webhook refused: no secret configured")
		return entry.ErrorResponse(http.StatusUnauthorized, "webhook requests are refused: ROTATE_WEBHOOK_SECRET is not set"), nil
	}
	if req.Method != http.MethodPost {
		return entry.ErrorResponse(http.StatusMethodNotAllowed, "method "+req.Method+" is not allowed: POST the certificate body"), nil
	}
	if len(req.Body) > event.MaxSize {
		return entry.ErrorResponse(http.StatusRequestEntityTooLarge, "body: larger than 1 MiB"), nil
	}
	id, err := h.verifier.Verify(req.Headers, req.Body)
	if err != nil {
		var we *webhook.Error
		status := http.StatusUnauthorized
		if errors.As(err, &we) && we.Status != 0 {
			status = we.Status
		}
		log.Warn("webhook refused", "error", err.Error())
		return entry.ErrorResponse(status, err.Error()), nil
	}
	if id != "" && h.verifier.Seen(id) {
		log.Info("webhook replay ignored", "webhook_id", id)
		return entry.JSONResponse(http.StatusOK, map[string]any{"replay": true, "webhook_id": id}), nil
	}
	body, err := event.DecodeBody(req.Body, event.KindWebhook)
	if err != nil {
		h.verifier.Forget(id) // a corrected body may be sent again under the same id
		return entry.ErrorResponse(http.StatusBadRequest, err.Error()), nil
	}
	rec := h.record(ctx, event.KindWebhook, body)
	rep := h.run(ctx, rec, h.clouds(ctx), log.With("webhook_id", id))
	h.notify(ctx, rep, log)
	status := statusOf(rep)
	if status >= 500 {
		// Standard Webhooks senders retry a failure under the same id: let them.
		h.verifier.Forget(id)
	}
	return entry.JSONResponse(status, rep), nil
}

// statusOf maps a report to its HTTP status: 202 pending, 400 bad input, 502 failed or partial,
// else 200.
func statusOf(rep *report.Report) int {
	switch {
	case rep.Status == report.Pending:
		return http.StatusAccepted
	case rep.Status == report.Failed && rep.BadInput:
		return http.StatusBadRequest
	case rep.Status == report.Failed || rep.Status == report.Partial:
		return http.StatusBadGateway
	}
	return http.StatusOK
}

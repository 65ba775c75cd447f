package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/event"
)

// HTTPResponse is the answer to an HTTP event; Function Compute's HTTP trigger and Lambda
// function URLs read the same JSON shape.
type HTTPResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// ExitCode maps the status to the command line's exit code.
func (r *HTTPResponse) ExitCode() int {
	switch {
	case r.StatusCode < 400:
		return 0
	case r.StatusCode < 500:
		return 2
	}
	return 1
}

func jsonResponse(status int, v any) *HTTPResponse {
	body, _ := json.Marshal(v)
	return &HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}
}

func errorResponse(status int, msg string) *HTTPResponse {
	return jsonResponse(status, map[string]string{"error": msg})
}

// http answers a webhook call. Until a secret is configured every request is refused.
func (h *Rotate) http(_ context.Context, req *event.HTTPRequest, log *slog.Logger) (entry.Answer, error) {
	if h.cfg.WebhookSecret == "" {
		log.Warn("webhook refused: no secret configured", "method", req.Method)
		return errorResponse(http.StatusUnauthorized, "webhook requests are refused: ROTATE_WEBHOOK_SECRET is not set"), nil
	}
	return errorResponse(http.StatusNotImplemented, "webhook verification is not available in this build"), nil
}

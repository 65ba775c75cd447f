// Package handler holds the functions' handlers: decode the event, run the use case, answer.
package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/notify"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/rotation"
	"github.com/certrotate/certrotate/shared/webhook"
)

// Rotate is the rotate function's handler.
type Rotate struct {
	cfg      *config.Rotate
	rot      *rotation.Rotator
	log      *slog.Logger
	now      func() time.Time
	verifier *webhook.Verifier // nil: no ROTATE_WEBHOOK_SECRET, every HTTP request is refused
}

// NewRotate returns the handler for a validated configuration.
func NewRotate(cfg *config.Rotate, log *slog.Logger) (*Rotate, error) {
	h := &Rotate{
		cfg: cfg, log: log, now: time.Now,
		rot: rotation.New(rotation.Options{Targets: cfg.Targets, DryRun: cfg.DryRun, Concurrency: cfg.Concurrency,
			KeepPrevious: cfg.KeepPrevious, Rollback: cfg.OnPartial == "rollback"}),
	}
	if cfg.WebhookSecret != "" {
		v, err := webhook.NewVerifier([]string{cfg.WebhookSecret}, time.Now)
		if err != nil {
			return nil, fmt.Errorf("ROTATE_WEBHOOK_SECRET: %w", err)
		}
		v.AcceptGitHub(cfg.WebhookAcceptGitHub)
		h.verifier = v
	}
	return h, nil
}

// Batch is the answer to an event holding several records: one report each.
type Batch []*report.Report

// ExitCode is the worst of the reports' exit codes.
func (b Batch) ExitCode() int {
	code := 0
	for _, r := range b {
		code = max(code, r.ExitCode())
	}
	return code
}

// Handle implements entry.Handler. It returns a report (or a Batch), and an error as well when
// a failure may pass on retry, so that the platform retries the invocation (SPEC §8).
func (h *Rotate) Handle(ctx context.Context, raw json.RawMessage) (entry.Answer, error) {
	log := h.log.With("request_id", entry.RequestID(ctx))
	// One division of the invocation's time for every step: the rotation's cloud calls stop in
	// time for the notify post, which stops in time for the answer (package deadline).
	ctx = deadline.With(ctx, deadline.New(ctx, h.now(), h.cfg.NotifyURL != ""))
	ev, err := event.Decode(raw)
	if event.FromHTTP(err) { // a webhook call that cannot be read is still answered over HTTP (SPEC §5)
		log.Warn("webhook refused", "error", err.Error())
		return entry.ErrorResponse(http.StatusBadRequest, err.Error()), nil
	}
	if err != nil {
		log.Warn("event refused", "error", err.Error())
		rep := report.New(h.now(), report.Source{})
		rep.Fail(err, true)
		rep.Settle(h.now(), false)
		h.notify(ctx, rep, log)
		return rep, nil
	}
	if ev.HTTP != nil {
		return h.http(ctx, ev.HTTP, log)
	}
	clouds := h.clouds(ctx)
	reports := make(Batch, len(ev.Records))
	retry := false
	for i, rec := range ev.Records {
		if rec.Body != nil {
			rec = h.record(ctx, rec.Kind, rec.Body)
		}
		reports[i] = h.rot.Run(ctx, rec, clouds, log)
		retry = retry || reports[i].Retryable
	}
	h.notifyAll(ctx, reports, log)
	var answer entry.Answer = reports
	if len(reports) == 1 {
		answer = reports[0]
	}
	if retry {
		return answer, fmt.Errorf("rotation failed in a way that may pass on retry; see the report")
	}
	return answer, nil
}

// clouds builds this invocation's clients: with Function Compute's per-invocation role
// credentials when there are some, else the environment's.
func (h *Rotate) clouds(ctx context.Context) *cloud.Clouds {
	creds := cloud.AlibabaFromEnv()
	if id, secret, token, ok := entry.FCCredentials(ctx); ok {
		creds = cloud.Alibaba{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: token}
	}
	return cloud.New(h.cfg, creds)
}

// record builds the record of a body; a bucket+key body without "store" reads OSS on Function
// Compute and S3 on Lambda (SPEC §4; the command line must say).
func (h *Rotate) record(ctx context.Context, kind event.Kind, body *event.Body) event.Record {
	rec := event.NewRecord(kind, body)
	if rec.Object != nil && rec.Object.Store == "" {
		switch entry.Platform(ctx) {
		case entry.PlatformFC:
			rec.Object.Store = "oss"
		case entry.PlatformLambda:
			rec.Object.Store = "s3"
		}
	}
	return rec
}

// notify posts a settled report to ROTATE_NOTIFY_URL, signed with ROTATE_NOTIFY_SECRET, when it
// is set (SPEC §1, §7). A failure is logged with the run id; it never fails or retries the rotation.
func (h *Rotate) notify(ctx context.Context, rep *report.Report, log *slog.Logger) {
	h.notifyAll(ctx, []*report.Report{rep}, log)
}

// notifyAll posts settled reports as notify does, all at once, within the time the invocation
// kept for it (deadline.Plan.Report): however many reports, the answer is not late.
func (h *Rotate) notifyAll(ctx context.Context, reps []*report.Report, log *slog.Logger) {
	if h.cfg.NotifyURL == "" || len(reps) == 0 {
		return
	}
	plan, ok := deadline.From(ctx)
	if !ok {
		plan = deadline.New(ctx, h.now(), true)
	}
	ctx, cancel := plan.Report(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, rep := range reps {
		wg.Go(func() {
			if err := notify.Post(ctx, nil, h.cfg.NotifyURL, h.cfg.NotifySecret, rep); err != nil {
				log.Warn("notify failed: the rotation stands, but nobody was told", "run_id", rep.ID, "error", report.Redact(err.Error()))
				return
			}
			log.Info("report posted to notify", "run_id", rep.ID)
		})
	}
	wg.Wait()
}

// Package handler holds the functions' handlers: decode the event, run the use case, answer.
package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
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
// a failure may pass on retry, so that the platform retries the invocation.
func (h *Rotate) Handle(ctx context.Context, raw json.RawMessage) (entry.Answer, error) {
	log := h.log.With("request_id", entry.RequestID(ctx))
	// One division of the invocation's time for every step: the rotation's cloud calls stop in
	// time for the notify post, which stops in time for the answer (package deadline).
	ctx = deadline.With(ctx, deadline.New(ctx, h.now(), h.cfg.NotifyURL != ""))
	ev, err := event.Decode(raw)
	if event.FromHTTP(err) { // a webhook call that cannot be read is still answered over HTTP
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
	if ev.Audit != nil {
		return h.Audit(ctx, ev.Audit), nil // an audit never fails the invocation for what it found
	}
	clouds := h.clouds(ctx)
	reports := make(Batch, len(ev.Records))
	retry := false
	for i, rec := range ev.Records {
		if rec.Body != nil {
			rec = h.record(ctx, rec.Kind, rec.Body)
		}
		reports[i] = h.run(ctx, rec, clouds, log)
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
	return cloud.New(h.cfg, alibaba(ctx))
}

// alibaba returns Function Compute's per-invocation role credentials when there are some, else
// the environment's.
func alibaba(ctx context.Context) cloud.Alibaba {
	if id, secret, token, ok := entry.FCCredentials(ctx); ok {
		return cloud.Alibaba{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: token}
	}
	return cloud.AlibabaFromEnv()
}

// run rotates one record, unless the invocation lacks what the configuration needs: then the
// record fails as bad configuration (exit 2, HTTP 400, not retried), before any call.
func (h *Rotate) run(ctx context.Context, rec event.Record, clouds rotation.Clouds, log *slog.Logger) *report.Report {
	if err := h.credentialsProblem(ctx, rec); err != nil {
		rep := report.New(h.now(), rotation.SourceOf(rec))
		rep.Fail(err, true)
		rep.Settle(h.now(), h.cfg.DryRun)
		log.Error("rotation not started: configuration", "run_id", rep.ID, "error", rep.Error)
		return rep
	}
	return h.rot.Run(ctx, rec, clouds, log)
}

// credentialsProblem says what lacks Alibaba credentials in this invocation: the configured
// Alibaba targets, or the record's OSS or CAS source. On Function Compute the credentials come
// with each invocation from the function's role, so their absence cannot be known at start (where
// the command line and Lambda find it); it is found here, before any call.
func (h *Rotate) credentialsProblem(ctx context.Context, rec event.Record) error {
	if c := alibaba(ctx); c.AccessKeyID != "" && c.AccessKeySecret != "" {
		return nil
	}
	var needs []string
	if names := h.cfg.AlibabaProviders(); len(names) > 0 {
		needs = append(needs, "the "+strings.Join(names, ", ")+" targets")
	}
	switch {
	case rec.Object != nil && rec.Object.Store == "oss":
		needs = append(needs, "reading OSS")
	case rec.Body != nil && rec.Body.CASCertificateID != 0:
		needs = append(needs, "reading the certificate from CAS")
	}
	if len(needs) == 0 {
		return nil
	}
	why := "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set"
	if entry.Platform(ctx) == entry.PlatformFC {
		why = "this Function Compute invocation carries no role credentials and " + why +
			": give the function a role (with the RAM policy)"
	}
	return fmt.Errorf("configuration: no Alibaba Cloud credentials for %s: %s", strings.Join(needs, " and "), why)
}

// record builds the record of a body; a bucket+key body without "store" reads OSS on Function
// Compute and S3 on Lambda (the command line must say which).
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
// is set. A failure is logged with the run id; it never fails or retries the rotation.
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

// Package report is the outcome of one rotation: what rotate returns, prints and posts to
// notify (README, The report). It never holds key material.
package report

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
)

// Status of a run.
const (
	Rotated   = "rotated"
	Unchanged = "unchanged"
	Skipped   = "skipped" // no place took the certificate
	Pending   = "pending"
	Partial   = "partial"
	Failed    = "failed"
	DryRun    = "dry_run"
)

// Status of one target.
const (
	TargetRotated     = "rotated"
	TargetUnchanged   = "unchanged"
	TargetSkipped     = "skipped"
	TargetFailed      = "failed"
	TargetWouldRotate = "would_rotate"
)

// Report is the outcome of one rotation.
type Report struct {
	ID          string      `json:"id"`
	Status      string      `json:"status"`
	Source      Source      `json:"source"`
	Certificate *certs.Info `json:"certificate,omitempty"`
	Targets     []Target    `json:"targets"`
	Error       string      `json:"error,omitempty"`
	Warnings    []string    `json:"warnings,omitempty"` // what did not stop the run but needs a person
	Reason      string      `json:"reason,omitempty"`   // why a run is pending
	StartedAt   string      `json:"started_at"`
	FinishedAt  string      `json:"finished_at"`

	// BadInput marks a failure caused by the event, the certificate or the configuration:
	// the command line exits 2 for it and nobody should retry it.
	BadInput bool `json:"-"`
	// Retryable marks a failure that may pass on retry (throttling, 5xx, network, deadline):
	// the invocation fails after the report is posted so that the platform retries it.
	Retryable bool `json:"-"`
}

// Source says where the certificate came from.
type Source struct {
	Kind   string `json:"kind"`
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key,omitempty"`
	CASID  int64  `json:"cas_certificate_id,omitempty"`
}

// Target is the outcome for one place a certificate is served.
type Target struct {
	Name                  string `json:"name"`
	Provider              string `json:"provider"`
	Status                string `json:"status"`
	CertificateID         string `json:"certificate_id,omitempty"`
	PreviousCertificateID string `json:"previous_certificate_id,omitempty"`
	Reason                string `json:"reason,omitempty"`
	Error                 string `json:"error,omitempty"`

	// Retryable marks a failure that may pass on retry.
	Retryable bool `json:"-"`
}

// New starts a report at now with a fresh unique id.
func New(now time.Time, src Source) *Report {
	return &Report{ID: NewID(), Status: Unchanged, Source: src, Targets: []Target{}, StartedAt: now.UTC().Format(time.RFC3339)}
}

// NewID returns a random id, 32 hex characters.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// Fail marks the whole run failed with err. badInput says the input, not the cloud, was at fault.
func (r *Report) Fail(err error, badInput bool) {
	r.Status = Failed
	r.Error = Redact(err.Error())
	r.BadInput = badInput
}

// Settle derives the run status from the targets, stamps the finish time and redacts every text
// (Redact). A run that already failed or is pending keeps its status.
func (r *Report) Settle(now time.Time, dryRun bool) {
	r.FinishedAt = now.UTC().Format(time.RFC3339)
	r.redact()
	if r.Status == Failed || r.Status == Pending {
		return
	}
	var rotated, failed, skipped int
	for _, t := range r.Targets {
		switch t.Status {
		case TargetRotated:
			rotated++
		case TargetFailed:
			failed++
		case TargetSkipped:
			skipped++
		}
	}
	switch {
	case failed > 0 && rotated > 0:
		r.Status = Partial
	case failed > 0:
		r.Status = Failed
		if r.Error == "" {
			r.Error = "every target that takes this certificate failed; see targets"
		}
	case skipped == len(r.Targets):
		// No place took the certificate (or none was found): not a failure, but not "unchanged"
		// either, which would claim every place already serves it.
		r.Status = Skipped
	case dryRun:
		r.Status = DryRun
	case rotated > 0:
		r.Status = Rotated
	default:
		r.Status = Unchanged
	}
}

// ExitCode is the command line's exit code for this report: 2 bad input, 1 failed or partial,
// else 0.
func (r *Report) ExitCode() int {
	switch {
	case r.BadInput:
		return 2
	case r.Status == Failed || r.Status == Partial:
		return 1
	}
	return 0
}

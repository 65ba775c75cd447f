// Package rotation is the use case: obtain a certificate, validate it, find the places that
// should serve it, deploy it there, and report what happened.
package rotation

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/source"
)

// Clouds builds what one run talks to. Implementations build clients lazily: building makes no call.
type Clouds interface {
	// Provider returns the provider named name (provider.AliSLB, provider.HuaweiELB) for this run.
	Provider(name string) (provider.Provider, error)
	// Bucket returns a reader for store ("oss" or "s3") in region ("" = the platform's region).
	Bucket(ctx context.Context, store, region string) (source.Bucket, error)
	// CAS returns the Certificate Management Service client.
	CAS() (CertificateStore, error)
}

// CertificateStore hands out certificates kept by a certificate service.
type CertificateStore interface {
	// Fetch returns the PEMs of certificate id. An id that does not exist is a permanent error.
	Fetch(ctx context.Context, id int64) (certificate, privateKey []byte, name string, err error)
}

// Options configure a Rotator.
type Options struct {
	Targets     []provider.Target
	DryRun      bool
	Concurrency int // targets discovered and slots deployed at once
	// KeepPrevious is how many unused certificates this project uploaded to keep per
	// certificate lineage (same names) for rollback; 0 keeps none.
	KeepPrevious int
	// Rollback rebinds what a run changed when another of its bindings failed
	// (ROTATE_ON_PARTIAL=rollback); otherwise successes stay and the run is partial.
	Rollback bool
	// Reserve, when positive, is the time kept back before the invocation's deadline for posting
	// and answering the report: no cloud call runs past deadline − Reserve, and no write past a
	// read-back slice earlier. Zero: the invocation's plan (deadline.From), else deadline.New.
	Reserve time.Duration
	Now     func() time.Time
	// Roots are the trusted roots a certificate sent without intermediates is checked against
	// for the report's warnings; nil: the system's.
	Roots *x509.CertPool
}

// Rotator runs rotations. It is safe for concurrent use.
type Rotator struct{ opt Options }

// New returns a Rotator.
func New(opt Options) *Rotator {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Concurrency < 1 {
		opt.Concurrency = 8
	}
	return &Rotator{opt: opt}
}

// Run handles one record and returns its report; it never returns key material. clouds is built
// for this invocation (its credentials may be the invocation's own).
func (r *Rotator) Run(ctx context.Context, rec event.Record, clouds Clouds, log *slog.Logger) *report.Report {
	rep := report.New(r.opt.Now(), SourceOf(rec))
	log = log.With("run_id", rep.ID)
	defer func() {
		rep.Settle(r.opt.Now(), r.opt.DryRun)
		log.Info("rotation finished", "status", rep.Status, "targets", len(rep.Targets), "error", rep.Error)
	}()

	targets, err := r.selectTargets(rec)
	if err != nil {
		rep.Fail(err, true)
		return rep
	}
	// Cloud work stops in time for the report to be posted and answered; writes stop in time
	// for the last one to be read back (README, How it decides: deadlines hold).
	writes, work, cancel := r.workContext(ctx)
	defer cancel()
	b, err := r.obtain(writes, rec, clouds)
	var pending *source.PendingError
	switch {
	case errors.As(err, &pending):
		rep.Status, rep.Reason = report.Pending, pending.Reason
		log.Info("certificate not complete yet", "reason", pending.Reason)
		return rep
	case err != nil:
		rep.Fail(err, isBadInput(err))
		rep.Retryable = !rep.BadInput
		return rep
	}
	info := b.Info()
	info.Name = displayName(rec, b)
	rep.Certificate = &info
	if err := b.Validate(r.opt.Now()); err != nil {
		rep.Fail(err, true)
		return rep
	}
	rep.Warnings = b.Warnings(r.opt.Roots)
	log.Info("certificate valid", "common_name", info.CommonName, "dns_names", info.DNSNames,
		"fingerprint_sha256", info.FingerprintSHA256, "not_after", info.NotAfter, "targets", len(targets))

	results, failed := r.rotate(writes, work, targets, b, rec.Body != nil && rec.Body.Force, clouds, log)
	rep.Targets = append(rep.Targets, failed...)
	if r.opt.Rollback && !r.opt.DryRun && len(failed)+countFailed(results) > 0 {
		r.rollback(work, results, clouds, log, rep)
	}
	for _, res := range results {
		rep.Targets = append(rep.Targets, res.Target)
	}
	if !r.opt.DryRun && len(failed)+countFailed(results) == 0 {
		r.finish(work, results, b, clouds, log)
	}
	for _, t := range rep.Targets {
		if t.Status == report.TargetFailed && t.Retryable {
			rep.Retryable = true
		}
	}
	return rep
}

// selectTargets applies the body's "targets" list.
func (r *Rotator) selectTargets(rec event.Record) ([]provider.Target, error) {
	if rec.Body == nil || len(rec.Body.Targets) == 0 {
		return r.opt.Targets, nil
	}
	var out []provider.Target
	var unknown []string
	for _, name := range rec.Body.Targets {
		i := slices.IndexFunc(r.opt.Targets, func(t provider.Target) bool { return t.Name == name })
		if i < 0 {
			unknown = append(unknown, fmt.Sprintf("%q", name))
			continue
		}
		if !slices.ContainsFunc(out, func(t provider.Target) bool { return t.Name == name }) {
			out = append(out, r.opt.Targets[i])
		}
	}
	if len(unknown) > 0 {
		known := make([]string, len(r.opt.Targets))
		for i, t := range r.opt.Targets {
			known[i] = fmt.Sprintf("%q", t.Name)
		}
		return nil, &event.Error{Field: "targets", Reason: fmt.Sprintf("unknown target %s; configured: %s",
			strings.Join(unknown, ", "), strings.Join(known, ", "))}
	}
	return out, nil
}

// obtain gets and parses the PEMs the record points to.
func (r *Rotator) obtain(ctx context.Context, rec event.Record, clouds Clouds) (*certs.Bundle, error) {
	switch {
	case rec.Object != nil:
		o := rec.Object
		if o.Store == "" {
			return nil, &event.Error{Field: "store", Reason: `required here: "oss" or "s3"`}
		}
		b, err := clouds.Bucket(ctx, o.Store, o.Region)
		if err != nil {
			return nil, err
		}
		key := o.Key
		if o.Symlink {
			if key, err = source.ResolveSymlink(ctx, b, o.Bucket, key); err != nil {
				return nil, err
			}
		}
		return source.FromFolder(ctx, b, o.Bucket, key, r.opt.Now())
	case rec.Body != nil && rec.Body.Certificate != "":
		return certs.Parse([]byte(rec.Body.Certificate), []byte(rec.Body.PrivateKey), []byte(rec.Body.Chain))
	case rec.Body != nil && rec.Body.CASCertificateID != 0:
		store, err := clouds.CAS()
		if err != nil {
			return nil, err
		}
		cert, key, _, err := store.Fetch(ctx, rec.Body.CASCertificateID)
		if err != nil {
			return nil, err
		}
		return certs.Parse(cert, key, []byte(rec.Body.Chain))
	}
	return nil, &event.Error{Reason: "the event names no certificate"}
}

func countFailed(results []result) int {
	n := 0
	for _, res := range results {
		if res.Status == report.TargetFailed {
			n++
		}
	}
	return n
}

// plan is the division of the invocation's time this run works to: the invocation's own
// (deadline.With), else one made now; Options.Reserve replaces its answer and notify slices.
func (r *Rotator) plan(ctx context.Context) deadline.Plan {
	p, ok := deadline.From(ctx)
	if !ok {
		p = deadline.New(ctx, r.opt.Now(), false)
	}
	if r.opt.Reserve > 0 && !p.Deadline.IsZero() {
		p.Answer, p.Notify = r.opt.Reserve, 0
	}
	return p
}

// workContext returns ctx ending when the run's writes must stop (writes), so that the last one
// can still be read back, and ctx ending when every cloud call must stop (work), so that the
// report can still be posted and answered before the platform's deadline.
func (r *Rotator) workContext(ctx context.Context) (writes, work context.Context, cancel context.CancelFunc) {
	p := r.plan(ctx)
	work, cancelWork := p.Work(ctx)
	writes, cancelWrites := p.Writes(work)
	return writes, work, func() { cancelWrites(); cancelWork() }
}

// stopReason says why work stopped.
func stopReason(err error) string {
	if errors.Is(err, deadline.ErrNear) || errors.Is(err, context.DeadlineExceeded) {
		return deadline.ErrNear.Error()
	}
	return report.Redact(err.Error())
}

// decide: a slot takes the certificate only if it covers the target's "match"
// names, or else every name of the certificate the slot serves now (and the slot's SNI domain);
// and no downgrade: never one that expires before the certificate served now, unless force.
func decide(s provider.Slot, b *certs.Bundle, fingerprint string, force bool) (status, reason string) {
	if s.Current.Fingerprint != "" && s.Current.Fingerprint == fingerprint {
		return report.TargetUnchanged, "already serves this certificate"
	}
	want := s.Target.Match
	if len(want) == 0 {
		if len(s.Current.Names) == 0 {
			if s.Current.ID == "" {
				return report.TargetSkipped, "serves no certificate now, so its names are unknown; set \"match\" on the target"
			}
			return report.TargetSkipped, fmt.Sprintf("the names of the certificate served now (%s) are unknown; set \"match\" on the target", s.Current.ID)
		}
		want = s.Current.Names
	}
	if s.Domain != "" {
		want = append(slices.Clone(want), s.Domain)
	}
	var missing []string
	for _, n := range want {
		if !certs.Covers(b.DNSNames(), n) && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return report.TargetSkipped, "certificate does not cover " + strings.Join(missing, ", ")
	}
	if served := s.Current.NotAfter; !force && !served.IsZero() && b.Leaf.NotAfter.Before(served) {
		return report.TargetSkipped, fmt.Sprintf("no downgrade: the certificate served now expires %s, later than this one (%s); send \"force\": true to replace it anyway",
			served.UTC().Format(time.RFC3339), b.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return report.TargetRotated, ""
}

// each runs fn(0..n-1) with at most Concurrency at once.
func (r *Rotator) each(n int, fn func(i int)) {
	sem := make(chan struct{}, r.opt.Concurrency)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}

// SourceOf is the report's source for rec: the kind of event, the object it names, the CAS id.
func SourceOf(rec event.Record) report.Source {
	s := report.Source{Kind: string(rec.Kind)}
	if rec.Object != nil {
		s.Bucket, s.Key = rec.Object.Bucket, rec.Object.Key
	}
	if rec.Body != nil {
		s.CASID = rec.Body.CASCertificateID
	}
	return s
}

// displayName is the body's name, else the certificate folder's name, else the common name.
func displayName(rec event.Record, b *certs.Bundle) string {
	switch {
	case rec.Body != nil && rec.Body.Name != "":
		return rec.Body.Name
	case rec.Object != nil && path.Dir(rec.Object.Key) != ".":
		return path.Base(path.Dir(rec.Object.Key))
	case b.Leaf.Subject.CommonName != "":
		return b.Leaf.Subject.CommonName
	}
	return strings.Join(b.DNSNames(), ",")
}

// isBadInput reports whether err is the input's fault (event, certificate, object key).
func isBadInput(err error) bool {
	var ce *certs.Error
	var ee *event.Error
	return errors.As(err, &ce) || errors.As(err, &ee) || provider.IsPermanent(err) ||
		errors.Is(err, source.ErrBadKey) || errors.Is(err, source.ErrTooLarge) || errors.Is(err, source.ErrNoBucket)
}

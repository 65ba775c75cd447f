package rotation

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
)

// result is what deploying to one slot did.
type result struct {
	report.Target
	slot    provider.Slot
	changed bool // this run rebound the slot
}

// rotate discovers every target in parallel and, as each slot is found, decides whether it takes
// the certificate and deploys it there (Concurrency slots at once), so that the upload and the
// first bindings overlap the rest of the discovery (provider.Streamer). Discovery and writes run
// under ctx. Once every write is done, the bindings the run made are read back under readBack,
// in as few calls as each provider allows (provider.Verifier). failed lists the targets whose
// discovery failed; slots a target found before its discovery failed are deployed all the same,
// and a redelivery finds them unchanged.
func (r *Rotator) rotate(ctx, readBack context.Context, targets []provider.Target, b *certs.Bundle, force bool, clouds Clouds, log *slog.Logger) ([]result, []report.Target) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	type placed struct {
		target int
		result
	}
	type found struct {
		target int
		p      provider.Provider
		slot   provider.Slot
	}
	// Slots are deployed in the order they are found, by Concurrency workers taking them from a
	// queue that discovery never waits on.
	var (
		mu     sync.Mutex
		ready  = sync.NewCond(&mu)
		queue  []found
		closed bool
		all    []placed
		wg     sync.WaitGroup
	)
	for range r.opt.Concurrency {
		wg.Go(func() {
			mu.Lock()
			defer mu.Unlock()
			for {
				for len(queue) == 0 && !closed {
					ready.Wait()
				}
				if len(queue) == 0 {
					return
				}
				f := queue[0]
				queue = queue[1:]
				mu.Unlock()
				res := r.place(ctx, f.p, f.slot, b, fp, force, log)
				mu.Lock()
				all = append(all, placed{f.target, res})
			}
		})
	}
	failed := make([]*report.Target, len(targets))
	r.each(len(targets), func(ti int) {
		t := targets[ti]
		p, err := clouds.Provider(t.Provider)
		emit := func(s provider.Slot) {
			mu.Lock()
			queue = append(queue, found{ti, p, s})
			mu.Unlock()
			ready.Signal()
		}
		if err == nil {
			if st, ok := p.(provider.Streamer); ok {
				err = st.DiscoverEach(ctx, t, emit)
			} else {
				var slots []provider.Slot
				if slots, err = p.Discover(ctx, t); err == nil {
					for _, s := range slots {
						emit(s)
					}
				}
			}
		}
		if err != nil {
			log.Warn("target discovery failed", "target", t.Name, "error", report.Redact(err.Error()))
			failed[ti] = &report.Target{Name: t.Name, Provider: t.Provider, Status: report.TargetFailed,
				Error: report.Redact(err.Error()), Retryable: !provider.IsPermanent(err)}
		}
	})
	// emit is never called after DiscoverEach returns: the queue is complete.
	mu.Lock()
	closed = true
	mu.Unlock()
	ready.Broadcast()
	wg.Wait()
	// Report order: targets as configured, then each target's slots by name.
	slices.SortStableFunc(all, func(a, b placed) int { return cmp.Or(cmp.Compare(a.target, b.target), strings.Compare(a.Name, b.Name)) })
	results := make([]result, len(all))
	for i, pl := range all {
		results[i] = pl.result
	}
	r.verifyAll(readBack, results, fp, clouds, log)
	var outFailed []report.Target
	for _, f := range failed {
		if f != nil {
			outFailed = append(outFailed, *f)
		}
	}
	return results, outFailed
}

// place decides whether slot s takes the certificate (force: even one expiring before what the
// slot serves) and deploys it there when it does. The binding is read back later (verifyAll).
func (r *Rotator) place(ctx context.Context, p provider.Provider, s provider.Slot, b *certs.Bundle, fp string, force bool, log *slog.Logger) result {
	res := result{Target: report.Target{Name: s.Name, Provider: s.Target.Provider}, slot: s}
	t := &res.Target
	t.Status, t.Reason = decide(s, b, fp, force)
	switch t.Status {
	case report.TargetUnchanged:
		t.CertificateID = s.Current.ID
	case report.TargetRotated:
		t.PreviousCertificateID = s.Current.ID
		if r.opt.DryRun {
			t.Status = report.TargetWouldRotate
			break
		}
		if err := deadline.Err(ctx); err != nil {
			t.Status, t.Error, t.Retryable = report.TargetFailed, "not started: "+stopReason(err), true
			break
		}
		res.changed = true
		id, err := p.Deploy(ctx, s, b)
		if err != nil {
			t.Status, t.Error, t.Retryable = report.TargetFailed, report.Redact(err.Error()), !provider.IsPermanent(err)
			break
		}
		t.CertificateID = id
		return res // logged once read back
	}
	logTarget(log, t)
	return res
}

// verifyAll reads back every binding the run made and fails the slots that do not serve what
// the run bound; a provider.Verifier reads them all at once, others one slot at a time. A slot
// serving another copy of the same certificate (fingerprint fp), which a concurrent invocation
// uploaded and bound since, is rotated all the same: finish converges the copies.
func (r *Rotator) verifyAll(ctx context.Context, results []result, fp string, clouds Clouds, log *slog.Logger) {
	byProvider := map[string][]int{}
	for i, res := range results {
		if res.changed && res.Status == report.TargetRotated {
			byProvider[res.Provider] = append(byProvider[res.Provider], i)
		}
	}
	for name, idx := range byProvider {
		p, err := clouds.Provider(name)
		if err != nil {
			continue // it deployed, so it was built: unreachable
		}
		slots := make([]provider.Slot, len(idx))
		for k, i := range idx {
			slots[k] = results[i].slot
		}
		var (
			got  []provider.Bound
			errs []error
		)
		if v, ok := p.(provider.Verifier); ok {
			got, errs = v.BoundAll(ctx, slots)
		} else {
			got, errs = make([]provider.Bound, len(slots)), make([]error, len(slots))
			r.each(len(slots), func(k int) { got[k], errs[k] = p.Bound(ctx, slots[k]) })
		}
		for k, i := range idx {
			t := &results[i].Target
			if g := got[k]; errs[k] == nil && g.ID != t.CertificateID && g.ID != "" && g.Fingerprint == fp {
				t.Reason = fmt.Sprintf("serves %s, a concurrent run's copy of this certificate", g.ID)
				t.CertificateID = g.ID
			}
			err := checkBound(got[k], errs[k], t.CertificateID)
			if n, ok := p.(provider.Noter); ok && err == nil {
				if note := n.Note(results[i].slot); note != "" {
					t.Reason += "; " + note
				}
			}
			if err != nil {
				t.Status, t.Error, t.Retryable = report.TargetFailed, report.Redact(err.Error()), !provider.IsPermanent(err)
			}
			logTarget(log, t)
		}
	}
}

func logTarget(log *slog.Logger, t *report.Target) {
	log.Info("target", "target", t.Name, "status", t.Status, "reason", t.Reason,
		"certificate_id", t.CertificateID, "previous_certificate_id", t.PreviousCertificateID, "error", t.Error)
}

// verify reads slot back and checks that it serves certificate id.
func verify(ctx context.Context, p provider.Provider, s provider.Slot, id string) error {
	got, err := p.Bound(ctx, s)
	return checkBound(got, err, id)
}

// checkBound checks a read-back: it answered, and the slot serves certificate id.
func checkBound(got provider.Bound, err error, id string) error {
	if err != nil {
		return fmt.Errorf("reading the binding back: %w", err)
	}
	if got.ID != id {
		return fmt.Errorf("read back: serves certificate %q, not %q", got.ID, id)
	}
	return nil
}

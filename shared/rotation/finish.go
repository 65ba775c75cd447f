package rotation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
)

// rollback rebinds every slot this run changed to the certificate it served before
// (ROTATE_ON_PARTIAL=rollback). A slot that cannot be rolled back stays rotated, with the reason.
// Each slot is read again first: one that serves another certificate than this run bound has been
// rebound since by a concurrent run, whose binding wins: rolling it back would undo that run's
// rotation with what this run read before it (concurrent runs converge), so it is left as it is.
func (r *Rotator) rollback(ctx context.Context, results []result, clouds Clouds, log *slog.Logger, rep *report.Report) {
	back, kept, moved := make([]bool, len(results)), make([]bool, len(results)), make([]bool, len(results))
	r.each(len(results), func(i int) {
		res := &results[i]
		if !res.changed || res.Status != report.TargetRotated {
			return
		}
		err := errors.New("the provider cannot roll back")
		p, perr := clouds.Provider(res.Provider)
		if perr != nil {
			err = perr
		} else if rb, ok := p.(provider.Rebinder); ok {
			now, rerr := p.Bound(ctx, res.slot)
			switch {
			case rerr != nil:
				err = fmt.Errorf("reading the binding before rolling back: %w", rerr)
			case now.ID != res.CertificateID:
				moved[i] = true
				res.Reason = fmt.Sprintf("not rolled back: another run has since bound certificate %s here", now.ID)
				log.Info("rollback: left to a concurrent run's binding", "target", res.Name, "certificate_id", now.ID)
				res.CertificateID = now.ID
				return
			default:
				if err = rb.Rebind(ctx, res.slot, res.PreviousCertificateID); err == nil {
					err = verify(ctx, p, res.slot, res.PreviousCertificateID)
				}
			}
		}
		if err != nil {
			kept[i] = true
			res.Reason = "rollback failed: " + report.Redact(err.Error())
			log.Error("rollback failed", "target", res.Name, "error", report.Redact(err.Error()))
			return
		}
		log.Info("rolled back", "target", res.Name, "certificate_id", res.PreviousCertificateID)
		res.Status, res.Reason = report.TargetUnchanged, fmt.Sprintf("rolled back from %s because other targets failed (ROTATE_ON_PARTIAL=rollback)", res.CertificateID)
		res.CertificateID, res.PreviousCertificateID = res.PreviousCertificateID, res.CertificateID
		back[i] = true
	})
	if nb, nk, nm := count(back), count(kept), count(moved); nb > 0 || nk > 0 || nm > 0 {
		rep.Error = fmt.Sprintf("some targets failed; %d rolled back, %d could not be rolled back", nb, nk)
		if nm > 0 {
			rep.Error += fmt.Sprintf(", %d left to a concurrent run's binding", nm)
		}
	}
}

func count(flags []bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

// place is one provider's region, where certificates are listed and deleted.
type place struct{ provider, region string }

// finish runs once every binding of the run succeeded: in every place the run touched, it lists
// the certificates this project uploaded once, converges the run's slots on one copy of its
// certificate, then cleans up. A failure here is logged and left to the next run, never reported
// as a failed rotation.
func (r *Rotator) finish(ctx context.Context, results []result, b *certs.Bundle, clouds Clouds, log *slog.Logger) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	var places []place
	for _, res := range results {
		if pl := (place{res.Provider, res.slot.Region}); !slices.Contains(places, pl) {
			places = append(places, pl)
		}
	}
	for _, pl := range places {
		p, err := clouds.Provider(pl.provider)
		if err != nil {
			continue
		}
		cl, ok := p.(provider.Cleaner)
		if !ok {
			continue
		}
		owned, err := cl.Owned(ctx, pl.region)
		if err != nil {
			log.Warn("listing certificates for cleanup failed; left for the next run", "provider", pl.provider, "region", pl.region, "error", report.Redact(err.Error()))
			continue
		}
		if rb, ok := p.(provider.Rebinder); ok {
			converge(ctx, p, rb, pl, results, owned, fp, log)
		}
		r.cleanup(ctx, cl, pl, results, owned, fp, log)
	}
}

// converge moves every slot of pl that serves a copy of the run's certificate other than the
// canonical one (the earliest this project uploaded, then the lowest id, as providers choose when
// they reuse) onto the canonical one. Two invocations that uploaded the same certificate at once,
// each before it could see the other's copy, so end on one copy, whichever finishes last.
func converge(ctx context.Context, p provider.Provider, rb provider.Rebinder, pl place, results []result, owned []provider.Owned, fp string, log *slog.Logger) {
	copies := slices.DeleteFunc(slices.Clone(owned), func(o provider.Owned) bool { return o.Fingerprint != fp })
	if len(copies) < 2 {
		return
	}
	canonical := provider.Canonical(copies, fp)
	for i := range results {
		res := &results[i]
		id := res.CertificateID
		if (place{res.Provider, res.slot.Region}) != pl || id == canonical ||
			(res.Status != report.TargetRotated && res.Status != report.TargetUnchanged) ||
			!slices.ContainsFunc(copies, func(o provider.Owned) bool { return o.ID == id }) {
			continue
		}
		err := rb.Rebind(ctx, res.slot, canonical)
		if err == nil {
			err = verify(ctx, p, res.slot, canonical)
		}
		if err != nil {
			log.Warn("converge: moving to the one copy failed; left for the next run", "target", res.Name, "error", report.Redact(err.Error()))
			continue
		}
		log.Info("converge: moved to the one copy of this certificate", "target", res.Name, "from", id, "certificate_id", canonical)
		res.CertificateID = canonical
		if res.Status == report.TargetUnchanged {
			res.slot.Current.ID = canonical
		}
	}
}

// cleanup deletes, in pl, the certificates this project uploaded that nothing serves, keeping per
// lineage (same names) this run's previous certificates and the newest, up to KeepPrevious.
func (r *Rotator) cleanup(ctx context.Context, cl provider.Cleaner, pl place, results []result, owned []provider.Owned, fp string, log *slog.Logger) {
	serving := map[string]bool{}  // certificate ids the run's slots serve now
	previous := map[string]bool{} // rollback points of this run
	for _, res := range results {
		if res.Status == report.TargetRotated {
			serving[res.CertificateID] = true
			previous[res.PreviousCertificateID] = true
		} else {
			serving[res.slot.Current.ID] = true
		}
	}
	for _, o := range doomed(owned, serving, previous, fp, r.opt.KeepPrevious) {
		err := cl.Delete(ctx, pl.region, o.ID)
		switch {
		case err == nil:
			log.Info("cleanup: deleted unused certificate", "provider", pl.provider, "region", pl.region, "certificate_id", o.ID, "name", o.Name)
		case errors.Is(err, provider.ErrInUse):
			log.Debug("cleanup: certificate still in use", "provider", pl.provider, "region", pl.region, "certificate_id", o.ID)
		default:
			log.Warn("cleanup: delete failed; left for the next run", "provider", pl.provider, "region", pl.region, "certificate_id", o.ID, "error", report.Redact(err.Error()))
		}
	}
}

// doomed picks, among owned certificates, those to delete: never one a slot of the run serves; of
// the run's own certificate, every copy but the one the run binds (duplicates); of every other
// lineage, all but keep of them, the run's rollback points first, then the newest.
func doomed(owned []provider.Owned, serving, previous map[string]bool, fp string, keep int) []provider.Owned {
	lineages := map[string][]provider.Owned{}
	var out []provider.Owned
	for _, o := range owned {
		switch {
		case serving[o.ID]:
		case o.Fingerprint == fp:
			if copyBound(owned, serving, fp) {
				out = append(out, o) // a duplicate of the certificate the run binds
			}
		default:
			key := lineage(o)
			lineages[key] = append(lineages[key], o)
		}
	}
	for _, list := range lineages {
		// Newest first; this run's rollback points count towards keep first.
		slices.SortFunc(list, func(a, b provider.Owned) int {
			if pa, pb := previous[a.ID], previous[b.ID]; pa != pb {
				if pa {
					return -1
				}
				return 1
			}
			return cmp.Or(b.Created.Compare(a.Created), strings.Compare(b.ID, a.ID))
		})
		for i, o := range list {
			if i >= keep {
				out = append(out, o)
			}
		}
	}
	return out
}

// copyBound reports whether some copy of the certificate with fingerprint fp is served by a slot.
func copyBound(owned []provider.Owned, serving map[string]bool, fp string) bool {
	return slices.ContainsFunc(owned, func(o provider.Owned) bool { return o.Fingerprint == fp && serving[o.ID] })
}

// lineage groups certificates that renew one another: the same names.
func lineage(o provider.Owned) string {
	if len(o.Names) == 0 {
		return "name:" + o.Name
	}
	names := slices.Clone(o.Names)
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ",")
}

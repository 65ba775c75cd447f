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
func (r *Rotator) rollback(ctx context.Context, slots []provider.Slot, results []result, clouds Clouds, log *slog.Logger, rep *report.Report) {
	var back, kept int
	r.each(len(results), func(i int) {
		res := &results[i]
		if !res.changed || res.Status != report.TargetRotated {
			return
		}
		err := errors.New("the provider cannot roll back")
		if p, perr := clouds.Provider(res.Provider); perr != nil {
			err = perr
		} else if rb, ok := p.(provider.Rebinder); ok {
			if err = rb.Rebind(ctx, res.slot, res.PreviousCertificateID); err == nil {
				err = verify(ctx, p, res.slot, res.PreviousCertificateID)
			}
		}
		if err != nil {
			res.Reason = "rollback failed: " + err.Error()
			log.Error("rollback failed", "target", res.Name, "error", err.Error())
			return
		}
		log.Info("rolled back", "target", res.Name, "certificate_id", res.PreviousCertificateID)
		res.Status, res.Reason = report.TargetUnchanged, fmt.Sprintf("rolled back from %s because other targets failed (ROTATE_ON_PARTIAL=rollback)", res.CertificateID)
		res.CertificateID, res.PreviousCertificateID = res.PreviousCertificateID, res.CertificateID
	})
	for _, res := range results {
		switch {
		case strings.HasPrefix(res.Reason, "rolled back"):
			back++
		case strings.HasPrefix(res.Reason, "rollback failed"):
			kept++
		}
	}
	if back > 0 || kept > 0 {
		rep.Error = fmt.Sprintf("some targets failed; %d rolled back, %d could not be rolled back", back, kept)
	}
}

// converge moves every slot that serves a copy of the run's certificate other than the canonical
// one (the earliest this project uploaded, then the lowest id, as providers choose when they
// reuse) onto the canonical one. Two invocations that uploaded the same certificate at once, each
// before it could see the other's copy, so end on one copy, whichever finishes last.
func (r *Rotator) converge(ctx context.Context, results []result, b *certs.Bundle, clouds Clouds, log *slog.Logger) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	type place struct{ provider, region string }
	byPlace := map[place][]int{}
	for i, res := range results {
		if res.Status == report.TargetRotated || (res.Status == report.TargetUnchanged && res.slot.Current.Fingerprint == fp) {
			pl := place{res.Provider, res.slot.Region}
			byPlace[pl] = append(byPlace[pl], i)
		}
	}
	for pl, idx := range byPlace {
		p, err := clouds.Provider(pl.provider)
		if err != nil {
			continue
		}
		cl, okC := p.(provider.Cleaner)
		rb, okR := p.(provider.Rebinder)
		if !okC || !okR {
			continue
		}
		owned, err := cl.Owned(ctx, pl.region)
		if err != nil {
			log.Warn("converge: listing certificates failed; left for the next run", "provider", pl.provider, "region", pl.region, "error", err.Error())
			continue
		}
		var copies []provider.Owned
		for _, o := range owned {
			if o.Fingerprint == fp {
				copies = append(copies, o)
			}
		}
		if len(copies) < 2 {
			continue
		}
		canonical := slices.MinFunc(copies, func(a, b provider.Owned) int {
			return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
		}).ID
		for _, i := range idx {
			res := &results[i]
			id := res.CertificateID
			if id == canonical || !slices.ContainsFunc(copies, func(o provider.Owned) bool { return o.ID == id }) {
				continue
			}
			if err := rb.Rebind(ctx, res.slot, canonical); err == nil {
				err = verify(ctx, p, res.slot, canonical)
			}
			if err != nil {
				log.Warn("converge: moving to the one copy failed; left for the next run", "target", res.Name, "error", err.Error())
				continue
			}
			log.Info("converge: moved to the one copy of this certificate", "target", res.Name, "from", id, "certificate_id", canonical)
			res.CertificateID = canonical
			if res.Status == report.TargetUnchanged {
				res.slot.Current.ID = canonical
			}
		}
	}
}

// cleanup deletes, in every region this run touched, the certificates this project uploaded that
// nothing serves, keeping per lineage (same names) this run's previous certificates and the
// newest, up to KeepPrevious. It runs only after every binding succeeded; a failure here is logged
// and left to the next run, never reported as a failed rotation.
func (r *Rotator) cleanup(ctx context.Context, slots []provider.Slot, results []result, b *certs.Bundle, clouds Clouds, log *slog.Logger) {
	type place struct{ provider, region string }
	serving := map[string]bool{}  // certificate ids the run's slots serve now
	previous := map[string]bool{} // rollback points of this run
	var places []place
	for _, res := range results {
		pl := place{res.Provider, res.slot.Region}
		if !slices.Contains(places, pl) {
			places = append(places, pl)
		}
		if res.Status == report.TargetRotated {
			serving[res.CertificateID] = true
			previous[res.PreviousCertificateID] = true
		} else {
			serving[res.slot.Current.ID] = true
		}
	}
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
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
			log.Warn("cleanup: listing certificates failed; left for the next run", "provider", pl.provider, "region", pl.region, "error", err.Error())
			continue
		}
		for _, o := range doomed(owned, serving, previous, fp, r.opt.KeepPrevious) {
			err := cl.Delete(ctx, pl.region, o.ID)
			switch {
			case err == nil:
				log.Info("cleanup: deleted unused certificate", "provider", pl.provider, "region", pl.region, "certificate_id", o.ID, "name", o.Name)
			case errors.Is(err, provider.ErrInUse):
				log.Debug("cleanup: certificate still in use", "provider", pl.provider, "region", pl.region, "certificate_id", o.ID)
			default:
				log.Warn("cleanup: delete failed; left for the next run", "provider", pl.provider, "region", pl.region, "certificate_id", o.ID, "error", err.Error())
			}
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

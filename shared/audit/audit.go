// Package audit reads what every place of every target serves and says which need a person
// (README, Audit). It makes no call that changes anything.
package audit

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
)

// DefaultDays is ROTATE_AUDIT_DAYS when it is not set.
const DefaultDays = 30

// Clouds gives the audit one provider per name; cloud.Clouds satisfies it.
type Clouds interface {
	Provider(name string) (provider.Provider, error)
}

// Inventory is a provider that can list every server certificate of a region.
type Inventory interface {
	// Certificates lists every certificate of region that a place could serve, with its names and
	// expiry. region is one that a Discover of this run returned slots in. It makes no mutating
	// call; throttling, 5xx and network errors are returned as they are.
	Certificates(ctx context.Context, region string) ([]provider.Bound, error)
}

// Options configure an Auditor.
type Options struct {
	Targets     []provider.Target
	Days        int // a place is expiring with fewer days left than this (ROTATE_AUDIT_DAYS)
	Concurrency int // targets discovered at once
}

// Auditor runs audits. It is safe for concurrent use.
type Auditor struct{ opts Options }

// New returns an Auditor; Days below 1 is DefaultDays, Concurrency below 1 is 1.
func New(o Options) *Auditor {
	if o.Days < 1 {
		o.Days = DefaultDays
	}
	o.Concurrency = max(o.Concurrency, 1)
	return &Auditor{opts: o}
}

// found is one discovered place, before its status is decided.
type found struct {
	place   report.Place
	current provider.Bound
	key     string
}

// Run audits every target at now. What it finds never fails the run: a target that cannot be
// read is a failed place, and the report says attention.
func (a *Auditor) Run(ctx context.Context, clouds Clouds, now func() time.Time, log *slog.Logger) *report.Audit {
	rep := &report.Audit{Kind: report.KindAudit, ID: report.NewID(), Days: a.opts.Days, Places: []report.Place{},
		StartedAt: now().UTC().Format(time.RFC3339)}
	perTarget := make([][]found, len(a.opts.Targets))
	a.each(len(a.opts.Targets), func(i int) {
		perTarget[i] = a.discover(ctx, clouds, a.opts.Targets[i], log)
	})
	var places []found
	seen := map[string]bool{}
	for _, fs := range perTarget {
		for _, f := range fs {
			if f.key != "" && seen[f.key] {
				continue // two targets reaching the same place: audited once
			}
			seen[f.key] = true
			places = append(places, f)
		}
	}
	inventory := a.inventories(ctx, clouds, places, log)
	at := now()
	for i := range places {
		judge(&places[i], places, inventory, at, a.opts.Days)
		rep.Places = append(rep.Places, places[i].place)
	}
	Sort(rep.Places)
	rep.Status = report.AuditOK
	for _, p := range rep.Places {
		if p.Attention() {
			rep.Status = report.AuditAttention
		}
	}
	rep.FinishedAt = now().UTC().Format(time.RFC3339)
	return rep
}

// discover resolves one target into its places; a target that cannot be read is one failed place.
func (a *Auditor) discover(ctx context.Context, clouds Clouds, t provider.Target, log *slog.Logger) []found {
	p, err := clouds.Provider(t.Provider)
	var slots []provider.Slot
	if err == nil {
		slots, err = p.Discover(ctx, t)
	}
	if err != nil {
		log.Warn("audit: target could not be read", "target", t.Name, "error", err.Error())
		return []found{{place: report.Place{Name: t.Name, Provider: t.Provider, Region: t.Region,
			LoadBalancer: cmp.Or(t.LoadBalancerID, t.ListenerID, t.CertificateID),
			Status:       report.PlaceFailed, Reason: "could not be read: " + err.Error()}}}
	}
	out := make([]found, 0, len(slots))
	for _, s := range slots {
		out = append(out, found{
			place: report.Place{Name: s.Name, Provider: t.Provider, Region: s.Region,
				LoadBalancer: cmp.Or(s.LoadBalancerID, s.ListenerID, s.CertificateID)},
			current: s.Current,
			key: strings.Join([]string{t.Provider, s.Region, s.LoadBalancerID, fmt.Sprint(s.ListenerPort), s.Domain,
				s.DomainExtensionID, s.ListenerID, s.CertificateID}, "|"),
		})
	}
	return out
}

// inventories lists, once per provider and region, the certificates a place could serve. A list
// that fails is logged and left out: the stale rule then sees only what other places serve.
func (a *Auditor) inventories(ctx context.Context, clouds Clouds, places []found, log *slog.Logger) []provider.Bound {
	type pr struct{ provider, region string }
	var keys []pr
	seen := map[pr]bool{}
	for _, f := range places {
		k := pr{f.place.Provider, f.place.Region}
		if f.place.Status == "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	lists := make([][]provider.Bound, len(keys))
	a.each(len(keys), func(i int) {
		p, err := clouds.Provider(keys[i].provider)
		if err != nil {
			return
		}
		inv, ok := p.(Inventory)
		if !ok {
			return
		}
		if lists[i], err = inv.Certificates(ctx, keys[i].region); err != nil {
			log.Warn("audit: the region's certificates could not be listed; stale is judged from the places alone",
				"provider", keys[i].provider, "region", keys[i].region, "error", err.Error())
		}
	})
	var out []provider.Bound
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// judge decides one place's status at now.
func judge(f *found, places []found, inventory []provider.Bound, now time.Time, days int) {
	pl, cur := &f.place, f.current
	if pl.Status != "" {
		return // failed at discovery
	}
	if cur.ID == "" {
		pl.Status, pl.Reason = report.PlaceMissing, "serves no certificate"
		return
	}
	pl.CertificateID, pl.DNSNames = cur.ID, cur.Names
	if len(cur.Names) > 0 {
		pl.CommonName = cur.Names[0] // the providers list the common name first
	}
	if cur.NotAfter.IsZero() {
		pl.Status, pl.Reason = report.PlaceFailed, "the certificate's expiry could not be read"
		return
	}
	pl.NotAfter = cur.NotAfter.UTC().Format(time.RFC3339)
	left := int(cur.NotAfter.Sub(now).Hours() / 24) // whole days, towards zero
	pl.DaysLeft = &left
	newer, found := newest(cur, places, inventory, now)
	switch {
	case !cur.NotAfter.After(now):
		pl.Status, pl.Reason = report.PlaceExpired, "expired "+pl.NotAfter
		if found {
			pl.Reason += "; " + newerReason(newer)
		}
	case found:
		pl.Status, pl.Reason = report.PlaceStale, newerReason(newer)
	case left < days:
		pl.Status, pl.Reason = report.PlaceExpiring, fmt.Sprintf("%d days left, fewer than %d", left, days)
	default:
		pl.Status = report.PlaceOK
	}
}

func newerReason(b provider.Bound) string {
	return fmt.Sprintf("a newer certificate %s (expires %s) covers the same names but is not served here",
		b.ID, b.NotAfter.UTC().Format(time.RFC3339))
}

// newest is the certificate, uploaded in the region or served by another place, that covers every
// name cur covers, is valid at now and expires latest after cur does.
func newest(cur provider.Bound, places []found, inventory []provider.Bound, now time.Time) (provider.Bound, bool) {
	var best provider.Bound
	ok := false
	consider := func(b provider.Bound) {
		if b.ID == "" || b.NotAfter.IsZero() || !b.NotAfter.After(cur.NotAfter) || !b.NotAfter.After(now) {
			return
		}
		if b.ID == cur.ID || (b.Fingerprint != "" && b.Fingerprint == cur.Fingerprint) || !coversAll(b.Names, cur.Names) {
			return
		}
		if !ok || b.NotAfter.After(best.NotAfter) {
			best, ok = b, true
		}
	}
	for _, b := range inventory {
		consider(b)
	}
	for _, f := range places {
		consider(f.current)
	}
	return best, ok
}

func coversAll(held, names []string) bool {
	if len(names) == 0 {
		return false
	}
	for _, n := range names {
		if !certs.Covers(held, n) {
			return false
		}
	}
	return true
}

// severity orders statuses, those needing a person most first.
var severity = map[string]int{
	report.PlaceFailed: 0, report.PlaceMissing: 1, report.PlaceExpired: 2,
	report.PlaceStale: 3, report.PlaceExpiring: 4, report.PlaceOK: 5,
}

// Sort orders places: those needing attention first (failed, missing, expired, stale,
// expiring), then ok; within a status, fewest days left first, then by name.
func Sort(places []report.Place) {
	sort.SliceStable(places, func(i, j int) bool {
		a, b := places[i], places[j]
		if severity[a.Status] != severity[b.Status] {
			return severity[a.Status] < severity[b.Status]
		}
		if da, db := daysOr(a), daysOr(b); da != db {
			return da < db
		}
		return a.Name < b.Name
	})
}

func daysOr(p report.Place) int {
	if p.DaysLeft == nil {
		return math.MinInt
	}
	return *p.DaysLeft
}

// each runs fn(0..n-1) on at most Concurrency goroutines.
func (a *Auditor) each(n int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(n, a.opts.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

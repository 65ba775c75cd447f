package alislb

import (
	"context"
	"fmt"
	"slices"

	"github.com/certrotate/certrotate/shared/provider"
)

var _ provider.Verifier = (*Provider)(nil)

// BoundAll implements provider.Verifier. Listeners' default certificates are read with
// DescribeLoadBalancerListeners, ten load balancers a call (its LoadBalancerId takes at most ten,
// and each answer carries every HTTPS listener's ServerCertificateId); SNI domains with one
// DescribeDomainExtensions per listener, which answers all of that listener's domains. The calls
// run in parallel; one failing fails only the slots it answers for. Each certificate read back
// is described (fingerprint, names) from the region's latest listing: the one BoundAll makes
// alongside when the run uploaded there, or a new one when a certificate is in none the run made
// (a concurrent invocation's copy of the same certificate, bound since, is so recognised).
func (p *Provider) BoundAll(ctx context.Context, slots []provider.Slot) ([]provider.Bound, []error) {
	type listener struct {
		region, lb string
		port       int
	}
	ids, errs := make([]string, len(slots)), make([]error, len(slots))
	lbs := map[string][]string{}     // region → load balancers whose default certificates to read
	sni := map[listener][]int{}      // listener → its SNI slots
	defaults := map[listener][]int{} // listener → its default slots
	for i, s := range slots {
		l := listener{s.Region, s.LoadBalancerID, s.ListenerPort}
		if s.DomainExtensionID != "" {
			sni[l] = append(sni[l], i)
			continue
		}
		if !slices.Contains(lbs[s.Region], s.LoadBalancerID) {
			lbs[s.Region] = append(lbs[s.Region], s.LoadBalancerID)
		}
		defaults[l] = append(defaults[l], i)
	}
	var tasks []func()
	for regionID, todo := range lbs {
		slices.Sort(todo)
		for len(todo) > 0 {
			batch := todo[:min(listenerBatch, len(todo))]
			todo = todo[len(batch):]
			tasks = append(tasks, func() {
				r := p.region(regionID)
				found, err := p.httpsListeners(ctx, r, batch, false)
				served := map[listener]string{}
				for _, l := range found {
					served[listener{regionID, l.LoadBalancerId, l.ListenerPort}] = l.HTTPSListenerConfig.ServerCertificateId
				}
				for l, idx := range defaults {
					if l.region != regionID || !slices.Contains(batch, l.lb) {
						continue
					}
					for _, i := range idx {
						id, ok := served[l]
						switch {
						case err != nil:
							errs[i] = err
						case !ok:
							errs[i] = fmt.Errorf("alislb: listener %s:%d is no longer an HTTPS listener: %w", l.lb, l.port, errTargetMissing)
						default:
							ids[i] = id
						}
					}
				}
			})
		}
	}
	for l, idx := range sni {
		tasks = append(tasks, func() {
			r := p.region(l.region)
			exts, err := p.describeDomainExtensions(ctx, r, l.lb, l.port)
			served := map[string]string{}
			for _, e := range exts {
				served[e.DomainExtensionId] = e.ServerCertificateId
			}
			for _, i := range idx {
				id, ok := served[slots[i].DomainExtensionID]
				switch {
				case err != nil:
					errs[i] = err
				case !ok:
					errs[i] = fmt.Errorf("alislb: domain extension %s of listener %s:%d is gone: %w", slots[i].DomainExtensionID, l.lb, l.port, errTargetMissing)
				default:
					ids[i] = id
				}
			}
		})
	}
	// Alongside: the listing that finish converges and cleans up with (ownedListing), made after
	// this run's bindings, in every region it uploaded to.
	var relisted []string
	for _, s := range slots {
		if r := p.region(s.Region); !slices.Contains(relisted, s.Region) && r.didUpload() {
			relisted = append(relisted, s.Region)
			tasks = append(tasks, func() {
				if list, err := p.listServerCerts(ctx, r); err == nil {
					r.relistMu.Lock()
					r.relist = list
					r.relistMu.Unlock()
				}
			})
		}
	}
	_ = p.parallel(len(tasks), func(i int) error { tasks[i](); return nil })
	return p.describeAll(ctx, slots, ids, errs), errs
}

func (r *region) didUpload() bool {
	r.uploadMu.Lock()
	defer r.uploadMu.Unlock()
	return r.uploadedAny
}

// describeAll describes the certificates ids[i] read back for slots[i] (where errs[i] is nil).
func (p *Provider) describeAll(ctx context.Context, slots []provider.Slot, ids []string, errs []error) []provider.Bound {
	got := make([]provider.Bound, len(slots))
	var regions []string
	for i, s := range slots {
		if errs[i] == nil && !slices.Contains(regions, s.Region) {
			regions = append(regions, s.Region)
		}
	}
	for _, regionID := range regions {
		r := p.region(regionID)
		for i, s := range slots {
			if s.Region != regionID || errs[i] != nil || ids[i] == "" {
				continue
			}
			if _, ok := r.lookup(ids[i]); !ok {
				_, _ = p.listServerCerts(ctx, r) // a certificate this run has not seen: bound since by someone else
				break
			}
		}
		for i, s := range slots {
			if s.Region == regionID && errs[i] == nil {
				got[i] = p.described(r, ids[i])
			}
		}
	}
	return got
}

// described is certificate id as the region's latest listing describes it (id alone when the
// listing does not have it, such as one uploaded after it).
func (p *Provider) described(r *region, id string) provider.Bound {
	if sc, ok := r.lookup(id); ok && id != "" {
		return provider.Bound{ID: id, Fingerprint: sc.fingerprint, Names: sc.names, NotAfter: sc.notAfter}
	}
	return provider.Bound{ID: id}
}

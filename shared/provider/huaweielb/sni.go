package huaweielb

import (
	"context"
	"slices"
	"sync"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
)

// listenerKey names one listener; its lock serialises this run's writes to its certificates.
// ELB v3 has no conditional update (no ETag or If-Match on UpdateListener), and
// sni_container_refs is replaced whole, so two slots of one listener writing at once would
// lose one of the updates.
type listenerKey struct{ region, project, listener string }

// lockListener takes listener id's lock and returns its release.
func (p *Provider) lockListener(s *scope, id string) func() {
	p.mu.Lock()
	k := listenerKey{s.region, s.project, id}
	m := p.listeners[k]
	if m == nil {
		m = &sync.Mutex{}
		p.listeners[k] = m
	}
	p.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// sniKey names one SNI slot.
type sniKey struct{ region, project, listener, domain string }

// sniDeploy is what a Deploy did to an SNI slot: which certificate it bound, which one of the
// same key algorithm it replaced ("" when it added one), and what a person should know.
type sniDeploy struct {
	deployed, replaced, algo, note string
}

func (p *Provider) rememberSNI(s *scope, slot provider.Slot, d sniDeploy) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sni[sniKey{s.region, s.project, slot.ListenerID, slot.Domain}] = d
}

func (p *Provider) deployedSNI(s *scope, slot provider.Slot) (sniDeploy, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.sni[sniKey{s.region, s.project, slot.ListenerID, slot.Domain}]
	return d, ok
}

var _ provider.Noter = (*Provider)(nil)

// Note implements provider.Noter: after an SNI Deploy, it says when a certificate of the other
// key algorithm still serves the slot's domain.
func (p *Provider) Note(slot provider.Slot) string {
	if slot.Domain == "" || slot.ListenerID == "" {
		return ""
	}
	project, err := p.project(slot.Target)
	if err != nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sni[sniKey{slot.Region, project, slot.ListenerID, slot.Domain}].note
}

// sniCandidates reads a listener's SNI certificates refs and returns, in refs order, those
// serving domain: exact (their domain field holds it) and wild (a wildcard there covers it).
func (p *Provider) sniCandidates(ctx context.Context, s *scope, refs []string, domain string) (exact, wild []certInfo, err error) {
	if len(refs) == 0 {
		return nil, nil, nil
	}
	byID, err := p.certificatesByID(ctx, s, refs)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range refs {
		exact, wild = sortCandidate(exact, wild, byID, id, domain)
	}
	return exact, wild, nil
}

// sortCandidate adds SNI certificate id, described in byID (absent: ELB no longer has it), to
// exact when its domain field holds domain, to wild when a wildcard there covers it.
func sortCandidate(exact, wild []certInfo, byID map[string]certInfo, id, domain string) ([]certInfo, []certInfo) {
	c, ok := byID[id]
	switch {
	case !ok:
	case slices.Contains(c.domains(), domain):
		exact = append(exact, c)
	case certs.Covers(c.domains(), domain):
		wild = append(wild, c)
	}
	return exact, wild
}

// pickHolder chooses the SNI certificate a slot stands for. With a key algorithm (a Deploy, or
// a read-back after one), the first exact holder of that algorithm, else the first wildcard
// one: ELB keeps one ECC and one RSA certificate per domain, and a new certificate replaces the
// one of its own algorithm. Without one (Discover), the exact holder that expires first, the one
// most in need of rotation; else the first wildcard holder. A holder whose key is unknown
// matches any algorithm.
func pickHolder(exact, wild []certInfo, algo string) certInfo {
	if algo == "" && len(exact) > 1 {
		best := exact[0]
		for _, c := range exact[1:] {
			if !c.notAfter.IsZero() && (best.notAfter.IsZero() || c.notAfter.Before(best.notAfter)) {
				best = c
			}
		}
		return best
	}
	match := func(c certInfo) bool { return algo == "" || c.algo == "" || c.algo == algo }
	for _, list := range [][]certInfo{exact, wild} {
		for _, c := range list {
			if match(c) {
				return c
			}
		}
	}
	return certInfo{}
}

package huaweielb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
)

// Deploy implements provider.Provider. A certificate_id slot has its certificate and key
// replaced in place, keeping its name and domain; a listener slot gets a certificate holding b
// (reused by fingerprint, else created) as its default or as its SNI certificate for the
// slot's domain, the listener's other SNI certificates untouched.
func (p *Provider) Deploy(ctx context.Context, slot provider.Slot, b *certs.Bundle) (string, error) {
	s, err := p.slotScope(slot)
	if err != nil {
		return "", err
	}
	switch {
	case slot.CertificateID != "":
		return slot.CertificateID, p.updateInPlace(ctx, s, slot.CertificateID, b)
	case slot.ListenerID == "":
		return "", provider.Permanent(fmt.Errorf("huaweielb: %s: the slot names neither a certificate nor a listener", slot.Name))
	}
	id, err := p.upload(ctx, s, b)
	if err != nil {
		return "", err
	}
	return id, p.bind(ctx, s, slot, id, b.DNSNames())
}

// updateInPlace replaces certificate id's certificate and key with b's, unless it holds b
// already. Its domain stays as it is, so b must cover every name in it: ELB refuses to leave an
// SNI certificate without its domain, and a domain b does not cover would be served wrongly.
func (p *Provider) updateInPlace(ctx context.Context, s *scope, id string, b *certs.Bundle) error {
	// One update at a time per scope: two slots naming one certificate update it once.
	s.uploadMu.Lock()
	defer s.uploadMu.Unlock()
	cur, err := p.showCertificate(ctx, s, id)
	if err != nil {
		return err
	}
	if cur.fingerprint == certs.NormalizeFingerprint(b.FingerprintSHA1()) {
		return nil
	}
	var uncovered []string
	for _, d := range cur.domains() {
		if !certs.Covers(b.DNSNames(), d) {
			uncovered = append(uncovered, d)
		}
	}
	if len(uncovered) > 0 {
		return provider.Permanent(fmt.Errorf("huaweielb: certificate %s: its domain lists %s, which the new certificate does not cover",
			id, strings.Join(uncovered, ", ")))
	}
	opt := &model.UpdateCertificateOption{Certificate: ptr(b.CertificatePEM), PrivateKey: ptr(b.PrivateKeyPEM)}
	if cur.domain != "" {
		opt.Domain = ptr(cur.domain)
	}
	err = p.call(ctx, s, "UpdateCertificate", func(c *elb.ElbClient) error {
		_, err := c.UpdateCertificate(&model.UpdateCertificateRequest{
			CertificateId: id, Body: &model.UpdateCertificateRequestBody{Certificate: opt}})
		return err
	})
	if err == nil {
		s.forget(id)
	}
	return err
}

// upload returns the id of a certificate in s holding b, creating one only if s has none with
// its fingerprint. Concurrent calls for one scope create at most one; concurrent invocations
// converge on one copy (see provider.Provider.Deploy).
func (p *Provider) upload(ctx context.Context, s *scope, b *certs.Bundle) (string, error) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	s.uploadMu.Lock()
	defer s.uploadMu.Unlock()
	if id, ok := s.uploaded[fp]; ok {
		return id, nil
	}
	list, err := p.byFingerprint(ctx, s, fp)
	if err != nil {
		return "", err
	}
	if best := earliest(list, p.deployment()); best != "" {
		s.uploaded[fp] = best
		return best, nil
	}
	domains := b.DNSNames()
	if len(domains) > maxDomains {
		domains = domains[:maxDomains]
	}
	var created certInfo
	err = p.call(ctx, s, "CreateCertificate", func(c *elb.ElbClient) error {
		resp, err := c.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{
			Certificate: &model.CreateCertificateOption{
				Name:        ptr(provider.CertificateName(b)),
				Description: ptr(p.markDescription()),
				Type:        ptr(model.GetCreateCertificateOptionTypeEnum().SERVER),
				Certificate: ptr(b.CertificatePEM),
				PrivateKey:  ptr(b.PrivateKeyPEM),
				Domain:      ptr(strings.Join(domains, ",")), // SNI certificates must carry one
			}}})
		if err == nil && resp.Certificate != nil {
			created = info(*resp.Certificate)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if created.id == "" {
		return "", fmt.Errorf("huaweielb: CreateCertificate: the answer holds no certificate id")
	}
	id := created.id
	// Another invocation may have created the same certificate meanwhile, or a retried create
	// may have landed twice: everyone binds the earliest of our copies, and a loser deletes its own.
	if list, err := p.byFingerprint(ctx, s, fp); err == nil {
		if best := earliest(list, p.deployment()); best != "" && best != id {
			// Best effort: a copy left behind is ours and unused, so a later cleanup takes it.
			_ = p.deleteCertificate(ctx, s, id)
			id = best
		}
	}
	s.uploaded[fp] = id
	return id, nil
}

// earliest picks among certificates holding one leaf: ours first (the earliest created, then
// the lowest id), then anyone's with the lowest id, so that every invocation choosing among
// duplicates chooses the same one.
func earliest(list []certInfo, dep string) string {
	var best *certInfo
	for i := range list {
		c := &list[i]
		if c.typ != "" && c.typ != "server" {
			continue
		}
		if best == nil || before(*c, *best, dep) {
			best = c
		}
	}
	if best == nil {
		return ""
	}
	return best.id
}

func before(a, b certInfo, dep string) bool {
	switch {
	case a.ours(dep) != b.ours(dep):
		return a.ours(dep)
	case a.ours(dep) && !a.created.Equal(b.created):
		return a.created.Before(b.created)
	}
	return a.id < b.id
}

// bind makes a listener slot serve certificate id, which holds names. For an SNI slot it
// replaces the certificate serving the slot's domain now: the one whose domain field holds it,
// or one covering it with a wildcard if id covers every domain of that one too (otherwise id is
// added beside it, and wins by being the exact match). Other SNI certificates stay.
func (p *Provider) bind(ctx context.Context, s *scope, slot provider.Slot, id string, names []string) error {
	l, err := p.showListener(ctx, s, slot.ListenerID)
	if err != nil {
		return err
	}
	opt := &model.UpdateListenerOption{}
	if slot.Domain == "" {
		if l.DefaultTlsContainerRef == id {
			return nil
		}
		opt.DefaultTlsContainerRef = ptr(id)
	} else {
		refs := l.SniContainerRefs
		holder, err := p.sniHolder(ctx, s, refs, slot.Domain)
		if err != nil {
			return err
		}
		replace := holder.id
		if holder.id != "" && !slices.Contains(holder.domains(), slot.Domain) {
			for _, d := range holder.domains() {
				if !certs.Covers(names, d) {
					replace = ""
					break
				}
			}
		}
		next := replaceRef(refs, replace, id)
		if slices.Equal(next, refs) {
			return nil
		}
		opt.SniContainerRefs = &next
	}
	return p.updateListener(ctx, s, slot.ListenerID, opt)
}

// replaceRef returns refs with old replaced by id (or id added when old is absent), id once.
func replaceRef(refs []string, old, id string) []string {
	out := make([]string, 0, len(refs)+1)
	placed := false
	for _, r := range refs {
		switch {
		case r == id || (r == old && old != ""):
			if !placed {
				out, placed = append(out, id), true
			}
		default:
			out = append(out, r)
		}
	}
	if !placed && id != "" {
		out = append(out, id)
	}
	return out
}

func (p *Provider) updateListener(ctx context.Context, s *scope, id string, opt *model.UpdateListenerOption) error {
	return p.call(ctx, s, "UpdateListener", func(c *elb.ElbClient) error {
		_, err := c.UpdateListener(&model.UpdateListenerRequest{ListenerId: id, Body: &model.UpdateListenerRequestBody{Listener: opt}})
		return err
	})
}

// Rebind implements provider.Rebinder. A certificate updated in place cannot be rolled back
// (its previous key is gone); an SNI slot that served nothing before is emptied again.
func (p *Provider) Rebind(ctx context.Context, slot provider.Slot, certificateID string) error {
	if slot.CertificateID != "" {
		return provider.Permanent(fmt.Errorf("huaweielb: %s: certificate %s was updated in place and cannot be rolled back", slot.Name, slot.CertificateID))
	}
	if slot.ListenerID == "" {
		return provider.Permanent(fmt.Errorf("huaweielb: %s: the slot names neither a certificate nor a listener", slot.Name))
	}
	if certificateID == "" && slot.Domain == "" {
		return provider.Permanent(fmt.Errorf("huaweielb: %s: no certificate to roll back to", slot.Name))
	}
	s, err := p.slotScope(slot)
	if err != nil {
		return err
	}
	if slot.Domain == "" {
		return p.bind(ctx, s, slot, certificateID, nil)
	}
	l, err := p.showListener(ctx, s, slot.ListenerID)
	if err != nil {
		return err
	}
	now, err := p.sniHolder(ctx, s, l.SniContainerRefs, slot.Domain)
	if err != nil {
		return err
	}
	next := replaceRef(l.SniContainerRefs, now.id, certificateID)
	if certificateID == "" {
		next = slices.DeleteFunc(slices.Clone(l.SniContainerRefs), func(r string) bool { return r == now.id })
	}
	if slices.Equal(next, l.SniContainerRefs) {
		return nil
	}
	return p.updateListener(ctx, s, slot.ListenerID, &model.UpdateListenerOption{SniContainerRefs: &next})
}

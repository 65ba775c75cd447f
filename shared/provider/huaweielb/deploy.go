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
// (this project's copy, found by name and fingerprint, else created) as its default or as its
// SNI certificate for the slot's domain, the listener's other SNI certificates untouched. Writes
// to one listener's certificates are serialised, so two slots of one listener lose no update.
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
	unlock := p.lockListener(s, slot.ListenerID)
	defer unlock()
	l, saw, err := p.listenerToWrite(ctx, s, slot)
	if err != nil {
		return "", err
	}
	algo := keyAlgorithm(b.Leaf)
	if strings.EqualFold(l.Protocol, "QUIC") && algo != "RSA" {
		// "QUIC监听器仅支持RSA证书" (hw-sdk model_update_listener_option.go, SniContainerRefs).
		return "", provider.Permanent(fmt.Errorf("huaweielb: listener %s is QUIC, which takes RSA certificates only, and this certificate's key is %s: issue an RSA certificate (certbot --key-type rsa, acme.sh --keylength 2048)", l.Id, algo))
	}
	c, err := p.upload(ctx, s, b, slot.Domain)
	if err != nil {
		return "", err
	}
	if slot.Domain != "" && !certs.Covers(c.domains(), slot.Domain) {
		return "", provider.Permanent(fmt.Errorf("huaweielb: %s: certificate %s lists %d of the certificate's %d names in its domain, not %s: ELB takes at most %d names and %d characters there; give this domain a certificate with fewer names",
			slot.Name, c.id, len(c.domains()), len(b.DNSNames()), slot.Domain, maxDomains, maxDomainLength))
	}
	if saw != "" && saw == c.id {
		// Discover saw the listener serve this certificate already: read it again, so that bind
		// changes nothing when it still does.
		if l, err = p.showListener(ctx, s, slot.ListenerID); err != nil {
			return "", err
		}
	}
	return c.id, p.bind(ctx, s, slot, l, c.id, b.DNSNames(), algo)
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

// upload returns a certificate in s holding b, creating one only if s has no copy of it (see
// copies). Concurrent calls for one scope create at most one; concurrent invocations converge
// on one copy (see provider.Provider.Deploy). A created certificate's domain starts with first,
// the slot's own domain, so that it stays in when b has more names than ELB takes.
func (p *Provider) upload(ctx context.Context, s *scope, b *certs.Bundle, first string) (certInfo, error) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	s.uploadMu.Lock()
	defer s.uploadMu.Unlock()
	if c, ok := s.uploaded[fp]; ok {
		return c, nil
	}
	list, err := p.copies(ctx, s, b)
	if err != nil {
		return certInfo{}, err
	}
	if best := earliest(list, p.deployment()); best.id != "" {
		s.uploaded[fp] = best
		return best, nil
	}
	opt := &model.CreateCertificateOption{
		Name:        ptr(provider.CertificateName(b)),
		Description: ptr(p.markDescription()),
		Type:        ptr(model.GetCreateCertificateOptionTypeEnum().SERVER),
		Certificate: ptr(b.CertificatePEM),
		PrivateKey:  ptr(b.PrivateKeyPEM),
		Domain:      ptr(domainField(b.DNSNames(), first)), // SNI certificates must carry one
	}
	if s.ep != "" && s.ep != "0" {
		// Without it the certificate goes to the default enterprise project "0", which must
		// not be named (hw-sdk model_create_certificate_option.go, EnterpriseProjectId).
		opt.EnterpriseProjectId = ptr(s.ep)
	}
	var created certInfo
	err = p.call(ctx, s, "CreateCertificate", func(c *elb.ElbClient) error {
		resp, err := c.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{Certificate: opt}})
		if err == nil && resp.Certificate != nil {
			created = info(*resp.Certificate)
		}
		return err
	})
	if err != nil {
		return certInfo{}, err
	}
	if created.id == "" {
		return certInfo{}, fmt.Errorf("huaweielb: CreateCertificate: the answer holds no certificate id")
	}
	// Another invocation may have created the same certificate meanwhile, or a retried create
	// may have landed twice: everyone binds the earliest of our copies, and a loser deletes its own.
	if list, err := p.copies(ctx, s, b); err == nil {
		if best := earliest(list, p.deployment()); best.id != "" && best.id != created.id {
			// Best effort: a copy left behind is ours and unused, so a later cleanup takes it.
			_ = p.deleteCertificate(ctx, s, created.id)
			created = best
		}
	}
	s.remember(created)
	s.uploaded[fp] = created
	return created, nil
}

// earliest picks among certificates holding one leaf: ours first (the earliest created, then
// the lowest id), then anyone's with the lowest id, so that every invocation choosing among
// duplicates chooses the same one.
func earliest(list []certInfo, dep string) certInfo {
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
		return certInfo{}
	}
	return *best
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

// bind makes a listener slot serve certificate id, which holds names with a key of algo; l is
// the listener as read under the listener's lock. For an SNI slot it replaces the certificate of
// the same key algorithm serving the slot's domain now (see pickHolder): the one whose domain
// field holds it, or one covering it with a wildcard if id covers every domain of that one too
// (otherwise id is added beside it, and wins by being the exact match). Other SNI certificates
// stay, among them one of the other key algorithm for the same domain, which ELB allows
// (support.huaweicloud.com/usermanual-elb/elb_ug_jt_0021.html); Note then says so.
func (p *Provider) bind(ctx context.Context, s *scope, slot provider.Slot, l *model.Listener, id string, names []string, algo string) error {
	opt := &model.UpdateListenerOption{}
	if slot.Domain == "" {
		if l.DefaultTlsContainerRef == id {
			return nil
		}
		opt.DefaultTlsContainerRef = ptr(id)
		return p.updateListener(ctx, s, slot.ListenerID, opt)
	}
	refs := l.SniContainerRefs
	exact, wild, err := p.sniCandidates(ctx, s, refs, slot.Domain)
	if err != nil {
		return err
	}
	holder := pickHolder(exact, wild, algo)
	replace := holder.id
	if holder.id != "" && !slices.Contains(holder.domains(), slot.Domain) {
		for _, d := range holder.domains() {
			if !certs.Covers(names, d) {
				replace = ""
				break
			}
		}
	}
	d := sniDeploy{deployed: id, replaced: replace, algo: algo}
	for _, c := range exact {
		if c.id != id && c.id != replace && c.algo != "" && c.algo != algo {
			d.note = fmt.Sprintf("%s is also served by the %s certificate %s, left in place: ELB keeps one ECC and one RSA certificate per SNI domain and prefers the ECC one for clients that support it",
				slot.Domain, c.algo, c.id)
		}
	}
	next := replaceRef(refs, replace, id)
	if !slices.Equal(next, refs) {
		opt.SniContainerRefs = &next
		if err := p.updateListener(ctx, s, slot.ListenerID, opt); err != nil {
			return err
		}
	}
	p.rememberSNI(s, slot, d)
	return nil
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
	p.wrote(s, id)
	return p.call(ctx, s, "UpdateListener", func(c *elb.ElbClient) error {
		_, err := c.UpdateListener(&model.UpdateListenerRequest{ListenerId: id, Body: &model.UpdateListenerRequestBody{Listener: opt}})
		return err
	})
}

// Rebind implements provider.Rebinder. A certificate updated in place cannot be rolled back
// (its previous key is gone); an SNI slot that served nothing before is emptied again. In an SNI
// slot deployed in this run, certificateID takes the place of the certificate Deploy bound; the
// rollback to slot.Current restores the certificate Deploy replaced (the one of the same key
// algorithm, which may differ from slot.Current when an ECC and an RSA certificate share the
// domain, and none when Deploy added its certificate beside a wildcard one).
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
	unlock := p.lockListener(s, slot.ListenerID)
	defer unlock()
	l, err := p.showListener(ctx, s, slot.ListenerID)
	if err != nil {
		return err
	}
	if slot.Domain == "" {
		return p.bind(ctx, s, slot, l, certificateID, nil, "")
	}
	now, back := "", certificateID
	d, deployed := p.deployedSNI(s, slot)
	if deployed {
		now = d.deployed
		if certificateID == slot.Current.ID {
			back = d.replaced
		}
	} else {
		exact, wild, err := p.sniCandidates(ctx, s, l.SniContainerRefs, slot.Domain)
		if err != nil {
			return err
		}
		now = pickHolder(exact, wild, "").id
	}
	next := replaceRef(l.SniContainerRefs, now, back)
	if back == "" {
		next = slices.DeleteFunc(slices.Clone(l.SniContainerRefs), func(r string) bool { return r == now })
	}
	if !slices.Equal(next, l.SniContainerRefs) {
		if err := p.updateListener(ctx, s, slot.ListenerID, &model.UpdateListenerOption{SniContainerRefs: &next}); err != nil {
			return err
		}
	}
	if deployed {
		d.deployed = back
		p.rememberSNI(s, slot, d)
	}
	return nil
}

package huaweielb

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
)

const (
	pageSize = 500 // ListCertificates page
	// idBatch bounds the ids one ListCertificates or ListListeners call filters on, so that its
	// URL stays short: each id adds about 40 characters ("&id=" and a 32- or 36-character id).
	idBatch = 50
	// maxDomains and maxDomainLength bound a certificate's "domain" field. The hw-sdk model
	// comments say 100 names and 10000 characters, but the Huawei EU API reference
	// (support.huaweicloud.com/eu/api-elb/ShowCertificate.html) and the white-label one
	// (opentelekomcloud-docs/load-balancer, api-ref/source/apis_v3/certificate) say at most 30
	// names and 1024 characters: the provider keeps to the smaller limits, which every region takes.
	maxDomains      = 30
	maxDomainLength = 1024
)

// certInfo is what the provider keeps of an ELB certificate: never its private key.
type certInfo struct {
	id, name, typ string
	domain        string   // the "domain" field as ELB holds it: comma-separated, may be empty
	fingerprint   string   // SHA-1 of the leaf, normalised
	names         []string // DNS names of the leaf (common name and SANs), lower-case
	algo          string   // key algorithm of the leaf: "RSA", "ECC", or "" when unknown
	created       time.Time
	notAfter      time.Time // the leaf's NotAfter, else expire_time; zero when neither is known
	mark          string    // the deployment id its description carries (mark.go)
}

// ours reports whether c carries the mark of deployment dep.
func (c certInfo) ours(dep string) bool { return c.mark != "" && c.mark == dep }

// domains splits the domain field into lower-case names.
func (c certInfo) domains() []string { return splitDomains(c.domain) }

// bound describes c as a slot serving it; an in-place certificate also counts the domains the
// update keeps, which the new certificate must cover too.
func (c certInfo) bound(inPlace bool) provider.Bound {
	names := c.names
	if inPlace {
		names = dnsNames(append(slices.Clone(c.names), c.domains()...))
	}
	return provider.Bound{ID: c.id, Fingerprint: c.fingerprint, Names: names, NotAfter: c.notAfter}
}

func splitDomains(field string) []string {
	var out []string
	for _, d := range strings.Split(field, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// info reads a CertificateInfo. The fingerprint and names come from the PEM when it parses,
// since ELB's fingerprint format is not documented.
func info(ci model.CertificateInfo) certInfo {
	out := certInfo{id: ci.Id, name: ci.Name, typ: ci.Type, domain: ci.Domain, created: parseTime(ci.CreatedAt),
		notAfter: parseTime(ci.ExpireTime), mark: markOf(ci.Description)}
	if leaf := leafOf(ci.Certificate); leaf != nil {
		out.fingerprint = certs.NormalizeFingerprint(certs.FingerprintSHA1(leaf.Raw))
		out.names = dnsNames(append([]string{leaf.Subject.CommonName}, leaf.DNSNames...))
		out.algo, out.notAfter = keyAlgorithm(leaf), leaf.NotAfter.UTC()
		return out
	}
	if ci.Fingerprint != nil {
		out.fingerprint = certs.NormalizeFingerprint(*ci.Fingerprint)
	}
	var names []string
	if ci.CommonName != nil {
		names = append(names, *ci.CommonName)
	}
	if ci.SubjectAlternativeNames != nil {
		names = append(names, *ci.SubjectAlternativeNames...)
	}
	out.names = dnsNames(names)
	return out
}

// keyAlgorithm names a leaf's key type as ELB's SNI rules count it: "RSA" or "ECC".
func keyAlgorithm(leaf *x509.Certificate) string {
	switch leaf.PublicKeyAlgorithm {
	case x509.RSA:
		return "RSA"
	case x509.ECDSA:
		return "ECC"
	}
	return leaf.PublicKeyAlgorithm.String()
}

func leafOf(pemText string) *x509.Certificate {
	rest := []byte(pemText)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil
		}
		if block.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil
			}
			return c
		}
	}
}

var dnsLike = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9-]+$`)
})

// dnsNames lower-cases and deduplicates names, dropping those that are not DNS names (a common
// name such as "My Server").
func dnsNames(in []string) []string {
	var out []string
	for _, n := range in {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		if n != "" && dnsLike().MatchString(n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// remember records what a listing or read showed, for Delete to recognise ours without a call.
func (s *scope) remember(list ...certInfo) {
	s.certsMu.Lock()
	defer s.certsMu.Unlock()
	for _, c := range list {
		s.certs[c.id] = c
	}
}

func (s *scope) lookup(id string) (certInfo, bool) {
	s.certsMu.Lock()
	defer s.certsMu.Unlock()
	c, ok := s.certs[id]
	return c, ok
}

func (s *scope) forget(id string) {
	s.certsMu.Lock()
	defer s.certsMu.Unlock()
	delete(s.certs, id)
}

// showCertificate reads one certificate.
func (p *Provider) showCertificate(ctx context.Context, s *scope, id string) (certInfo, error) {
	var ci certInfo
	err := p.call(ctx, s, "ShowCertificate", func(c *elb.ElbClient) error {
		resp, err := c.ShowCertificate(&model.ShowCertificateRequest{CertificateId: id})
		if err == nil && resp.Certificate != nil {
			ci = info(*resp.Certificate)
		}
		return err
	})
	if err == nil {
		s.remember(ci)
	}
	return ci, err
}

// listCertificates lists the certificates that edit's filters select, every page.
func (p *Provider) listCertificates(ctx context.Context, s *scope, edit func(*model.ListCertificatesRequest)) ([]certInfo, error) {
	var out []certInfo
	var marker *string
	for {
		req := &model.ListCertificatesRequest{Limit: ptr(int32(pageSize)), Marker: marker}
		if s.ep != "" {
			// Without it, ELB authorises the list against a global elb:certificates:list grant,
			// which a principal whose rights are per enterprise project lacks (hw-sdk
			// model_list_certificates_request.go, EnterpriseProjectId).
			req.EnterpriseProjectId = &[]string{s.ep}
		}
		if edit != nil {
			edit(req)
		}
		var resp *model.ListCertificatesResponse
		err := p.call(ctx, s, "ListCertificates", func(c *elb.ElbClient) error {
			var err error
			resp, err = c.ListCertificates(req)
			return err
		})
		if err != nil {
			return nil, err
		}
		var page []model.CertificateInfo
		if resp.Certificates != nil {
			page = *resp.Certificates
		}
		for _, ci := range page {
			out = append(out, info(ci))
		}
		next := ""
		if resp.PageInfo != nil && resp.PageInfo.NextMarker != nil {
			next = *resp.PageInfo.NextMarker
		}
		if len(page) < pageSize || next == "" || (marker != nil && next == *marker) {
			s.remember(out...)
			return out, nil
		}
		marker = &next
	}
}

// certificatesByID reads the certificates ids in one listing (ids ELB no longer has are left out).
func (p *Provider) certificatesByID(ctx context.Context, s *scope, ids []string) (map[string]certInfo, error) {
	out := map[string]certInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := p.listCertificates(ctx, s, func(r *model.ListCertificatesRequest) { r.Id = ptr(slices.Clone(ids)) })
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if slices.Contains(ids, c.id) {
			out[c.id] = c
		}
	}
	return out, nil
}

// copies lists this project's copies of b: the certificates named provider.CertificateName(b)
// whose leaf has b's SHA-1 fingerprint. The name filter is documented in every version of the
// ELB v3 reference; the fingerprint filter is missing from older ones and its value format is
// not documented anywhere (hw-sdk model_list_certificates_request.go says only "证书的指纹"), so
// the fingerprint is compared here, from the PEM ELB answers.
func (p *Provider) copies(ctx context.Context, s *scope, b *certs.Bundle) ([]certInfo, error) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	list, err := p.listCertificates(ctx, s, func(r *model.ListCertificatesRequest) { r.Name = &[]string{provider.CertificateName(b)} })
	if err != nil {
		return nil, err
	}
	var out []certInfo
	for _, c := range list {
		if c.fingerprint == fp {
			out = append(out, c)
		}
	}
	return out, nil
}

// domainField is the "domain" of a certificate created for names: first the slot's own domain
// (or the name covering it), then the others, as many as fit in maxDomains names and
// maxDomainLength characters.
func domainField(names []string, first string) string {
	ordered := make([]string, 0, len(names))
	if first != "" {
		if i := slices.Index(names, first); i >= 0 {
			ordered = append(ordered, first)
		} else if i := slices.IndexFunc(names, func(n string) bool { return certs.Covers([]string{n}, first) }); i >= 0 {
			ordered = append(ordered, names[i])
		}
	}
	for _, n := range names {
		if !slices.Contains(ordered, n) {
			ordered = append(ordered, n)
		}
	}
	var out []string
	length := 0
	for _, n := range ordered {
		extra := len(n)
		if len(out) > 0 {
			extra++ // the comma
		}
		if len(out) == maxDomains || length+extra > maxDomainLength {
			break
		}
		out, length = append(out, n), length+extra
	}
	return strings.Join(out, ",")
}

// gone reports whether ELB answered that a certificate does not exist: 404 (ELB.8904), or
// 400 ELB.5040 "The certificate does not exist.", which the published error table also lists
// (opentelekomcloud-docs/load-balancer api-ref/source/appendix/error_codes.rst).
func gone(err error) bool {
	return StatusCode(err) == http.StatusNotFound || ErrorCode(err) == "ELB.5040"
}

// describe is what certificate id looks like to a slot serving it; an id ELB no longer has is
// described by its id alone. The description is what ELB answered for id in this run (see
// known): many listeners serving one certificate cost one read.
func (p *Provider) describe(ctx context.Context, s *scope, id string) (provider.Bound, error) {
	if id == "" {
		return provider.Bound{}, nil
	}
	c, err := p.known(ctx, s, id)
	if gone(err) {
		return provider.Bound{ID: id}, nil
	}
	if err != nil {
		return provider.Bound{}, err
	}
	return c.bound(false), nil
}

// known is certificate id as ELB last described it in this run (a read, a listing, the answer to
// its creation), else read now; concurrent callers asking for the same id share one read. Only
// what ELB answered is kept, never a guess, and an in-place update forgets the id. A failed read
// is not kept: the next caller reads again.
func (p *Provider) known(ctx context.Context, s *scope, id string) (certInfo, error) {
	for {
		s.certsMu.Lock()
		if c, ok := s.certs[id]; ok {
			s.certsMu.Unlock()
			return c, nil
		}
		if wait, ok := s.reading[id]; ok {
			s.certsMu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return certInfo{}, fmt.Errorf("huaweielb: ShowCertificate: %w", ctx.Err())
			}
		}
		done := make(chan struct{})
		s.reading[id] = done
		s.certsMu.Unlock()
		c, err := p.showCertificate(ctx, s, id)
		s.certsMu.Lock()
		delete(s.reading, id)
		s.certsMu.Unlock()
		close(done)
		return c, err
	}
}

// knownMany describes the certificates ids as known does, listing those this run has not seen
// in ListCertificates calls of at most idBatch ids each. Ids ELB no longer has are left out.
func (p *Provider) knownMany(ctx context.Context, s *scope, ids []string) (map[string]certInfo, error) {
	out := map[string]certInfo{}
	var missing []string
	for _, id := range ids {
		if id == "" || out[id].id != "" || slices.Contains(missing, id) {
			continue
		}
		if c, ok := s.lookup(id); ok {
			out[id] = c
		} else {
			missing = append(missing, id)
		}
	}
	for chunk := range slices.Chunk(missing, idBatch) {
		got, err := p.certificatesByID(ctx, s, chunk)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, got)
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

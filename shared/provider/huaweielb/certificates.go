package huaweielb

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
)

const (
	pageSize   = 500 // ListCertificates page
	maxDomains = 100 // domains in one certificate's "domain" field
)

// certInfo is what the provider keeps of an ELB certificate: never its private key.
type certInfo struct {
	id, name, typ string
	domain        string   // the "domain" field as ELB holds it: comma-separated, may be empty
	fingerprint   string   // SHA-1 of the leaf, normalised
	names         []string // DNS names of the leaf (common name and SANs), lower-case
	created       time.Time
	notAfter      time.Time // the leaf's NotAfter, else expire_time; zero when neither is known
}

func (c certInfo) ours() bool { return strings.HasPrefix(c.name, NamePrefix) }

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
		notAfter: parseTime(ci.ExpireTime)}
	if leaf := leafOf(ci.Certificate); leaf != nil {
		out.notAfter = leaf.NotAfter.UTC()
		out.fingerprint = certs.NormalizeFingerprint(certs.FingerprintSHA1(leaf.Raw))
		out.names = dnsNames(append([]string{leaf.Subject.CommonName}, leaf.DNSNames...))
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

var dnsLike = regexp.MustCompile(`^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9-]+$`)

// dnsNames lower-cases and deduplicates names, dropping those that are not DNS names (a common
// name such as "My Server").
func dnsNames(in []string) []string {
	var out []string
	for _, n := range in {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		if n != "" && dnsLike.MatchString(n) && !slices.Contains(out, n) {
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

// byFingerprint lists the certificates whose leaf has SHA-1 fingerprint fp (normalised).
// ELB's spelling of fingerprints is not documented, so the filter asks for every plausible one
// (repeated values are alternatives) and the answer is compared normalised.
func (p *Provider) byFingerprint(ctx context.Context, s *scope, fp string) ([]certInfo, error) {
	colon := colonHex(fp)
	spellings := []string{colon, strings.ToUpper(colon), fp, strings.ToUpper(fp), "SHA1 Fingerprint=" + strings.ToUpper(colon)}
	list, err := p.listCertificates(ctx, s, func(r *model.ListCertificatesRequest) { r.Fingerprint = &spellings })
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

func colonHex(hex string) string {
	var b strings.Builder
	for i := 0; i < len(hex); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hex[i:min(i+2, len(hex))])
	}
	return b.String()
}

// describe is what certificate id looks like to a slot serving it; an id ELB no longer has is
// described by its id alone.
func (p *Provider) describe(ctx context.Context, s *scope, id string) (provider.Bound, error) {
	if id == "" {
		return provider.Bound{}, nil
	}
	c, err := p.showCertificate(ctx, s, id)
	if StatusCode(err) == http.StatusNotFound {
		return provider.Bound{ID: id}, nil
	}
	if err != nil {
		return provider.Bound{}, err
	}
	return c.bound(false), nil
}

func ptr[T any](v T) *T { return &v }

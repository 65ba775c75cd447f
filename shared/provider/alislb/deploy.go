package alislb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
)

// Deploy implements provider.Provider.
func (p *Provider) Deploy(ctx context.Context, slot provider.Slot, b *certs.Bundle) (string, error) {
	r := p.region(slot.Region)
	id, err := p.upload(ctx, r, b)
	if err != nil {
		return "", err
	}
	if slot.DomainExtensionID != "" {
		err = p.call(ctx, r, "SetDomainExtensionAttribute", func(c *slb.Client) error {
			req := slb.CreateSetDomainExtensionAttributeRequest()
			req.RegionId = r.id
			req.DomainExtensionId = slot.DomainExtensionID
			req.ServerCertificateId = id
			_, err := c.SetDomainExtensionAttribute(req)
			return err
		})
	} else {
		err = p.call(ctx, r, "SetLoadBalancerHTTPSListenerAttribute", func(c *slb.Client) error {
			req := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
			req.RegionId = r.id
			req.LoadBalancerId = slot.LoadBalancerID
			req.ListenerPort = requests.NewInteger(slot.ListenerPort)
			req.ServerCertificateId = id
			_, err := c.SetLoadBalancerHTTPSListenerAttribute(req)
			return err
		})
	}
	if err != nil {
		return id, err
	}
	return id, nil
}

// upload returns the id of a server certificate in r holding b, uploading b only if the region
// has none with its fingerprint. Concurrent calls for one region upload once.
func (p *Provider) upload(ctx context.Context, r *region, b *certs.Bundle) (string, error) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	r.uploadMu.Lock()
	defer r.uploadMu.Unlock()
	if id, ok := r.uploaded[fp]; ok {
		return id, nil
	}
	// List afresh: another invocation may have uploaded it since this run's first listing.
	list, err := p.listServerCerts(ctx, r)
	if err != nil {
		return "", err
	}
	if id := reusable(list, fp); id != "" {
		r.uploaded[fp] = id
		return id, nil
	}
	var resp *slb.UploadServerCertificateResponse
	err = p.call(ctx, r, "UploadServerCertificate", func(c *slb.Client) error {
		req := slb.CreateUploadServerCertificateRequest()
		req.RegionId = r.id
		req.ServerCertificate = b.CertificatePEM
		req.PrivateKey = b.PrivateKeyPEM
		req.ServerCertificateName = CertificateName(b)
		var err error
		resp, err = c.UploadServerCertificate(req)
		return err
	})
	if err != nil {
		return "", err
	}
	r.uploaded[fp] = resp.ServerCertificateId
	return resp.ServerCertificateId, nil
}

// reusable picks, among the certificates with fingerprint fp, ours first, then the lowest id,
// so that every run choosing among duplicates chooses the same one.
func reusable(list map[string]serverCert, fp string) string {
	best := ""
	for id, sc := range list {
		if sc.fingerprint != fp {
			continue
		}
		ours, bestOurs := strings.HasPrefix(sc.name, NamePrefix), best != "" && strings.HasPrefix(list[best].name, NamePrefix)
		if best == "" || (ours && !bestOurs) || (ours == bestOurs && id < best) {
			best = id
		}
	}
	return best
}

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// CertificateName is the name this project gives an uploaded certificate: the prefix, the common
// name, the expiry date and the start of the SHA-256 fingerprint, within SLB's rule (1–80
// characters, a letter first; letters, digits, ".", "_", "-").
func CertificateName(b *certs.Bundle) string {
	cn := strings.ReplaceAll(b.Leaf.Subject.CommonName, "*", "wildcard")
	if cn == "" && len(b.DNSNames()) > 0 {
		cn = strings.ReplaceAll(b.DNSNames()[0], "*", "wildcard")
	}
	cn = strings.Trim(nameUnsafe.ReplaceAllString(cn, "-"), "-.")
	suffix := "-" + b.Leaf.NotAfter.UTC().Format("20060102") + "-" + b.FingerprintSHA256()[:12]
	if room := 80 - len(NamePrefix) - len(suffix); len(cn) > room {
		cn = strings.TrimRight(cn[:room], "-.")
	}
	if cn == "" {
		return NamePrefix + strings.TrimPrefix(suffix, "-")
	}
	return NamePrefix + cn + suffix
}

// wrap prefixes err with the provider and action, marking it permanent unless it is retryable.
// It never carries the vendor's full message for signature errors, which echoes the request
// (and so the private key) back.
func wrap(action string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("alislb: %s: %w", action, err)
	}
	e := fmt.Errorf("alislb: %s: %w", action, describe(err))
	if retryable(err) {
		return e
	}
	return provider.Permanent(e)
}

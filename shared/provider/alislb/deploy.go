package alislb

import (
	"context"
	"errors"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
)

// Deploy implements provider.Provider. A certificate CLB cannot take (not RSA) fails with a
// Permanent error wrapping ErrNotRSA before any call.
func (p *Provider) Deploy(ctx context.Context, slot provider.Slot, b *certs.Bundle) (string, error) {
	if err := acceptable(b); err != nil {
		return "", err
	}
	r := p.region(slot.Region)
	id, err := p.upload(ctx, r, b)
	if err != nil {
		return "", err
	}
	return id, p.bind(ctx, r, slot, id)
}

// bind makes slot serve certificate id: one write at a time per load balancer, busy answers
// waited out (busy.go).
func (p *Provider) bind(ctx context.Context, r *region, slot provider.Slot, id string) error {
	if slot.DomainExtensionID != "" {
		return p.write(ctx, r, slot.LoadBalancerID, "SetDomainExtensionAttribute", func(c *slb.Client) error {
			req := slb.CreateSetDomainExtensionAttributeRequest()
			req.RegionId = r.id
			req.DomainExtensionId = slot.DomainExtensionID
			req.ServerCertificateId = id
			_, err := c.SetDomainExtensionAttribute(req)
			return err
		})
	}
	return p.write(ctx, r, slot.LoadBalancerID, "SetLoadBalancerHTTPSListenerAttribute", func(c *slb.Client) error {
		req := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
		req.RegionId = r.id
		req.LoadBalancerId = slot.LoadBalancerID
		req.ListenerPort = requests.NewInteger(slot.ListenerPort)
		req.ServerCertificateId = id
		_, err := c.SetLoadBalancerHTTPSListenerAttribute(req)
		return err
	})
}

// upload returns the id of a server certificate in r holding b, uploading b only if the run's
// listing of the region (made during discovery) shows none with its fingerprint. Concurrent calls
// for one region upload once. After an upload the region is listed again, alongside the read-back
// (BoundAll) rather than before the bindings: Owned answers from that listing, so that the
// rotation's finish sees every copy another invocation uploaded at the same time and converges on
// one (see provider.Provider.Deploy).
func (p *Provider) upload(ctx context.Context, r *region, b *certs.Bundle) (string, error) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	r.uploadMu.Lock()
	defer r.uploadMu.Unlock()
	if id, ok := r.uploaded[fp]; ok {
		return id, nil
	}
	list, err := p.serverCerts(ctx, r)
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
		req.ServerCertificateName = provider.CertificateName(b)
		req.Tag = p.markTags()
		var err error
		resp, err = c.UploadServerCertificate(req)
		return err
	})
	if err != nil {
		return "", err
	}
	r.uploaded[fp] = resp.ServerCertificateId
	r.uploadedAny = true
	return resp.ServerCertificateId, nil
}

// reusable picks, among the certificates with fingerprint fp, ours first (the earliest created,
// then the lowest id), then anyone's with the lowest id, so that every invocation choosing among
// duplicates chooses the same one.
func reusable(list map[string]serverCert, fp string) string {
	var best *serverCert
	for _, sc := range list {
		if sc.fingerprint != fp {
			continue
		}
		if best == nil || before(sc, *best) {
			best = &sc
		}
	}
	if best == nil {
		return ""
	}
	return best.id
}

// before orders candidate certificates: ours before foreign, earlier before later, then by id.
func before(a, b serverCert) bool {
	aOurs, bOurs := a.ours, b.ours
	switch {
	case aOurs != bOurs:
		return aOurs
	case aOurs && !a.created.Equal(b.created):
		return a.created.Before(b.created)
	}
	return a.id < b.id
}

// wrap prefixes err with the provider and action, marking it permanent unless it is retryable.
// It never carries the vendor's full message for signature errors, which echoes the request
// (and so the private key) back.
func wrap(action string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// describe keeps errors.Is working and drops the signed URL a timed-out call's
		// *url.Error prints (AccessKeyId, Signature, SignatureNonce, every parameter).
		return fmt.Errorf("alislb: %s: %w", action, describe(err))
	}
	e := fmt.Errorf("alislb: %s: %w", action, describe(err))
	if transient(err) {
		return e
	}
	return provider.Permanent(e)
}

package alislb

import (
	"context"
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/provider"
)

var (
	_ provider.Rebinder = (*Provider)(nil)
	_ provider.Cleaner  = (*Provider)(nil)
)

// Bound implements provider.Provider: it reads the listener or domain extension back.
func (p *Provider) Bound(ctx context.Context, slot provider.Slot) (provider.Bound, error) {
	r := p.region(slot.Region)
	var id string
	var err error
	if slot.DomainExtensionID != "" {
		err = p.call(ctx, r, "DescribeDomainExtensionAttribute", func(c *slb.Client) error {
			req := slb.CreateDescribeDomainExtensionAttributeRequest()
			req.RegionId = r.id
			req.DomainExtensionId = slot.DomainExtensionID
			resp, err := c.DescribeDomainExtensionAttribute(req)
			if err == nil {
				id = resp.ServerCertificateId
			}
			return err
		})
	} else {
		err = p.call(ctx, r, "DescribeLoadBalancerHTTPSListenerAttribute", func(c *slb.Client) error {
			req := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
			req.RegionId = r.id
			req.LoadBalancerId = slot.LoadBalancerID
			req.ListenerPort = requests.NewInteger(slot.ListenerPort)
			resp, err := c.DescribeLoadBalancerHTTPSListenerAttribute(req)
			if err == nil {
				id = resp.ServerCertificateId
			}
			return err
		})
	}
	if err != nil {
		return provider.Bound{}, err
	}
	return p.describeAll(ctx, []provider.Slot{slot}, []string{id}, []error{nil})[0], nil
}

// Rebind implements provider.Rebinder.
func (p *Provider) Rebind(ctx context.Context, slot provider.Slot, certificateID string) error {
	if certificateID == "" {
		return provider.Permanent(fmt.Errorf("alislb: %s: no certificate to roll back to", slot.Name))
	}
	return p.bind(ctx, p.region(slot.Region), slot, certificateID)
}

// Owned implements provider.Cleaner. It answers from the listing made after this run's upload,
// else from the run's discovery listing, and lists afresh only when neither is there.
func (p *Provider) Owned(ctx context.Context, region string) ([]provider.Owned, error) {
	r := p.region(region)
	list, err := p.ownedListing(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []provider.Owned
	for _, sc := range list {
		if sc.ours && !r.isGone(sc.id) {
			out = append(out, provider.Owned{ID: sc.id, Name: sc.name, Fingerprint: sc.fingerprint, Names: sc.names, Created: sc.created})
		}
	}
	return out, nil
}

// Delete implements provider.Cleaner. A certificate already gone counts as deleted.
func (p *Provider) Delete(ctx context.Context, region, certificateID string) error {
	r := p.region(region)
	sc, ok := r.lookup(certificateID)
	if !ok {
		list, err := p.listServerCerts(ctx, r)
		if err != nil {
			return err
		}
		if sc, ok = list[certificateID]; !ok {
			return nil
		}
	}
	if !sc.ours {
		return provider.Permanent(fmt.Errorf("alislb: refusing to delete server certificate %s: it does not carry this deployment's mark (tag %s=%s)",
			sc.id, provider.MarkKey, p.deployment()))
	}
	err := p.call(ctx, r, "DeleteServerCertificate", func(c *slb.Client) error {
		req := slb.CreateDeleteServerCertificateRequest()
		req.RegionId = r.id
		req.ServerCertificateId = certificateID
		_, err := c.DeleteServerCertificate(req)
		return err
	})
	switch ErrorCode(err) {
	case "ServerCertificateId.NotFound":
		err = nil
	case "CertificateAndPrivateKeyIsRefered":
		return fmt.Errorf("%w: %w", provider.ErrInUse, err)
	}
	if err == nil {
		r.forget(certificateID)
	}
	return err
}

// ownedListing is the freshest listing of r this run made for its own reasons: the one made
// alongside the read-back of its bindings when it uploaded (which sees every copy uploaded before
// then), else the discovery one when it uploaded nothing. A copy another invocation uploads later
// is that invocation's to converge on ours: it lists after its own bindings.
func (p *Provider) ownedListing(ctx context.Context, r *region) (map[string]serverCert, error) {
	r.uploadMu.Lock()
	uploaded := r.uploadedAny
	r.uploadMu.Unlock()
	r.relistMu.Lock()
	relist := r.relist
	r.relistMu.Unlock()
	switch {
	case relist != nil:
		return relist, nil
	case !uploaded:
		if list, err := p.serverCerts(ctx, r); err == nil {
			return list, nil
		}
	}
	return p.listServerCerts(ctx, r)
}

// forget notes that certificate id is deleted: the listings this run keeps still show it.
func (r *region) forget(id string) {
	r.latestMu.Lock()
	defer r.latestMu.Unlock()
	if r.gone == nil {
		r.gone = map[string]bool{}
	}
	r.gone[id] = true
}

func (r *region) isGone(id string) bool {
	r.latestMu.Lock()
	defer r.latestMu.Unlock()
	return r.gone[id]
}

// lookup finds certificate id in the region's latest listing.
func (r *region) lookup(id string) (serverCert, bool) {
	r.latestMu.Lock()
	defer r.latestMu.Unlock()
	sc, ok := r.latest[id]
	return sc, ok
}

package huaweielb

import (
	"context"
	"fmt"
	"net/http"

	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/provider"
)

// Owned implements provider.Cleaner. It lists the projects this run used in region (or the
// default project when it used none).
func (p *Provider) Owned(ctx context.Context, region string) ([]provider.Owned, error) {
	scopes, err := p.regionScopes(region)
	if err != nil {
		return nil, err
	}
	var out []provider.Owned
	seen := map[string]bool{} // a scope without enterprise project sees those of the others
	for _, s := range scopes {
		list, err := p.listCertificates(ctx, s, nil)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if c.ours(p.deployment()) && !seen[c.id] {
				seen[c.id] = true
				out = append(out, provider.Owned{ID: c.id, Name: c.name, Fingerprint: c.fingerprint, Names: c.names, Created: c.created})
			}
		}
	}
	return out, nil
}

// Delete implements provider.Cleaner. A certificate already gone counts as deleted.
func (p *Provider) Delete(ctx context.Context, region, certificateID string) error {
	scopes, err := p.regionScopes(region)
	if err != nil {
		return err
	}
	for _, s := range scopes {
		c, ok := s.lookup(certificateID)
		if !ok {
			c, err = p.showCertificate(ctx, s, certificateID)
			switch {
			case gone(err):
				continue // another project of the region, or gone
			case err != nil:
				return err
			}
		}
		if !c.ours(p.deployment()) {
			return provider.Permanent(fmt.Errorf("huaweielb: refusing to delete certificate %s: its description does not carry this deployment's mark (%s=%s)",
				c.id, provider.MarkKey, p.deployment()))
		}
		return p.deleteCertificate(ctx, s, certificateID)
	}
	return nil
}

// deleteCertificate deletes certificate id; ELB answers 409 while a listener uses it.
func (p *Provider) deleteCertificate(ctx context.Context, s *scope, id string) error {
	err := p.call(ctx, s, "DeleteCertificate", func(c *elb.ElbClient) error {
		_, err := c.DeleteCertificate(&model.DeleteCertificateRequest{CertificateId: id})
		return err
	})
	switch {
	case err == nil:
		s.forget(id)
		return nil
	case gone(err):
		s.forget(id)
		return nil
	case StatusCode(err) == http.StatusConflict:
		return fmt.Errorf("%w: %w", provider.ErrInUse, err)
	}
	return err
}

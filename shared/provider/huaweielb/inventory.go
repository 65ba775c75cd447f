package huaweielb

import (
	"context"

	"github.com/certrotate/certrotate/shared/provider"
)

// Certificates lists every server certificate of region in the projects this run's targets
// used (or the default project), as ListCertificates shows them. It makes no mutating call.
func (p *Provider) Certificates(ctx context.Context, region string) ([]provider.Bound, error) {
	scopes, err := p.regionScopes(region)
	if err != nil {
		return nil, err
	}
	var out []provider.Bound
	for _, s := range scopes {
		list, err := p.listCertificates(ctx, s, nil)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if c.typ == "" || c.typ == "server" {
				out = append(out, c.bound(false))
			}
		}
	}
	return out, nil
}

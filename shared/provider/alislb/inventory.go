package alislb

import (
	"context"
	"sort"

	"github.com/certrotate/certrotate/shared/provider"
)

// Certificates lists every server certificate of region, as DescribeServerCertificates shows
// it (the list Discover reads anyway, so an audit after a Discover costs no further call). It
// makes no mutating call.
func (p *Provider) Certificates(ctx context.Context, region string) ([]provider.Bound, error) {
	list, err := p.serverCerts(ctx, p.region(region))
	if err != nil {
		return nil, err
	}
	out := make([]provider.Bound, 0, len(list))
	for _, sc := range list {
		out = append(out, provider.Bound{ID: sc.id, Fingerprint: sc.fingerprint, Names: sc.names, NotAfter: sc.notAfter})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

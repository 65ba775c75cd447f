package alislb

import (
	"context"
	"fmt"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/provider"
)

// codeNotHTTPS is SLB's answer to an HTTPS listener call on a port whose listener has another
// protocol (the code's spelling is SLB's; see the DescribeLoadBalancerHTTPSListenerAttribute
// error codes, https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-describeloadbalancerhttpslistenerattribute).
const codeNotHTTPS = "UnsupportedOperationonfixedprotocalport"

// notHTTPS turns SLB's answer for a target naming a listener that is not HTTPS into an error a
// person can act on: "listener lb-1:80 is HTTP, not HTTPS". It asks the load balancer which
// protocol the listener has; when that fails too, it says "not HTTPS" without the protocol.
func (p *Provider) notHTTPS(ctx context.Context, r *region, t provider.Target) error {
	protocol := "not an HTTPS listener"
	lbs := []string{t.LoadBalancerID}
	var resp *slb.DescribeLoadBalancerListenersResponse
	err := p.call(ctx, r, "DescribeLoadBalancerListeners", func(c *slb.Client) error {
		req := slb.CreateDescribeLoadBalancerListenersRequest()
		req.RegionId = r.id
		req.LoadBalancerId = &lbs
		req.MaxResults = requests.NewInteger(100)
		var err error
		resp, err = c.DescribeLoadBalancerListeners(req)
		return err
	})
	if err == nil {
		for _, l := range resp.Listeners {
			if l.ListenerPort == t.ListenerPort && l.ListenerProtocol != "" {
				protocol = strings.ToUpper(l.ListenerProtocol) + ", not HTTPS"
			}
		}
	}
	return provider.Permanent(fmt.Errorf("alislb: listener %s:%d is %s (certificates go on HTTPS listeners only: "+
		"name an HTTPS listener's port in the target)", t.LoadBalancerID, t.ListenerPort, protocol))
}

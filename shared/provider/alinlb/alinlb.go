// Package alinlb deploys certificates to Alibaba Cloud NLB (2022-04-30) TCPSSL listeners,
// default and additional certificates, from Certificate Management Service. It holds only NLB's
// calls (its SDK client, requests and answers); the flow and the call plumbing it shares
// with ALB are package alicas's.
package alinlb

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"

	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alicas"
)

// DefaultQPS is the default rate NLB API calls start at, in calls per second (ROTATE_QPS), and
// DefaultQPSMax the default ceiling it rises to (ROTATE_QPS_MAX).
const (
	DefaultQPS    = 20
	DefaultQPSMax = 100
)

// Config configures the provider; its Endpoint is ROTATE_NLB_ENDPOINT (empty:
// nlb.<region>.aliyuncs.com over HTTPS).
type Config = alicas.Settings

// NewDefaultConfig reads the environment.
func NewDefaultConfig() Config {
	cfg := alicas.DefaultSettings(DefaultQPS, DefaultQPSMax)
	cfg.Endpoint = os.Getenv("ROTATE_NLB_ENDPOINT")
	return cfg
}

// Provider is the NLB provider for one run.
type Provider struct {
	*alicas.Provider
	api *api
}

// product is what NLB's calls differ in from ALB's.
var product = alicas.Product[*nlb.Client]{
	Name: "alinlb", EndpointVar: "ROTATE_NLB_ENDPOINT", TLS: "TCPSSL", DefaultQPS: DefaultQPS,
	// The listener is applying an earlier write: waited out, not counted as retries
	// (terraform-provider-alicloud retries them, aliyun/terraform-provider-alicloud#4796, #9021, #7768).
	// NLB names resources in lower case in its codes; they are compared case-insensitively.
	BusyCodes:     []string{"IncorrectStatus.Listener", "ResourceInConfiguring.Listener", "IncorrectStatus.LoadBalancer", "Conflict.Lock", "IdempotenceProcessing", "Conflict.Listener"},
	NotFoundCodes: []string{"ResourceNotFound.Listener"},
	NewClient: func(region string, config *sdk.Config, cred auth.Credential, domain string) (*nlb.Client, error) {
		endpointMapOnce.Do(func() { nlb.GetEndpointMap() })
		c, err := nlb.NewClientWithOptions(region, config, cred)
		if err == nil && domain != "" {
			c.Domain = domain
		}
		return c, err
	},
}

// endpointMapOnce fills the SDK's endpoint table before any client is made: the SDK fills it
// lazily, unguarded, on every NewClientWithOptions.
var endpointMapOnce sync.Once

// New validates cfg and returns a provider. It makes no call.
func New(cfg Config) (*Provider, error) {
	a := &api{}
	core, err := alicas.Open(cfg, product, func(c *alicas.Caller[*nlb.Client]) alicas.API {
		a.Caller = c
		return a
	})
	if err != nil {
		return nil, err
	}
	return &Provider{Provider: core, api: a}, nil
}

var (
	_ provider.Provider = (*Provider)(nil)
	_ provider.Rebinder = (*Provider)(nil)
	_ provider.Cleaner  = (*Provider)(nil)
)

// api implements alicas.API over the NLB SDK.
type api struct {
	*alicas.Caller[*nlb.Client]
}

func (a *api) Listeners(ctx context.Context, region, loadBalancerID string) ([]alicas.Listener, error) {
	var out []alicas.Listener
	for _, proto := range []string{"TCPSSL"} {
		token := ""
		for {
			var resp *nlb.ListListenersResponse
			err := a.Call(ctx, region, "ListListeners", func(c *nlb.Client) error {
				req := nlb.CreateListListenersRequest()
				req.RegionId = region
				req.ListenerProtocol = proto
				req.MaxResults = requests.NewInteger(100)
				req.NextToken = token
				if loadBalancerID != "" {
					req.LoadBalancerIds = &[]string{loadBalancerID}
				}
				var err error
				resp, err = c.ListListeners(req)
				return err
			})
			if err != nil {
				return nil, err
			}
			for _, l := range resp.Listeners {
				out = append(out, alicas.Listener{ID: l.ListenerId, LoadBalancerID: l.LoadBalancerId, Protocol: l.ListenerProtocol, Port: l.ListenerPort, Status: l.ListenerStatus})
			}
			if token = resp.NextToken; token == "" {
				break
			}
		}
	}
	return out, nil
}

func (a *api) Listener(ctx context.Context, region, id string) (alicas.Listener, error) {
	var resp *nlb.GetListenerAttributeResponse
	err := a.Call(ctx, region, "GetListenerAttribute", func(c *nlb.Client) error {
		req := nlb.CreateGetListenerAttributeRequest()
		req.RegionId = region
		req.ListenerId = id
		var err error
		resp, err = c.GetListenerAttribute(req)
		return err
	})
	if err != nil {
		return alicas.Listener{}, err
	}
	return alicas.Listener{ID: resp.ListenerId, LoadBalancerID: resp.LoadBalancerId, Protocol: resp.ListenerProtocol, Port: resp.ListenerPort, Status: resp.ListenerStatus}, nil
}

func (a *api) Certificates(ctx context.Context, region, listenerID string) ([]alicas.Cert, error) {
	var out []alicas.Cert
	token := ""
	for {
		var resp *nlb.ListListenerCertificatesResponse
		err := a.Call(ctx, region, "ListListenerCertificates", func(c *nlb.Client) error {
			req := nlb.CreateListListenerCertificatesRequest()
			req.RegionId = region
			req.ListenerId = listenerID
			req.CertType = "Server"
			req.MaxResults = requests.NewInteger(100)
			req.NextToken = token
			var err error
			resp, err = c.ListListenerCertificates(req)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range resp.Certificates {
			out = append(out, alicas.Cert{ID: c.CertificateId, IsDefault: c.IsDefault, Status: c.Status})
		}
		if token = resp.NextToken; token == "" {
			return out, nil
		}
	}
}

func (a *api) Write(ctx context.Context, region, listenerID string, op alicas.Op, certID, token string) (string, error) {
	var job string
	var fn func(c *nlb.Client) error
	// The write parameters travel in the form body (position:"Body" in the SDK models).
	switch op {
	case alicas.SetDefault:
		fn = func(c *nlb.Client) error {
			req := nlb.CreateUpdateListenerAttributeRequest()
			req.RegionId, req.ListenerId, req.ClientToken = region, listenerID, token
			req.CertificateIds = &[]string{certID}
			resp, err := c.UpdateListenerAttribute(req)
			if err == nil {
				job = resp.JobId
			}
			return err
		}
	case alicas.Associate:
		fn = func(c *nlb.Client) error {
			req := nlb.CreateAssociateAdditionalCertificatesWithListenerRequest()
			req.RegionId, req.ListenerId, req.ClientToken = region, listenerID, token
			req.AdditionalCertificateIds = &[]string{certID}
			resp, err := c.AssociateAdditionalCertificatesWithListener(req)
			if err == nil {
				job = resp.JobId
			}
			return err
		}
	case alicas.Dissociate:
		fn = func(c *nlb.Client) error {
			req := nlb.CreateDisassociateAdditionalCertificatesWithListenerRequest()
			req.RegionId, req.ListenerId, req.ClientToken = region, listenerID, token
			req.AdditionalCertificateIds = &[]string{certID}
			resp, err := c.DisassociateAdditionalCertificatesWithListener(req)
			if err == nil {
				job = resp.JobId
			}
			return err
		}
	default:
		return "", provider.Permanent(fmt.Errorf("alinlb: unknown write %d", op))
	}
	return job, a.Call(ctx, region, writeAction[op], fn)
}

// writeAction names NLB's action for each write.
var writeAction = map[alicas.Op]string{
	alicas.SetDefault: "UpdateListenerAttribute",
	alicas.Associate:  "AssociateAdditionalCertificatesWithListener",
	alicas.Dissociate: "DisassociateAdditionalCertificatesWithListener",
}

// Job reads the job (GetJobStatus): done when it Succeeded
// (https://alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-getjobstatus).
func (a *api) Job(ctx context.Context, region, listenerID, jobID string) (bool, error) {
	var resp *nlb.GetJobStatusResponse
	err := a.Call(ctx, region, "GetJobStatus", func(c *nlb.Client) error {
		req := nlb.CreateGetJobStatusRequest()
		req.RegionId = region
		req.JobId = jobID
		var err error
		resp, err = c.GetJobStatus(req)
		return err
	})
	if err != nil {
		return false, err
	}
	switch {
	case strings.EqualFold(resp.Status, "Succeeded"):
		return true, nil
	case strings.EqualFold(resp.Status, "Failed"):
		return false, provider.Permanent(fmt.Errorf("alinlb: job %s on listener %s failed", jobID, listenerID))
	}
	return false, nil
}

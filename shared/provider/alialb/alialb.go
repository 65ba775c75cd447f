// Package alialb deploys certificates to Alibaba Cloud ALB (2020-06-16) HTTPS and QUIC
// listeners, default and additional certificates, from Certificate Management Service. It holds
// only ALB's calls (its SDK client, requests and answers); the flow and the call plumbing it
// shares with NLB are package alicas's.
package alialb

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/alb"

	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alicas"
	"github.com/certrotate/certrotate/shared/provider/alipop"
)

// DefaultQPS is the default rate ALB API calls start at, in calls per second (ROTATE_QPS), and
// DefaultQPSMax the default ceiling it rises to (ROTATE_QPS_MAX).
const (
	DefaultQPS    = 20
	DefaultQPSMax = 100
)

// Config configures the provider; its Endpoint is ROTATE_ALB_ENDPOINT (empty:
// alb.<region>.aliyuncs.com over HTTPS).
type Config = alicas.Settings

// NewDefaultConfig reads the environment.
func NewDefaultConfig() Config {
	cfg := alicas.DefaultSettings(DefaultQPS, DefaultQPSMax)
	cfg.Endpoint = os.Getenv("ROTATE_ALB_ENDPOINT")
	return cfg
}

// Provider is the ALB provider for one run.
type Provider struct {
	*alicas.Provider
	api *api
}

// product is what ALB's calls differ in from NLB's.
var product = alicas.Product[*alb.Client]{
	Name: "alialb", EndpointVar: "ROTATE_ALB_ENDPOINT", TLS: "HTTPS or QUIC", DefaultQPS: DefaultQPS,
	// The listener is applying an earlier write: waited out, not counted as retries
	// (terraform-provider-alicloud retries them, aliyun/terraform-provider-alicloud#4796, #9021, #7768).
	BusyCodes:     []string{"IncorrectStatus.Listener", "ResourceInConfiguring.Listener", "IncorrectStatus.LoadBalancer", "Conflict.Lock", "IdempotenceProcessing"},
	NotFoundCodes: []string{"ResourceNotFound.Listener"},
	NewClient: func(region string, config *sdk.Config, cred auth.Credential, domain string) (*alb.Client, error) {
		endpointMapOnce.Do(func() { alb.GetEndpointMap() })
		c, err := alb.NewClientWithOptions(region, config, cred)
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
	core, err := alicas.Open(cfg, product, func(c *alicas.Caller[*alb.Client]) alicas.API {
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

// api implements alicas.API over the ALB SDK.
type api struct {
	*alicas.Caller[*alb.Client]
}

func (a *api) Listeners(ctx context.Context, region, loadBalancerID string) ([]alicas.Listener, error) {
	var out []alicas.Listener
	for _, proto := range []string{"HTTPS", "QUIC"} {
		token := ""
		for {
			var resp *alb.ListListenersResponse
			err := a.Call(ctx, region, "ListListeners", func(c *alb.Client) error {
				req := alb.CreateListListenersRequest()
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
	var resp *alb.GetListenerAttributeResponse
	err := a.Call(ctx, region, "GetListenerAttribute", func(c *alb.Client) error {
		req := alb.CreateGetListenerAttributeRequest()
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
		var resp *alb.ListListenerCertificatesResponse
		err := a.Call(ctx, region, "ListListenerCertificates", func(c *alb.Client) error {
			req := alb.CreateListListenerCertificatesRequest()
			req.RegionId = region
			req.ListenerId = listenerID
			req.CertificateType = "Server"
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
	var fn func(c *alb.Client) error
	switch op {
	case alicas.SetDefault:
		fn = func(c *alb.Client) error {
			req := alb.CreateUpdateListenerAttributeRequest()
			req.RegionId, req.ListenerId, req.ClientToken = region, listenerID, token
			req.Certificates = &[]alb.UpdateListenerAttributeCertificates{{CertificateId: certID}}
			resp, err := c.UpdateListenerAttribute(req)
			if err == nil {
				job = resp.JobId
			}
			return err
		}
	case alicas.Associate:
		fn = func(c *alb.Client) error {
			req := alb.CreateAssociateAdditionalCertificatesWithListenerRequest()
			req.RegionId, req.ListenerId, req.ClientToken = region, listenerID, token
			req.Certificates = &[]alb.AssociateAdditionalCertificatesWithListenerCertificates{{CertificateId: certID}}
			resp, err := c.AssociateAdditionalCertificatesWithListener(req)
			if err == nil {
				job = resp.JobId
			}
			return err
		}
	case alicas.Dissociate:
		fn = func(c *alb.Client) error {
			req := alb.CreateDissociateAdditionalCertificatesFromListenerRequest()
			req.RegionId, req.ListenerId, req.ClientToken = region, listenerID, token
			req.Certificates = &[]alb.DissociateAdditionalCertificatesFromListenerCertificates{{CertificateId: certID}}
			resp, err := c.DissociateAdditionalCertificatesFromListener(req)
			if err == nil {
				job = resp.JobId
			}
			return err
		}
	default:
		return "", provider.Permanent(fmt.Errorf("alialb: unknown write %d", op))
	}
	return job, a.Call(ctx, region, writeAction[op], fn)
}

// writeAction names ALB's action for each write.
var writeAction = map[alicas.Op]string{
	alicas.SetDefault: "UpdateListenerAttribute",
	alicas.Associate:  "AssociateAdditionalCertificatesWithListener",
	alicas.Dissociate: "DissociateAdditionalCertificatesFromListener",
}

// Job reads the job (ListAsynJobs): done when it succeeded. A failed job is a permanent error
// with its code.
func (a *api) Job(ctx context.Context, region, listenerID, jobID string) (bool, error) {
	var resp *alb.ListAsynJobsResponse
	err := a.Call(ctx, region, "ListAsynJobs", func(c *alb.Client) error {
		req := alb.CreateListAsynJobsRequest()
		req.RegionId = region
		req.JobIds = &[]string{jobID}
		var err error
		resp, err = c.ListAsynJobs(req)
		return err
	})
	if err != nil {
		return false, err
	}
	for _, j := range resp.Jobs {
		if j.Id != jobID {
			continue
		}
		switch j.Status {
		case "Succeeded":
		case "Failed":
			return false, provider.Permanent(fmt.Errorf("alialb: job %s (%s) on listener %s failed: %s %s", j.Id, j.ApiName, listenerID, j.ErrorCode, alipop.SafeMessage(j.ErrorMessage)))
		default:
			return false, nil
		}
	}
	return true, nil
}

// Package alinlb deploys certificates to Alibaba Cloud NLB (2022-04-30) TCPSSL listeners,
// default and additional certificates, from Certificate Management Service.
package alinlb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"

	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/pace"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alicas"
	"github.com/certrotate/certrotate/shared/retry"
	"github.com/certrotate/certrotate/shared/source/cas"
)

// DefaultQPS is the default rate NLB API calls start at, in calls per second (ROTATE_QPS), and
// DefaultQPSMax the default ceiling it rises to (ROTATE_QPS_MAX).
const (
	DefaultQPS    = 20
	DefaultQPSMax = 100
)

// Config configures the provider.
type Config struct {
	// Endpoint overrides the NLB endpoint (ROTATE_NLB_ENDPOINT). Empty: nlb.<region>.aliyuncs.com over HTTPS.
	Endpoint string
	// CASEndpoint overrides the CAS endpoint (ROTATE_CAS_ENDPOINT); CASRegion is ROTATE_CAS_REGION.
	CASEndpoint, CASRegion string
	// Credentials; the caller passes Function Compute's per-invocation role credentials here.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// Deployment is this deployment's id (ROTATE_DEPLOYMENT), carried in every CAS name.
	Deployment string
	// QPS is the rate the NLB calls start at (ROTATE_QPS); zero or less: DefaultQPS. The rate
	// rises while calls wait for it and none is throttled, up to QPSMax (ROTATE_QPS_MAX; below
	// QPS, zero included: QPS, the rate never rises), and halves on a throttling answer (package pace).
	QPS, QPSMax float64
	// Timeout bounds one HTTP call.
	Timeout time.Duration
	// Retry is the policy for throttling, 5xx and network errors.
	Retry retry.Policy
	// Poll is the first wait between status reads after a write.
	Poll time.Duration
}

// NewDefaultConfig reads the environment.
func NewDefaultConfig() Config {
	return Config{
		Endpoint:        os.Getenv("ROTATE_NLB_ENDPOINT"),
		CASEndpoint:     os.Getenv("ROTATE_CAS_ENDPOINT"),
		CASRegion:       os.Getenv("ROTATE_CAS_REGION"),
		AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
		Deployment:      provider.DefaultDeployment,
		QPS:             DefaultQPS,
		QPSMax:          DefaultQPSMax,
		Timeout:         10 * time.Second,
		Retry:           retry.Default,
	}
}

// Provider is the NLB provider for one run.
type Provider struct {
	*alicas.Provider
	api *api
}

// New validates cfg and returns a provider. It makes no call.
func New(cfg Config) (*Provider, error) {
	var problems []string
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		problems = append(problems, "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run on Function Compute with a role")
	}
	if err := provider.CheckDeployment(cfg.Deployment); err != nil {
		problems = append(problems, "ROTATE_DEPLOYMENT: "+err.Error())
	}
	a := &api{cfg: cfg, scheme: "HTTPS", clients: map[string]chan *nlb.Client{}}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			problems = append(problems, fmt.Sprintf("ROTATE_NLB_ENDPOINT: %q is not an http:// or https:// URL", cfg.Endpoint))
		case u.Path != "" && u.Path != "/" || u.RawQuery != "":
			problems = append(problems, fmt.Sprintf("ROTATE_NLB_ENDPOINT: %q must be scheme://host[:port] only", cfg.Endpoint))
		default:
			a.scheme, a.domain = strings.ToUpper(u.Scheme), u.Host
		}
	}
	if cfg.CASRegion == "" {
		cfg.CASRegion = cas.DefaultRegion
	}
	if cfg.CASRegion != "cn-hangzhou" && cfg.CASRegion != "ap-southeast-1" {
		problems = append(problems, fmt.Sprintf("ROTATE_CAS_REGION: %q is not cn-hangzhou or ap-southeast-1", cfg.CASRegion))
	}
	casClient, err := cas.New(cas.Config{Endpoint: cfg.CASEndpoint, Region: cfg.CASRegion,
		AccessKeyID: cfg.AccessKeyID, AccessKeySecret: cfg.AccessKeySecret, SecurityToken: cfg.SecurityToken,
		Retry: cfg.Retry, Timeout: cfg.Timeout})
	if err != nil && len(problems) == 0 {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("alinlb: %s", strings.Join(problems, "; "))
	}
	if a.cfg.Timeout <= 0 {
		a.cfg.Timeout = 10 * time.Second
	}
	if a.cfg.QPS <= 0 {
		a.cfg.QPS = DefaultQPS
	}
	a.limiter = pace.New(a.cfg.QPS, a.cfg.QPSMax)
	core := alicas.New(alicas.Config{Name: "alinlb", TLS: "TCPSSL", API: a, CAS: casClient, Deployment: cfg.Deployment, Poll: cfg.Poll})
	return &Provider{Provider: core, api: a}, nil
}

var (
	_ provider.Provider = (*Provider)(nil)
	_ provider.Rebinder = (*Provider)(nil)
	_ provider.Cleaner  = (*Provider)(nil)
)

// api implements alicas.API over the NLB SDK.
type api struct {
	cfg     Config
	scheme  string
	domain  string
	limiter *pace.Limiter // every attempt of every call waits on it

	mu      sync.Mutex
	clients map[string]chan *nlb.Client // per region: one call per SDK client at a time
}

var endpointMapOnce sync.Once

func (a *api) pool(region string) chan *nlb.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.clients[region]
	if !ok {
		c = make(chan *nlb.Client, 4)
		for range 4 {
			c <- nil
		}
		a.clients[region] = c
	}
	return c
}

func (a *api) newClient(region string) (*nlb.Client, error) {
	var cred credentials.CredentialsProvider = credentials.NewStaticAKCredentialsProvider(a.cfg.AccessKeyID, a.cfg.AccessKeySecret)
	if a.cfg.SecurityToken != "" {
		cred = credentials.NewStaticSTSCredentialsProvider(a.cfg.AccessKeyID, a.cfg.AccessKeySecret, a.cfg.SecurityToken)
	}
	endpointMapOnce.Do(func() { nlb.GetEndpointMap() })
	c, err := nlb.NewClientWithOptions(region, sdk.NewConfig().WithScheme(a.scheme).WithAutoRetry(false).WithTimeout(a.cfg.Timeout), cred)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %s", region, safeMessage(err.Error()))
	}
	if a.domain != "" {
		c.Domain = a.domain
	}
	return c, nil
}

// call runs one NLB call on a pooled client, with retries on throttling, 5xx and network errors.
func (a *api) call(ctx context.Context, region, action string, fn func(*nlb.Client) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("alinlb: %s: %w", action, err)
	}
	pool := a.pool(region)
	var c *nlb.Client
	select {
	case c = <-pool:
	case <-ctx.Done():
		return fmt.Errorf("alinlb: %s: %w", action, ctx.Err())
	}
	defer func() { pool <- c }()
	if c == nil {
		var err error
		if c, err = a.newClient(region); err != nil {
			return provider.Permanent(fmt.Errorf("alinlb: %w", err))
		}
	}
	err := retry.Do(ctx, a.cfg.Retry, retryable, func() error {
		if err := a.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("rate limit (%.4g calls/s): %w", a.limiter.Rate(), context.DeadlineExceeded)
		}
		// The SDK takes no context: deadline.Call sets its timeouts from the time ctx has left.
		err := deadline.Call(ctx, c, a.cfg.Timeout, 5*time.Second, func() error { return fn(c) })
		if answered(err) {
			a.limiter.Observe(throttled(err))
		}
		return err
	})
	return wrap(action, err)
}

func (a *api) Listeners(ctx context.Context, region, loadBalancerID string) ([]alicas.Listener, error) {
	var out []alicas.Listener
	for _, proto := range []string{"TCPSSL"} {
		token := ""
		for {
			var resp *nlb.ListListenersResponse
			err := a.call(ctx, region, "ListListeners", func(c *nlb.Client) error {
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
				out = append(out, alicas.Listener{ID: l.ListenerId, LoadBalancerID: l.LoadBalancerId, Protocol: l.ListenerProtocol, Port: l.ListenerPort})
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
	err := a.call(ctx, region, "GetListenerAttribute", func(c *nlb.Client) error {
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
	return alicas.Listener{ID: resp.ListenerId, LoadBalancerID: resp.LoadBalancerId, Protocol: resp.ListenerProtocol, Port: resp.ListenerPort}, nil
}

func (a *api) Certificates(ctx context.Context, region, listenerID string) ([]alicas.Cert, error) {
	var out []alicas.Cert
	token := ""
	for {
		var resp *nlb.ListListenerCertificatesResponse
		err := a.call(ctx, region, "ListListenerCertificates", func(c *nlb.Client) error {
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
	var action string
	var fn func(c *nlb.Client) error
	// The write parameters travel in the form body (position:"Body" in the SDK models).
	switch op {
	case alicas.SetDefault:
		action = "UpdateListenerAttribute"
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
		action = "AssociateAdditionalCertificatesWithListener"
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
		action = "DisassociateAdditionalCertificatesWithListener"
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
	return job, a.call(ctx, region, action, fn)
}

// Settled reads the job (GetJobStatus) and the listener (GetListenerAttribute): done when the job
// Succeeded and the listener is Running
// (https://alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-getjobstatus).
func (a *api) Settled(ctx context.Context, region, listenerID, jobID string) (bool, error) {
	if jobID != "" {
		var resp *nlb.GetJobStatusResponse
		err := a.call(ctx, region, "GetJobStatus", func(c *nlb.Client) error {
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
		case strings.EqualFold(resp.Status, "Failed"):
			return false, provider.Permanent(fmt.Errorf("alinlb: job %s on listener %s failed", jobID, listenerID))
		default:
			return false, nil
		}
	}
	var resp *nlb.GetListenerAttributeResponse
	err := a.call(ctx, region, "GetListenerAttribute", func(c *nlb.Client) error {
		req := nlb.CreateGetListenerAttributeRequest()
		req.RegionId = region
		req.ListenerId = listenerID
		var err error
		resp, err = c.GetListenerAttribute(req)
		return err
	})
	if err != nil {
		return false, err
	}
	return strings.EqualFold(resp.ListenerStatus, "Running"), nil
}

// --- errors ----------------------------------------------------------------------------------

// busyCodes mean the listener is applying an earlier write: waited out, not counted as retries
// (terraform-provider-alicloud retries them, aliyun/terraform-provider-alicloud#4796, #9021, #7768).
// NLB names resources in lower case in its codes; they are compared case-insensitively.
var busyCodes = []string{"IncorrectStatus.Listener", "ResourceInConfiguring.Listener", "IncorrectStatus.LoadBalancer", "Conflict.Lock", "IdempotenceProcessing", "Conflict.Listener"}

var notFoundCodes = []string{"ResourceNotFound.Listener"}

func code(err error) string {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return ""
}

func retryable(err error) bool {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		c := se.ErrorCode()
		return se.HttpStatus() >= 500 || strings.HasPrefix(c, "Throttling") || c == "SystemBusy" || c == "ServiceUnavailable" || c == "InternalError" || c == "UnknownError"
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		return ce.ErrorCode() == sdkerrors.TimeoutErrorCode || ce.ErrorCode() == "SDK.ServerUnreachable"
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// answered reports whether an attempt that returned err got an answer from NLB: a success or
// an error NLB sent, not a timeout or a network failure.
func answered(err error) bool {
	var se *sdkerrors.ServerError
	return err == nil || errors.As(err, &se)
}

// throttled reports whether err is NLB's answer that the caller is throttled: the Throttling*
// codes (Throttling, Throttling.User, Throttling.Api: POP common error codes) and
// Rejected.Throttling. ServiceUnavailable and the other 5xx are not: they say nothing about the
// call rate.
func throttled(err error) bool {
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		return false
	}
	code := se.ErrorCode()
	return strings.HasPrefix(code, "Throttling") || code == "Rejected.Throttling"
}

// apiError is an NLB error reduced to what is safe to log and report.
type apiError struct{ Code, Message, RequestID string }

func (e *apiError) Error() string {
	s := e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// wrap prefixes err with the provider and action, sanitised; marks busy and not-found answers,
// and everything retrying cannot fix as permanent.
func wrap(action string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("alinlb: %s: %w", action, err)
	}
	var safe error
	var se *sdkerrors.ServerError
	var ce *sdkerrors.ClientError
	var ue *url.Error
	switch {
	case errors.As(err, &se):
		safe = &apiError{Code: se.ErrorCode(), Message: safeMessage(se.Message()), RequestID: se.RequestId()}
	case errors.As(err, &ce):
		safe = &apiError{Code: ce.ErrorCode(), Message: safeMessage(ce.Message())}
	case errors.As(err, &ue):
		safe = &apiError{Code: "Transport", Message: safeMessage(ue.Err.Error())}
	default:
		safe = errors.New(safeMessage(err.Error()))
	}
	c := code(err)
	switch {
	case containsFold(busyCodes, c):
		return fmt.Errorf("alinlb: %s: %w: %w", action, alicas.ErrBusy, safe)
	case containsFold(notFoundCodes, c):
		return provider.Permanent(fmt.Errorf("alinlb: %s: %w: %w", action, alicas.ErrNotFound, safe))
	case retryable(err):
		return fmt.Errorf("alinlb: %s: %w", action, safe)
	}
	return provider.Permanent(fmt.Errorf("alinlb: %s: %w", action, safe))
}

func containsFold(list []string, c string) bool {
	for _, x := range list {
		if strings.EqualFold(x, c) {
			return true
		}
	}
	return false
}

var query = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\?[^\s"']*`) }) // compiled on first use, not at start

// safeMessage drops an echoed string-to-sign, URL queries and anything PEM-like; bounded, one line.
func safeMessage(m string) string {
	m = query().ReplaceAllString(m, "?…")
	lower := strings.ToLower(m)
	for _, cut := range []string{"string to sign", "stringtosign", "-----begin"} {
		if i := strings.Index(lower, cut); i >= 0 {
			m, lower = strings.TrimSpace(m[:i]), lower[:i]
		}
	}
	if len(m) > 300 {
		m = m[:300] + "…"
	}
	return strings.Join(strings.Fields(m), " ")
}

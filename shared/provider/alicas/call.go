package alicas

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/pace"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alipop"
	"github.com/certrotate/certrotate/shared/retry"
	"github.com/certrotate/certrotate/shared/source/cas"
)

// Settings configures an ALB or NLB provider; alialb.Config and alinlb.Config are this type.
type Settings struct {
	// Endpoint overrides the product's endpoint (ROTATE_ALB_ENDPOINT, ROTATE_NLB_ENDPOINT).
	// Empty: <product>.<region>.aliyuncs.com over HTTPS.
	Endpoint string
	// CASEndpoint overrides the CAS endpoint (ROTATE_CAS_ENDPOINT); CASRegion is ROTATE_CAS_REGION.
	CASEndpoint, CASRegion string
	// Credentials; the caller passes Function Compute's per-invocation role credentials here.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// Deployment is this deployment's id (ROTATE_DEPLOYMENT), carried in every CAS name.
	Deployment string
	// QPS is the rate the product's calls start at (ROTATE_QPS); zero or less: the product's
	// default. The rate rises while calls wait for it and none is throttled, up to QPSMax
	// (ROTATE_QPS_MAX; below QPS, zero included: QPS, the rate never rises), and halves on a
	// throttling answer (package pace).
	QPS, QPSMax float64
	// Timeout bounds one HTTP call.
	Timeout time.Duration
	// Retry is the policy for throttling, 5xx and network errors.
	Retry retry.Policy
	// Poll is the first wait between status reads after a write.
	Poll time.Duration
}

// DefaultSettings reads what the environment says of both products; the caller sets Endpoint
// from its own variable. qps and qpsMax are the product's default rate and ceiling.
func DefaultSettings(qps, qpsMax float64) Settings {
	return Settings{
		CASEndpoint:     os.Getenv("ROTATE_CAS_ENDPOINT"),
		CASRegion:       os.Getenv("ROTATE_CAS_REGION"),
		AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
		Deployment:      provider.DefaultDeployment,
		QPS:             qps,
		QPSMax:          qpsMax,
		Timeout:         10 * time.Second,
		Retry:           retry.Default,
	}
}

// Product is what differs between ALB and NLB on the call path; C is its SDK client.
type Product[C deadline.TimeoutSetter] struct {
	Name        string // provider name in messages: "alialb", "alinlb"
	EndpointVar string // the variable Settings.Endpoint comes from, for messages
	TLS         string // the protocols that take certificates (Config.TLS)
	DefaultQPS  float64
	// BusyCodes mean the listener is applying an earlier write: wrapped as ErrBusy, waited out
	// and not counted as retries. NotFoundCodes are wrapped as ErrNotFound. Both are compared
	// case-insensitively.
	BusyCodes, NotFoundCodes []string
	// NewClient makes the SDK client for region (the product's NewClientWithOptions); domain,
	// when not "", is the host every call goes to instead of the product's endpoint.
	NewClient func(region string, config *sdk.Config, cred auth.Credential, domain string) (C, error)
}

// Open validates s and returns the provider over the API that newAPI makes on a Caller of prod.
// It makes no call.
func Open[C deadline.TimeoutSetter](s Settings, prod Product[C], newAPI func(*Caller[C]) API) (*Provider, error) {
	var problems []string
	if s.AccessKeyID == "" || s.AccessKeySecret == "" {
		problems = append(problems, "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run on Function Compute with a role")
	}
	if err := provider.CheckDeployment(s.Deployment); err != nil {
		problems = append(problems, "ROTATE_DEPLOYMENT: "+err.Error())
	}
	c := &Caller[C]{prod: prod, cfg: s, scheme: "HTTPS", clients: map[string]chan pooled[C]{}}
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			problems = append(problems, fmt.Sprintf("%s: %q is not an http:// or https:// URL", prod.EndpointVar, s.Endpoint))
		case u.Path != "" && u.Path != "/" || u.RawQuery != "":
			problems = append(problems, fmt.Sprintf("%s: %q must be scheme://host[:port] only", prod.EndpointVar, s.Endpoint))
		default:
			c.scheme, c.domain = strings.ToUpper(u.Scheme), u.Host
		}
	}
	casRegion := s.CASRegion
	if casRegion == "" {
		casRegion = cas.DefaultRegion
	}
	if casRegion != "cn-hangzhou" && casRegion != "ap-southeast-1" {
		problems = append(problems, fmt.Sprintf("ROTATE_CAS_REGION: %q is not cn-hangzhou or ap-southeast-1", casRegion))
	}
	casClient, err := cas.New(cas.Config{Endpoint: s.CASEndpoint, Region: casRegion,
		AccessKeyID: s.AccessKeyID, AccessKeySecret: s.AccessKeySecret, SecurityToken: s.SecurityToken,
		Retry: s.Retry, Timeout: s.Timeout})
	if err != nil && len(problems) == 0 {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %s", prod.Name, strings.Join(problems, "; "))
	}
	if c.cfg.Timeout <= 0 {
		c.cfg.Timeout = 10 * time.Second
	}
	if c.cfg.QPS <= 0 {
		c.cfg.QPS = prod.DefaultQPS
	}
	c.limiter = pace.New(c.cfg.QPS, c.cfg.QPSMax)
	return New(Config{Name: prod.Name, TLS: prod.TLS, API: newAPI(c), CAS: casClient, Deployment: s.Deployment, Poll: s.Poll}), nil
}

// Caller runs one product's SDK calls: on pooled clients (per region, one call per client at a
// time), each attempt waiting on the adaptive rate limit, retrying throttling, 5xx and network
// errors, and wrapping what it returns as API says.
type Caller[C deadline.TimeoutSetter] struct {
	prod    Product[C]
	cfg     Settings
	scheme  string
	domain  string
	limiter *pace.Limiter // every attempt of every call waits on it

	mu      sync.Mutex
	clients map[string]chan pooled[C]
}

// pooled is a place in a region's pool: a client once made.
type pooled[C any] struct {
	c    C
	made bool
}

// Rate is the current call rate, in calls per second.
func (a *Caller[C]) Rate() float64 { return a.limiter.Rate() }

func (a *Caller[C]) pool(region string) chan pooled[C] {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.clients[region]
	if !ok {
		c = make(chan pooled[C], 4)
		for range 4 {
			c <- pooled[C]{}
		}
		a.clients[region] = c
	}
	return c
}

func (a *Caller[C]) newClient(region string) (C, error) {
	var cred auth.Credential = credentials.NewStaticAKCredentialsProvider(a.cfg.AccessKeyID, a.cfg.AccessKeySecret)
	if a.cfg.SecurityToken != "" {
		cred = credentials.NewStaticSTSCredentialsProvider(a.cfg.AccessKeyID, a.cfg.AccessKeySecret, a.cfg.SecurityToken)
	}
	c, err := a.prod.NewClient(region, sdk.NewConfig().WithScheme(a.scheme).WithAutoRetry(false).WithTimeout(a.cfg.Timeout), cred, a.domain)
	if err != nil {
		return c, fmt.Errorf("client for %s: %s", region, alipop.SafeMessage(err.Error()))
	}
	return c, nil
}

// Call runs one call on a pooled client, with retries on throttling, 5xx and network errors.
func (a *Caller[C]) Call(ctx context.Context, region, action string, fn func(C) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %s: %w", a.prod.Name, action, err)
	}
	pool := a.pool(region)
	var p pooled[C]
	select {
	case p = <-pool:
	case <-ctx.Done():
		return fmt.Errorf("%s: %s: %w", a.prod.Name, action, ctx.Err())
	}
	defer func() { pool <- p }()
	if !p.made {
		c, err := a.newClient(region)
		if err != nil {
			return provider.Permanent(fmt.Errorf("%s: %w", a.prod.Name, err))
		}
		p = pooled[C]{c: c, made: true}
	}
	err := retry.Do(ctx, a.cfg.Retry, alipop.Retryable, func() error {
		if err := a.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("rate limit (%.4g calls/s): %w", a.limiter.Rate(), context.DeadlineExceeded)
		}
		// The SDK takes no context: deadline.Call sets its timeouts from the time ctx has left.
		err := deadline.Call(ctx, p.c, a.cfg.Timeout, 5*time.Second, func() error { return fn(p.c) })
		if alipop.Answered(err) {
			a.limiter.Observe(alipop.Throttled(err))
		}
		return err
	})
	return a.wrap(action, err)
}

// wrap prefixes err with the provider and action, sanitised; marks busy and not-found answers,
// and everything retrying cannot fix as permanent.
func (a *Caller[C]) wrap(action string, err error) error {
	if err == nil {
		return nil
	}
	name := a.prod.Name
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// alipop.Describe keeps errors.Is working and drops the signed URL a timed-out call's
		// *url.Error prints.
		if e, ok := alipop.Describe(err); ok {
			err = e
		}
		return fmt.Errorf("%s: %s: %w", name, action, err)
	}
	var safe error
	if e, ok := alipop.Describe(err); ok {
		safe = e
	} else {
		safe = errors.New(alipop.SafeMessage(err.Error()))
	}
	c := alipop.Code(err)
	switch {
	case containsFold(a.prod.BusyCodes, c):
		return fmt.Errorf("%s: %s: %w: %w", name, action, ErrBusy, safe)
	case containsFold(a.prod.NotFoundCodes, c):
		return provider.Permanent(fmt.Errorf("%s: %s: %w: %w", name, action, ErrNotFound, safe))
	case alipop.Retryable(err):
		return fmt.Errorf("%s: %s: %w", name, action, safe)
	}
	return provider.Permanent(fmt.Errorf("%s: %s: %w", name, action, safe))
}

func containsFold(list []string, c string) bool {
	for _, x := range list {
		if strings.EqualFold(x, c) {
			return true
		}
	}
	return false
}

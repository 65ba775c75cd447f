// Package huaweielb deploys certificates to Huawei Cloud ELB (v3): certificates updated in
// place, and the default and SNI certificates of HTTPS, TLS and QUIC listeners.
package huaweielb

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	hwconfig "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	elbregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/region"

	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/pace"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/retry"
)

// NamePrefix starts the name of every certificate this project creates; it is how a
// certificate is recognised as ours.
const NamePrefix = provider.NamePrefix

// Config configures the provider.
type Config struct {
	// Endpoint overrides the ELB endpoint of every region (ROTATE_ELB_ENDPOINT), e.g.
	// "http://127.0.0.1:8086". Empty: the SDK's endpoint for the region, over HTTPS.
	Endpoint string
	// Credentials: HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and, for temporary credentials,
	// HUAWEICLOUD_SDK_SECURITY_TOKEN.
	AccessKey, SecretKey, SecurityToken string
	// ProjectID is the project of targets that do not name one (HUAWEICLOUD_SDK_PROJECT_ID).
	// The provider never asks IAM for it.
	ProjectID string
	// Deployment is this deployment's id (ROTATE_DEPLOYMENT), marked on every certificate uploaded.
	Deployment string
	// Concurrency bounds the calls in flight per region and project.
	Concurrency int
	// QPS is the rate the calls of this provider, retries included, start at (ROTATE_QPS); 0
	// means unlimited. The rate rises while calls wait for it and none is throttled, up to QPSMax
	// (ROTATE_QPS_MAX; below QPS, zero included: QPS, the rate never rises), and halves on a
	// throttling answer (package pace).
	QPS, QPSMax float64
	// Timeout bounds one HTTP call.
	Timeout time.Duration
	// Retry is the policy for throttling, 5xx and network errors.
	Retry retry.Policy
}

// NewDefaultConfig reads the environment.
func NewDefaultConfig() Config {
	return Config{
		Endpoint:      os.Getenv("ROTATE_ELB_ENDPOINT"),
		AccessKey:     os.Getenv("HUAWEICLOUD_SDK_AK"),
		SecretKey:     os.Getenv("HUAWEICLOUD_SDK_SK"),
		SecurityToken: os.Getenv("HUAWEICLOUD_SDK_SECURITY_TOKEN"),
		ProjectID:     os.Getenv("HUAWEICLOUD_SDK_PROJECT_ID"),
		Concurrency:   8,
		Timeout:       10 * time.Second,
		Retry:         retry.Default,
	}
}

// Provider is the ELB provider for one run. Create one per invocation: it caches what it learns.
type Provider struct {
	cfg       Config
	transport http.RoundTripper
	limiter   *pace.Limiter // every attempt of every call waits on it; unlimited when QPS is 0

	mu        sync.Mutex
	scopes    map[scopeKey]*scope
	projects  map[string][]scopeKey        // region → scopes this run used there, in first-use order
	listeners map[listenerKey]*sync.Mutex  // one SNI-list write per listener at a time
	sni       map[sniKey]sniDeploy         // what Deploy did to SNI slots in this run
	seen      map[listenerKey]seenListener // what Discover read of each listener (listener.go)
	writes    map[listenerKey]int          // UpdateListener calls this run started, per listener
}

var (
	_ provider.Provider = (*Provider)(nil)
	_ provider.Rebinder = (*Provider)(nil)
	_ provider.Cleaner  = (*Provider)(nil)
	_ provider.Verifier = (*Provider)(nil)
)

// New validates cfg and returns a provider. It creates no client and makes no call.
func New(cfg Config) (*Provider, error) {
	var problems []string
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		problems = append(problems, "no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK")
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			problems = append(problems, fmt.Sprintf("ROTATE_ELB_ENDPOINT: %q is not an http:// or https:// URL", cfg.Endpoint))
		case u.Path != "" && u.Path != "/":
			// The SDK replaces the whole path of the endpoint with the API's.
			problems = append(problems, fmt.Sprintf("ROTATE_ELB_ENDPOINT: %q must not have a path", cfg.Endpoint))
		default:
			cfg.Endpoint = u.Scheme + "://" + u.Host
		}
	}
	if cfg.Deployment != "" {
		if err := provider.CheckDeployment(cfg.Deployment); err != nil {
			problems = append(problems, "deployment: "+err.Error())
		}
	}
	if cfg.QPS < 0 {
		problems = append(problems, fmt.Sprintf("QPS: %v is negative", cfg.QPS))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("huaweielb: %s", strings.Join(problems, "; "))
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	p := &Provider{
		cfg: cfg,
		// One transport for every client, so connections are reused; it honours HTTPS_PROXY,
		// which the SDK's own transport ignores.
		transport: http.DefaultTransport.(*http.Transport).Clone(),
		scopes:    map[scopeKey]*scope{},
		projects:  map[string][]scopeKey{},
		listeners: map[listenerKey]*sync.Mutex{},
		sni:       map[sniKey]sniDeploy{},
		seen:      map[listenerKey]seenListener{},
		writes:    map[listenerKey]int{},
	}
	p.limiter = pace.New(cfg.QPS, cfg.QPSMax)
	return p, nil
}

// scopeKey names a region, a project and the enterprise project a target works in ("": none
// given, so lists are not filtered by enterprise project and creates go to the default one).
type scopeKey struct{ region, project, ep string }

// scope holds one region and project's endpoint and what this run learned there.
type scope struct {
	region, project string
	ep              string        // enterprise_project_id sent on certificate list and create; "" for none
	sem             chan struct{} // bounds the calls in flight

	endpointOnce sync.Once
	endpoint     string
	endpointErr  error

	uploadMu sync.Mutex
	uploaded map[string]certInfo // SHA-1 fingerprint → certificate bound in this run

	certsMu sync.Mutex
	certs   map[string]certInfo      // by id, as last seen
	reading map[string]chan struct{} // ids being read for describe, closed when the read ends
}

// scope returns the state of region, project and enterprise project ep, creating it on first use.
func (p *Provider) scope(region, project, ep string) *scope {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := scopeKey{region, project, ep}
	s, ok := p.scopes[k]
	if !ok {
		s = &scope{region: region, project: project, ep: ep, sem: make(chan struct{}, p.cfg.Concurrency),
			uploaded: map[string]certInfo{}, certs: map[string]certInfo{}, reading: map[string]chan struct{}{}}
		p.scopes[k] = s
		p.projects[region] = append(p.projects[region], k)
	}
	return s
}

// project is the project a target works in: its own, else the configured default.
func (p *Provider) project(t provider.Target) (string, error) {
	if t.ProjectID != "" {
		return t.ProjectID, nil
	}
	if p.cfg.ProjectID != "" {
		return p.cfg.ProjectID, nil
	}
	return "", provider.Permanent(fmt.Errorf("huaweielb: %s: no project id: set project_id on the target or HUAWEICLOUD_SDK_PROJECT_ID", t.Name))
}

// slotScope is the scope a slot lives in.
func (p *Provider) slotScope(slot provider.Slot) (*scope, error) {
	project, err := p.project(slot.Target)
	if err != nil {
		return nil, err
	}
	return p.scope(slot.Region, project, slot.Target.EnterpriseProjectID), nil
}

// regionScopes are the scopes of region this run used, or the default project's.
func (p *Provider) regionScopes(region string) ([]*scope, error) {
	p.mu.Lock()
	keys := append([]scopeKey(nil), p.projects[region]...)
	p.mu.Unlock()
	if len(keys) == 0 {
		if p.cfg.ProjectID == "" {
			return nil, provider.Permanent(fmt.Errorf("huaweielb: region %s: no project id: no target of this run used it and HUAWEICLOUD_SDK_PROJECT_ID is not set", region))
		}
		keys = []scopeKey{{region, p.cfg.ProjectID, ""}}
	}
	out := make([]*scope, len(keys))
	for i, k := range keys {
		out[i] = p.scope(k.region, k.project, k.ep)
	}
	return out, nil
}

// resolveEndpoint is the override, else the SDK's endpoint for the region (which honours
// HUAWEICLOUD_SDK_REGION_ELB_<REGION>).
func (p *Provider) resolveEndpoint(s *scope) (string, error) {
	s.endpointOnce.Do(func() {
		if p.cfg.Endpoint != "" {
			s.endpoint = p.cfg.Endpoint
			return
		}
		r, err := elbregion.SafeValueOf(s.region)
		if err != nil || r == nil || len(r.Endpoints) == 0 {
			s.endpointErr = fmt.Errorf("region %q has no known ELB endpoint: set ROTATE_ELB_ENDPOINT", s.region)
			return
		}
		s.endpoint = r.Endpoints[0]
	})
	return s.endpoint, s.endpointErr
}

// client builds an SDK client whose requests carry ctx. Building one is cheap (the transport is
// shared), and the SDK takes no context, so every call gets its own.
func (p *Provider) client(ctx context.Context, s *scope) (*elb.ElbClient, error) {
	endpoint, err := p.resolveEndpoint(s)
	if err != nil {
		return nil, err
	}
	cred, err := basic.NewCredentialsBuilder().
		WithAk(p.cfg.AccessKey).WithSk(p.cfg.SecretKey).WithSecurityToken(p.cfg.SecurityToken).
		WithProjectId(s.project). // set, so the SDK never asks IAM
		SafeBuild()
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	hc := hwconfig.DefaultHttpConfig().WithTimeout(0) // the context bounds each call
	hc.RoundTripper = ctxTransport{base: p.transport, ctx: ctx}
	// No WithRegion: with an endpoint list the SDK makes no call while building.
	h, err := elb.ElbClientBuilder().WithEndpoints([]string{endpoint}).WithCredential(cred).WithHttpConfig(hc).SafeBuild()
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", s.region, err)
	}
	return elb.NewElbClient(h), nil
}

// ctxTransport sends every request with ctx, which the SDK has no way to pass.
type ctxTransport struct {
	base http.RoundTripper
	ctx  context.Context
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// errCallTimeout marks one HTTP call that took longer than Config.Timeout.
var errCallTimeout = errors.New("call timed out")

// call runs one API call with the concurrency bound, the rate limit and retries.
func (p *Provider) call(ctx context.Context, s *scope, action string, fn func(*elb.ElbClient) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("huaweielb: %s: %w", action, err)
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("huaweielb: %s: %w", action, ctx.Err())
	}
	defer func() { <-s.sem }()
	err := retry.Do(ctx, p.cfg.Retry, retryable, func() error {
		if err := p.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The next slot the rate limit allows is past the deadline.
			return fmt.Errorf("rate limit (%.4g calls/s): %w", p.limiter.Rate(), context.DeadlineExceeded)
		}
		// The SDK takes no context: the client's transport sends each request with one that ends
		// at this attempt's timeout, never past ctx's deadline (package deadline).
		timeout, err := deadline.Timeout(ctx, p.cfg.Timeout)
		if err != nil {
			return err
		}
		attempt, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		c, err := p.client(attempt, s)
		if err != nil {
			return provider.Permanent(err)
		}
		err = fn(c)
		if answered(err) {
			p.limiter.Observe(throttled(err))
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return deadline.Err(ctx) // the run's time is up: say so, not how the transport noticed
		case err != nil && attempt.Err() != nil:
			return fmt.Errorf("%w after %s", errCallTimeout, timeout)
		}
		return err
	})
	return wrap(action, err)
}

// Package alislb deploys certificates to Alibaba Cloud SLB (CLB) HTTPS listeners and their SNI
// domain extensions.
package alislb

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
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/pace"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alipop"
	"github.com/certrotate/certrotate/shared/retry"
)

// NamePrefix starts the name of every server certificate this project uploads; it is how a
// certificate is recognised as ours.
const NamePrefix = provider.NamePrefix

// DefaultQPS is the default rate SLB API calls start at, in calls per second (ROTATE_QPS), and
// DefaultQPSMax the default ceiling it rises to (ROTATE_QPS_MAX).
const (
	DefaultQPS    = 20
	DefaultQPSMax = 100
)

// Config configures the provider.
type Config struct {
	// Endpoint overrides the SLB endpoint (ROTATE_SLB_ENDPOINT), e.g. "http://127.0.0.1:8086".
	// Empty: the SDK's endpoint for the region, over HTTPS.
	Endpoint string
	// Credentials; the caller passes Function Compute's per-invocation role credentials here.
	// Empty: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// Deployment is this deployment's id (ROTATE_DEPLOYMENT), marked on every certificate uploaded.
	Deployment string
	// Concurrency bounds the calls in flight per region.
	Concurrency int
	// QPS is the rate the SLB API calls of this provider, all regions and retries included,
	// start at (ROTATE_QPS); zero or less: DefaultQPS. The rate rises while calls wait for it and
	// none is throttled, up to QPSMax (ROTATE_QPS_MAX; below QPS, zero included: QPS, the rate
	// never rises), and halves on a throttling answer (package pace).
	QPS, QPSMax float64
	// Timeout bounds one HTTP call.
	Timeout time.Duration
	// Retry is the policy for throttling, 5xx and network errors.
	Retry retry.Policy
	// Busy paces the waits for a load balancer still applying a previous write (busy.go);
	// zero: DefaultBusyBackoff.
	Busy BusyBackoff
}

// NewDefaultConfig reads the environment.
func NewDefaultConfig() Config {
	return Config{
		Endpoint:        os.Getenv("ROTATE_SLB_ENDPOINT"),
		AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
		Concurrency:     8,
		QPS:             DefaultQPS,
		QPSMax:          DefaultQPSMax,
		Timeout:         10 * time.Second,
		Retry:           retry.Default,
		Busy:            DefaultBusyBackoff,
	}
}

// Provider is the SLB provider for one run. Create one per invocation: it caches what it learns.
type Provider struct {
	cfg    Config
	scheme string
	domain string // host[:port] when Endpoint is set

	limiter *pace.Limiter // every attempt of every call waits on it
	reads   memo          // discovery reads of this run (discover.go)

	mu      sync.Mutex
	regions map[string]*region
}

var _ provider.Provider = (*Provider)(nil)

// New validates cfg and returns a provider. It creates no client and makes no call.
func New(cfg Config) (*Provider, error) {
	var problems []string
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		problems = append(problems, "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run on Function Compute with a role")
	}
	p := &Provider{cfg: cfg, scheme: "HTTPS", regions: map[string]*region{}}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			problems = append(problems, fmt.Sprintf("ROTATE_SLB_ENDPOINT: %q is not an http:// or https:// URL", cfg.Endpoint))
		case u.Path != "" && u.Path != "/":
			problems = append(problems, fmt.Sprintf("ROTATE_SLB_ENDPOINT: %q must not have a path", cfg.Endpoint))
		default:
			p.scheme, p.domain = strings.ToUpper(u.Scheme), u.Host
		}
	}
	if p.cfg.Concurrency < 1 {
		p.cfg.Concurrency = 1
	}
	if p.cfg.Timeout <= 0 {
		p.cfg.Timeout = 10 * time.Second
	}
	if p.cfg.QPS <= 0 {
		p.cfg.QPS = DefaultQPS
	}
	p.limiter = pace.New(p.cfg.QPS, p.cfg.QPSMax)
	if cfg.Deployment != "" {
		if err := provider.CheckDeployment(cfg.Deployment); err != nil {
			problems = append(problems, "deployment: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("alislb: %s", strings.Join(problems, "; "))
	}
	return p, nil
}

// region holds one region's clients and what this run learned about it.
type region struct {
	id      string
	clients chan *slb.Client // pool: the SDK client mutates shared state per call, so one call per client at a time

	certsOnce sync.Once
	certs     map[string]serverCert // by id, as listed at first use
	certsErr  error

	uploadMu sync.Mutex
	uploaded map[string]string // SHA-1 fingerprint → certificate id bound in this run

	uploadedAny bool // this run uploaded a certificate to the region (guarded by uploadMu)

	// The listing made alongside the read-back after this run's upload (readback.go), nil until then.
	relistMu sync.Mutex
	relist   map[string]serverCert

	latestMu sync.Mutex
	latest   map[string]serverCert // by id, as the latest listing showed them
	gone     map[string]bool       // deleted by this run since

	lbMu    sync.Mutex
	lbLocks map[string]chan struct{} // load balancer id → its write lock (busy.go)
}

type serverCert struct {
	id, name, fingerprint string
	names                 []string
	created               time.Time
	notAfter              time.Time // ExpireTimeStamp; zero when the list gave none
	ours                  bool      // carries this deployment's mark (mark.go)
}

func (p *Provider) region(id string) *region {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.regions[id]
	if !ok {
		r = &region{id: id, clients: make(chan *slb.Client, p.cfg.Concurrency), uploaded: map[string]string{}}
		for range p.cfg.Concurrency {
			r.clients <- nil // created on first use
		}
		p.regions[id] = r
	}
	return r
}

// call runs one API call on a pooled client with retries.
func (p *Provider) call(ctx context.Context, r *region, action string, fn func(*slb.Client) error) error {
	var c *slb.Client
	select {
	case c = <-r.clients:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { r.clients <- c }()
	err := retry.Do(ctx, p.cfg.Retry, retryable, func() error {
		if err := p.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return deadline.Err(ctx)
			}
			// The next slot the rate limit allows is past the deadline.
			return fmt.Errorf("rate limit (%.4g calls/s): %w", p.limiter.Rate(), context.DeadlineExceeded)
		}
		err := p.attempt(ctx, r, &c, fn)
		if alipop.Answered(err) {
			p.limiter.Observe(alipop.Throttled(err))
		}
		return err
	})
	if err != nil {
		return wrap(action, err)
	}
	return nil
}

// attempt makes one SDK call on *c (made first if nil), bounded by ctx (deadline.Call: the SDK
// takes no context, so its timeouts are set from the time left).
func (p *Provider) attempt(ctx context.Context, r *region, c **slb.Client, fn func(*slb.Client) error) error {
	if *c == nil {
		var err error
		if *c, err = p.newClient(r.id); err != nil {
			return provider.Permanent(err)
		}
	}
	client := *c
	return deadline.Call(ctx, client, p.cfg.Timeout, connectTimeout, func() error { return fn(client) })
}

// connectTimeout bounds connecting to SLB.
const connectTimeout = 5 * time.Second

// endpointMapOnce fills the SDK's endpoint table before any client is made: the SDK fills it
// lazily, unguarded, on every NewClientWithOptions, which races when clients are made at once.
var endpointMapOnce sync.Once

func (p *Provider) newClient(regionID string) (*slb.Client, error) {
	var cred credentials.CredentialsProvider
	if p.cfg.SecurityToken != "" {
		cred = credentials.NewStaticSTSCredentialsProvider(p.cfg.AccessKeyID, p.cfg.AccessKeySecret, p.cfg.SecurityToken)
	} else {
		cred = credentials.NewStaticAKCredentialsProvider(p.cfg.AccessKeyID, p.cfg.AccessKeySecret)
	}
	cfg := sdk.NewConfig().WithScheme(p.scheme).WithAutoRetry(false).WithTimeout(p.cfg.Timeout)
	endpointMapOnce.Do(func() { slb.GetEndpointMap() })
	c, err := slb.NewClientWithOptions(regionID, cfg, cred)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", regionID, err)
	}
	if p.domain != "" {
		c.Domain = p.domain
	}
	return c, nil // attempt sets its timeouts before every call
}

// serverCerts lists the region's server certificates once per run.
func (p *Provider) serverCerts(ctx context.Context, r *region) (map[string]serverCert, error) {
	r.certsOnce.Do(func() { r.certs, r.certsErr = p.listServerCerts(ctx, r) })
	return r.certs, r.certsErr
}

func (p *Provider) listServerCerts(ctx context.Context, r *region) (map[string]serverCert, error) {
	var resp *slb.DescribeServerCertificatesResponse
	err := p.call(ctx, r, "DescribeServerCertificates", func(c *slb.Client) error {
		req := slb.CreateDescribeServerCertificatesRequest()
		req.RegionId = r.id
		var err error
		resp, err = c.DescribeServerCertificates(req)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]serverCert, len(resp.ServerCertificates.ServerCertificate))
	defer func() {
		r.latestMu.Lock()
		r.latest = out
		r.latestMu.Unlock()
	}()
	for _, sc := range resp.ServerCertificates.ServerCertificate {
		names := append([]string{sc.CommonName}, sc.SubjectAlternativeNames.SubjectAlternativeName...)
		out[sc.ServerCertificateId] = serverCert{
			id: sc.ServerCertificateId, name: sc.ServerCertificateName,
			fingerprint: certs.NormalizeFingerprint(sc.Fingerprint), names: certs.NormalizeNames(names),
			created: time.UnixMilli(sc.CreateTimeStamp), notAfter: expiry(sc.ExpireTimeStamp),
			ours: markOf(sc.Tags.Tag) == p.deployment(),
		}
	}
	return out, nil
}

// bound describes certificate id as the region's list shows it.
func (p *Provider) bound(ctx context.Context, r *region, id string) (provider.Bound, error) {
	if id == "" {
		return provider.Bound{}, nil
	}
	list, err := p.serverCerts(ctx, r)
	if err != nil {
		return provider.Bound{}, err
	}
	sc, ok := list[id]
	if !ok {
		return provider.Bound{ID: id}, nil
	}
	return provider.Bound{ID: id, Fingerprint: sc.fingerprint, Names: sc.names, NotAfter: sc.notAfter}, nil
}

// expiry reads DescribeServerCertificates' ExpireTimeStamp (milliseconds since the epoch; see
// alibaba-cloud-sdk-go services/slb/struct_server_certificate.go); 0 means not given.
func expiry(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// errTargetMissing marks a discovery that found nothing where the target points.
var errTargetMissing = errors.New("not found")

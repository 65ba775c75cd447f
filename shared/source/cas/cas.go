// Package cas fetches a certificate and its private key from Alibaba Cloud Certificate
// Management Service (CAS) with GetUserCertificateDetail, for `{"cas_certificate_id": N}`.
package cas

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkcas "github.com/aliyun/alibaba-cloud-sdk-go/services/cas"

	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alipop"
	"github.com/certrotate/certrotate/shared/retry"
)

// DefaultRegion is the CAS region of mainland China; ap-southeast-1 serves international accounts.
const DefaultRegion = "cn-hangzhou"

// Config configures the client.
type Config struct {
	// Endpoint overrides the CAS endpoint (ROTATE_CAS_ENDPOINT), e.g. "http://127.0.0.1:8086".
	// Empty: the SDK's endpoint for Region, over HTTPS.
	Endpoint string
	// Region is the CAS region; default DefaultRegion.
	Region string
	// Credentials; the caller passes Function Compute's per-invocation role credentials here.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// Retry is the policy for throttling, 5xx and network errors; the zero value means retry.Default.
	Retry retry.Policy
	// Timeout bounds one HTTP call; default 10 s.
	Timeout time.Duration
}

// NewDefaultConfig reads the environment.
func NewDefaultConfig() Config {
	return Config{
		Endpoint:        os.Getenv("ROTATE_CAS_ENDPOINT"),
		Region:          DefaultRegion,
		AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
		Retry:           retry.Default,
		Timeout:         10 * time.Second,
	}
}

// Client fetches certificates from CAS. It is safe for concurrent use; calls are serialised
// because the SDK client changes shared state on every call.
type Client struct {
	retry   retry.Policy
	timeout time.Duration
	region  string

	turn chan struct{} // one call at a time: the SDK client changes shared state on every call
	sdk  *sdkcas.Client
}

// New validates cfg and returns a client, reporting every problem at once. It makes no call.
func New(cfg Config) (*Client, error) {
	var problems []string
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		problems = append(problems, "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run on Function Compute with a role")
	}
	scheme, domain := "HTTPS", ""
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			problems = append(problems, fmt.Sprintf("ROTATE_CAS_ENDPOINT: %q is not an http:// or https:// URL", cfg.Endpoint))
		case u.Path != "" && u.Path != "/" || u.RawQuery != "":
			problems = append(problems, fmt.Sprintf("ROTATE_CAS_ENDPOINT: %q must be scheme://host[:port] only", cfg.Endpoint))
		default:
			scheme, domain = strings.ToUpper(u.Scheme), u.Host
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("cas: %s", strings.Join(problems, "; "))
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Retry == (retry.Policy{}) {
		cfg.Retry = retry.Default
	}

	var cred credentials.CredentialsProvider = credentials.NewStaticAKCredentialsProvider(cfg.AccessKeyID, cfg.AccessKeySecret)
	if cfg.SecurityToken != "" {
		cred = credentials.NewStaticSTSCredentialsProvider(cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SecurityToken)
	}
	sdkCfg := sdk.NewConfig().WithScheme(scheme).WithAutoRetry(false).WithTimeout(cfg.Timeout)
	c, err := sdkcas.NewClientWithOptions(cfg.Region, sdkCfg, cred)
	if err != nil {
		return nil, fmt.Errorf("cas: client for %s: %s", cfg.Region, alipop.SafeMessage(err.Error()))
	}
	c.Domain = domain // "" keeps the SDK's endpoint for the region
	return &Client{retry: cfg.Retry, timeout: cfg.Timeout, region: cfg.Region, turn: make(chan struct{}, 1), sdk: c}, nil
}

// connectTimeout bounds connecting to CAS.
const connectTimeout = 5 * time.Second

// call makes one SDK call bounded by ctx (deadline.Call: the SDK takes no context, so its
// timeouts are set from the time left), one at a time.
func (c *Client) call(ctx context.Context, fn func(*sdkcas.Client) error) error {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return deadline.Err(ctx)
	}
	defer func() { <-c.turn }()
	return deadline.Call(ctx, c.sdk, c.timeout, connectTimeout, func() error { return fn(c.sdk) })
}

// Region is the CAS region the client talks to: the suffix of the certificate ids ALB and NLB
// bind ("<CertId>-<region>").
func (c *Client) Region() string { return c.region }

// Fetch returns certificate id's PEMs as CAS holds them (certificate: leaf then chain, as
// uploaded or issued; not normalised here) and its name. An id CAS does not know, a certificate
// without a private key (or an SM2 dual certificate, whose pairs are in the Sign*/Encrypt*
// fields) and any other refusal that retrying cannot fix are provider.Permanent; throttling,
// 5xx and network errors are retried per Config.Retry and then returned unmarked. Errors never
// hold PEM text, keys, signatures or an echoed string-to-sign.
func (c *Client) Fetch(ctx context.Context, id int64) (certificate, privateKey []byte, name string, err error) {
	if id <= 0 {
		return nil, nil, "", provider.Permanent(fmt.Errorf("cas: certificate id %d: must be a positive integer", id))
	}
	var resp *sdkcas.GetUserCertificateDetailResponse
	err = retry.Do(ctx, c.retry, alipop.Retryable, func() error {
		req := sdkcas.CreateGetUserCertificateDetailRequest()
		req.CertId = requests.NewInteger64(id)
		req.CertFilter = requests.NewBoolean(false)
		return c.call(ctx, func(sdk *sdkcas.Client) (err error) {
			resp, err = sdk.GetUserCertificateDetail(req)
			return err
		})
	})
	if err != nil {
		return nil, nil, "", fetchError(id, err)
	}
	switch {
	case resp.Key == "" && (resp.SignCert != "" || resp.EncryptCert != ""):
		return nil, nil, "", provider.Permanent(fmt.Errorf(
			"cas: certificate %d (%q) is an SM2 dual certificate (sign and encrypt pairs only); it has no RSA/ECC certificate and key to deploy", id, resp.Name))
	case resp.Key == "":
		return nil, nil, "", provider.Permanent(fmt.Errorf(
			"cas: certificate %d (%q) has no private key in CAS (its key was generated outside CAS?); upload the certificate with its key", id, resp.Name))
	case resp.Cert == "":
		return nil, nil, "", provider.Permanent(fmt.Errorf("cas: certificate %d (%q) has no certificate content", id, resp.Name))
	}
	return []byte(resp.Cert), []byte(resp.Key), resp.Name, nil
}

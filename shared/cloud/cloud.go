// Package cloud builds, for one invocation, the providers and bucket readers a rotation uses. It
// is the only place that knows every provider; providers never import it.
package cloud

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alialb"
	"github.com/certrotate/certrotate/shared/provider/alinlb"
	"github.com/certrotate/certrotate/shared/provider/alislb"
	"github.com/certrotate/certrotate/shared/provider/huaweielb"
	"github.com/certrotate/certrotate/shared/rotation"
	"github.com/certrotate/certrotate/shared/source"
	"github.com/certrotate/certrotate/shared/source/cas"
	"github.com/certrotate/certrotate/shared/source/ossbucket"
	"github.com/certrotate/certrotate/shared/source/s3bucket"
)

// Alibaba is a set of Alibaba Cloud credentials.
type Alibaba struct{ AccessKeyID, AccessKeySecret, SecurityToken string }

// AlibabaFromEnv reads ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET and ALIBABA_CLOUD_SECURITY_TOKEN.
func AlibabaFromEnv() Alibaba {
	return Alibaba{
		AccessKeyID:     os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
	}
}

// Clouds builds providers and readers for one invocation. It implements rotation.Clouds.
type Clouds struct {
	cfg     *config.Rotate
	alibaba Alibaba

	mu        sync.Mutex
	providers map[string]provider.Provider
}

var _ rotation.Clouds = (*Clouds)(nil)

// New returns the clouds of one invocation: alibaba are Function Compute's per-invocation role
// credentials when there are some, else AlibabaFromEnv().
func New(cfg *config.Rotate, alibaba Alibaba) *Clouds {
	return &Clouds{cfg: cfg, alibaba: alibaba, providers: map[string]provider.Provider{}}
}

// Provider implements rotation.Clouds; it builds each provider once per invocation.
func (c *Clouds) Provider(name string) (provider.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.providers[name]; ok {
		return p, nil
	}
	var (
		p   provider.Provider
		err error
	)
	switch name {
	case provider.AliSLB:
		cfg := alislb.NewDefaultConfig()
		cfg.Endpoint = c.cfg.SLBEndpoint
		cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SecurityToken = c.alibaba.AccessKeyID, c.alibaba.AccessKeySecret, c.alibaba.SecurityToken
		cfg.Concurrency, cfg.QPS, cfg.QPSMax, cfg.Deployment = c.cfg.Concurrency, c.cfg.QPS, c.cfg.QPSMax, c.cfg.Deployment
		p, err = alislb.New(cfg)
	case provider.AliALB:
		cfg := alialb.NewDefaultConfig()
		cfg.Endpoint, cfg.CASEndpoint, cfg.CASRegion = c.cfg.ALBEndpoint, c.cfg.CASEndpoint, c.cfg.CASRegion
		cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SecurityToken = c.alibaba.AccessKeyID, c.alibaba.AccessKeySecret, c.alibaba.SecurityToken
		cfg.QPS, cfg.QPSMax, cfg.Deployment = c.cfg.QPS, c.cfg.QPSMax, c.cfg.Deployment
		p, err = alialb.New(cfg)
	case provider.AliNLB:
		cfg := alinlb.NewDefaultConfig()
		cfg.Endpoint, cfg.CASEndpoint, cfg.CASRegion = c.cfg.NLBEndpoint, c.cfg.CASEndpoint, c.cfg.CASRegion
		cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SecurityToken = c.alibaba.AccessKeyID, c.alibaba.AccessKeySecret, c.alibaba.SecurityToken
		cfg.QPS, cfg.QPSMax, cfg.Deployment = c.cfg.QPS, c.cfg.QPSMax, c.cfg.Deployment
		p, err = alinlb.New(cfg)
	case provider.HuaweiELB:
		cfg := huaweielb.NewDefaultConfig()
		cfg.Endpoint = c.cfg.ELBEndpoint
		cfg.AccessKey, cfg.SecretKey, cfg.ProjectID = c.cfg.HuaweiAccessKey, c.cfg.HuaweiSecretKey, c.cfg.HuaweiProjectID
		cfg.Concurrency, cfg.QPS, cfg.QPSMax, cfg.Deployment = c.cfg.Concurrency, c.cfg.QPS, c.cfg.QPSMax, c.cfg.Deployment
		p, err = huaweielb.New(cfg)
	default:
		err = fmt.Errorf("provider %q is not supported by this build", name)
	}
	if err != nil {
		return nil, provider.Permanent(err)
	}
	c.providers[name] = p
	return p, nil
}

// CAS implements rotation.Clouds.
func (c *Clouds) CAS() (rotation.CertificateStore, error) {
	cfg := cas.NewDefaultConfig()
	cfg.Endpoint = c.cfg.CASEndpoint
	cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SecurityToken = c.alibaba.AccessKeyID, c.alibaba.AccessKeySecret, c.alibaba.SecurityToken
	client, err := cas.New(cfg)
	if err != nil {
		return nil, provider.Permanent(err)
	}
	return client, nil
}

// Bucket implements rotation.Clouds.
func (c *Clouds) Bucket(ctx context.Context, store, region string) (source.Bucket, error) {
	switch store {
	case "oss":
		if region == "" {
			region = os.Getenv("FC_REGION")
		}
		b, err := ossbucket.New(ossbucket.Config{
			Region: region, Endpoint: c.cfg.OSSEndpoint,
			AccessKeyID: c.alibaba.AccessKeyID, AccessKeySecret: c.alibaba.AccessKeySecret, SecurityToken: c.alibaba.SecurityToken,
		})
		// A reader that cannot be built (no region, no credentials) stays so on retry.
		return b, provider.Permanent(err)
	case "s3":
		b, err := s3bucket.New(ctx, region)
		return b, provider.Permanent(err)
	}
	return nil, provider.Permanent(fmt.Errorf("unknown store %q: \"oss\" or \"s3\"", store))
}

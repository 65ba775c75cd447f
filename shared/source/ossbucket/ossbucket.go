// Package ossbucket reads certificate folders from Alibaba Cloud OSS.
package ossbucket

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	osscred "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/source"
)

// Config configures the reader.
type Config struct {
	Region   string // the bucket's region, e.g. cn-hangzhou
	Endpoint string // ROTATE_OSS_ENDPOINT; empty: the region's public endpoint over HTTPS
	// Credentials: Function Compute's per-invocation role credentials, or ALIBABA_CLOUD_*.
	AccessKeyID, AccessKeySecret, SecurityToken string
}

// Bucket reads one region's OSS buckets.
type Bucket struct{ client *oss.Client }

var (
	_ source.Bucket   = (*Bucket)(nil)
	_ source.Symlinks = (*Bucket)(nil)
)

// New validates cfg and returns a reader; it makes no call.
func New(cfg Config) (*Bucket, error) {
	var problems []string
	if cfg.Region == "" {
		problems = append(problems, "no region: the event names none and FC_REGION is not set")
	}
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		problems = append(problems, "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run on Function Compute with a role")
	}
	c := oss.LoadDefaultConfig().
		WithRegion(cfg.Region).
		WithCredentialsProvider(osscred.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SecurityToken)).
		WithConnectTimeout(5 * time.Second).
		WithReadWriteTimeout(10 * time.Second)
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			problems = append(problems, fmt.Sprintf("ROTATE_OSS_ENDPOINT: %q is not an http:// or https:// URL", cfg.Endpoint))
		}
		// A custom endpoint (an emulator, a private gateway) is addressed by path.
		c = c.WithEndpoint(cfg.Endpoint).WithUsePathStyle(true)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("ossbucket: %s", strings.Join(problems, "; "))
	}
	return &Bucket{client: oss.NewClient(c)}, nil
}

// List implements source.Bucket. Each object's LastModified is the listing's (ListObjectsV2
// Contents.LastModified).
func (b *Bucket) List(ctx context.Context, bucket, prefix string) ([]source.Object, error) {
	p := b.client.NewListObjectsV2Paginator(&oss.ListObjectsV2Request{
		Bucket: oss.Ptr(bucket), Prefix: oss.Ptr(prefix), Delimiter: oss.Ptr("/"), MaxKeys: 1000,
	})
	var objects []source.Object
	for p.HasNext() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, describe(ctx, err)
		}
		for _, o := range page.Contents {
			objects = append(objects, source.Object{Key: oss.ToString(o.Key), LastModified: oss.ToTime(o.LastModified)})
		}
		if len(objects) >= 1000 {
			break
		}
	}
	return objects, nil
}

// Get implements source.Bucket; the time is GetObject's Last-Modified header.
func (b *Bucket) Get(ctx context.Context, bucket, key string, max int64) ([]byte, time.Time, error) {
	out, err := b.client.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		return nil, time.Time{}, describe(ctx, err)
	}
	data, err := source.ReadLimited(out.Body, max)
	if err != nil {
		return nil, time.Time{}, err
	}
	return data, oss.ToTime(out.LastModified), nil
}

// SymlinkTarget implements source.Symlinks.
func (b *Bucket) SymlinkTarget(ctx context.Context, bucket, key string) (string, error) {
	out, err := b.client.GetSymlink(ctx, &oss.GetSymlinkRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		return "", describe(ctx, err)
	}
	// OSS asks for non-ASCII targets to be URL-encoded in the header; a raw one is taken as is.
	target := oss.ToString(out.Target)
	if t, err := url.PathUnescape(target); err == nil {
		target = t
	}
	if target == "" {
		return "", errors.New("symbolic link has no target")
	}
	return target, nil
}

// describe turns an OSS error into a short one, mapping NoSuchKey to source.ErrNotFound.
func describe(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		// The run's time is up: say so, not how the transport noticed (its URL).
		return fmt.Errorf("oss: %w", deadline.Err(ctx))
	}
	var se *oss.ServiceError
	if errors.As(err, &se) {
		if se.Code == "NoSuchKey" || se.Code == "NoSuchBucket" {
			return fmt.Errorf("%w: oss %s (request id %s)", source.ErrNotFound, se.Code, se.RequestID)
		}
		return fmt.Errorf("oss %d %s: %s (request id %s)", se.StatusCode, se.Code, se.Message, se.RequestID)
	}
	return fmt.Errorf("oss: %w", err)
}

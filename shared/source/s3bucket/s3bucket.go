// Package s3bucket reads certificate folders from Amazon S3.
package s3bucket

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/certrotate/certrotate/shared/source"
)

// Bucket reads S3 buckets with the SDK's default configuration chain: credentials from the
// Lambda execution role (AWS_ACCESS_KEY_ID, …), AWS_REGION, and AWS_ENDPOINT_URL_S3.
type Bucket struct{ client *s3.Client }

var _ source.Bucket = (*Bucket)(nil)

// New loads the AWS configuration for region ("" = AWS_REGION). A custom endpoint
// (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: an emulator, MinIO) is addressed by path.
func New(ctx context.Context, region string) (*Bucket, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3bucket: loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("s3bucket: no region: the event names none and AWS_REGION is not set")
	}
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return &Bucket{client: s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = custom
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})}, nil
}

// List implements source.Bucket.
func (b *Bucket) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
	})
	var keys []string
	for p.HasMorePages() && len(keys) < 1000 {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, describe(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Get implements source.Bucket.
func (b *Bucket) Get(ctx context.Context, bucket, key string, max int64) ([]byte, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, describe(err)
	}
	return source.ReadLimited(out.Body, max)
}

func describe(err error) error {
	var nsk *types.NoSuchKey
	var nsb *types.NoSuchBucket
	if errors.As(err, &nsk) || errors.As(err, &nsb) {
		return fmt.Errorf("%w: s3 %v", source.ErrNotFound, errorCode(err))
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("s3 %s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	return fmt.Errorf("s3: %w", err)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

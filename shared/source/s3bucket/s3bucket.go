// Package s3bucket reads certificate folders from Amazon S3.
package s3bucket

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/source"
)

// Bucket reads S3 buckets with the credentials, region and endpoint that Lambda (or the
// caller) puts in the environment.
type Bucket struct{ client *s3.Client }

var _ source.Bucket = (*Bucket)(nil)

// New configures S3 for region ("" = AWS_REGION, then AWS_DEFAULT_REGION) with the credentials
// of AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, which Lambda sets from the
// execution role. A custom endpoint (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: an emulator,
// MinIO) is addressed by path. It does not use the SDK's config package (shared config files,
// SSO, IMDS): importing it costs about 2 MB of binary and 3 ms of cold start (see README,
// Performance).
func New(_ context.Context, region string) (*Bucket, error) {
	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if region == "" {
			region = os.Getenv(name)
		}
	}
	if region == "" {
		return nil, errors.New("s3bucket: no region: the event names none and AWS_REGION is not set")
	}
	// Without keys the SDK would sign nothing and every call would fail the same way, on every
	// retry: say so now, as a problem of the configuration.
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		return nil, errors.New("s3bucket: no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set " +
			"(Lambda sets them from the function's role; profiles, SSO and instance roles are not read)")
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL_S3")
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	o := s3.Options{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))),
		UsePathStyle:               endpoint != "",
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	return &Bucket{client: s3.New(o)}, nil
}

// List implements source.Bucket. Each object's LastModified is the listing's (ListObjectsV2
// Contents.LastModified).
func (b *Bucket) List(ctx context.Context, bucket, prefix string) ([]source.Object, error) {
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
	})
	var objects []source.Object
	for p.HasMorePages() && len(objects) < 1000 {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, describe(ctx, err)
		}
		for _, o := range page.Contents {
			objects = append(objects, source.Object{Key: aws.ToString(o.Key), LastModified: aws.ToTime(o.LastModified)})
		}
	}
	return objects, nil
}

// Get implements source.Bucket; the time is GetObject's Last-Modified header.
func (b *Bucket) Get(ctx context.Context, bucket, key string, max int64) ([]byte, time.Time, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, time.Time{}, describe(ctx, err)
	}
	data, err := source.ReadLimited(out.Body, max)
	if err != nil {
		return nil, time.Time{}, err
	}
	return data, aws.ToTime(out.LastModified), nil
}

func describe(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		// The run's time is up: say so, not how the transport noticed (its URL).
		return fmt.Errorf("s3: %w", deadline.Err(ctx))
	}
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

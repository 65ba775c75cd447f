package objstore

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// TestLastModifiedIsThePutsTime: an object's Last-Modified (GetObject, HeadObject) and its
// listing's LastModified are the time of the put that stored it, in whole seconds, and a put that
// replaces the object moves it, on OSS and on S3, through the real SDKs.
func TestLastModifiedIsThePutsTime(t *testing.T) {
	// Within the signatures' allowed skew of the real clock, which the SDKs sign with.
	first := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second).Add(400 * time.Millisecond)
	second := first.Add(7 * time.Minute)
	clk := fakecore.NewClock(first)
	e := newEnv(t, clk.Now)
	ctx := context.Background()
	o, s := e.defaultOSS(), e.defaultS3()
	e.store.CreateBucket("oss", "certs")
	e.store.CreateBucket("s3", "certs")

	type times struct{ get, head, list time.Time }
	read := map[string]func(key string) times{
		"oss": func(key string) times {
			g, err := o.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(key)})
			if err != nil {
				t.Fatal(err)
			}
			g.Body.Close()
			h, err := o.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(key)})
			if err != nil {
				t.Fatal(err)
			}
			l, err := o.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr("certs"), Prefix: oss.Ptr(key)})
			if err != nil || len(l.Contents) != 1 {
				t.Fatalf("list: %v", err)
			}
			return times{oss.ToTime(g.LastModified), oss.ToTime(h.LastModified), oss.ToTime(l.Contents[0].LastModified)}
		},
		"s3": func(key string) times {
			g, err := s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("certs"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			g.Body.Close()
			h, err := s.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("certs"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			l, err := s.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("certs"), Prefix: aws.String(key)})
			if err != nil || len(l.Contents) != 1 {
				t.Fatalf("list: %v", err)
			}
			return times{aws.ToTime(g.LastModified), aws.ToTime(h.LastModified), aws.ToTime(l.Contents[0].LastModified)}
		},
	}
	put := map[string]func(key string, body []byte){
		"oss": func(key string, body []byte) {
			if _, err := o.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(key), Body: bytes.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
		},
		"s3": func(key string, body []byte) {
			if _, err := s.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
		},
	}
	for _, store := range []string{"oss", "s3"} {
		t.Run(store, func(t *testing.T) {
			clk.Set(first)
			put[store]("site/privkey.pem", []byte("one"))
			e.store.Put(store, "certs", "site/fullchain.pem", []byte("one"))
			clk.Set(second)
			want := first.Truncate(time.Second)
			for _, key := range []string{"site/privkey.pem", "site/fullchain.pem"} {
				if got := read[store](key); !got.get.Equal(want) || !got.head.Equal(want) || !got.list.Equal(want) {
					t.Errorf("%s: %+v, want %v everywhere", key, got, want)
				}
			}
			put[store]("site/privkey.pem", []byte("two"))
			want = second.Truncate(time.Second)
			if got := read[store]("site/privkey.pem"); !got.get.Equal(want) || !got.head.Equal(want) || !got.list.Equal(want) {
				t.Errorf("replaced: %+v, want %v everywhere", got, want)
			}
		})
	}
}

package objstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// s3Client builds a client the way config.LoadDefaultConfig would, including its default checksum
// settings (WhenSupported for requests and responses), pointed at endpoint.
func s3Client(endpoint, ak, sk, token string, optFns ...func(*s3.Options)) *s3.Client {
	o := s3.Options{
		Region:                     "us-east-1",
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		RetryMaxAttempts:           1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk, SessionToken: token}, nil
		}),
	}
	for _, fn := range optFns {
		fn(&o)
	}
	return s3.New(o)
}

func (e *testEnv) s3Client(ak, sk, token string, optFns ...func(*s3.Options)) *s3.Client {
	return s3Client(e.s3.URL, ak, sk, token, optFns...)
}

func (e *testEnv) defaultS3(optFns ...func(*s3.Options)) *s3.Client {
	return e.s3Client(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, "", optFns...)
}

// s3Code returns the API error code and HTTP status of err.
func s3Code(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want smithy.APIError, got %T %v", err, err)
	}
	var re interface{ HTTPStatusCode() int }
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var rid interface{ ServiceRequestID() string }
	if !errors.As(err, &rid) || rid.ServiceRequestID() == "" {
		t.Errorf("error without request id: %v", err)
	}
	return ae.ErrorCode(), status
}

func s3Read(t *testing.T, c *s3.Client, bucket, key string) (string, error) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

// recorder is a transport that records the headers of every request and may rewrite requests
// after the SDK signed them.
type recorder struct {
	base    http.RoundTripper
	mu      sync.Mutex
	headers []http.Header
	rewrite func(*http.Request)
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	rewrite := r.rewrite
	r.mu.Unlock()
	if rewrite != nil {
		req = req.Clone(req.Context())
		rewrite(req)
	}
	return r.base.RoundTrip(req)
}

func (r *recorder) last() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.headers[len(r.headers)-1]
}

func TestS3GetAndHeadObject(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("s3", "certs", "site/fullchain.pem", []byte(testPEM))
	rec := &recorder{base: http.DefaultTransport}
	c := e.defaultS3(func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: rec} })
	ctx := context.Background()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("certs"), Key: aws.String("site/fullchain.pem")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(out.Body) // the SDK validates the answered checksum while reading
	out.Body.Close()
	if err != nil || string(body) != testPEM {
		t.Fatalf("body %q %v", body, err)
	}
	if aws.ToInt64(out.ContentLength) != int64(len(testPEM)) || aws.ToString(out.ETag) == "" || out.LastModified == nil {
		t.Fatalf("get output %+v", out)
	}
	if rec.last().Get("x-amz-checksum-mode") != "ENABLED" || aws.ToString(out.ChecksumCRC64NVME) == "" {
		t.Fatalf("no checksum asked (%v) or answered (%+v)", rec.last(), out)
	}
	call := e.lastCall(t)
	if call.Service != "s3" || call.Action != "GetObject" || call.Region != "us-east-1" || call.Status != 200 ||
		call.Mutating || call.Params["bucket"] != "certs" || call.Params["key"] != "site/fullchain.pem" {
		t.Fatalf("call %+v", call)
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("certs"), Key: aws.String("site/fullchain.pem")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(testPEM)) || aws.ToString(head.ETag) != aws.ToString(out.ETag) {
		t.Fatalf("head %+v", head)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("certs"), Key: aws.String("missing")})
	if code, status := s3Code(t, err); code != "NotFound" || status != 404 {
		t.Fatalf("head missing: %s %d", code, status)
	}
	if call := e.lastCall(t); call.Action != "HeadObject" || call.Code != "NoSuchKey" || call.Status != 404 {
		t.Fatalf("call %+v", call)
	}
}

func TestS3PutObjectDefaultChecksumsAndUnicodeKeys(t *testing.T) {
	e := newEnv(t, nil)
	e.store.CreateBucket("s3", "certs")
	rec := &recorder{base: http.DefaultTransport}
	c := e.defaultS3(func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: rec} })
	ctx := context.Background()
	keys := []string{"plain.pem", "with space/a b.pem", "plus+sign/1+1=2.pem", "证书/站点 证书+链.pem", "weird/~!@$&'()*,;=:.pem"}
	for _, key := range keys {
		body := []byte("body of " + key)
		// The WhenRequired checksum settings send no checksum at all.
		plain := e.defaultS3(func(o *s3.Options) {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})
		if _, err := plain.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String(key), Body: strings.NewReader("old")}); err != nil {
			t.Fatalf("put %q without checksums: %v", key, err)
		}
		if got, err := s3Read(t, plain, "certs", key); err != nil || got != "old" {
			t.Fatalf("get %q without checksums: %q %v", key, got, err)
		}
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("put %q: %v", key, err)
		}
		if got, ok := e.store.Object("s3", "certs", key); !ok || !bytes.Equal(got, body) {
			t.Fatalf("Object(%q) = %q, %v", key, got, ok)
		}
		if call := e.lastCall(t); call.Action != "PutObject" || !call.Mutating || call.Params["key"] != key || call.Status != 200 {
			t.Fatalf("call %+v", call)
		}
		if got, err := s3Read(t, c, "certs", key); err != nil || got != string(body) {
			t.Fatalf("get %q: %q %v", key, got, err)
		}
	}
	// Over plain HTTP the SDK signs the SHA-256 of the body and sends a CRC32 header by default.
	h := rec.headers[len(rec.headers)-2]
	if !isSHA256Hex(h.Get("x-amz-content-sha256")) || h.Get("x-amz-checksum-crc32") == "" {
		t.Fatalf("unexpected default upload headers %v", h)
	}

	res, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("certs")})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, o := range res.Contents {
		listed = append(listed, aws.ToString(o.Key))
	}
	if strings.Join(listed, "|") != "plain.pem|plus+sign/1+1=2.pem|weird/~!@$&'()*,;=:.pem|with space/a b.pem|证书/站点 证书+链.pem" {
		t.Fatalf("listed %q", listed)
	}

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("certs"), Key: aws.String(keys[3])}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.store.Object("s3", "certs", keys[3]); ok {
		t.Fatal("object survived DeleteObject")
	}
	if call := e.lastCall(t); call.Action != "DeleteObject" || !call.Mutating || call.Status != 204 {
		t.Fatalf("call %+v", call)
	}
}

func TestS3PutObjectAWSChunkedOverTLS(t *testing.T) {
	e := newEnv(t, nil)
	e.store.CreateBucket("s3", "certs")
	srv := httptest.NewTLSServer(e.store.S3())
	defer srv.Close()
	rec := &recorder{base: srv.Client().Transport}
	c := s3Client(srv.URL, fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, "",
		func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: rec} })
	ctx := context.Background()
	body := bytes.Repeat([]byte("chunky "), 20000) // spans several aws-chunked chunks
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String("证书 a+b.pem"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if h := rec.last(); h.Get("x-amz-content-sha256") != streamingTrailer || h.Get("x-amz-trailer") == "" {
		t.Fatalf("the SDK did not use aws-chunked with a trailer: %v", h)
	}
	if got, ok := e.store.Object("s3", "certs", "证书 a+b.pem"); !ok || !bytes.Equal(got, body) {
		t.Fatalf("stored %d bytes, %v", len(got), ok)
	}
	if got, err := s3Read(t, c, "certs", "证书 a+b.pem"); err != nil || got != string(body) {
		t.Fatalf("read back %d bytes: %v", len(got), err)
	}

	// A corrupted chunked body fails the trailing checksum.
	rec.rewrite = func(r *http.Request) {
		if r.Method != http.MethodPut {
			return
		}
		raw, _ := io.ReadAll(r.Body)
		raw = bytes.Replace(raw, []byte("chunky"), []byte("CHUNKY"), 1)
		r.Body = io.NopCloser(bytes.NewReader(raw))
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String("x"), Body: bytes.NewReader(body)})
	if code, status := s3Code(t, err); code != "BadDigest" || status != 400 {
		t.Fatalf("corrupted chunked body: %s %d", code, status)
	}
}

func TestS3PutObjectPayloadVerification(t *testing.T) {
	e := newEnv(t, nil)
	e.store.CreateBucket("s3", "certs")
	ctx := context.Background()
	corrupt := func(r *http.Request) {
		if r.Method == http.MethodPut {
			raw, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(bytes.ToUpper(raw)))
		}
	}
	// Over plain HTTP the checksum middleware (WhenSupported) always signs the SHA-256 of the body,
	// so UNSIGNED-PAYLOAD needs WhenRequired plus the SDK's unsigned-payload swap.
	unsigned := func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	}
	const body = "lower-case body"
	bodyMD5 := base64.StdEncoding.EncodeToString(md5Sum([]byte(body)))
	for _, tc := range []struct {
		name       string
		opts       []func(*s3.Options)
		contentMD5 string
		rewrite    func(*http.Request)
		code       string
		status     int
	}{
		{"unsigned payload", []func(*s3.Options){unsigned}, "", nil, "", 200},
		{"unsigned payload with content-md5", []func(*s3.Options){unsigned}, bodyMD5, nil, "", 200},
		{"sha256 payload tampered", nil, "", corrupt, "XAmzContentSHA256Mismatch", 400},
		{"unsigned payload tampered under content-md5", []func(*s3.Options){unsigned}, bodyMD5, corrupt, "BadDigest", 400},
		{"unsigned amz header added", nil, "", func(r *http.Request) { r.Header.Set("x-amz-meta-injected", "1") }, "AccessDenied", 403},
		{"signed header changed", nil, "", func(r *http.Request) { r.Header.Set("x-amz-checksum-crc32", "AAAAAA==") }, "SignatureDoesNotMatch", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{base: http.DefaultTransport, rewrite: tc.rewrite}
			opts := append([]func(*s3.Options){func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: rec} }}, tc.opts...)
			_, err := e.defaultS3(opts...).PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("certs"), Key: aws.String(tc.name), Body: strings.NewReader(body),
				ContentMD5: optional(tc.contentMD5),
			})
			_, stored := e.store.Object("s3", "certs", tc.name)
			if tc.code == "" {
				if err != nil || !stored {
					t.Fatalf("put: %v, stored %v", err, stored)
				}
				if got := rec.last().Get("x-amz-content-sha256"); got != unsignedPayload {
					t.Fatalf("payload hash %q", got)
				}
				return
			}
			if code, status := s3Code(t, err); code != tc.code || status != tc.status {
				t.Fatalf("got %s %d, want %s %d", code, status, tc.code, tc.status)
			}
			if stored {
				t.Fatal("a refused put stored the object")
			}
		})
	}
}

func TestS3PutObjectLimits(t *testing.T) {
	e := newEnv(t, nil)
	e.store.CreateBucket("s3", "certs")
	c := e.defaultS3()
	ctx := context.Background()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String("big"), Body: bytes.NewReader(make([]byte, maxBodyLen+1))})
	if code, status := s3Code(t, err); code != "EntityTooLarge" || status != 413 {
		t.Fatalf("big body: %s %d", code, status)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String("max"), Body: bytes.NewReader(make([]byte, maxBodyLen))}); err != nil {
		t.Fatalf("5 MiB body: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String(strings.Repeat("k", maxKeyLen+1)), Body: strings.NewReader("x")})
	if code, status := s3Code(t, err); code != "KeyTooLongError" || status != 400 {
		t.Fatalf("long key: %s %d", code, status)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
	if code, status := s3Code(t, err); code != "NoSuchBucket" || status != 404 {
		t.Fatalf("missing bucket: %s %d", code, status)
	}
}

func TestS3ListObjectsV2(t *testing.T) {
	e := newEnv(t, nil)
	for _, k := range []string{"certs/a.pem", "certs/b.pem", "certs/old/x.pem", "certs/old/y.pem", "certs/sub/c.pem", "other/z"} {
		e.store.Put("s3", "bkt", k, []byte(k))
	}
	c := e.defaultS3()
	ctx := context.Background()
	res, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("certs/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys, prefixes []string
	for _, o := range res.Contents {
		keys = append(keys, aws.ToString(o.Key))
		if aws.ToInt64(o.Size) == 0 || o.LastModified == nil || aws.ToString(o.ETag) == "" || o.StorageClass != "STANDARD" {
			t.Errorf("content %+v", o)
		}
	}
	for _, p := range res.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	if strings.Join(keys, ",") != "certs/a.pem,certs/b.pem" || strings.Join(prefixes, ",") != "certs/old/,certs/sub/" ||
		aws.ToInt32(res.KeyCount) != 4 || aws.ToBool(res.IsTruncated) || aws.ToString(res.Name) != "bkt" {
		t.Fatalf("list %+v keys %v prefixes %v", res, keys, prefixes)
	}
	if call := e.lastCall(t); call.Action != "ListObjectsV2" || call.Params["prefix"] != "certs/" || call.Params["delimiter"] != "/" {
		t.Fatalf("call %+v", call)
	}

	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("certs/"),
		Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	var items []string
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			items = append(items, aws.ToString(o.Key))
		}
		for _, p := range page.CommonPrefixes {
			items = append(items, aws.ToString(p.Prefix))
		}
	}
	if strings.Join(items, ",") != "certs/a.pem,certs/b.pem,certs/old/,certs/sub/" || pages != 4 {
		t.Fatalf("paged %v in %d pages", items, pages)
	}

	// ListObjects (v1) pages with markers.
	items, marker := nil, ""
	for pages = 0; pages < 10; pages++ {
		page, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(4), Marker: aws.String(marker)})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			items = append(items, aws.ToString(o.Key))
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		marker = aws.ToString(page.NextMarker)
	}
	if len(items) != 6 || pages != 1 || items[5] != "other/z" {
		t.Fatalf("v1 paged %v in %d pages", items, pages+1)
	}

	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nobucket")})
	if code, status := s3Code(t, err); code != "NoSuchBucket" || status != 404 {
		t.Fatalf("missing bucket: %s %d", code, status)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), ContinuationToken: aws.String("!!bad")})
	if code, status := s3Code(t, err); code != "InvalidArgument" || status != 400 {
		t.Fatalf("bad token: %s %d", code, status)
	}
}

func TestS3Errors(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("s3", "certs", "a.pem", []byte(testPEM))
	e.keys.Add(fakecore.Credential{AccessKeyID: "ASIATEMP", AccessKeySecret: "sts-secret", SecurityToken: "good-token"})
	for _, tc := range []struct {
		name        string
		client      *s3.Client
		bucket, key string
		code        string
		status      int
	}{
		{"no such key", e.defaultS3(), "certs", "b.pem", "NoSuchKey", 404},
		{"no such bucket", e.defaultS3(), "nocerts", "a.pem", "NoSuchBucket", 404},
		{"wrong secret", e.s3Client(fakecore.DefaultAccessKeyID, "wrong", ""), "certs", "a.pem", "SignatureDoesNotMatch", 403},
		{"unknown key", e.s3Client("AKIAUNKNOWN", "whatever", ""), "certs", "a.pem", "InvalidAccessKeyId", 403},
		{"sts without token", e.s3Client("ASIATEMP", "sts-secret", ""), "certs", "a.pem", "InvalidToken", 400},
		{"sts wrong token", e.s3Client("ASIATEMP", "sts-secret", "bad-token"), "certs", "a.pem", "InvalidToken", 400},
		{"bad bucket name", e.defaultS3(), "Bad_Bucket", "a.pem", "InvalidBucketName", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s3Read(t, tc.client, tc.bucket, tc.key)
			if got != "" {
				t.Fatalf("refused request returned %q", got)
			}
			if code, status := s3Code(t, err); code != tc.code || status != tc.status {
				t.Fatalf("got %s %d, want %s %d", code, status, tc.code, tc.status)
			}
			if c := e.lastCall(t); c.Code != tc.code || c.Status != tc.status || c.Action != "GetObject" || c.Service != "s3" {
				t.Fatalf("call %+v", c)
			}
		})
	}
	if got, err := s3Read(t, e.s3Client("ASIATEMP", "sts-secret", "good-token"), "certs", "a.pem"); err != nil || got != testPEM {
		t.Fatalf("sts with token: %q %v", got, err)
	}
}

func TestS3RawRequests(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("s3", "certs", "a.pem", []byte(testPEM))
	for _, tc := range []struct {
		name, auth, code string
		status           int
	}{
		{"unsigned", "", "AccessDenied", 403},
		{"sigv2", "AWS " + fakecore.DefaultAccessKeyID + ":c2lnbmF0dXJl", "InvalidRequest", 400},
		{"malformed v4", "AWS4-HMAC-SHA256 Credential=x", "AuthorizationHeaderMalformed", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.s3.URL+"/certs/a.pem", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), "<Code>"+tc.code+"</Code>") ||
				resp.Header.Get("x-amz-request-id") == "" || strings.Contains(string(body), testPEM) {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			if c := e.lastCall(t); c.Code != tc.code || c.Action != "GetObject" {
				t.Fatalf("call %+v", c)
			}
		})
	}
}

func TestS3ClockSkew(t *testing.T) {
	e := newEnv(t, func() time.Time { return time.Now().Add(-time.Hour) })
	e.store.Put("s3", "certs", "a.pem", []byte(testPEM))
	_, err := s3Read(t, e.defaultS3(), "certs", "a.pem")
	if code, status := s3Code(t, err); code != "RequestTimeTooSkewed" || status != 403 {
		t.Fatalf("got %s %d", code, status)
	}
	e2 := newEnv(t, func() time.Time { return time.Now().Add(-10 * time.Minute) })
	e2.store.Put("s3", "certs", "a.pem", []byte(testPEM))
	if _, err := s3Read(t, e2.defaultS3(), "certs", "a.pem"); err != nil {
		t.Fatalf("10 minutes skew: %v", err)
	}
}

func TestS3Faults(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("s3", "certs", "a.pem", []byte(testPEM))
	c := e.defaultS3()
	ctx := context.Background()
	e.faults.FailNext("GetObject", fakecore.Throttle, 1)
	_, err := s3Read(t, c, "certs", "a.pem")
	if code, status := s3Code(t, err); code != "SlowDown" || status != 503 {
		t.Fatalf("throttle: %s %d", code, status)
	}
	if call := e.lastCall(t); call.Code != "SlowDown" || call.Status != 503 || call.Action != "GetObject" || call.Region != "us-east-1" {
		t.Fatalf("call %+v", call)
	}
	e.faults.FailNext("", fakecore.ServerError, 1)
	_, err = s3Read(t, c, "certs", "a.pem")
	if code, status := s3Code(t, err); code != "InternalError" || status != 500 {
		t.Fatalf("server error: %s %d", code, status)
	}
	e.faults.FailNext("DeleteObject", fakecore.Throttle, 1)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("certs"), Key: aws.String("a.pem")})
	if code, _ := s3Code(t, err); code != "SlowDown" {
		t.Fatalf("delete throttle: %s", code)
	}
	if _, ok := e.store.Object("s3", "certs", "a.pem"); !ok {
		t.Fatal("a throttled delete removed the object")
	}
	if call := e.lastCall(t); call.Action != "DeleteObject" || !call.Mutating || call.Code != "SlowDown" {
		t.Fatalf("call %+v", call)
	}
	// With the SDK's default retries a single throttle is retried transparently.
	e.faults.FailNext("GetObject", fakecore.Throttle, 1)
	retrying := e.defaultS3(func(o *s3.Options) { o.RetryMaxAttempts = 3 })
	if got, err := s3Read(t, retrying, "certs", "a.pem"); err != nil || got != testPEM {
		t.Fatalf("retried read: %q %v", got, err)
	}
}

func TestVerifyChecksums(t *testing.T) {
	body, other := []byte("certificate"), []byte("certificatE")
	for _, alg := range checksumAlgorithms {
		h := http.Header{}
		h.Set("x-amz-checksum-"+alg, checksum(alg, body))
		h.Set("x-amz-sdk-checksum-algorithm", strings.ToUpper(alg))
		if sums, aerr := verifyChecksums(h, nil, body); aerr != nil || sums[alg] == "" {
			t.Fatalf("%s: good checksum refused: %v", alg, aerr)
		}
		if _, aerr := verifyChecksums(h, nil, other); aerr == nil || aerr.code != "BadDigest" {
			t.Fatalf("%s: bad checksum accepted: %v", alg, aerr)
		}
		// A trailer overrides nothing silently: a wrong trailer is refused too.
		if _, aerr := verifyChecksums(http.Header{}, map[string]string{"x-amz-checksum-" + alg: checksum(alg, other)}, body); aerr == nil {
			t.Fatalf("%s: bad trailer accepted", alg)
		}
	}
	h := http.Header{}
	h.Set("x-amz-sdk-checksum-algorithm", "CRC32")
	if _, aerr := verifyChecksums(h, nil, body); aerr == nil || aerr.code != "InvalidRequest" {
		t.Fatalf("announced but missing checksum: %v", aerr)
	}
}

// TestConcurrentClients runs both SDKs against one store at once (meaningful under -race).
func TestConcurrentClients(t *testing.T) {
	e := newEnv(t, nil)
	e.store.CreateBucket("oss", "certs")
	e.store.CreateBucket("s3", "certs")
	ossc, s3c := e.defaultOSS(), e.defaultS3()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "k/" + strings.Repeat("x", i+1)
			for range 5 {
				if _, err := ossc.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(key), Body: strings.NewReader(key)}); err != nil {
					errs <- err
					return
				}
				if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("certs"), Key: aws.String(key), Body: strings.NewReader(key)}); err != nil {
					errs <- err
					return
				}
				if _, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("certs")}); err != nil {
					errs <- err
					return
				}
				e.store.Put("oss", "certs", key+"/direct", []byte(key))
				if b, ok := e.store.Object("s3", "certs", key); !ok || string(b) != key {
					errs <- errors.New("lost " + key)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(e.log.Calls()); n != 8*5*3 {
		t.Fatalf("logged %d calls, want %d", n, 8*5*3)
	}
}

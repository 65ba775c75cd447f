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
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	osscred "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// testEnv is a store behind httptest servers, with its keyring, log and faults.
type testEnv struct {
	store  *Store
	keys   *fakecore.Keyring
	log    *fakecore.Log
	faults *fakecore.Faults
	oss    *httptest.Server
	s3     *httptest.Server
}

func newEnv(t *testing.T, now func() time.Time) *testEnv {
	t.Helper()
	e := &testEnv{keys: fakecore.NewKeyring(), log: &fakecore.Log{}, faults: &fakecore.Faults{}}
	e.store = New(e.keys, e.log, e.faults, now)
	e.oss = httptest.NewServer(e.store.OSS())
	e.s3 = httptest.NewServer(e.store.S3())
	t.Cleanup(e.oss.Close)
	t.Cleanup(e.s3.Close)
	return e
}

func (e *testEnv) ossClient(ak, sk string, token ...string) *oss.Client {
	cfg := oss.LoadDefaultConfig().
		WithCredentialsProvider(osscred.NewStaticCredentialsProvider(ak, sk, token...)).
		WithRegion("cn-hangzhou").WithEndpoint(e.oss.URL).WithUsePathStyle(true).
		WithRetryMaxAttempts(1)
	return oss.NewClient(cfg)
}

func (e *testEnv) defaultOSS() *oss.Client {
	return e.ossClient(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret)
}

// lastCall returns the last logged call.
func (e *testEnv) lastCall(t *testing.T) fakecore.Call {
	t.Helper()
	calls := e.log.Calls()
	if len(calls) == 0 {
		t.Fatal("call log is empty")
	}
	return calls[len(calls)-1]
}

// ossCode returns the service error code and HTTP status of err, failing if it is no ServiceError.
func ossCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var se *oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("want *oss.ServiceError, got %T %v", err, err)
	}
	if se.RequestID == "" {
		t.Errorf("service error without request id: %v", se)
	}
	return se.Code, se.StatusCode
}

const testPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func TestOSSGetObject(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("oss", "certs", "site/fullchain.pem", []byte(testPEM))
	ctx := context.Background()
	out, err := e.defaultOSS().GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("site/fullchain.pem")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	body, _ := io.ReadAll(out.Body)
	if string(body) != testPEM {
		t.Fatalf("body %q", body)
	}
	if out.ContentLength != int64(len(testPEM)) || oss.ToString(out.ETag) == "" || out.LastModified == nil ||
		oss.ToString(out.ContentType) == "" || out.Headers.Get("x-oss-request-id") == "" {
		t.Fatalf("missing response headers: %+v", out.Headers)
	}
	c := e.lastCall(t)
	if c.Service != "oss" || c.Action != "GetObject" || c.Region != "cn-hangzhou" || c.Status != 200 || c.Code != "" ||
		c.Mutating || c.Params["bucket"] != "certs" || c.Params["key"] != "site/fullchain.pem" {
		t.Fatalf("call %+v", c)
	}
}

func TestOSSHeadObject(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("oss", "certs", "a.pem", []byte(testPEM))
	ctx := context.Background()
	out, err := e.defaultOSS().HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("a.pem")})
	if err != nil {
		t.Fatal(err)
	}
	if out.ContentLength != int64(len(testPEM)) || oss.ToString(out.ETag) == "" || out.LastModified == nil {
		t.Fatalf("head %+v", out)
	}
	_, err = e.defaultOSS().HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("missing.pem")})
	if code, status := ossCode(t, err); code != "NoSuchKey" || status != 404 {
		t.Fatalf("head missing: %s %d", code, status)
	}
}

func TestOSSPutObjectAndUnicodeKeys(t *testing.T) {
	e := newEnv(t, nil)
	e.store.CreateBucket("oss", "certs")
	c := e.defaultOSS()
	ctx := context.Background()
	keys := []string{"plain.pem", "with space/a b.pem", "plus+sign/1+1=2.pem", "证书/站点 证书+链.pem", "weird/~!@$&'()*,;=:.pem"}
	for _, key := range keys {
		body := []byte("body of " + key)
		if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("put %q: %v", key, err)
		}
		got, ok := e.store.Object("oss", "certs", key)
		if !ok || !bytes.Equal(got, body) {
			t.Fatalf("Object(%q) = %q, %v", key, got, ok)
		}
		call := e.lastCall(t)
		if call.Action != "PutObject" || !call.Mutating || call.Params["key"] != key {
			t.Fatalf("call %+v", call)
		}
		out, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(key)})
		if err != nil {
			t.Fatalf("get %q: %v", key, err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(b, body) {
			t.Fatalf("get %q: %q", key, b)
		}
	}
	// The SDK asks for encoding-type=url and decodes the keys back.
	var listed []string
	p := c.NewListObjectsV2Paginator(&oss.ListObjectsV2Request{Bucket: oss.Ptr("certs")})
	for p.HasNext() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			listed = append(listed, oss.ToString(o.Key))
		}
	}
	if strings.Join(listed, "|") != "plain.pem|plus+sign/1+1=2.pem|weird/~!@$&'()*,;=:.pem|with space/a b.pem|证书/站点 证书+链.pem" {
		t.Fatalf("listed %q", listed)
	}

	if _, err := c.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(keys[3])}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.store.Object("oss", "certs", keys[3]); ok {
		t.Fatal("object survived DeleteObject")
	}
	if call := e.lastCall(t); call.Action != "DeleteObject" || !call.Mutating || call.Status != 204 {
		t.Fatalf("call %+v", call)
	}
	_, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("nobucket"), Key: oss.Ptr("k"), Body: strings.NewReader("x")})
	if code, status := ossCode(t, err); code != "NoSuchBucket" || status != 404 {
		t.Fatalf("put into missing bucket: %s %d", code, status)
	}
}

func TestOSSPutObjectLimits(t *testing.T) {
	e := newEnv(t, nil)
	e.store.CreateBucket("oss", "certs")
	c := e.defaultOSS()
	ctx := context.Background()
	_, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("big"), Body: bytes.NewReader(make([]byte, maxBodyLen+1))})
	if code, status := ossCode(t, err); code != "EntityTooLarge" || status != 413 {
		t.Fatalf("big body: %s %d", code, status)
	}
	if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("max"), Body: bytes.NewReader(make([]byte, maxBodyLen))}); err != nil {
		t.Fatalf("5 MiB body: %v", err)
	}
	_, err = c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(strings.Repeat("k", maxKeyLen+1)), Body: strings.NewReader("x")})
	if code, status := ossCode(t, err); code != "InvalidObjectName" || status != 400 {
		t.Fatalf("long key: %s %d", code, status)
	}
	if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(strings.Repeat("k", maxKeyLen)), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("1023-byte key: %v", err)
	}
}

func TestOSSListObjectsV2(t *testing.T) {
	e := newEnv(t, nil)
	for _, k := range []string{"certs/a.pem", "certs/b.pem", "certs/old/x.pem", "certs/old/y.pem", "certs/sub/c.pem", "other/z"} {
		e.store.Put("oss", "bkt", k, []byte(k))
	}
	c := e.defaultOSS()
	ctx := context.Background()
	res, err := c.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr("bkt"), Prefix: oss.Ptr("certs/"), Delimiter: oss.Ptr("/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys, prefixes []string
	for _, o := range res.Contents {
		keys = append(keys, oss.ToString(o.Key))
		if o.Size == 0 || o.LastModified == nil || oss.ToString(o.ETag) == "" || oss.ToString(o.Type) != "Normal" || oss.ToString(o.StorageClass) != "Standard" {
			t.Errorf("content %+v", o)
		}
	}
	for _, p := range res.CommonPrefixes {
		prefixes = append(prefixes, oss.ToString(p.Prefix))
	}
	if strings.Join(keys, ",") != "certs/a.pem,certs/b.pem" || strings.Join(prefixes, ",") != "certs/old/,certs/sub/" ||
		res.KeyCount != 4 || res.IsTruncated || oss.ToString(res.Prefix) != "certs/" || oss.ToString(res.Delimiter) != "/" ||
		oss.ToString(res.Name) != "bkt" {
		t.Fatalf("list %+v keys %v prefixes %v", res, keys, prefixes)
	}
	if call := e.lastCall(t); call.Action != "ListObjectsV2" || call.Params["prefix"] != "certs/" || call.Params["delimiter"] != "/" {
		t.Fatalf("call %+v", call)
	}

	// Pagination one key per page, across common prefixes.
	p := c.NewListObjectsV2Paginator(&oss.ListObjectsV2Request{Bucket: oss.Ptr("bkt"), Prefix: oss.Ptr("certs/"), Delimiter: oss.Ptr("/"), MaxKeys: 1})
	var items []string
	pages := 0
	for p.HasNext() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.KeyCount != 1 || page.MaxKeys != 1 {
			t.Fatalf("page %+v", page)
		}
		for _, o := range page.Contents {
			items = append(items, oss.ToString(o.Key))
		}
		for _, p := range page.CommonPrefixes {
			items = append(items, oss.ToString(p.Prefix))
		}
	}
	if strings.Join(items, ",") != "certs/a.pem,certs/b.pem,certs/old/,certs/sub/" || pages != 4 {
		t.Fatalf("paged %v in %d pages", items, pages)
	}

	// ListObjects (v1) pages with markers.
	p1 := c.NewListObjectsPaginator(&oss.ListObjectsRequest{Bucket: oss.Ptr("bkt"), MaxKeys: 2})
	items, pages = nil, 0
	for p1.HasNext() {
		page, err := p1.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			items = append(items, oss.ToString(o.Key))
		}
	}
	if len(items) != 6 || pages != 3 || items[5] != "other/z" {
		t.Fatalf("v1 paged %v in %d pages", items, pages)
	}

	_, err = c.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr("nobucket")})
	if code, status := ossCode(t, err); code != "NoSuchBucket" || status != 404 {
		t.Fatalf("missing bucket: %s %d", code, status)
	}
	_, err = c.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr("bkt"), ContinuationToken: oss.Ptr("!!not-a-token")})
	if code, status := ossCode(t, err); code != "InvalidArgument" || status != 400 {
		t.Fatalf("bad token: %s %d", code, status)
	}
}

func TestOSSSymlinks(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("oss", "certs", "v2/fullchain.pem", []byte(testPEM))
	e.store.PutSymlink("certs", "current.pem", "v2/fullchain.pem")
	c := e.defaultOSS()
	ctx := context.Background()

	read := func(key string) (string, error) {
		out, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr(key)})
		if err != nil {
			return "", err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		return string(b), err
	}
	if got, err := read("current.pem"); err != nil || got != testPEM {
		t.Fatalf("through Store.PutSymlink: %q %v", got, err)
	}
	if got, ok := e.store.Object("oss", "certs", "current.pem"); !ok || string(got) != testPEM {
		t.Fatalf("Object through symlink: %q %v", got, ok)
	}

	e.store.Put("oss", "certs", "v3/证书 链.pem", []byte("v3"))
	if _, err := c.PutSymlink(ctx, &oss.PutSymlinkRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("current.pem"), Target: oss.Ptr("v3/证书 链.pem")}); err != nil {
		t.Fatal(err)
	}
	if call := e.lastCall(t); call.Action != "PutSymlink" || !call.Mutating || call.Params["target"] != "v3/证书 链.pem" {
		t.Fatalf("call %+v", call)
	}
	gs, err := c.GetSymlink(ctx, &oss.GetSymlinkRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("current.pem")})
	if err != nil {
		t.Fatal(err)
	}
	if target := oss.ToString(gs.Target); target != uriEncode("v3/证书 链.pem", true) {
		t.Fatalf("GetSymlink target %q", target)
	}
	if got, err := read("current.pem"); err != nil || got != "v3" {
		t.Fatalf("through PutSymlink: %q %v", got, err)
	}

	_, err = c.GetSymlink(ctx, &oss.GetSymlinkRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("v2/fullchain.pem")})
	if code, status := ossCode(t, err); code != "NotSymlink" || status != 400 {
		t.Fatalf("GetSymlink on a normal object: %s %d", code, status)
	}
	_, err = c.GetSymlink(ctx, &oss.GetSymlinkRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("nothing")})
	if code, status := ossCode(t, err); code != "NoSuchKey" || status != 404 {
		t.Fatalf("GetSymlink on nothing: %s %d", code, status)
	}
	e.store.PutSymlink("certs", "dangling", "gone.pem")
	_, err = read("dangling")
	if code, status := ossCode(t, err); code != "SymlinkTargetNotExist" || status != 404 {
		t.Fatalf("dangling symlink: %s %d", code, status)
	}
}

func TestOSSErrors(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("oss", "certs", "a.pem", []byte(testPEM))
	e.keys.Add(fakecore.Credential{AccessKeyID: "STS.tmp", AccessKeySecret: "sts-secret", SecurityToken: "good-token"})
	ctx := context.Background()
	get := func(c *oss.Client, bucket, key string) error {
		out, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
		if err == nil {
			out.Body.Close()
		}
		return err
	}
	for _, tc := range []struct {
		name   string
		client *oss.Client
		bucket string
		key    string
		code   string
		status int
	}{
		{"no such key", e.defaultOSS(), "certs", "b.pem", "NoSuchKey", 404},
		{"no such bucket", e.defaultOSS(), "nocerts", "a.pem", "NoSuchBucket", 404},
		{"wrong secret", e.ossClient(fakecore.DefaultAccessKeyID, "wrong"), "certs", "a.pem", "SignatureDoesNotMatch", 403},
		{"unknown key", e.ossClient("LTAIunknown", "whatever"), "certs", "a.pem", "InvalidAccessKeyId", 403},
		{"sts without token", e.ossClient("STS.tmp", "sts-secret"), "certs", "a.pem", "InvalidSecurityToken", 403},
		{"sts wrong token", e.ossClient("STS.tmp", "sts-secret", "bad-token"), "certs", "a.pem", "InvalidSecurityToken", 403},
		{"token on a permanent key", e.ossClient(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, "tok"), "certs", "a.pem", "InvalidSecurityToken", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, status := ossCode(t, get(tc.client, tc.bucket, tc.key))
			if code != tc.code || status != tc.status {
				t.Fatalf("got %s %d, want %s %d", code, status, tc.code, tc.status)
			}
			if c := e.lastCall(t); c.Code != tc.code || c.Status != tc.status || c.Action != "GetObject" {
				t.Fatalf("call %+v", c)
			}
		})
	}
	if err := get(e.ossClient("STS.tmp", "sts-secret", "good-token"), "certs", "a.pem"); err != nil {
		t.Fatalf("sts with token: %v", err)
	}
}

func TestOSSRawRequests(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("oss", "certs", "a.pem", []byte(testPEM))
	for _, tc := range []struct {
		name, auth, code string
		status           int
	}{
		{"unsigned", "", "AccessDenied", 403},
		{"v1 signature", "OSS " + fakecore.DefaultAccessKeyID + ":c2lnbmF0dXJl", "AccessDenied", 403},
		{"malformed v4", "OSS4-HMAC-SHA256 Credential=x", "InvalidArgument", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.oss.URL+"/certs/a.pem", nil)
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
				resp.Header.Get("x-oss-request-id") == "" || !strings.Contains(string(body), "<RequestId>") {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			if strings.Contains(string(body), testPEM) {
				t.Fatal("refused request leaked the object")
			}
			if c := e.lastCall(t); c.Code != tc.code || c.Action != "GetObject" {
				t.Fatalf("call %+v", c)
			}
		})
	}
	// A HEAD error carries the error document in x-oss-err.
	req, _ := http.NewRequest(http.MethodHead, e.oss.URL+"/certs/a.pem", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	doc, _ := base64.StdEncoding.DecodeString(resp.Header.Get("x-oss-err"))
	if resp.StatusCode != 403 || !strings.Contains(string(doc), "<Code>AccessDenied</Code>") {
		t.Fatalf("HEAD: %d %q", resp.StatusCode, doc)
	}
}

func TestOSSClockSkew(t *testing.T) {
	e := newEnv(t, func() time.Time { return time.Now().Add(time.Hour) })
	e.store.Put("oss", "certs", "a.pem", []byte(testPEM))
	_, err := e.defaultOSS().GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("a.pem")})
	if code, status := ossCode(t, err); code != "RequestTimeTooSkewed" || status != 403 {
		t.Fatalf("got %s %d", code, status)
	}
	// Within 15 minutes is accepted.
	e2 := newEnv(t, func() time.Time { return time.Now().Add(10 * time.Minute) })
	e2.store.Put("oss", "certs", "a.pem", []byte(testPEM))
	out, err := e2.defaultOSS().GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("a.pem")})
	if err != nil {
		t.Fatalf("10 minutes skew: %v", err)
	}
	out.Body.Close()
}

func TestOSSFaults(t *testing.T) {
	e := newEnv(t, nil)
	e.store.Put("oss", "certs", "a.pem", []byte(testPEM))
	c := e.defaultOSS()
	ctx := context.Background()
	get := func() error {
		out, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("a.pem")})
		if err == nil {
			out.Body.Close()
		}
		return err
	}
	e.faults.FailNext("GetObject", fakecore.Throttle, 1)
	if code, status := ossCode(t, get()); code != "SlowDown" || status != 503 {
		t.Fatalf("throttle: %s %d", code, status)
	}
	if call := e.lastCall(t); call.Code != "SlowDown" || call.Status != 503 || call.Action != "GetObject" || call.Service != "oss" {
		t.Fatalf("call %+v", call)
	}
	e.faults.FailNext("", fakecore.ServerError, 1)
	if code, status := ossCode(t, get()); code != "InternalError" || status != 500 {
		t.Fatalf("server error: %s %d", code, status)
	}
	if err := get(); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	// A fault on PutObject leaves the state untouched.
	e.faults.FailNext("PutObject", fakecore.Throttle, 1)
	_, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("a.pem"), Body: strings.NewReader("new")})
	if code, _ := ossCode(t, err); code != "SlowDown" {
		t.Fatalf("put throttle: %s", code)
	}
	if got, _ := e.store.Object("oss", "certs", "a.pem"); string(got) != testPEM {
		t.Fatalf("throttled put changed the object to %q", got)
	}
	// Refused authentication is not subject to faults: the scripted fault stays queued.
	e.faults.FailNext("GetObject", fakecore.Throttle, 1)
	_, err = e.ossClient("LTAIunknown", "x").GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("a.pem")})
	if code, _ := ossCode(t, err); code != "InvalidAccessKeyId" {
		t.Fatalf("unknown key: %s", code)
	}
	if code, _ := ossCode(t, get()); code != "SlowDown" {
		t.Fatalf("queued throttle: %s", code)
	}
	for _, call := range e.log.Calls() {
		if len(call.Params) == 0 || strings.Contains(strings.Join(paramValues(call.Params), ""), "new") && call.Params["key"] != "a.pem" {
			t.Fatalf("suspicious params %+v", call)
		}
	}
}

func paramValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

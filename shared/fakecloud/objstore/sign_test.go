package objstore

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// awsDocVector is the GET-object example of the AWS S3 SigV4 documentation
// (sig-v4-header-based-auth.html, "Example: GET Object").
const (
	awsDocAK        = "AKIAIOSFODNN7EXAMPLE"
	awsDocSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	awsDocSignature = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func awsDocRequest(signature string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://examplebucket.s3.amazonaws.com/test.txt", nil)
	r.Header.Set("Range", "bytes=0-9")
	r.Header.Set("x-amz-content-sha256", emptySHA256)
	r.Header.Set("x-amz-date", "20130524T000000Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+awsDocAK+"/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature="+signature)
	return r
}

func TestAWSSigV4DocumentVector(t *testing.T) {
	r := awsDocRequest(awsDocSignature)
	canonical := awsCanonicalRequest(r, []string{"host", "range", "x-amz-content-sha256", "x-amz-date"}, emptySHA256)
	wantCanonical := "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n" +
		"x-amz-content-sha256:" + emptySHA256 + "\nx-amz-date:20130524T000000Z\n\n" +
		"host;range;x-amz-content-sha256;x-amz-date\n" + emptySHA256
	if canonical != wantCanonical {
		t.Fatalf("canonical request:\n%s\nwant:\n%s", canonical, wantCanonical)
	}
	sts := awsStringToSign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", canonical)
	wantSTS := "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
		"7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
	if sts != wantSTS {
		t.Fatalf("string to sign:\n%s\nwant:\n%s", sts, wantSTS)
	}
	if got := awsSignature(awsDocSecret, "20130524", "us-east-1", "s3", sts); got != awsDocSignature {
		t.Fatalf("signature %s, want %s", got, awsDocSignature)
	}
}

// TestAWSSigV4DocumentVectorThroughHandler sends the documented request to the S3 handler at the
// documented time: path style reads /test.txt as a bucket, so a verified request reaches the
// bucket lookup (404 NoSuchBucket) while a tampered one is refused (403 SignatureDoesNotMatch).
func TestAWSSigV4DocumentVectorThroughHandler(t *testing.T) {
	keys := fakecore.NewKeyring()
	keys.Add(fakecore.Credential{AccessKeyID: awsDocAK, AccessKeySecret: awsDocSecret})
	docTime := time.Date(2013, 5, 24, 0, 5, 0, 0, time.UTC)
	log := &fakecore.Log{}
	s := New(keys, log, &fakecore.Faults{}, func() time.Time { return docTime })
	tampered := strings.Replace(awsDocSignature, "f0e8", "f0e9", 1)
	for _, tc := range []struct {
		name, sig string
		status    int
		code      string
	}{
		{"valid", awsDocSignature, 404, "NoSuchBucket"},
		{"tampered", tampered, 403, "SignatureDoesNotMatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			s.S3().ServeHTTP(w, awsDocRequest(tc.sig))
			if w.Code != tc.status || !strings.Contains(w.Body.String(), "<Code>"+tc.code+"</Code>") {
				t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
		})
	}
	calls := log.Calls()
	if len(calls) != 2 || calls[0].Region != "us-east-1" || calls[1].Code != "SignatureDoesNotMatch" {
		t.Fatalf("call log %+v", calls)
	}
}

// ossSDKVector builds the request of the OSS Go SDK v2's own V4 test vectors
// (oss/signer/signer_test.go TestV4AuthHeader and TestV4AuthHeaderWithAdditionalHeaders).
func ossSDKVector(unix int64) *http.Request {
	values := url.Values{}
	values.Add("param1", "value1")
	values.Add("+param1", "value3")
	values.Add("|param1", "value4")
	values.Add("+param2", "")
	values.Add("|param2", "")
	values.Add("param2", "")
	r := httptest.NewRequest(http.MethodPut, "http://127.0.0.1/bucket/1234%2B-/123/1.txt?"+values.Encode(), nil)
	r.Header.Add("x-oss-head1", "value")
	r.Header.Add("abc", "value")
	r.Header.Add("ZAbc", "value")
	r.Header.Add("XYZ", "value")
	r.Header.Add("content-type", "text/plain")
	r.Header.Add("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
	r.Header.Set("x-oss-date", time.Unix(unix, 0).UTC().Format(amzDateLayout))
	return r
}

func TestOSSV4SDKVectors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		unix       int64
		additional []string
		want       string
	}{
		{"default headers", 1702743657, nil, "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"},
		{"additional headers", 1702747512, []string{"abc", "zabc"}, "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ossSDKVector(tc.unix)
			canonical := ossCanonicalRequest(r, "bucket", "1234+-/123/1.txt", tc.additional)
			wantPrefix := "PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n"
			if !strings.HasPrefix(canonical, wantPrefix) {
				t.Fatalf("canonical request:\n%s\nwant prefix:\n%s", canonical, wantPrefix)
			}
			datetime := r.Header.Get("x-oss-date")
			sts := ossStringToSign(datetime, datetime[:8]+"/cn-hangzhou/oss/aliyun_v4_request", canonical)
			if got := ossSignature("sk", datetime[:8], "cn-hangzhou", "oss", sts); got != tc.want {
				t.Fatalf("signature %s, want %s\ncanonical:\n%s", got, tc.want, canonical)
			}

			// The same request through the handler: auth passes, then the unknown sub-resources
			// are refused as not implemented; a tampered signature is refused as such.
			keys := fakecore.NewKeyring()
			keys.Add(fakecore.Credential{AccessKeyID: "ak", AccessKeySecret: "sk"})
			s := New(keys, nil, nil, func() time.Time { return time.Unix(tc.unix, 0) })
			auth := "OSS4-HMAC-SHA256 Credential=ak/" + datetime[:8] + "/cn-hangzhou/oss/aliyun_v4_request,"
			if len(tc.additional) > 0 {
				auth += "AdditionalHeaders=" + strings.Join(tc.additional, ";") + ","
			}
			for _, v := range []struct{ sig, code, drop string }{
				{tc.want, "NotImplemented", ""},
				{strings.Repeat("0", 64), "SignatureDoesNotMatch", ""},
				{tc.want, "InvalidArgument", "x-oss-content-sha256"},
				{tc.want, "AccessDenied", "x-oss-date"},
			} {
				sig, wantCode := v.sig, v.code
				r := ossSDKVector(tc.unix)
				r.Header.Del(v.drop)
				r.Header.Set("Authorization", auth+"Signature="+sig)
				w := httptest.NewRecorder()
				s.OSS().ServeHTTP(w, r)
				if !strings.Contains(w.Body.String(), "<Code>"+wantCode+"</Code>") {
					t.Fatalf("signature %s: got %d %s, want %s", sig, w.Code, w.Body, wantCode)
				}
			}
		})
	}
}

func TestDecodeAWSChunked(t *testing.T) {
	// The example of aws-sdk-go-v2 service/internal/checksum/aws_chunked_encoding.go.
	raw := "b\r\nHello world\r\n0\r\nx-amz-checksum-sha256:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=\r\n\r\n"
	body, trailers, err := decodeAWSChunked([]byte(raw))
	if err != nil || string(body) != "Hello world" {
		t.Fatalf("decode: %q %v", body, err)
	}
	if got := trailers["x-amz-checksum-sha256"]; got != checksum("sha256", body) {
		t.Fatalf("trailer %q, computed %q", got, checksum("sha256", body))
	}
	for _, bad := range []string{
		"b\r\nHello world\r\n0\r\n",      // no final CRLF
		"c\r\nHello world\r\n0\r\n\r\n",  // size too large
		"b\r\nHello worldXX0\r\n\r\n",    // missing CRLF after data
		"zz\r\nHello world\r\n0\r\n\r\n", // bad size
		"b\r\nHello world\r\n0\r\nnocolon\r\n\r\n",
		"b;chunk-signature=abc\r\nHello world\r\n0\r\n\r\n",
	} {
		if _, _, err := decodeAWSChunked([]byte(bad)); err == nil {
			t.Errorf("decodeAWSChunked(%q) accepted a malformed body", bad)
		}
	}
}

func TestListPaging(t *testing.T) {
	s := New(nil, nil, nil, nil)
	for _, k := range []string{"a/1", "a/2", "b", "c/x/1", "c/y", "d"} {
		s.Put("s3", "bkt", k, []byte(k))
	}
	var items []string
	marker, pages := "", 0
	for {
		l, ok := s.list("s3", "bkt", "", "/", marker, 1)
		if !ok {
			t.Fatal("bucket missing")
		}
		pages++
		for _, e := range l.contents {
			items = append(items, e.key)
		}
		items = append(items, l.prefixes...)
		if !l.truncated {
			break
		}
		marker = l.nextMarker
	}
	if got := strings.Join(items, ","); got != "a/,b,c/,d" || pages != 4 {
		t.Fatalf("items %s in %d pages", got, pages)
	}
}

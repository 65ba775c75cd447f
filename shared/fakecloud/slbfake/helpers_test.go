package slbfake_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/slbfake"
)

const region = "cn-hangzhou"

type env struct {
	svc    *slbfake.Service
	log    *fakecore.Log
	faults *fakecore.Faults
	keys   *fakecore.Keyring
	url    string
	domain string // host:port for client.Domain
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{log: &fakecore.Log{}, faults: &fakecore.Faults{}, keys: fakecore.NewKeyring()}
	e.svc = slbfake.New(e.keys, e.log, e.faults, nil)
	srv := httptest.NewServer(e.svc)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.domain = strings.TrimPrefix(srv.URL, "http://")
	return e
}

type clientOpt func(*sdk.Config)

func withRetry(n int) clientOpt {
	return func(c *sdk.Config) { c.WithAutoRetry(true).WithMaxRetryTime(n) }
}

// client is the real SDK client with static AK credentials, pointed at the emulator.
func (e *env) client(t *testing.T, ak, sk string, opts ...clientOpt) *slb.Client {
	t.Helper()
	return e.clientWith(t, region, credentials.NewStaticAKCredentialsProvider(ak, sk), opts...)
}

func (e *env) defaultClient(t *testing.T, opts ...clientOpt) *slb.Client {
	t.Helper()
	return e.client(t, fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, opts...)
}

func (e *env) clientWith(t *testing.T, reg string, cred credentials.CredentialsProvider, opts ...clientOpt) *slb.Client {
	t.Helper()
	cfg := sdk.NewConfig().WithTimeout(10 * time.Second)
	for _, o := range opts {
		o(cfg)
	}
	c, err := slb.NewClientWithOptions(reg, cfg, cred)
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = e.domain
	c.SetNoProxy(`127\.0\.0\.1`)
	return c
}

// serverError asserts err is an SDK ServerError with code and status.
func serverError(t *testing.T, err error, code string, status int) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want ServerError %s", err, err, code)
	}
	if se.ErrorCode() != code || se.HttpStatus() != status {
		t.Fatalf("got %d %s (%s), want %d %s", se.HttpStatus(), se.ErrorCode(), se.Message(), status, code)
	}
	if se.RequestId() == "" || se.HostId() == "" {
		t.Errorf("RequestId/HostId missing: %q %q", se.RequestId(), se.HostId())
	}
	return se
}

// issue makes an RSA leaf with a PKCS#1 key: the only kind CLB takes.
func issue(t *testing.T, names ...string) *certstest.Issued {
	t.Helper()
	return certstest.Must(t, certstest.Options{DNSNames: names, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
}

func upload(t *testing.T, c *slb.Client, name string, is *certstest.Issued) *slb.UploadServerCertificateResponse {
	t.Helper()
	req := slb.CreateUploadServerCertificateRequest()
	req.ServerCertificateName = name
	req.ServerCertificate = string(is.FullchainPEM)
	req.PrivateKey = string(is.KeyPEM)
	resp, err := c.UploadServerCertificate(req)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	return resp
}

// rawSigner signs RPC requests with its own implementation of signature v1 (the SDK's
// approach: encode the sorted form, fix +, * and %7E, encode again), independent of both
// the SDK's signer and the emulator's verifier.
type rawSigner struct {
	url, ak, sk, token string
	now                func() time.Time
}

func (s rawSigner) params(action string, extra map[string]string, nonce string) url.Values {
	v := url.Values{}
	v.Set("Action", action)
	v.Set("Version", "2014-05-15")
	v.Set("Format", "JSON")
	v.Set("RegionId", region)
	v.Set("AccessKeyId", s.ak)
	v.Set("SignatureMethod", "HMAC-SHA1")
	v.Set("SignatureVersion", "1.0")
	v.Set("SignatureNonce", nonce)
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	v.Set("Timestamp", now().UTC().Format("2006-01-02T15:04:05Z"))
	if s.token != "" {
		v.Set("SecurityToken", s.token)
	}
	for k, val := range extra {
		if val == "" {
			v.Del(k)
			continue
		}
		v.Set(k, val)
	}
	return v
}

func (s rawSigner) sign(method string, v url.Values) {
	v.Del("Signature")
	canon := v.Encode()
	canon = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(canon)
	sts := method + "&%2F&" + url.QueryEscape(canon)
	m := hmac.New(sha1.New, []byte(s.sk+"&"))
	m.Write([]byte(sts))
	v.Set("Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

type rawResponse struct {
	status int
	body   map[string]any
	raw    []byte
}

func (s rawSigner) send(t *testing.T, v url.Values) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/?"+v.Encode(), bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := rawResponse{status: resp.StatusCode, raw: raw}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, raw)
	}
	return out
}

// call signs and sends one request.
func (s rawSigner) call(t *testing.T, action string, extra map[string]string) rawResponse {
	t.Helper()
	v := s.params(action, extra, fmt.Sprintf("nonce-%d", time.Now().UnixNano()))
	s.sign(http.MethodPost, v)
	return s.send(t, v)
}

func (r rawResponse) code() string {
	c, _ := r.body["Code"].(string)
	return c
}

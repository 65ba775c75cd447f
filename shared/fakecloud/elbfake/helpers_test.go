package elbfake_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

const project = "0a1b2c3d4e5f67890a1b2c3d4e5f6789"

type env struct {
	svc    *elbfake.Service
	log    *fakecore.Log
	faults *fakecore.Faults
	keys   *fakecore.Keyring
	url    string
	clock  *clock
}

// clock is a settable time source for the emulator.
type clock struct{ offset time.Duration }

func (c *clock) now() time.Time { return time.Now().Add(c.offset) }

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{log: &fakecore.Log{}, faults: &fakecore.Faults{}, keys: fakecore.NewKeyring(), clock: &clock{}}
	e.svc = elbfake.New(e.keys, e.log, e.faults, e.clock.now)
	srv := httptest.NewServer(e.svc)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// clientFor is the real hw-sdk ELB v3 client pointed at base (no WithRegion, so no IAM lookup).
func clientFor(t *testing.T, base, proj, ak, sk, token string) *elb.ElbClient {
	t.Helper()
	b := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(proj)
	if token != "" {
		b = b.WithSecurityToken(token)
	}
	cred, err := b.SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := elb.ElbClientBuilder().WithEndpoints([]string{base}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(10 * time.Second)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return elb.NewElbClient(hc)
}

func (e *env) client(t *testing.T) *elb.ElbClient {
	t.Helper()
	return clientFor(t, e.url, project, fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, "")
}

// serviceError asserts err is the SDK's ServiceResponseError with status and code, carrying the request id.
func serviceError(t *testing.T, err error, status int, code string) *sdkerr.ServiceResponseError {
	t.Helper()
	var sre *sdkerr.ServiceResponseError
	if !errors.As(err, &sre) {
		t.Fatalf("err = %v (%T), want ServiceResponseError %d %s", err, err, status, code)
	}
	if sre.StatusCode != status || sre.ErrorCode != code {
		t.Fatalf("got %d %s (%s), want %d %s", sre.StatusCode, sre.ErrorCode, sre.ErrorMessage, status, code)
	}
	if len(sre.RequestId) != 32 {
		t.Errorf("RequestId = %q, want the 32-hex X-Request-Id", sre.RequestId)
	}
	return sre
}

func issue(t *testing.T, names ...string) *certstest.Issued {
	t.Helper()
	return certstest.Must(t, certstest.Options{DNSNames: names})
}

func ptr[T any](v T) *T { return &v }

func (e *env) addCert(t *testing.T, name, domain string, is *certstest.Issued) string {
	t.Helper()
	id, err := e.svc.AddCertificate(project, elbfake.Certificate{Name: name, Domain: domain,
		Certificate: string(is.FullchainPEM), PrivateKey: string(is.KeyPEM)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func createCert(t *testing.T, c *elb.ElbClient, name, domain string, is *certstest.Issued) *model.CreateCertificateResponse {
	t.Helper()
	opt := &model.CreateCertificateOption{Name: ptr(name), Certificate: ptr(string(is.FullchainPEM)), PrivateKey: ptr(string(is.KeyPEM))}
	if domain != "" {
		opt.Domain = ptr(domain)
	}
	resp, err := c.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{Certificate: opt}})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return resp
}

// rawSigner signs requests with its own SDK-HMAC-SHA256 implementation, written from the
// published algorithm independently of both the SDK's signer and the emulator's verifier.
type rawSigner struct {
	base, ak, sk, token string
	date                time.Time
	skip                map[string]bool // headers to leave out ("authorization", "x-sdk-date", "x-project-id")
}

func pct(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

type rawResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r rawResponse) code() string { s, _ := r.body["error_code"].(string); return s }

func (s rawSigner) do(t *testing.T, method, path string, query url.Values, body []byte) rawResponse {
	t.Helper()
	date := s.date
	if date.IsZero() {
		date = time.Now()
	}
	hdr := map[string]string{
		"user-agent":   "certrotate-test",
		"x-project-id": project,
		"x-sdk-date":   date.UTC().Format("20060102T150405Z"),
	}
	if s.token != "" {
		hdr["x-security-token"] = s.token
	}
	for k := range s.skip {
		delete(hdr, k)
	}
	var names []string
	for k := range hdr {
		names = append(names, k)
	}
	sort.Strings(names)
	var canonHdr strings.Builder
	for _, k := range names {
		canonHdr.WriteString(k + ":" + hdr[k] + "\n")
	}
	var qs []string
	for _, k := range sortedKeys(query) {
		vals := append([]string(nil), query[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			qs = append(qs, pct(k)+"="+pct(v))
		}
	}
	segs := strings.Split(path, "/")
	for i := range segs {
		segs[i] = pct(segs[i])
	}
	sum := sha256.Sum256(body)
	cr := method + "\n" + strings.Join(segs, "/") + "/\n" + strings.Join(qs, "&") + "\n" + canonHdr.String() + "\n" +
		strings.Join(names, ";") + "\n" + hex.EncodeToString(sum[:])
	crSum := sha256.Sum256([]byte(cr))
	m := hmac.New(sha256.New, []byte(s.sk))
	m.Write([]byte("SDK-HMAC-SHA256\n" + hdr["x-sdk-date"] + "\n" + hex.EncodeToString(crSum[:])))
	u := s.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if !s.skip["authorization"] {
		req.Header.Set("Authorization", fmt.Sprintf("SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%s",
			s.ak, strings.Join(names, ";"), hex.EncodeToString(m.Sum(nil))))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := rawResponse{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("response is not JSON: %v: %s", err, raw)
		}
	}
	return out
}

func sortedKeys(v url.Values) []string {
	var ks []string
	for k := range v {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (e *env) raw() rawSigner {
	return rawSigner{base: e.url, ak: fakecore.DefaultAccessKeyID, sk: fakecore.DefaultAccessKeySecret}
}

package slbfake_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/slbfake"
)

// clock is a settable clock for the emulator; it starts at the real time so that the SDK's
// timestamps stay within the gateway's tolerance.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time      { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) add(d time.Duration) { c.off.Add(int64(d)) }

// busyEnv is an emulator with a settable clock and one load balancer: an HTTPS listener on 443
// with two domain extensions, and a second load balancer with one HTTPS listener.
type busyEnv struct {
	*env
	clk        *clock
	certA      string
	certB      string
	extA, extB string
}

var (
	busyCertsOnce sync.Once
	busyCertA     *certstest.Issued
	busyCertB     *certstest.Issued
)

// busyCerts are two RSA certificates for a.example.com and b.example.com, made once (RSA keys
// are slow to generate).
func busyCerts(t *testing.T) (*certstest.Issued, *certstest.Issued) {
	busyCertsOnce.Do(func() {
		busyCertA, busyCertB = issue(t, "a.example.com", "b.example.com"), issue(t, "a.example.com", "b.example.com")
	})
	return busyCertA, busyCertB
}

func newBusyEnv(t *testing.T, window time.Duration) *busyEnv {
	t.Helper()
	clk := &clock{}
	e := &env{log: &fakecore.Log{}, faults: &fakecore.Faults{}, keys: fakecore.NewKeyring()}
	e.svc = slbfake.New(e.keys, e.log, e.faults, clk.now)
	srv := httptest.NewServer(e.svc)
	t.Cleanup(srv.Close)
	e.url, e.domain = srv.URL, strings.TrimPrefix(srv.URL, "http://")
	b := &busyEnv{env: e, clk: clk}
	ia, ib := busyCerts(t)
	a, err := e.svc.AddServerCertificate(region, "cert-a", ia.FullchainPEM, ia.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := e.svc.AddServerCertificate(region, "cert-b", ib.FullchainPEM, ib.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	b.certA, b.certB = a.ID, bc.ID
	for _, lb := range []string{"lb-1", "lb-2"} {
		if err := e.svc.AddLoadBalancer(region, lb, lb); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AddListener(lb, 443, "https", a.ID); err != nil {
			t.Fatal(err)
		}
	}
	if b.extA, err = e.svc.AddDomainExtension("lb-1", 443, "a.example.com", a.ID); err != nil {
		t.Fatal(err)
	}
	if b.extB, err = e.svc.AddDomainExtension("lb-1", 443, "b.example.com", a.ID); err != nil {
		t.Fatal(err)
	}
	e.svc.SetConfiguringWindow(window) // seeding through the Go API never starts a window
	return b
}

func (b *busyEnv) setListener(c *slb.Client, lb, cert string) error {
	req := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
	req.LoadBalancerId = lb
	req.ListenerPort = requests.NewInteger(443)
	req.ServerCertificateId = cert
	_, err := c.SetLoadBalancerHTTPSListenerAttribute(req)
	return err
}

func (b *busyEnv) setExt(c *slb.Client, ext, cert string) error {
	req := slb.CreateSetDomainExtensionAttributeRequest()
	req.DomainExtensionId = ext
	req.ServerCertificateId = cert
	_, err := c.SetDomainExtensionAttribute(req)
	return err
}

// TestConfiguringWindow: a load balancer refuses writes while it applies the previous one, with
// the codes real CLB answers (CLB common error codes; terraform-provider-alicloud SlbIsBusy).
func TestConfiguringWindow(t *testing.T) {
	const window = 10 * time.Second
	tests := []struct {
		name   string
		first  func(b *busyEnv, c *slb.Client) error
		second func(b *busyEnv, c *slb.Client) error
		code   string // "" when the second write passes
		status int
	}{
		{"listener after listener", func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) },
			func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certA) }, "ServiceIsConfiguring", 400},
		{"same extension twice", func(b *busyEnv, c *slb.Client) error { return b.setExt(c, b.extA, b.certB) },
			func(b *busyEnv, c *slb.Client) error { return b.setExt(c, b.extA, b.certA) }, "DomainExtensionProcessing", 400},
		{"other extension of the load balancer", func(b *busyEnv, c *slb.Client) error { return b.setExt(c, b.extA, b.certB) },
			func(b *busyEnv, c *slb.Client) error { return b.setExt(c, b.extB, b.certB) }, "BackendServer.configuring", 409},
		{"extension after listener", func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) },
			func(b *busyEnv, c *slb.Client) error { return b.setExt(c, b.extA, b.certB) }, "BackendServer.configuring", 409},
		{"listener after extension", func(b *busyEnv, c *slb.Client) error { return b.setExt(c, b.extA, b.certB) },
			func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) }, "ServiceIsConfiguring", 400},
		{"delete extension while configuring", func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) },
			func(b *busyEnv, c *slb.Client) error {
				req := slb.CreateDeleteDomainExtensionRequest()
				req.DomainExtensionId = b.extB
				_, err := c.DeleteDomainExtension(req)
				return err
			}, "OperationBusy", 400},
		{"create extension while configuring", func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) },
			func(b *busyEnv, c *slb.Client) error {
				req := slb.CreateCreateDomainExtensionRequest()
				req.LoadBalancerId, req.ListenerPort, req.Domain, req.ServerCertificateId = "lb-1", requests.NewInteger(443), "c.example.com", b.certB
				_, err := c.CreateDomainExtension(req)
				return err
			}, "OperationBusy", 400},
		{"another load balancer is not busy", func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) },
			func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-2", b.certB) }, "", 0},
		{"uploads are not load balancer writes", func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) },
			func(b *busyEnv, c *slb.Client) error {
				is := issue(t, "up.example.com")
				req := slb.CreateUploadServerCertificateRequest()
				req.ServerCertificate, req.PrivateKey, req.ServerCertificateName = string(is.FullchainPEM), string(is.KeyPEM), "up"
				_, err := c.UploadServerCertificate(req)
				return err
			}, "", 0},
		{"a refused write starts no window", func(b *busyEnv, c *slb.Client) error {
			if err := b.setListener(c, "lb-1", "1231579085529123_nope_1_2"); err == nil {
				return fmt.Errorf("unknown certificate accepted")
			}
			return nil
		}, func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) }, "", 0},
		{"reads pass while configuring", func(b *busyEnv, c *slb.Client) error { return b.setListener(c, "lb-1", b.certB) },
			func(b *busyEnv, c *slb.Client) error {
				req := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
				req.LoadBalancerId, req.ListenerPort = "lb-1", requests.NewInteger(443)
				resp, err := c.DescribeLoadBalancerHTTPSListenerAttribute(req)
				if err == nil && resp.ServerCertificateId != b.certB {
					return fmt.Errorf("read %s, want %s", resp.ServerCertificateId, b.certB)
				}
				return err
			}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBusyEnv(t, window)
			c := b.defaultClient(t)
			if err := tt.first(b, c); err != nil {
				t.Fatalf("first write: %v", err)
			}
			before, _ := b.svc.ListenerCertificate("lb-1", 443)
			err := tt.second(b, c)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("second write: %v", err)
				}
				return
			}
			serverError(t, err, tt.code, tt.status)
			if after, _ := b.svc.ListenerCertificate("lb-1", 443); after != before {
				t.Errorf("a refused write changed the listener: %s → %s", before, after)
			}
			// Once the window is over, the same write passes.
			b.clk.add(window)
			if err := tt.second(b, c); err != nil {
				t.Fatalf("after the window: %v", err)
			}
		})
	}
}

func TestConfiguringWindowOff(t *testing.T) {
	b := newBusyEnv(t, 0)
	c := b.defaultClient(t)
	for i := range 3 {
		if err := b.setListener(c, "lb-1", []string{b.certA, b.certB}[i%2]); err != nil {
			t.Fatalf("write %d with the window off: %v", i, err)
		}
	}
	if b.svc.ConfiguringWindow() != 0 {
		t.Errorf("window = %v", b.svc.ConfiguringWindow())
	}
}

// TestConfiguringWindowConcurrentWrites: of writes to one load balancer arriving together,
// exactly one passes; the others are told it is configuring.
func TestConfiguringWindowConcurrentWrites(t *testing.T) {
	b := newBusyEnv(t, time.Hour)
	const n = 6
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ok   int
		busy int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := b.defaultClient(t)
			var err error
			if i%2 == 0 {
				err = b.setListener(c, "lb-1", b.certB)
			} else {
				err = b.setExt(c, []string{b.extA, b.extB}[i%4/2], b.certB)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case strings.Contains(err.Error(), "ServiceIsConfiguring") || strings.Contains(err.Error(), "BackendServer.configuring") ||
				strings.Contains(err.Error(), "DomainExtensionProcessing"):
				busy++
			default:
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || busy != n-1 {
		t.Fatalf("%d passed and %d were busy, want 1 and %d", ok, busy, n-1)
	}
}

func TestDescribeLoadBalancerAttribute(t *testing.T) {
	b := newBusyEnv(t, 0)
	if err := b.svc.AddListener("lb-1", 80, "http", ""); err != nil {
		t.Fatal(err)
	}
	c := b.defaultClient(t)
	req := slb.CreateDescribeLoadBalancerAttributeRequest()
	req.LoadBalancerId = "lb-1"
	resp, err := c.DescribeLoadBalancerAttribute(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.LoadBalancerId != "lb-1" || resp.RegionId != region || resp.LoadBalancerStatus != "active" ||
		fmt.Sprint(resp.ListenerPorts.ListenerPort) != "[80 443]" ||
		len(resp.ListenerPortsAndProtocol.ListenerPortAndProtocol) != 2 ||
		resp.ListenerPortsAndProtocol.ListenerPortAndProtocol[1].ListenerProtocol != "https" ||
		resp.ListenerPortsAndProtocal.ListenerPortAndProtocal[0].ListenerProtocal != "http" {
		t.Fatalf("answer: %+v", resp)
	}
	tests := []struct {
		name, lb, region, code string
		status                 int
	}{
		{"unknown load balancer", "lb-nope", region, "InvalidLoadBalancerId.NotFound", 404},
		{"another region", "lb-1", "cn-beijing", "InvalidLoadBalancerId.NotFound", 404},
		{"no id", "", region, "MissingLoadBalancerId", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := slb.CreateDescribeLoadBalancerAttributeRequest()
			req.LoadBalancerId = tt.lb
			req.RegionId = tt.region
			_, err := c.DescribeLoadBalancerAttribute(req)
			serverError(t, err, tt.code, tt.status)
		})
	}
}

// TestRegionIdOptional: DescribeServerCertificates marks RegionId optional in its API reference;
// the other actions keep it required.
func TestRegionIdOptional(t *testing.T) {
	b := newBusyEnv(t, 0)
	s := rawSigner{url: b.url, ak: fakecore.DefaultAccessKeyID, sk: fakecore.DefaultAccessKeySecret}
	tests := []struct {
		action string
		status int
		code   string
	}{
		{"DescribeServerCertificates", 200, ""},
		{"DescribeLoadBalancers", 400, "MissingRegionId"},
		{"UploadServerCertificate", 400, "MissingRegionId"},
		{"SetLoadBalancerHTTPSListenerAttribute", 400, "MissingRegionId"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			r := s.call(t, tt.action, map[string]string{"RegionId": ""})
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("got %d %q: %s", r.status, r.code(), r.raw)
			}
			if tt.status == 200 {
				list := r.body["ServerCertificates"].(map[string]any)["ServerCertificate"].([]any)
				if len(list) != 2 { // the certificates of cn-hangzhou, the central endpoint's region
					t.Errorf("%d certificates, want 2", len(list))
				}
			}
		})
	}
}

// v3Signer signs RPC requests with signature v3 (ACS3-HMAC-SHA256) by its own implementation of
// Alibaba's published algorithm, independent of popgateway's verifier.
type v3Signer struct {
	url, ak, sk, token string
	now                time.Time
}

// rfc3986 percent-encodes as the v3 page asks: unreserved characters stay, space is %20.
func rfc3986(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// request builds a signed request: query parameters in the URL, form parameters in the body.
// tamper, if set, changes the request after it was signed.
func (s v3Signer) request(t *testing.T, action, nonce string, query, form map[string]string, tamper func(*http.Request)) *http.Request {
	t.Helper()
	var body []byte
	if len(form) > 0 {
		v := url.Values{}
		for k, val := range form {
			v.Set(k, val)
		}
		body = []byte(v.Encode())
	}
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cq []string
	for _, k := range keys {
		cq = append(cq, rfc3986(k)+"="+rfc3986(query[k]))
	}
	canonQuery := strings.Join(cq, "&")
	req, err := http.NewRequest(http.MethodPost, s.url+"/?"+canonQuery, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256(body)
	headers := map[string]string{
		"host":                  req.URL.Host,
		"x-acs-action":          action,
		"x-acs-version":         slbfake.Version,
		"x-acs-date":            s.now.UTC().Format("2006-01-02T15:04:05Z"),
		"x-acs-signature-nonce": nonce,
		"x-acs-content-sha256":  hex.EncodeToString(hash[:]),
	}
	if len(form) > 0 {
		headers["content-type"] = "application/x-www-form-urlencoded"
	}
	if s.token != "" {
		headers["x-acs-security-token"] = s.token
	}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var canon strings.Builder
	fmt.Fprintf(&canon, "POST\n/\n%s\n", canonQuery)
	for _, k := range names {
		fmt.Fprintf(&canon, "%s:%s\n", k, strings.TrimSpace(headers[k]))
	}
	fmt.Fprintf(&canon, "\n%s\n%s", strings.Join(names, ";"), headers["x-acs-content-sha256"])
	crHash := sha256.Sum256([]byte(canon.String()))
	mac := hmac.New(sha256.New, []byte(s.sk))
	mac.Write([]byte("ACS3-HMAC-SHA256\n" + hex.EncodeToString(crHash[:])))
	for k, v := range headers {
		if k != "host" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("Authorization", fmt.Sprintf("ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s",
		s.ak, strings.Join(names, ";"), hex.EncodeToString(mac.Sum(nil))))
	if tamper != nil {
		tamper(req)
	}
	return req
}

func sendV3(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
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
		t.Fatalf("not JSON: %s", raw)
	}
	return out
}

// TestSignatureV3: the emulator accepts RPC calls signed with ACS3-HMAC-SHA256 (the current SDKs'
// and the aliyun CLI's signature), as well as v1, and refuses a wrong or incomplete one.
func TestSignatureV3(t *testing.T) {
	b := newBusyEnv(t, 0)
	sts := fakecore.Credential{AccessKeyID: "STS.fake-v3", AccessKeySecret: "sts-secret", SecurityToken: "CAIS-token-abcdefghijklmnop"}
	b.keys.Add(sts)
	good := v3Signer{url: b.url, ak: fakecore.DefaultAccessKeyID, sk: fakecore.DefaultAccessKeySecret, now: time.Now()}
	q := map[string]string{"RegionId": region}
	is := issue(t, "v3.example.com")
	n := 0
	nonce := func() string { n++; return fmt.Sprintf("v3-nonce-%d", n) }

	tests := []struct {
		name   string
		signer v3Signer
		action string
		query  map[string]string
		form   map[string]string
		tamper func(*http.Request)
		status int
		code   string
	}{
		{"describe, query", good, "DescribeServerCertificates", q, nil, nil, 200, ""},
		{"query with specials", good, "DescribeServerCertificates", map[string]string{"RegionId": region, "ResourceGroupId": "rg a*b~c/+="}, nil, nil, 200, ""},
		{"upload, form body", good, "UploadServerCertificate", q,
			map[string]string{"ServerCertificate": string(is.FullchainPEM), "PrivateKey": string(is.KeyPEM), "ServerCertificateName": "v3-upload"}, nil, 200, ""},
		{"sts with token", v3Signer{url: b.url, ak: sts.AccessKeyID, sk: sts.AccessKeySecret, token: sts.SecurityToken, now: time.Now()},
			"DescribeServerCertificates", q, nil, nil, 200, ""},
		{"sts without token", v3Signer{url: b.url, ak: sts.AccessKeyID, sk: sts.AccessKeySecret, now: time.Now()},
			"DescribeServerCertificates", q, nil, nil, 400, "MissingSecurityToken"},
		{"wrong secret", v3Signer{url: b.url, ak: good.ak, sk: "wrong", now: time.Now()}, "DescribeServerCertificates", q, nil, nil, 400, "SignatureDoesNotMatch"},
		{"query changed after signing", good, "DescribeServerCertificates", q, nil,
			func(r *http.Request) { r.URL.RawQuery = "RegionId=cn-beijing" }, 400, "SignatureDoesNotMatch"},
		{"action changed after signing", good, "DescribeServerCertificates", q, nil,
			func(r *http.Request) { r.Header.Set("x-acs-action", "DescribeLoadBalancers") }, 400, "SignatureDoesNotMatch"},
		{"body changed after signing", good, "UploadServerCertificate", q, map[string]string{"ServerCertificateName": "x"},
			func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader("ServerCertificateName=y"))
				r.ContentLength = int64(len("ServerCertificateName=y"))
			}, 400, "InvalidParameter.ContentSha256"},
		{"unsigned x-acs header", good, "DescribeServerCertificates", q, nil,
			func(r *http.Request) { r.Header.Set("x-acs-extra", "1") }, 400, "IncompleteSignature"},
		{"no date", good, "DescribeServerCertificates", q, nil,
			func(r *http.Request) { r.Header.Del("x-acs-date") }, 400, "MissingParameter"},
		{"stale date", v3Signer{url: b.url, ak: good.ak, sk: good.sk, now: time.Now().Add(-20 * time.Minute)}, "DescribeServerCertificates", q, nil, nil, 400, "InvalidTimeStamp.Expired"},
		{"unknown access key", v3Signer{url: b.url, ak: "LTAInobody", sk: good.sk, now: time.Now()}, "DescribeServerCertificates", q, nil, nil, 404, "InvalidAccessKeyId.NotFound"},
		{"malformed authorization", good, "DescribeServerCertificates", q, nil,
			func(r *http.Request) { r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential="+good.ak) }, 400, "InvalidAuthorization"},
		{"unknown action", good, "DescribeEverything", q, nil, nil, 404, "InvalidAction.NotFound"},
		{"region still required", good, "DescribeLoadBalancers", map[string]string{}, nil, nil, 400, "MissingRegionId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sendV3(t, tt.signer.request(t, tt.action, nonce(), tt.query, tt.form, tt.tamper))
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("got %d %q: %s", r.status, r.code(), r.raw)
			}
		})
	}
	if got := b.svc.ServerCertificates(region); len(got) != 3 || got[2].Name != "v3-upload" {
		t.Errorf("after the v3 upload: %+v", got)
	}

	// A nonce is good once, whichever signature version used it.
	req := good.request(t, "DescribeServerCertificates", "v3-once", q, nil, nil)
	again := good.request(t, "DescribeServerCertificates", "v3-once", q, nil, nil)
	if r := sendV3(t, req); r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.raw)
	}
	if r := sendV3(t, again); r.status != 400 || r.code() != "SignatureNonceUsed" {
		t.Fatalf("replay: %d %s", r.status, r.raw)
	}
	// The call log never holds the private key sent in a v3 body.
	for _, call := range b.log.Calls() {
		if call.Action == "UploadServerCertificate" && call.Status == 200 && call.Params["PrivateKey"] != "<redacted>" {
			t.Errorf("call log holds the key: %q", call.Params["PrivateKey"])
		}
	}
}

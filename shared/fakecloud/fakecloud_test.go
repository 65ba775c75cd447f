package fakecloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	osscred "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	hwconfig "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	elbmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

func slbClient(t *testing.T, base string) *slb.Client {
	t.Helper()
	c, err := slb.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithTimeout(10*time.Second),
		credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret))
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = strings.TrimPrefix(base, "http://")
	c.SetNoProxy(`127\.0\.0\.1`)
	return c
}

func elbClient(t *testing.T, base, project string) *elb.ElbClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(fakecore.DefaultAccessKeyID).WithSk(fakecore.DefaultAccessKeySecret).
		WithProjectId(project).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := elb.ElbClientBuilder().WithEndpoints([]string{base}).WithCredential(cred).
		WithHttpConfig(hwconfig.DefaultHttpConfig().WithTimeout(10 * time.Second)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return elb.NewElbClient(hc)
}

func ossClient(base string) *oss.Client {
	return oss.NewClient(oss.LoadDefaultConfig().
		WithCredentialsProvider(osscred.NewStaticCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret)).
		WithRegion("cn-hangzhou").WithEndpoint(base).WithUsePathStyle(true).WithRetryMaxAttempts(1))
}

func s3Client(base string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(base), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: fakecore.DefaultAccessKeyID, SecretAccessKey: fakecore.DefaultAccessKeySecret}, nil
		}),
	})
}

func do(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestDispatch(t *testing.T) {
	c, base := fakecloud.Start(t)
	ctx := context.Background()
	c.Objects().Put("oss", "certs", "site/fullchain.pem", []byte("oss body"))
	c.Objects().Put("s3", "certs", "site/fullchain.pem", []byte("s3 body"))

	// SLB through the real SDK.
	if _, err := slbClient(t, base).DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest()); err != nil {
		t.Fatalf("SLB: %v", err)
	}
	// OSS and S3 through their real SDKs, on the same port; each reaches its own store.
	out, err := ossClient(base).GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("site/fullchain.pem")})
	if err != nil {
		t.Fatalf("OSS: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "oss body" {
		t.Errorf("OSS body = %q", got)
	}
	s3out, err := s3Client(base).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("certs"), Key: aws.String("site/fullchain.pem")})
	if err != nil {
		t.Fatalf("S3: %v", err)
	}
	got, _ = io.ReadAll(s3out.Body)
	s3out.Body.Close()
	if string(got) != "s3 body" {
		t.Errorf("S3 body = %q", got)
	}
	var services []string
	for _, call := range c.Calls() {
		services = append(services, call.Service)
	}
	if !slices.Equal(services, []string{"slb", "oss", "s3"}) {
		t.Errorf("services = %v", services)
	}
	// Huawei ELB through its real SDK, on the same port.
	if _, err := elbClient(t, base, fakecloud.DemoHuaweiProject).ListCertificates(&elbmodel.ListCertificatesRequest{}); err != nil {
		t.Fatalf("ELB: %v", err)
	}
	if calls := c.Calls(); calls[len(calls)-1].Service != "elb" {
		t.Errorf("last call %+v", calls[len(calls)-1])
	}

	tests := []struct {
		name, method, path string
		status             int
		want               string
	}{
		{"huawei elb unsigned", "GET", "/v3/0123/elb/certificates", 401, "APIGW.0301"},
		{"huawei elb unknown api", "GET", "/v3/0123/vpc/vpcs", 404, "APIGW.0101"},
		{"unroutable", "GET", "/certs/site/fullchain.pem", 400, "fakecloud.UnroutableRequest"},
		{"rpc with unknown version", "POST", "/?Action=DescribeLoadBalancers&Version=2099-01-01", 400, "InvalidVersion"},
		{"rpc without version", "POST", "/?Action=DescribeLoadBalancers", 400, "MissingVersion"},
		{"rpc unsigned", "POST", "/?Action=DescribeLoadBalancers&Version=2014-05-15&RegionId=cn-hangzhou", 400, "MissingAccessKeyId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.method, base+tt.path, nil)
			if status != tt.status || !strings.Contains(string(body), tt.want) {
				t.Fatalf("got %d %s", status, body)
			}
		})
	}
	// Form-encoded RPC bodies are routed too.
	req, _ := http.NewRequest("POST", base+"/", strings.NewReader("Action=DescribeLoadBalancers&Version=2014-05-15"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "MissingAccessKeyId") {
		t.Errorf("form body: %d %s", resp.StatusCode, b)
	}
}

func TestAdminEndpoints(t *testing.T) {
	c, base := fakecloud.Start(t)

	// Objects and symlinks.
	if status, body := do(t, "PUT", base+"/_fake/objects/oss/certs/a/b%20c.pem", []byte("hello")); status != 200 {
		t.Fatalf("put: %d %s", status, body)
	}
	if b, ok := c.Objects().Object("oss", "certs", "a/b c.pem"); !ok || string(b) != "hello" {
		t.Fatalf("object = %q %v", b, ok)
	}
	if status, body := do(t, "GET", base+"/_fake/objects/oss/certs/a/b%20c.pem", nil); status != 200 || string(body) != "hello" {
		t.Fatalf("get: %d %s", status, body)
	}
	if status, _ := do(t, "GET", base+"/_fake/objects/s3/certs/a/b%20c.pem", nil); status != 404 {
		t.Fatalf("s3 get of an oss object: %d", status)
	}
	if status, _ := do(t, "PUT", base+"/_fake/objects/gcs/certs/x", []byte("x")); status != 400 {
		t.Errorf("unknown store: %d", status)
	}
	if status, body := do(t, "PUT", base+"/_fake/symlinks/certs/latest.pem?target=a/b%20c.pem", nil); status != 200 {
		t.Fatalf("symlink: %d %s", status, body)
	}
	out, err := ossClient(base).GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr("certs"), Key: oss.Ptr("latest.pem")})
	if err != nil {
		t.Fatalf("symlink get: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(got) != "hello" {
		t.Errorf("through symlink = %q", got)
	}

	// Calls.
	status, body := do(t, "GET", base+"/_fake/calls", nil)
	var calls []fakecore.Call
	if err := json.Unmarshal(body, &calls); status != 200 || err != nil || len(calls) != 1 || calls[0].Service != "oss" {
		t.Fatalf("calls: %d %v %s", status, err, body)
	}
	if status, _ := do(t, "DELETE", base+"/_fake/calls", nil); status != 204 || len(c.Calls()) != 0 {
		t.Fatalf("reset: %d, %d calls", status, len(c.Calls()))
	}
	if _, body := do(t, "GET", base+"/_fake/calls", nil); strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("empty calls = %s", body)
	}

	// Faults: scripted, then rates, then cleared.
	if status, body := do(t, "POST", base+"/_fake/faults", []byte(`{"fail_next":[{"action":"DescribeLoadBalancers","kind":"throttle","count":1}]}`)); status != 200 {
		t.Fatalf("faults: %d %s", status, body)
	}
	if _, err := slbClient(t, base).DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest()); err == nil || !strings.Contains(err.Error(), "Throttling.User") {
		t.Fatalf("want throttling, got %v", err)
	}
	if status, _ := do(t, "POST", base+"/_fake/faults", []byte(`{"latency_ms":0,"throttle_rate":0,"error_rate":1,"seed":1}`)); status != 200 {
		t.Fatal(status)
	}
	if _, err := slbClient(t, base).DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest()); err == nil || !strings.Contains(err.Error(), "ServiceUnavailable") {
		t.Fatalf("want 503, got %v", err)
	}
	for _, bad := range []string{`{"error_rate":2}`, `{"latency_ms":-1}`, `{"bogus":1}`, `{"fail_next":[{"kind":"boom","count":1}]}`} {
		if status, _ := do(t, "POST", base+"/_fake/faults", []byte(bad)); status != 400 {
			t.Errorf("%s: %d", bad, status)
		}
	}
	if status, _ := do(t, "DELETE", base+"/_fake/faults", nil); status != 204 {
		t.Fatal(status)
	}
	if _, err := slbClient(t, base).DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest()); err != nil {
		t.Fatalf("after clearing: %v", err)
	}
	if status, _ := do(t, "GET", base+"/_fake/nothing", nil); status != 404 {
		t.Errorf("unknown admin endpoint: %d", status)
	}

	// MutatingCalls keeps the mutating ones only.
	c.ResetCalls()
	c.Objects().Put("oss", "certs", "k", []byte("v"))
	if _, err := slbClient(t, base).DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest()); err != nil {
		t.Fatal(err)
	}
	req := slb.CreateDeleteServerCertificateRequest()
	req.ServerCertificateId = "nope"
	_, _ = slbClient(t, base).DeleteServerCertificate(req)
	if m := c.MutatingCalls(); len(m) != 1 || m[0].Action != "DeleteServerCertificate" || m[0].Code != "ServerCertificateId.NotFound" {
		t.Errorf("mutating calls = %+v", m)
	}
}

func TestDemoSeed(t *testing.T) {
	c, base := fakecloud.Start(t)
	now := time.Now()
	seed, err := fakecloud.DemoSeed(now)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Seed(seed); err != nil {
		t.Fatal(err)
	}

	_, body := do(t, "GET", base+"/_fake/state", nil)
	var st fakecloud.State
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Regions) != 1 || st.Regions[0].Region != "cn-hangzhou" {
		t.Fatalf("regions: %+v", st.Regions)
	}
	r := st.Regions[0]
	if len(r.LoadBalancers) != 2 || r.LoadBalancers[0].ID != "lb-demo-web" || r.LoadBalancers[1].ID != "lb-demo-shop" {
		t.Fatalf("load balancers: %+v", r.LoadBalancers)
	}
	web, shop := r.LoadBalancers[0], r.LoadBalancers[1]
	in5days := func(ref *fakecloud.CertificateRef) bool {
		d := ref.ExpireTime.Sub(now)
		return d > 4*24*time.Hour && d <= 5*24*time.Hour+time.Minute
	}
	if len(web.Listeners) != 1 || web.Listeners[0].Port != 443 || !slices.Equal(web.Listeners[0].Certificate.Names, []string{"example.com", "www.example.com"}) ||
		!in5days(web.Listeners[0].Certificate) {
		t.Fatalf("web: %+v", web.Listeners)
	}
	ext := web.Listeners[0].Extensions
	if len(ext) != 1 || ext[0].Domain != "api.example.com" || !slices.Equal(ext[0].Certificate.Names, []string{"api.example.com"}) || !in5days(ext[0].Certificate) {
		t.Fatalf("web extensions: %+v", ext)
	}
	if len(shop.Listeners) != 3 {
		t.Fatalf("shop: %+v", shop.Listeners)
	}
	ports := map[int]fakecloud.ListenerState{}
	for _, l := range shop.Listeners {
		ports[l.Port] = l
	}
	if ports[443].Certificate.ID != web.Listeners[0].Certificate.ID {
		t.Error("shop 443 does not share the old example.com certificate")
	}
	if !slices.Equal(ports[8443].Certificate.Names, []string{"shop.other.org"}) || ports[80].Protocol != "http" || ports[80].Certificate != nil {
		t.Errorf("shop listeners: %+v", ports)
	}
	bound := map[string]int{}
	for _, cert := range r.Certificates {
		bound[cert.Name] = cert.BoundBy
		if len(cert.Fingerprint) != 59 {
			t.Errorf("fingerprint %q", cert.Fingerprint)
		}
	}
	if want := map[string]int{"example-com-legacy": 2, "api-example-com-legacy": 1, "shop-other-org": 1, "not-ours": 0}; !mapsEqual(bound, want) {
		t.Errorf("bound-by = %v, want %v", bound, want)
	}
	// Both buckets exist and are empty: a put works through the admin endpoint.
	for _, store := range []string{"oss", "s3"} {
		if status, _ := do(t, "PUT", base+"/_fake/objects/"+store+"/certs/x", []byte("x")); status != 200 {
			t.Errorf("%s put: %d", store, status)
		}
	}
	// The demo certificates are accepted by SDK listing as well.
	resp, err := slbClient(t, base).DescribeServerCertificates(slb.CreateDescribeServerCertificatesRequest())
	if err != nil || len(resp.ServerCertificates.ServerCertificate) != 4 {
		t.Fatalf("describe: %v", err)
	}
	// Huawei: one project, one load balancer, one TERMINATED_HTTPS listener on the old certificates.
	if len(st.HuaweiProjects) != 1 || st.HuaweiProjects[0].Project != fakecloud.DemoHuaweiProject {
		t.Fatalf("huawei projects: %+v", st.HuaweiProjects)
	}
	hp := st.HuaweiProjects[0]
	if len(hp.LoadBalancers) != 1 || hp.LoadBalancers[0].ID != fakecloud.DemoHuaweiLoadBalancer || len(hp.LoadBalancers[0].Listeners) != 1 {
		t.Fatalf("huawei load balancers: %+v", hp.LoadBalancers)
	}
	hl := hp.LoadBalancers[0].Listeners[0]
	if hl.ID != fakecloud.DemoHuaweiListener || hl.Protocol != "TERMINATED_HTTPS" || hl.Port != 443 || hl.Certificate == nil ||
		!slices.Equal(hl.Certificate.Names, []string{"example.com", "www.example.com"}) || !in5days(hl.Certificate) ||
		len(hl.SNICertificates) != 1 || !slices.Equal(hl.SNICertificates[0].Names, []string{"api.example.com"}) {
		t.Fatalf("huawei listener: %+v", hl)
	}
	if hl.Certificate.Fingerprint != web.Listeners[0].Certificate.Fingerprint {
		t.Error("the Huawei listener does not serve the same old example.com certificate")
	}
	hbound := map[string]int{}
	for _, cert := range hp.Certificates {
		hbound[cert.Name] = cert.BoundBy
	}
	if want := map[string]int{"example-com-legacy": 1, "api-example-com-legacy": 1, "not-ours": 0}; !mapsEqual(hbound, want) {
		t.Errorf("huawei bound-by = %v, want %v", hbound, want)
	}
	sl, err := elbClient(t, base, fakecloud.DemoHuaweiProject).ShowListener(&elbmodel.ShowListenerRequest{ListenerId: fakecloud.DemoHuaweiListener})
	if err != nil || sl.Listener.DefaultTlsContainerRef != hl.Certificate.ID {
		t.Fatalf("show demo listener: %v", err)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func TestSeedFile(t *testing.T) {
	dir := t.TempDir()
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"file.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	must(t, os.MkdirAll(filepath.Join(dir, "pem"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "pem", "fullchain.pem"), is.FullchainPEM, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "pem", "privkey.pem"), is.KeyPEM, 0o600))
	seedJSON := `{
	  "regions": [{"region": "cn-shanghai",
	    "certificates": [{"ref": "f", "name": "file-cert", "cert_file": "pem/fullchain.pem", "key_file": "pem/privkey.pem"}],
	    "load_balancers": [{"id": "lb-file", "name": "file", "listeners": [
	      {"port": 443, "protocol": "https", "certificate": "f", "extensions": [{"domain": "sni.example.com", "certificate": "f"}]},
	      {"port": 80, "protocol": "http"}]}]}],
	  "buckets": [{"store": "oss", "bucket": "certs", "objects": [{"key": "site/fullchain.pem", "file": "pem/fullchain.pem"}]}]
	}`
	path := filepath.Join(dir, "seed.json")
	must(t, os.WriteFile(path, []byte(seedJSON), 0o644))
	seed, err := fakecloud.LoadSeedFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := fakecloud.New()
	if err := c.Seed(seed); err != nil {
		t.Fatal(err)
	}
	id, ok := c.SLB().ListenerCertificate("lb-file", 443)
	if !ok {
		t.Fatal("no listener")
	}
	if sc, _ := c.SLB().ServerCertificateByID(id); sc.Name != "file-cert" || sc.Region != "cn-shanghai" {
		t.Errorf("certificate = %+v", sc)
	}
	if b, ok := c.Objects().Object("oss", "certs", "site/fullchain.pem"); !ok || !bytes.Equal(b, is.FullchainPEM) {
		t.Error("object not seeded")
	}

	// Structural problems are all reported at once.
	bad := fakecloud.Seed{Regions: []fakecloud.SeedRegion{{
		Region:       "cn-hangzhou",
		Certificates: []fakecloud.SeedCertificate{{Ref: "a"}},
		LoadBalancers: []fakecloud.SeedLoadBalancer{{ID: "lb-x", Listeners: []fakecloud.SeedListener{
			{Port: 443, Protocol: "https", Certificate: "missing"},
			{Port: 0, Protocol: "ftp"},
		}}},
	}}}
	err = fakecloud.New().Seed(bad)
	if err == nil {
		t.Fatal("bad seed accepted")
	}
	for _, want := range []string{"exactly one of cert_pem/cert_file", `certificate "missing"`, "port 0", `protocol "ftp"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	// A certificate the SLB refuses stops the seed with its code.
	other := certstest.Must(t, certstest.Options{DNSNames: []string{"other.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	err = fakecloud.New().Seed(fakecloud.Seed{Regions: []fakecloud.SeedRegion{{Region: "cn-hangzhou",
		Certificates: []fakecloud.SeedCertificate{{Name: "mismatch", CertPEM: string(is.FullchainPEM), KeyPEM: string(other.KeyPEM)}}}}})
	if err == nil || !strings.Contains(err.Error(), "CertificateNotMatchPrivateKey") {
		t.Errorf("mismatched seed: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAdminRefusesRemoteClients(t *testing.T) {
	h := fakecloud.New().Handler()
	for _, remote := range []string{"10.0.0.7:4000", "[2001:db8::1]:4000", "192.168.1.2:80"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/_fake/state", nil)
		req.RemoteAddr = remote
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s: %d", remote, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/_fake/state", nil)
	req.RemoteAddr = "[::1]:4000"
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("::1: %d", rec.Code)
	}
}

func TestSeedHuaweiValidation(t *testing.T) {
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"v.example.com"}})
	cert := fakecloud.SeedCertificate{Ref: "c", CertPEM: string(is.FullchainPEM), KeyPEM: string(is.KeyPEM)}
	bad := fakecloud.Seed{HuaweiProjects: []fakecloud.SeedHuaweiProject{{
		Certificates: []fakecloud.SeedHuaweiCertificate{{SeedCertificate: cert}},
		LoadBalancers: []fakecloud.SeedHuaweiLoadBalancer{{Listeners: []fakecloud.SeedHuaweiListener{
			{Port: 443, Protocol: "HTTPS", Certificate: "missing"},
			{Port: 444, Protocol: "TERMINATED_HTTPS", Certificate: "c", SNICertificates: []string{"c"}},
			{Port: 80, Protocol: "HTTP", Certificate: "c"},
		}}},
	}}}
	err := fakecloud.New().Seed(bad)
	for _, want := range []string{"project is required", `certificate "missing"`, `SNI certificate "c"`, "only HTTPS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
	c := fakecloud.New()
	good := fakecloud.Seed{HuaweiProjects: []fakecloud.SeedHuaweiProject{{Project: "p1",
		Certificates: []fakecloud.SeedHuaweiCertificate{{SeedCertificate: cert, Domain: "v.example.com"}},
		LoadBalancers: []fakecloud.SeedHuaweiLoadBalancer{{Name: "lb", Listeners: []fakecloud.SeedHuaweiListener{
			{Port: 443, Protocol: "HTTPS", Certificate: "c", SNICertificates: []string{"c"}}}}},
	}}}
	if err := c.Seed(good); err != nil {
		t.Fatal(err)
	}
	ls := c.ELB().Listeners("p1")
	if len(ls) != 1 || ls[0].DefaultTLSContainerRef == "" || !slices.Equal(ls[0].SNIContainerRefs, []string{ls[0].DefaultTLSContainerRef}) {
		t.Fatalf("seeded listeners %+v", ls)
	}
}

package cas_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/retry"
	"github.com/certrotate/certrotate/shared/source/cas"
)

var fast = retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newClient(t *testing.T, endpoint string, edit ...func(*cas.Config)) *cas.Client {
	t.Helper()
	cfg := cas.Config{Endpoint: endpoint, AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret, Retry: fast}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := cas.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seed stores a fresh certificate for example.com in the emulated CAS.
func seed(t *testing.T, cloud *fakecloud.Cloud, name string) (*certstest.Issued, int64) {
	t.Helper()
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	id, err := cloud.CAS().AddCertificate(name, is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return is, id
}

// safe fails if err's text carries key material, PEM, a signature or an echoed string-to-sign.
func safe(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	for _, bad := range []string{"BEGIN", "PRIVATE KEY", "Signature=", "string to sign", "POST&%2F", fakecore.DefaultAccessKeySecret} {
		if strings.Contains(msg, bad) {
			t.Errorf("error %q contains %q", msg, bad)
		}
	}
}

func apiCode(err error) string {
	var e *cas.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestFetch(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	is, id := seed(t, cloud, "example-com")
	cloud.ResetCalls()

	cert, key, name, err := newClient(t, url).Fetch(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	// The emulator returns the PEMs exactly as they were stored; Fetch passes them on unchanged.
	if string(cert) != string(is.FullchainPEM) || string(key) != string(is.KeyPEM) || name != "example-com" {
		t.Errorf("Fetch = %d bytes, %d bytes, %q", len(cert), len(key), name)
	}
	calls := cloud.Calls()
	if len(calls) != 1 || calls[0].Service != "cas" || calls[0].Action != "GetUserCertificateDetail" || calls[0].Mutating ||
		calls[0].Params["CertFilter"] != "false" || calls[0].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestFetchUploadedThroughTheAPI(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	if err := cloud.Seed(fakecloud.Seed{CASCertificates: []fakecloud.SeedCertificate{
		{Name: "rsa", CertPEM: string(is.FullchainPEM), KeyPEM: string(is.KeyPEM)},
	}}); err != nil {
		t.Fatal(err)
	}
	id := cloud.Snapshot().CASCertificates[0].ID
	_, key, _, err := newClient(t, url).Fetch(context.Background(), id)
	if err != nil || string(key) != string(is.KeyPEM) {
		t.Fatalf("Fetch: %v", err)
	}
}

func TestPermanentErrors(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	_, id := seed(t, cloud, "example-com")
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"nokey.example.com"}})
	noKey, err := cloud.CAS().AddCertificateWithoutKey("no-key", is.FullchainPEM)
	if err != nil {
		t.Fatal(err)
	}
	sm2, err := cloud.CAS().AddSM2Certificate("sm2", []byte("-----BEGIN CERTIFICATE-----\nsign\n-----END CERTIFICATE-----\n"),
		[]byte("-----BEGIN "+"PRIVATE KEY-----\nsign\n-----END "+"PRIVATE KEY-----\n"), []byte("enc"), []byte("enc key"))
	if err != nil {
		t.Fatal(err)
	}
	cloud.Keys().Add(fakecore.Credential{AccessKeyID: "STS.Rotator", AccessKeySecret: "sts-secret", SecurityToken: "CAISrotatorTOKEN0123456789=="})

	tests := []struct {
		name   string
		client *cas.Client
		id     int64
		code   string // *cas.Error code, "" when the error is ours
		text   string
	}{
		{"unknown id", newClient(t, url), 999, "NotFound", "certificate 999 not found"},
		{"wrong secret", newClient(t, url, func(c *cas.Config) { c.AccessKeySecret = "wrong" }), id, "SignatureDoesNotMatch", "400 SignatureDoesNotMatch: Specified signature is not matched with our calculation. (the AccessKeySecret is wrong)"},
		{"unknown access key", newClient(t, url, func(c *cas.Config) { c.AccessKeyID = "LTAI-nobody" }), id, "InvalidAccessKeyId.NotFound", "404"},
		{"STS key without its token", newClient(t, url, func(c *cas.Config) { c.AccessKeyID, c.AccessKeySecret = "STS.Rotator", "sts-secret" }), id, "MissingSecurityToken", ""},
		{"no private key", newClient(t, url), noKey, "", `("no-key") has no private key`},
		{"SM2 dual certificate", newClient(t, url), sm2, "", "SM2 dual certificate"},
		{"id zero", newClient(t, url), 0, "", "positive integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cloud.ResetCalls()
			cert, key, _, err := tt.client.Fetch(context.Background(), tt.id)
			if err == nil || cert != nil || key != nil {
				t.Fatalf("Fetch = %v, %d bytes", err, len(cert)+len(key))
			}
			if !provider.IsPermanent(err) {
				t.Errorf("not permanent: %v", err)
			}
			if apiCode(err) != tt.code || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("err = %q (code %q), want code %q and %q", err, apiCode(err), tt.code, tt.text)
			}
			if n := len(cloud.Calls()); tt.id > 0 && n != 1 {
				t.Errorf("%d calls: permanent errors are not retried", n)
			}
			safe(t, err)
			t.Log(err)
		})
	}
}

func TestRetries(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	is, id := seed(t, cloud, "example-com")
	c := newClient(t, url)

	cloud.Faults().FailNext("GetUserCertificateDetail", fakecore.Throttle, 2)
	cloud.Faults().FailNext("GetUserCertificateDetail", fakecore.ServerError, 1)
	cloud.ResetCalls()
	_, key, _, err := c.Fetch(context.Background(), id)
	if err != nil || string(key) != string(is.KeyPEM) {
		t.Fatalf("after throttling and a 503: %v", err)
	}
	var codes []string
	for _, call := range cloud.Calls() {
		codes = append(codes, call.Code)
	}
	if strings.Join(codes, ",") != "Throttling.User,Throttling.User,ServiceUnavailable," {
		t.Errorf("codes = %q", codes)
	}

	// Retries used up: the last error is returned unmarked, for the platform to retry later.
	for _, kind := range []fakecore.FaultKind{fakecore.Throttle, fakecore.ServerError} {
		cloud.Faults().FailNext("GetUserCertificateDetail", kind, fast.Attempts)
		_, _, _, err = c.Fetch(context.Background(), id)
		if err == nil || provider.IsPermanent(err) {
			t.Errorf("fault %d: err = %v, want a retryable error", kind, err)
		}
		safe(t, err)
	}
	if code := apiCode(err); code != "ServiceUnavailable" {
		t.Errorf("code = %q", code)
	}

	// A cancelled context stops before any call and is not permanent.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cloud.ResetCalls()
	if _, _, _, err := c.Fetch(ctx, id); !errors.Is(err, context.Canceled) || provider.IsPermanent(err) || len(cloud.Calls()) != 0 {
		t.Errorf("cancelled: %v, %d calls", err, len(cloud.Calls()))
	}
}

func TestSTSCredentials(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	_, id := seed(t, cloud, "example-com")
	cloud.Keys().Add(fakecore.Credential{AccessKeyID: "STS.Rotator", AccessKeySecret: "sts-secret", SecurityToken: "CAISrotatorTOKEN0123456789=="})
	c := newClient(t, url, func(c *cas.Config) {
		c.AccessKeyID, c.AccessKeySecret, c.SecurityToken = "STS.Rotator", "sts-secret", "CAISrotatorTOKEN0123456789=="
	})
	if _, _, name, err := c.Fetch(context.Background(), id); err != nil || name != "example-com" {
		t.Fatalf("Fetch with STS credentials: %v", err)
	}
}

func TestNetworkErrorIsRetriedAndSafe(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close() // nothing listens there now
	_, _, _, err := newClient(t, url, func(c *cas.Config) { c.Retry.Attempts = 2 }).Fetch(context.Background(), 12345678)
	if err == nil || provider.IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	safe(t, err)
	t.Log(err)
	if strings.Contains(err.Error(), "AccessKeyId") {
		t.Errorf("request query in the error: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	_, err := cas.New(cas.Config{Endpoint: "ftp://x"})
	if err == nil || !strings.Contains(err.Error(), "no credentials") || !strings.Contains(err.Error(), "ROTATE_CAS_ENDPOINT") {
		t.Errorf("err = %v, want both problems", err)
	}
	for _, ep := range []string{"http://127.0.0.1:1/path", "127.0.0.1:8080", "http://"} {
		if _, err := cas.New(cas.Config{Endpoint: ep, AccessKeyID: "a", AccessKeySecret: "b"}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
	for _, ep := range []string{"", "http://127.0.0.1:8080", "https://cas.example.internal/"} {
		if _, err := cas.New(cas.Config{Endpoint: ep, AccessKeyID: "a", AccessKeySecret: "b"}); err != nil {
			t.Errorf("endpoint %q: %v", ep, err)
		}
	}
}

func TestNewDefaultConfig(t *testing.T) {
	t.Setenv("ROTATE_CAS_ENDPOINT", "http://127.0.0.1:9")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "token")
	got := cas.NewDefaultConfig()
	if got.Endpoint != "http://127.0.0.1:9" || got.Region != "cn-hangzhou" || got.AccessKeyID != "id" ||
		got.AccessKeySecret != "secret" || got.SecurityToken != "token" || got.Retry != retry.Default {
		t.Errorf("NewDefaultConfig = %+v", got)
	}
}

package leakcheck

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// keyLines returns the base64 body lines of a PEM key.
func keyLines(pemKey []byte) []string {
	var out []string
	for _, l := range strings.Split(string(pemKey), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

func kinds(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Kind)
	}
	return out
}

func hasKind(fs []Finding, kind string) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

// TestScanCatchesEveryForm plants a key or a secret in each form the scanner knows and checks
// that it is found, on the right line.
func TestScanCatchesEveryForm(t *testing.T) {
	rsa1 := certstest.Must(t, certstest.Options{DNSNames: []string{"a.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	rsa8 := certstest.Must(t, certstest.Options{DNSNames: []string{"a.example.com"}, KeyType: certstest.RSA2048})
	ec1 := certstest.Must(t, certstest.Options{DNSNames: []string{"a.example.com"}, KeyFormat: certstest.FormatSEC1})
	ec8 := certstest.Must(t, certstest.Options{DNSNames: []string{"a.example.com"}, KeyType: certstest.ECDSAP384})
	escaped, _ := json.Marshal(map[string]string{"private_key": string(ec8.KeyPEM)})
	const webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	mac := hmac.New(sha256.New, []byte("k"))
	mac.Write([]byte("body"))
	sum := mac.Sum(nil)

	for _, tc := range []struct {
		name    string
		planted string
		secrets []string
		kind    string
	}{
		{"PEM key, any armour", string(rsa1.KeyPEM), nil, KindArmour},
		{"PEM key inside JSON", string(escaped), nil, KindArmour},
		{"armour built from parts", "-----BEGIN " + "ENCRYPTED PRIVATE KEY-----", nil, KindArmour},
		{"PKCS#1 RSA body, first line", keyLines(rsa1.KeyPEM)[0], nil, KindKeyDER},
		{"PKCS#8 RSA body, first line", keyLines(rsa8.KeyPEM)[0], nil, KindKeyDER},
		{"SEC1 EC body, first line", keyLines(ec1.KeyPEM)[0], nil, KindKeyDER},
		{"PKCS#8 EC body, one line", strings.Join(keyLines(ec8.KeyPEM), ""), nil, KindKeyDER},
		{"a middle line of a registered key", keyLines(rsa8.KeyPEM)[5], []string{string(rsa8.KeyPEM)}, KindSecret},
		{"the last line of a registered key", keyLines(rsa1.KeyPEM)[len(keyLines(rsa1.KeyPEM))-1], []string{string(rsa1.KeyPEM)}, KindSecret},
		{"a webhook secret", `{"msg":"secret is ` + webhookSecret + `"}`, []string{webhookSecret}, KindSecret},
		{"the emulator's secret", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fakecore.DefaultAccessKeySecret, nil, KindEmulator},
		{"SigV4 Authorization", "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + hex.EncodeToString(sum), nil, KindSignature},
		{"Alibaba RPC signature", "GET /?Action=DescribeRegions&Signature=" + strings.Repeat("Ab%2B", 8) + "&SignatureMethod=HMAC-SHA1", nil, KindSignature},
		{"OSS V1 Authorization", "authorization: OSS LTAI5tFakeCloudDemoKey:" + base64.StdEncoding.EncodeToString(sum[:20]), nil, KindSignature},
		{"webhook-signature", `"webhook-signature":"v1,` + base64.StdEncoding.EncodeToString(sum) + `"`, nil, KindSignature},
		{"X-Hub-Signature-256", "X-Hub-Signature-256: sha256=" + hex.EncodeToString(sum), nil, KindSignature},
		{"a signed SLB URL in an error", `Get "https://slb.cn-hangzhou.aliyuncs.com/?AccessKeyId=LTAI5tFake&Action=SetLoadBalancerHTTPSListenerAttribute&Signature=abc&SignatureNonce=42": context deadline exceeded`, nil, KindQuery},
		{"a short signature in a query", "/?Action=X&Signature=abc%3D", nil, KindQuery},
		{"a robot URL's token", `post https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef failed`, nil, KindQuery},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte("first line\nsecond line\n" + tc.planted + "\nlast line\n")
			fs := Scan(data, tc.secrets...)
			if !hasKind(fs, tc.kind) {
				t.Fatalf("found %v, want %s", kinds(fs), tc.kind)
			}
			if fs[0].Line != 3 {
				t.Errorf("finding on line %d, want 3", fs[0].Line)
			}
			for _, f := range fs {
				for _, s := range append(tc.secrets, tc.planted) {
					if strings.Contains(f.String(), s) {
						t.Fatal("a finding repeats the secret")
					}
				}
			}
		})
	}
}

// TestScanLeavesPublicThingsAlone: certificates, public keys, reports, fingerprints and the
// package's own error messages are not findings.
func TestScanLeavesPublicThingsAlone(t *testing.T) {
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}, KeyType: certstest.RSA2048})
	report := `{"id":"9cc88fb003131b4c477b16eeff76e6c9","status":"failed","certificate":{"fingerprint_sha256":"ee17` +
		strings.Repeat("ab", 30) + `"},"error":"private_key: is encrypted; provide an unencrypted key"}`
	text := "level=INFO msg=ok fingerprint_sha256=" + strings.Repeat("0f", 32) + " webhook-signature: no v1 signature matches the body"
	for name, data := range map[string]string{
		"certificate chain": string(is.FullchainPEM), "root": string(is.RootPEM), "report": report, "text log": text,
		"public key": "-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(is.Leaf.RawSubjectPublicKeyInfo) + "\n-----END PUBLIC KEY-----\n",
	} {
		if fs := Scan([]byte(data), "unrelated-secret-value"); len(fs) != 0 {
			t.Errorf("%s: false findings %v", name, fs)
		}
	}
}

// fakeTB records what a Writer reports instead of failing the real test.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	errs     []string
}

func (f *fakeTB) Name() string      { return "TestPlanted/sub" }
func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, a...))
}
func (f *fakeTB) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// TestWriterFailsTheTestAndTranscriptsAreScanned writes planted secrets from several goroutines,
// in pieces, through a Writer with a transcript directory: the test is failed, and ScanDir finds
// each leak by file, line and test, without repeating it.
func TestWriterFailsTheTestAndTranscriptsAreScanned(t *testing.T) {
	dir := t.TempDir()
	s, err := openSink(dir, "planted.test-1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.out.Close()
	defer s.needles.Close()
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"a.example.com"}})
	const secret = "a-webhook-secret-for-the-self-test"
	nds := needlesOf([]string{secret, string(is.KeyPEM)})
	s.addNeedles(nds)
	registry.Lock()
	registry.needles = append(registry.needles, nds...) // what Register does, without a default sink
	registry.Unlock()

	tb := &fakeTB{TB: t}
	w := newWriter(tb, s)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			line := fmt.Sprintf(`{"msg":"clean line %d"}`+"\n", i)
			if i == 3 {
				line = `{"msg":"leak","value":"` + secret + `"}` + "\n"
			}
			for _, part := range []string{line[:5], line[5:]} { // lines arrive in pieces
				_, _ = w.Write([]byte(part))
			}
		}()
	}
	wg.Wait()
	_, _ = w.Write([]byte("tail " + keyLines(is.KeyPEM)[1])) // no newline: flushed at the end
	tb.end()
	if len(tb.errs) != 2 {
		t.Fatalf("the test was failed %d times, want 2 (the secret, the key line): %q", len(tb.errs), tb.errs)
	}

	n, found, err := ScanDir(dir)
	if err != nil || n != 1 {
		t.Fatalf("ScanDir: %d transcripts, %v", n, err)
	}
	if len(found) != 2 {
		t.Fatalf("findings %v, want 2", found)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "planted.test-1"+transcriptExt))
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 9 {
		t.Fatalf("transcript has %d lines, want 9:\n%s", len(lines), data)
	}
	for _, f := range found {
		msg := f.String()
		if f.Test != "TestPlanted/sub" || f.File != "planted.test-1"+transcriptExt || !strings.HasPrefix(msg, f.File+":") {
			t.Errorf("finding %s", msg)
		}
		if !strings.Contains(lines[f.Line-1], "leak") && !strings.Contains(lines[f.Line-1], "tail") {
			t.Errorf("finding points at line %d: %q", f.Line, lines[f.Line-1])
		}
		if strings.Contains(msg, secret) || strings.Contains(msg, keyLines(is.KeyPEM)[1]) {
			t.Fatal("a finding repeats the secret")
		}
	}
	needles, _ := os.ReadFile(filepath.Join(dir, "planted.test-1"+needlesExt))
	if strings.Contains(string(needles), secret) || strings.Contains(string(needles), keyLines(is.KeyPEM)[1]) {
		t.Fatal("the needles file holds a secret in clear")
	}
}

// TestTranscripts scans the transcripts a test run left in $CERTROTATE_TRANSCRIPT_SCAN (make test
// sets it after the main run). It fails on each finding, naming file, line and test, never the secret.
func TestTranscripts(t *testing.T) {
	dir := os.Getenv(EnvScanDir)
	if dir == "" {
		t.Skip(EnvScanDir + " is not set")
	}
	n, found, err := ScanDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no transcript in %s: were the tests run with %s set?", dir, EnvTranscriptDir)
	}
	for _, f := range found {
		t.Errorf("%s", f)
	}
	t.Logf("%d transcripts scanned, %d findings", n, len(found))
}

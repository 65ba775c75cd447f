package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/report"
)

// env is one emulator with one listener serving an old example.com certificate, and the
// environment a deployed rotate would have, pointed at it.
type env struct {
	cloud *fakecloud.Cloud
	fresh *certstest.Issued
	logs  *bytes.Buffer
	tr    io.Writer // scanned for key material and secrets (leakcheck)
	h     *Rotate
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c, url := fakecloud.Start(t)
	old := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, NotAfter: time.Now().Add(48 * time.Hour), KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	sc, err := c.SLB().AddServerCertificate("cn-hangzhou", "old", old.FullchainPEM, old.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{c.SLB().AddLoadBalancer("cn-hangzhou", "lb-1", "web"), c.SLB().AddListener("lb-1", 443, "https", sc.ID)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("ROTATE_TARGETS", `[{"provider":"alislb","region":"cn-hangzhou","name":"web","load_balancer_id":"lb-1","listener_port":443}]`)
	t.Setenv("ROTATE_SLB_ENDPOINT", url)
	t.Setenv("ROTATE_OSS_ENDPOINT", url)
	t.Setenv("FC_REGION", "cn-hangzhou")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", fakecore.DefaultAccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", fakecore.DefaultAccessKeySecret)
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "")
	// S3, through the AWS SDK's own environment.
	t.Setenv("AWS_ENDPOINT_URL_S3", url)
	t.Setenv("AWS_ACCESS_KEY_ID", fakecore.DefaultAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", fakecore.DefaultAccessKeySecret)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	cfg, err := config.LoadRotate()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{cloud: c, logs: &bytes.Buffer{},
		fresh: certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})}
	e.tr = leakcheck.Writer(t, secret, string(e.fresh.KeyPEM), string(old.KeyPEM))
	if e.h, err = NewRotate(cfg, slog.New(slog.NewJSONHandler(io.MultiWriter(e.logs, e.tr), nil))); err != nil {
		t.Fatal(err)
	}
	c.ResetCalls()
	return e
}

// invoke runs payload through the same path as the Lambda runtime: lambda.NewHandler(...).Invoke.
func (e *env) invoke(t *testing.T, payload []byte) (map[string]any, error) {
	t.Helper()
	out, err := lambda.NewHandler(e.h.Handle).Invoke(context.Background(), payload)
	if err != nil {
		return nil, err
	}
	_, _ = e.tr.Write(append(out, '\n'))
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("answer is not a JSON object: %s", out)
	}
	return got, nil
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestMaskedSampleIsRefusedBeforeAnyCall: the EventBridge sample's bucket name is masked by
// the vendor ("******"), which no bucket can be called: a bad input, not a retry.
func TestMaskedSampleIsRefusedBeforeAnyCall(t *testing.T) {
	e := newEnv(t)
	got, err := e.invoke(t, fixture(t, "oss-eventbridge-post-object.json"))
	if err != nil || got["status"] != report.Failed || !strings.Contains(got["error"].(string), "bucket name") {
		t.Fatalf("answer %v, %v", got, err)
	}
	if n := len(e.cloud.Calls()); n != 0 {
		t.Fatalf("%d calls", n)
	}
}

func TestMissingBucketIsPermanent(t *testing.T) {
	e := newEnv(t)
	got, err := e.invoke(t, fixture(t, "oss-put-object.json"))
	if err != nil || got["status"] != report.Failed || !strings.Contains(got["error"].(string), "bucket does not exist") {
		t.Fatalf("answer %v, %v", got, err)
	}
}

// TestGoldenBucketEvents drives the vendors' published sample events, verbatim, through the
// handler: the bucket and folder they name are seeded with a fresh certificate.
func TestGoldenBucketEvents(t *testing.T) {
	for _, tc := range []struct {
		fixture, store, bucket, folder string
	}{
		{"oss-put-object.json", "oss", "testbucket", "source/"},
		{"s3-put.json", "s3", "sourcebucket", ""},
		{"s3-eventbridge-object-created.json", "s3", "amzn-s3-demo-bucket1", ""},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			e := newEnv(t)
			e.cloud.Objects().Put(tc.store, tc.bucket, tc.folder+"fullchain.pem", e.fresh.FullchainPEM)
			e.cloud.Objects().Put(tc.store, tc.bucket, tc.folder+"privkey.pem", e.fresh.KeyPEM)
			got, err := e.invoke(t, fixture(t, tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if got["status"] != report.Rotated {
				t.Fatalf("status %v, error %v", got["status"], got["error"])
			}
			src := got["source"].(map[string]any)
			if src["kind"] != tc.store || src["bucket"] != tc.bucket {
				t.Fatalf("source %v", src)
			}
			again, err := e.invoke(t, fixture(t, tc.fixture))
			if err != nil || again["status"] != report.Unchanged {
				t.Fatalf("redelivery: %v %v", again["status"], err)
			}
			uploads := 0
			for _, c := range e.cloud.MutatingCalls() {
				if c.Action == "UploadServerCertificate" {
					uploads++
				}
			}
			if uploads != 1 {
				t.Fatalf("%d uploads after two deliveries, want 1", uploads)
			}
		})
	}
}

func TestInlineBodyAndLogs(t *testing.T) {
	e := newEnv(t)
	body, _ := json.Marshal(map[string]any{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM), "name": "site"})
	ctx := context.Background()
	out, err := lambda.NewHandler(e.h.Handle).Invoke(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(out, &rep); err != nil || rep.Status != report.Rotated || rep.Certificate.Name != "site" {
		t.Fatalf("report %s (%v)", out, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if _, ok := rec["request_id"]; !ok {
			t.Errorf("log line without request_id: %s", line)
		}
	}
	assertNoSecrets(t, e.fresh, out, e.logs.Bytes())
}

// assertNoSecrets fails if any of the outputs holds key material or the emulator's secret.
func assertNoSecrets(t *testing.T, is *certstest.Issued, outputs ...[]byte) {
	t.Helper()
	needles := []string{"PRIVATE KEY", fakecore.DefaultAccessKeySecret}
	for _, line := range strings.Split(string(is.KeyPEM), "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") {
			needles = append(needles, line)
		}
	}
	for _, out := range outputs {
		for _, n := range needles {
			if bytes.Contains(out, []byte(n)) {
				t.Fatalf("output holds key material or a secret (%.20q…)", n)
			}
		}
	}
}

func TestBadEventsAreReportedNotRetried(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "testdata", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		t.Run(ent.Name(), func(t *testing.T) {
			e := newEnv(t)
			got, err := e.invoke(t, fixture(t, filepath.Join("bad", ent.Name())))
			if err != nil {
				t.Fatalf("a bad event made the invocation fail (the platform would retry it): %v", err)
			}
			if code, ok := got["statusCode"]; ok { // an HTTP request is answered over HTTP
				if body, _ := got["body"].(string); code != float64(400) || !strings.Contains(body, `"error"`) {
					t.Fatalf("answer %v", got)
				}
			} else if got["status"] != report.Failed || got["error"] == "" {
				t.Fatalf("answer %v", got)
			}
			if n := len(e.cloud.Calls()); n != 0 {
				t.Fatalf("%d cloud calls for a bad event", n)
			}
		})
	}
}

func TestRetryableFailureFailsTheInvocation(t *testing.T) {
	e := newEnv(t)
	e.cloud.Faults().FailNext("SetLoadBalancerHTTPSListenerAttribute", fakecore.ServerError, 1000)
	body, _ := json.Marshal(map[string]any{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM)})
	answer, err := e.h.Handle(context.Background(), body)
	if err == nil {
		t.Fatal("a 5xx that outlasted the retries did not fail the invocation")
	}
	rep, ok := answer.(*report.Report)
	if !ok || rep.Status != report.Failed || rep.ExitCode() != 1 {
		t.Fatalf("answer %#v", answer)
	}
	if _, err := lambda.NewHandler(e.h.Handle).Invoke(context.Background(), body); err == nil {
		t.Fatal("the Lambda path did not report a function error")
	}
}

func TestWebhookRefusedWithoutSecret(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{"fc-http-request.json", "lambda-url-request.json"} {
		got, err := e.invoke(t, fixture(t, f))
		if err != nil {
			t.Fatal(err)
		}
		if got["statusCode"] != float64(401) || !strings.Contains(got["body"].(string), "ROTATE_WEBHOOK_SECRET") {
			t.Fatalf("%s: %v", f, got)
		}
	}
	if n := len(e.cloud.Calls()); n != 0 {
		t.Fatalf("%d cloud calls for refused webhooks", n)
	}
}

func TestMultiRecordEventAnswersOneReportEach(t *testing.T) {
	e := newEnv(t)
	e.cloud.Objects().CreateBucket("oss", "cert-drop")
	got, err := lambda.NewHandler(e.h.Handle).Invoke(context.Background(), fixture(t, "oss-multi-record.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reps []report.Report
	if err := json.Unmarshal(got, &reps); err != nil || len(reps) < 2 {
		t.Fatalf("answer %s (%v), want an array of reports", got, err)
	}
	for _, r := range reps {
		if r.Status != report.Pending {
			t.Errorf("report %s: status %s, want pending (nothing seeded)", r.ID, r.Status)
		}
	}
}

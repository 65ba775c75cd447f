package event

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aws/aws-lambda-go/events"
)

// testdata is the module's top-level fixture folder (usable with `sam local invoke -e`).
const testdata = "../../testdata"

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, filepath.FromSlash(name)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// goodFixtures maps each accepted fixture to the event it decodes to (golden).
var goodFixtures = map[string]*Event{
	// Vendor samples, verbatim.
	"oss-put-object.json": {Records: []Record{{Kind: KindOSS, Object: &Object{
		Store: "oss", Bucket: "testbucket", Key: "source/a.png", Region: "cn-hangzhou",
		ETag: "688A7BF4F233DC9C88A80BF985AB****", EventName: "ObjectCreated:PutObject",
	}}}},
	"oss-eventbridge-post-object.json": {Records: []Record{{Kind: KindOSS, Object: &Object{
		Store: "oss", Bucket: "******", Key: "input/***********.csv", Region: "cn-hangzhou",
		ETag: "63***********D32", EventName: "ObjectCreated:PostObject",
	}}}},
	"s3-put.json": {Records: []Record{{Kind: KindS3, Object: &Object{
		Store: "s3", Bucket: "sourcebucket", Key: "Happy Face.jpg", Region: "us-east-1",
		ETag: "d41d8cd98f00b204e9800998ecf8427e", EventName: "ObjectCreated:Put",
	}}}},
	"s3-eventbridge-object-created.json": {Records: []Record{{Kind: KindS3, Object: &Object{
		Store: "s3", Bucket: "amzn-s3-demo-bucket1", Key: "example-key", Region: "ca-central-1",
		ETag: "b1946ac92492d2347c6235b4d2611184", EventName: "PutObject",
	}}}},
	"lambda-url-request.json": {HTTP: &HTTPRequest{
		Platform: "lambda", Method: "POST", Path: "/my/path",
		Headers: map[string]string{"header1": "value1", "header2": "value1,value2"},
		Body:    []byte("Hello from client!"), RequestID: "id",
	}},
	"apigw-http-request.json": {HTTP: &HTTPRequest{
		Platform: "lambda", Method: "GET", Path: "/",
		Headers: map[string]string{
			"accept": "*/*", "content-length": "0", "host": "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com",
			"user-agent": "curl/7.58.0", "x-amzn-trace-id": "Root=1-5e9f0c65-1de4d666d4dd26aced652b6c",
			"x-forwarded-for": "1.2.3.4", "x-forwarded-port": "443", "x-forwarded-proto": "https",
		},
		Body: []byte{}, RequestID: "LV7fzho-PHcEJPw=",
	}},
	"fc-http-request.json": {HTTP: &HTTPRequest{
		Platform: "fc", Method: "GET", Path: "/example",
		Headers: map[string]string{"header1": "value1", "header2": "value1,value2"},
		Body:    []byte("Hello FC!"), RequestID: "1-64f6cd87-*************",
	}},

	// Audit triggers. Verbatim: the Lambda docs' Scheduled Event
	// (https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html, as in
	// aws-lambda-go events/cloudwatch_events_test.go) and fc-runtime-go-sdk events/README_TIMER.md.
	// Reconstructed: the SLB expiry CloudEvent, from the event types of
	// https://www.alibabacloud.com/help/en/eventbridge/user-guide/slb-events and EventBridge's
	// CloudEvents envelope; its data is never read, so its content does not matter here.
	"eventbridge-scheduled-event.json": {Audit: &Audit{Trigger: TriggerSchedule,
		Detail: "arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"}},
	"fc-timer-trigger.json":             {Audit: &Audit{Trigger: TriggerTimer, Detail: "TestTimer"}},
	"slb-eventbridge-cert-expired.json": {Audit: &Audit{Trigger: TriggerSLBExpiry, Detail: "slb:CloudMonitor:CertKeyExpired30"}},
	"invoke-audit.json":                 {Audit: &Audit{Trigger: TriggerInvoke}},

	// Our variants.
	"fc-http-base64.json": {HTTP: &HTTPRequest{
		Platform: "fc", Method: "POST", Path: "/",
		Headers: map[string]string{
			"content-type": "application/json", "webhook-id": "msg_2fV5yZpJkR1d", "webhook-timestamp": "1779264000",
			"webhook-signature": "v1,placeholder-signature-not-valid=", "user-agent": "acme-hook/1.0",
		},
		Body: []byte(`{"cas_certificate_id":12345678}`), RequestID: "1-6650a1b2-0123456789abcdef01234567",
	}},
	"oss-put-symlink.json": {Records: []Record{{Kind: KindOSS, Object: &Object{
		Store: "oss", Bucket: "cert-drop", Key: "certs/example.com/latest.pem", Region: "cn-shanghai", Symlink: true,
		ETag: "5B3C1A7E2F4D6E8A9B0C1D2E3F4A5B6C", EventName: "ObjectCreated:PutSymlink",
	}}}},
	"oss-multi-record.json": {Records: []Record{
		{Kind: KindOSS, Object: &Object{
			Store: "oss", Bucket: "cert-drop", Key: "certs/example.com/fullchain.pem", Region: "cn-hangzhou",
			ETag: "0F1E2D3C4B5A69788796A5B4C3D2E1F0", EventName: "ObjectCreated:PutObject",
		}},
		{Kind: KindOSS, Object: &Object{
			Store: "oss", Bucket: "cert-drop", Key: "certs/example.com/privkey.pem", Region: "cn-hangzhou",
			ETag: "A1B2C3D4E5F60718293A4B5C6D7E8F90-2", EventName: "ObjectCreated:CompleteMultipartUpload",
		}},
	}},
	"s3-encoded-key.json": {Records: []Record{
		{Kind: KindS3, Object: &Object{
			Store: "s3", Bucket: "cert-drop", Key: "certs/www example.com/full中.pem", Region: "eu-west-1",
			ETag: "0123456789abcdef0123456789abcdef", EventName: "ObjectCreated:Put",
		}},
		{Kind: KindS3, Object: &Object{
			Store: "s3", Bucket: "cert-drop", Key: "certs/a+b.example.com/privkey.pem", Region: "eu-west-1",
			ETag: "fedcba9876543210fedcba9876543210-2", EventName: "ObjectCreated:CompleteMultipartUpload",
		}},
	}},
	"invoke-inline.json": {Records: []Record{{Kind: KindInvoke, Body: &Body{
		Certificate: "-----BEGIN CERTIFICATE-----\n(placeholder: the leaf certificate, then intermediates)\n-----END CERTIFICATE-----\n",
		PrivateKey:  "(placeholder: the PEM private key goes here)",
		Chain:       "-----BEGIN CERTIFICATE-----\n(placeholder: intermediate certificate)\n-----END CERTIFICATE-----\n",
		Name:        "www.example.com",
		Targets:     []string{"slb-hangzhou-www", "elb-www"},
	}}}},
	"invoke-bucket.json": {Records: []Record{{
		Kind:   KindInvoke,
		Object: &Object{Store: "oss", Bucket: "cert-drop", Key: "certs/example.com/fullchain.pem"},
		Body:   &Body{Bucket: "cert-drop", Key: "certs/example.com/fullchain.pem", Store: "oss"},
	}}},
	"invoke-cas.json": {Records: []Record{{Kind: KindCAS, Body: &Body{
		CASCertificateID: 12345678, Name: "example.com (CAS)", Targets: []string{"slb-hangzhou-www"},
	}}}},
}

// badFixtures maps each refused fixture to the *Error expected: Field exactly, and
// words the Reason must hold.
var badFixtures = map[string]struct {
	field string
	words []string
}{
	"bad/cloudevent-other-type.json": {"type", []string{`"oss:ObjectRemoved:DeleteObject"`, "oss:ObjectCreated:PutObject", "oss:ObjectCreated:PutSymlink", "slb:CloudMonitor:CertKeyExpired"}},
	"bad/cloudevent-no-data.json":    {"data", []string{"missing"}},
	"bad/oss-removed.json":           {"events[0].eventName", []string{`"ObjectRemoved:DeleteObject"`, "ObjectCreated:PutObject", "ObjectCreated:PostObject", "ObjectCreated:CompleteMultipartUpload", "ObjectCreated:PutSymlink"}},
	"bad/s3-bad-escape.json":         {"Records[1].s3.object.key", []string{"URL-encoded", "%zz"}},
	"bad/empty-records.json":         {"Records", []string{"no record"}},
	"bad/unknown-shape.json": {"", []string{"unrecognised event", "OSS trigger event", "EventBridge CloudEvent for OSS", "S3 notification",
		"S3 EventBridge event", "HTTP request", "certificate body", "Scheduled Event", "timer", "certificate-expiry", `{"audit": true}`}},
	"bad/invoke-two-sources.json":   {"", []string{"more than one certificate source", "certificate and private_key", "cas_certificate_id"}},
	"bad/invoke-unknown-field.json": {"region", []string{"unknown field"}},
	"bad/key-dotdot.json":           {"events[0].oss.object.key", []string{".."}},
	"bad/http-bad-base64.json":      {"body", []string{"base64"}},
	"bad/invoke-audit-false.json":   {"audit", []string{"must be true", "false"}},
	"bad/invoke-audit-extra.json":   {"targets", []string{"unknown field", `{"audit": true} alone`}},
	"bad/fc-timer-no-name.json":     {"triggerName", []string{"missing", "timer"}},
}

// otherFixtures are loaded by tests other than the two tables above.
var otherFixtures = map[string]string{
	// notify's inputs, loaded by shared/notify/input_test.go.
	"lambda-destination-success.json": "notify",
	"lambda-destination-failure.json": "notify",
	"lambda-destination-report.json":  "notify",
	"fc-destination-report.json":      "notify",
	"fc-destination-failure.json":     "notify",
	"report-partial.json":             "notify",
}

func TestGoodFixtures(t *testing.T) {
	for name, want := range goodFixtures {
		t.Run(name, func(t *testing.T) {
			got, err := Decode(readFixture(t, name))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decode:\n got %s\nwant %s", dump(got), dump(want))
			}
		})
	}
}

func TestBadFixtures(t *testing.T) {
	for name, want := range badFixtures {
		t.Run(name, func(t *testing.T) {
			got, err := Decode(readFixture(t, name))
			if err == nil {
				t.Fatalf("Decode accepted it: %s", dump(got))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if got != nil {
				t.Errorf("Decode returned an event with its error")
			}
			if e.Field != want.field {
				t.Errorf("Field = %q, want %q (error: %v)", e.Field, want.field, err)
			}
			for _, w := range want.words {
				if !strings.Contains(e.Reason, w) {
					t.Errorf("Reason %q does not say %q", e.Reason, w)
				}
			}
		})
	}
}

// TestEveryFixtureIsLoaded lists testdata/ and testdata/bad/ and checks that a test
// case loads each file, and that each case names a file that exists.
func TestEveryFixtureIsLoaded(t *testing.T) {
	cases := map[string]bool{}
	for name := range goodFixtures {
		cases[name] = true
	}
	for name := range badFixtures {
		cases[name] = true
	}
	for name := range otherFixtures {
		cases[name] = true
	}
	var files []string
	for _, dir := range []string{"", "bad"} {
		entries, err := os.ReadDir(filepath.Join(testdata, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			files = append(files, strings.TrimPrefix(dir+"/"+e.Name(), "/"))
		}
	}
	sort.Strings(files)
	onDisk := map[string]bool{}
	for _, f := range files {
		onDisk[f] = true
		if !cases[f] {
			t.Errorf("testdata/%s is loaded by no test: add it to a table in shared/event/fixtures_test.go", f)
		}
	}
	for name := range cases {
		if !onDisk[name] {
			t.Errorf("test case %s names no file in testdata/", name)
		}
	}
}

// TestFixtureNames checks the house naming rule: <source>-<variant>.json, kebab-case.
func TestFixtureNames(t *testing.T) {
	for name := range goodFixtures {
		checkName(t, name)
	}
	for name := range badFixtures {
		checkName(t, strings.TrimPrefix(name, "bad/"))
	}
}

func checkName(t *testing.T, name string) {
	t.Helper()
	base, ok := strings.CutSuffix(name, ".json")
	if !ok || !strings.Contains(base, "-") || strings.Trim(base, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		t.Errorf("fixture %q is not named <source>-<variant>.json in kebab-case", name)
	}
}

// TestNoPrivateKeyInFixtures keeps key material out of the repository: the
// pre-commit check refuses any "-----BEGIN … PRIVATE KEY-----" line.
func TestNoPrivateKeyInFixtures(t *testing.T) {
	for name := range cases() {
		if b := readFixture(t, name); strings.Contains(string(b), "PRIVATE KEY-----") {
			t.Errorf("%s holds a PEM private key block", name)
		}
	}
}

func cases() map[string]bool {
	all := map[string]bool{}
	for n := range goodFixtures {
		all[n] = true
	}
	for n := range badFixtures {
		all[n] = true
	}
	return all
}

// TestVendorTypesAgree documents why the shape is sniffed and why S3 records are
// decoded one by one: the vendor types accept or refuse these payloads silently.
func TestVendorTypesAgree(t *testing.T) {
	// The FC sample is a valid events.OssEvent …
	var native fcevents.OssEvent
	if err := json.Unmarshal(readFixture(t, "oss-put-object.json"), &native); err != nil || len(native.Events) != 1 {
		t.Errorf("FC sample into OssEvent: %d records, %v", len(native.Events), err)
	}
	// … and the CloudEvent envelope decodes into it as zero records, no error.
	var envelope fcevents.OssEvent
	if err := json.Unmarshal(readFixture(t, "oss-eventbridge-post-object.json"), &envelope); err != nil || len(envelope.Events) != 0 {
		t.Errorf("CloudEvent into OssEvent: %d records, %v; the trap is gone?", len(envelope.Events), err)
	}
	// One malformed escape makes the whole events.S3Event fail.
	var s3 events.S3Event
	if err := json.Unmarshal(readFixture(t, "bad/s3-bad-escape.json"), &s3); err == nil {
		t.Errorf("S3Event with a bad escape decoded without error")
	}
	// The FC HTTP event does not decode as a Lambda function URL request.
	var url events.LambdaFunctionURLRequest
	if err := json.Unmarshal(readFixture(t, "fc-http-request.json"), &url); err == nil {
		t.Errorf("FC HTTP event decoded as a LambdaFunctionURLRequest")
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

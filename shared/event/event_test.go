package event

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// ossEvent builds a one-record FC OSS event around a key (raw JSON string body).
func ossEvent(name, bucket, keyJSON string) string {
	return `{"events":[{"eventName":"` + name + `","eventSource":"acs:oss","region":"cn-hangzhou",` +
		`"oss":{"bucket":{"name":"` + bucket + `"},"object":{"key":` + keyJSON + `}}}]}`
}

// s3Event builds a one-record S3 notification around an (encoded) key.
func s3Event(source, name, key string) string {
	return `{"Records":[{"eventSource":"` + source + `","eventName":"` + name + `","awsRegion":"us-east-1",` +
		`"eventTime":"2026-05-20T08:00:00Z","s3":{"bucket":{"name":"b"},"object":{"key":"` + key + `"}}}]}`
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		field string
		words string
	}{
		{"empty", "", "", "empty"},
		{"blank", " \n\t", "", "empty"},
		{"not JSON", "{", "", "not valid JSON"},
		{"trailing data", `{"events":[]} x`, "", "not valid JSON"},
		{"array", `[{"events":[]}]`, "", "must be a JSON object, not an array"},
		{"string", `"hello"`, "", "not a string"},
		{"null", `null`, "", "not null"},
		{"number", `42`, "", "not a number"},
		{"invalid UTF-8", "{\"bucket\":\"b\xff\",\"key\":\"k\"}", "", "UTF-8"},
		{"empty object", `{}`, "", "unrecognised event"},
		{"name only", `{"name":"x","targets":["a"]}`, "", "unrecognised event"},
		{"SNS-like", `{"Type":"Notification","Message":"x"}`, "", "unrecognised event"},

		// OSS trigger.
		{"oss events not an array", `{"events":{"eventName":"ObjectCreated:PutObject"}}`, "events", "must be an array"},
		{"oss events null", `{"events":null}`, "events", "must be an array"},
		{"oss events empty", `{"events":[]}`, "events", "holds no record"},
		{"oss record not an object", `{"events":[1]}`, "events[0]", "must be an OSS event record"},
		{"oss record null", `{"events":[null]}`, "events[0]", "must be an OSS event record"},
		{"oss no event name", `{"events":[{"oss":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`, "events[0].eventName", "missing"},
		{"oss copy", ossEvent("ObjectCreated:CopyObject", "b", `"k"`), "events[0].eventName", `"ObjectCreated:CopyObject" is not accepted`},
		{"oss with prefix", ossEvent("oss:ObjectCreated:PutObject", "b", `"k"`), "events[0].eventName", "is not accepted"},
		{"oss upload part", ossEvent("ObjectCreated:UploadPart", "b", `"k"`), "events[0].eventName", "is not accepted"},
		{"oss wrong source", `{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"aws:s3","oss":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`, "events[0].eventSource", "not an OSS event source"},
		{"oss no oss", `{"events":[{"eventName":"ObjectCreated:PutObject"}]}`, "events[0].oss", "missing"},
		{"oss no bucket", `{"events":[{"eventName":"ObjectCreated:PutObject","oss":{"object":{"key":"k"}}}]}`, "events[0].oss.bucket.name", "missing"},
		{"oss key a number", ossEvent("ObjectCreated:PutObject", "b", `42`), "events[0].oss.object.key", "must be a string, not a number"},
		{"oss second record bad", `{"events":[` + strings.TrimSuffix(strings.TrimPrefix(ossEvent("ObjectCreated:PutObject", "b", `"k"`), `{"events":[`), `]}`) + `,{"eventName":"ObjectRemoved:DeleteObject"}]}`, "events[1].eventName", "is not accepted"},

		// Object keys.
		{"key empty", ossEvent("ObjectCreated:PutObject", "b", `""`), "events[0].oss.object.key", "missing"},
		{"key too long", ossEvent("ObjectCreated:PutObject", "b", `"`+strings.Repeat("a", 1024)+`"`), "events[0].oss.object.key", "1023 bytes"},
		{"key NUL", ossEvent("ObjectCreated:PutObject", "b", `"certs/a\u0000.pem"`), "events[0].oss.object.key", "NUL"},
		{"key folder", ossEvent("ObjectCreated:PutObject", "b", `"certs/example.com/"`), "events[0].oss.object.key", "folder"},
		{"key leading dotdot", ossEvent("ObjectCreated:PutObject", "b", `"../privkey.pem"`), "events[0].oss.object.key", ".."},
		{"key trailing dotdot", ossEvent("ObjectCreated:PutObject", "b", `"certs/.."`), "events[0].oss.object.key", ".."},
		{"bucket with slash", ossEvent("ObjectCreated:PutObject", "a/b", `"k"`), "events[0].oss.bucket.name", "/"},
		{"bucket control", ossEvent("ObjectCreated:PutObject", `a\nb`, `"k"`), "events[0].oss.bucket.name", "control"},

		// CloudEvents.
		{"ce old specversion", `{"specversion":"0.3","type":"oss:ObjectCreated:PutObject","data":{}}`, "specversion", "CloudEvents 1.0"},
		{"ce type without prefix", `{"specversion":"1.0","type":"ObjectCreated:PutObject","data":{}}`, "type", "is not accepted"},
		{"ce other service", `{"specversion":"1.0","type":"ecs:Instance:StateChange","data":{}}`, "type", "is not accepted"},
		{"ce null data", `{"specversion":"1.0","type":"oss:ObjectCreated:PutObject","data":null}`, "data", "missing"},
		{"ce data array", `{"specversion":"1.0","type":"oss:ObjectCreated:PutObject","data":[{"eventName":"ObjectCreated:PutObject"}]}`, "data", "not an array"},
		{"ce data string", `{"specversion":"1.0","type":"oss:ObjectCreated:PutObject","data":"{}"}`, "data", "must be an OSS event record"},
		{"ce data_base64", `{"specversion":"1.0","type":"oss:ObjectCreated:PutObject","data_base64":"e30="}`, "data_base64", "not supported"},
		{"ce name disagrees", `{"specversion":"1.0","type":"oss:ObjectCreated:PutObject","data":{"eventName":"ObjectRemoved:DeleteObject","oss":{"bucket":{"name":"b"},"object":{"key":"k"}}}}`, "data.eventName", "does not match"},
		{"ce key missing", `{"specversion":"1.0","type":"oss:ObjectCreated:PutObject","data":{"oss":{"bucket":{"name":"b"},"object":{}}}}`, "data.oss.object.key", "missing"},
		{"ce type a number", `{"specversion":"1.0","type":1,"data":{}}`, "type", "must be a string"},

		// S3 notification.
		{"s3 Records object", `{"Records":{}}`, "Records", "must be an array"},
		{"s3 from SQS", s3Event("aws:sqs", "ObjectCreated:Put", "k"), "Records[0].eventSource", `"aws:sqs" is not an S3 notification`},
		{"s3 removed", s3Event("aws:s3", "ObjectRemoved:Delete", "k"), "Records[0].eventName", "ObjectCreated:*"},
		{"s3 bare prefix", s3Event("aws:s3", "ObjectCreated:", "k"), "Records[0].eventName", "ObjectCreated:*"},
		{"s3 key invalid UTF-8", s3Event("aws:s3", "ObjectCreated:Put", "certs/%FF.pem"), "Records[0].s3.object.key", "UTF-8"},
		{"s3 key NUL", s3Event("aws:s3", "ObjectCreated:Put", "certs/%00.pem"), "Records[0].s3.object.key", "NUL"},
		{"s3 key dotdot encoded", s3Event("aws:s3", "ObjectCreated:Put", "certs/%2E%2E/x.pem"), "Records[0].s3.object.key", ".."},
		{"s3 key a number", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":1}}}]}`, "Records[0].s3.object.key", "must be a string"},
		{"s3 no bucket", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"k"}}}]}`, "Records[0].s3.bucket.name", "missing"},

		// S3 through EventBridge.
		{"eb other source", `{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}`, "source", `"aws.ec2" is not accepted`},
		{"eb deleted", `{"source":"aws.s3","detail-type":"Object Deleted","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}`, "detail-type", `"Object Deleted" is not accepted`},
		{"eb no detail", `{"source":"aws.s3","detail-type":"Object Created"}`, "detail", "missing"},
		{"eb no key", `{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b"}}}`, "detail.object.key", "missing"},

		// HTTP.
		{"http unknown version", `{"version":"3.0","requestContext":{"http":{"method":"POST"}}}`, "version", `"3.0" is not a known HTTP event version`},
		{"http no version", `{"requestContext":{"http":{"method":"POST"}}}`, "version", "not a known HTTP event version"},
		{"http REST v1", `{"version":"1.0","httpMethod":"POST","requestContext":{}}`, "version", "payload format 1.0"},
		{"http version a number", `{"version":2,"requestContext":{}}`, "version", "must be a string"},
		{"fc timeEpoch number", `{"version":"v1","requestContext":{"http":{"method":"POST"},"timeEpoch":1693896071895}}`, "requestContext.timeEpoch", "must be a string, not a number"},
		{"lambda timeEpoch string", `{"version":"2.0","requestContext":{"http":{"method":"POST"},"timeEpoch":"1"}}`, "requestContext.timeEpoch", "must be a number, not a string"},
		{"http no method", `{"version":"2.0","rawPath":"/","requestContext":{}}`, "requestContext.http.method", "missing"},
		{"fc bad base64", `{"version":"v1","body":"%%%","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`, "body", "base64"},

		// Direct invocation.
		{"invoke unknown", `{"bucket":"b","key":"k","Bucket":"c"}`, "Bucket", "unknown field"},
		{"invoke no source", `{"chain":"x"}`, "", "no certificate source"},
		{"invoke bucket without key", `{"bucket":"b"}`, "key", "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode accepted it: %s", dump(ev))
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.Field != tt.field || !strings.Contains(e.Reason, tt.words) {
				t.Errorf("got Field %q Reason %q; want Field %q, Reason holding %q", e.Field, e.Reason, tt.field, tt.words)
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Event
	}{
		{"s3 plus is a space", s3Event("aws:s3", "ObjectCreated:Put", "certs/red+flower/fullchain.pem"), &Event{Records: []Record{{Kind: KindS3, Object: &Object{
			Store: "s3", Bucket: "b", Key: "certs/red flower/fullchain.pem", Region: "us-east-1", EventName: "ObjectCreated:Put",
		}}}}},
		{"s3 copy", s3Event("aws:s3", "ObjectCreated:Copy", "k.pem"), &Event{Records: []Record{{Kind: KindS3, Object: &Object{
			Store: "s3", Bucket: "b", Key: "k.pem", Region: "us-east-1", EventName: "ObjectCreated:Copy",
		}}}}},
		{"oss key with a space is raw", ossEvent("ObjectCreated:PostObject", "b", `"certs/a b%20c.pem"`), &Event{Records: []Record{{Kind: KindOSS, Object: &Object{
			Store: "oss", Bucket: "b", Key: "certs/a b%20c.pem", Region: "cn-hangzhou", EventName: "ObjectCreated:PostObject",
		}}}}},
		{"key of 1023 bytes", ossEvent("ObjectCreated:PutObject", "b", `"`+strings.Repeat("a", 1023)+`"`), &Event{Records: []Record{{Kind: KindOSS, Object: &Object{
			Store: "oss", Bucket: "b", Key: strings.Repeat("a", 1023), Region: "cn-hangzhou", EventName: "ObjectCreated:PutObject",
		}}}}},
		{"dots in names are fine", ossEvent("ObjectCreated:PutObject", "b", `"certs/..example.com/.../a..pem"`), &Event{Records: []Record{{Kind: KindOSS, Object: &Object{
			Store: "oss", Bucket: "b", Key: "certs/..example.com/.../a..pem", Region: "cn-hangzhou", EventName: "ObjectCreated:PutObject",
		}}}}},
		{"ce region from envelope", `{"specversion":"1.0","type":"oss:ObjectCreated:PutSymlink","aliyunregionid":"cn-beijing","data":{"oss":{"bucket":{"name":"b"},"object":{"key":"k"}}}}`,
			&Event{Records: []Record{{Kind: KindOSS, Object: &Object{Store: "oss", Bucket: "b", Key: "k", Region: "cn-beijing", Symlink: true, EventName: "ObjectCreated:PutSymlink"}}}}},
		{"eb key with a plus is raw", `{"source":"aws.s3","detail-type":"Object Created","region":"us-east-2","detail":{"bucket":{"name":"b"},"object":{"key":"a+b.pem"}}}`,
			&Event{Records: []Record{{Kind: KindS3, Object: &Object{Store: "s3", Bucket: "b", Key: "a+b.pem", Region: "us-east-2", EventName: "Object Created"}}}}},
		{"fc header names differing in case", `{"version":"v1","headers":{"X-A":"1","x-a":"2","Webhook-Id":"m"},"body":"` + base64.StdEncoding.EncodeToString([]byte("{}")) + `","isBase64Encoded":true,"requestContext":{"http":{"method":"post","path":"/hook"}}}`,
			&Event{HTTP: &HTTPRequest{Platform: "fc", Method: "POST", Path: "/hook", Headers: map[string]string{"x-a": "1,2", "webhook-id": "m"}, Body: []byte("{}")}}},
		{"lambda url without rawPath", `{"version":"2.0","headers":{"Webhook-Signature":"v1,x"},"requestContext":{"requestId":"r","http":{"method":"POST","path":"/p"}},"body":"b"}`,
			&Event{HTTP: &HTTPRequest{Platform: "lambda", Method: "POST", Path: "/p", Headers: map[string]string{"webhook-signature": "v1,x"}, Body: []byte("b"), RequestID: "r"}}},
		{"invoke with nulls", `{"bucket":"b","key":"k.pem","chain":null,"targets":null,"store":null}`, &Event{Records: []Record{{
			Kind: KindInvoke, Object: &Object{Bucket: "b", Key: "k.pem"}, Body: &Body{Bucket: "b", Key: "k.pem"},
		}}}},
		{"leading whitespace", "\n\t " + `{"cas_certificate_id":7}`, &Event{Records: []Record{{Kind: KindCAS, Body: &Body{CASCertificateID: 7}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestDecodeSizeLimit(t *testing.T) {
	// A valid body padded with spaces to exactly the limit is accepted; one byte more is not.
	body := []byte(`{"cas_certificate_id":1}`)
	atLimit := append(append([]byte{}, body...), []byte(strings.Repeat(" ", MaxSize-len(body)))...)
	if _, err := Decode(atLimit); err != nil {
		t.Fatalf("Decode(%d bytes): %v", len(atLimit), err)
	}
	over := append(atLimit, ' ')
	_, err := Decode(over)
	if err == nil || !TooLarge(err) {
		t.Fatalf("Decode(%d bytes) = %v, want a too-large *Error", len(over), err)
	}
	if !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("error %q does not state the limit", err)
	}
	if TooLarge(errors.New("x")) || TooLarge(&Error{Reason: "x"}) {
		t.Errorf("TooLarge is true for other errors")
	}
}

func TestErrorString(t *testing.T) {
	if got := (&Error{Field: "events[0].oss.object.key", Reason: "missing"}).Error(); got != "events[0].oss.object.key: missing" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Reason: "empty"}).Error(); got != "empty" {
		t.Errorf("Error() = %q", got)
	}
}

func TestNewRecord(t *testing.T) {
	tests := []struct {
		kind Kind
		body Body
		want Record
	}{
		{KindWebhook, Body{CASCertificateID: 9}, Record{Kind: KindCAS}},
		{KindWebhook, Body{Bucket: "b", Key: "k", Store: "s3"}, Record{Kind: KindWebhook, Object: &Object{Store: "s3", Bucket: "b", Key: "k"}}},
		{KindWebhook, Body{Certificate: "c", PrivateKey: "p"}, Record{Kind: KindWebhook}},
		{KindInvoke, Body{Bucket: "b", Key: "k"}, Record{Kind: KindInvoke, Object: &Object{Bucket: "b", Key: "k"}}},
	}
	for _, tt := range tests {
		b := tt.body
		tt.want.Body = &b
		if got := NewRecord(tt.kind, &b); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("NewRecord(%s, %+v) = %s, want %s", tt.kind, tt.body, dump(got), dump(tt.want))
		}
	}
}

package event

import (
	"errors"
	"strings"
	"testing"
)

func records(n int, record string) string {
	return strings.TrimSuffix(strings.Repeat(record+",", n), ",")
}

func TestRecordLimit(t *testing.T) {
	oss := `{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss","oss":{"bucket":{"name":"b"},"object":{"key":"c/fullchain.pem"}}}`
	s3 := `{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"c/fullchain.pem"}}}`
	for _, tc := range []struct {
		name, in, field string
		ok              bool
	}{
		{"oss 100", `{"events":[` + records(100, oss) + `]}`, "", true},
		{"oss 101", `{"events":[` + records(101, oss) + `]}`, "events", false},
		{"s3 100", `{"Records":[` + records(100, s3) + `]}`, "", true},
		{"s3 101", `{"Records":[` + records(101, s3) + `]}`, "Records", false},
		// a bad record after the limit: the count is refused first, nothing decoded
		{"s3 101 with a bad one", `{"Records":[` + records(100, s3) + `,{"eventSource":"x"}]}`, "Records", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Decode([]byte(tc.in))
			if tc.ok {
				if err != nil || len(ev.Records) != 100 {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != tc.field || !strings.Contains(e.Reason, "over the limit of 100") || ev != nil {
				t.Fatalf("Decode = %v, %v; want the whole event refused at %s", ev, err, tc.field)
			}
		})
	}
}

// TestUnusedFieldsNeverRefuse: fields rotate does not read, whatever they hold, are no reason
// to refuse an event.
func TestUnusedFieldsNeverRefuse(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"s3 eventTime not a time", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":"yesterday","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`},
		{"s3 eventTime a number", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","eventTime":12,"s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`},
		{"s3 size a string", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k","size":"1"}}}]}`},
		{"s3 requestParameters odd", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","requestParameters":[1,2],"userIdentity":"x","responseElements":null,"s3":{"bucket":{"name":"b","arn":5},"object":{"key":"k","sequencer":{}}}}]}`},
		{"oss eventTime a number", `{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss","eventTime":7,"requestParameters":"x","userIdentity":[],"oss":{"bucket":{"name":"b","arn":1},"object":{"key":"k","size":"big"}}}]}`},
		{"eventbridge extra", `{"source":"aws.s3","detail-type":"Object Created","time":5,"resources":"x","detail":{"bucket":{"name":"b"},"object":{"key":"k","size":"x"},"requester":[]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ev, err := Decode([]byte(tc.in)); err != nil || len(ev.Records) != 1 {
				t.Fatalf("Decode: %v", err)
			}
		})
	}
}

func TestForceAndNoPEMOutsideItsFields(t *testing.T) {
	inline := `"certificate":"C","private_key":"K"`
	pk := "PRIVATE" + " KEY" // built at run time: no tracked file holds a key header
	pem := "-----BEGIN " + pk + "-----\\n" + secretMarker + "\\n-----END " + pk + "-----"
	for _, tc := range []struct {
		name, in, field string
		force           bool
	}{
		{"force true", `{` + inline + `,"force":true}`, "", true},
		{"force false", `{` + inline + `,"force":false}`, "", false},
		{"force null", `{` + inline + `,"force":null}`, "", false},
		{"force a string", `{` + inline + `,"force":"yes"}`, "force", false},
		{"key in name", `{` + inline + `,"name":"` + pem + `"}`, "name", false},
		{"key in targets", `{` + inline + `,"targets":["a","` + pem + `"]}`, "targets[1]", false},
		{"key in key", `{"bucket":"b","key":"` + pem + `"}`, "key", false},
		{"key in bucket", `{"bucket":"` + pem + `","key":"k"}`, "bucket", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := DecodeBody([]byte(tc.in), KindInvoke)
			if tc.field == "" {
				if err != nil || b.Force != tc.force {
					t.Fatalf("DecodeBody = %+v, %v; want force %v", b, err, tc.force)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != tc.field {
				t.Fatalf("DecodeBody = %v, want refused at %s", err, tc.field)
			}
			if strings.Contains(err.Error(), secretMarker) || strings.Contains(err.Error(), "BEGIN") {
				t.Fatalf("the error quotes the field's text: %v", err)
			}
		})
	}
}

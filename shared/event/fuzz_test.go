package event

import (
	"testing"
)

// FuzzDecode checks that Decode never panics, that every error is an *Error, and
// that what it accepts holds at least one valid record or one HTTP request.
func FuzzDecode(f *testing.F) {
	for name := range cases() {
		f.Add(readFixture(f, name))
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"events":[]}`, `{"events":[null]}`, `{"Records":[{}]}`,
		`{"specversion":"1.0","type":"oss:ObjectCreated:PutObject","data":{}}`,
		`{"source":"aws.s3","detail-type":"Object Created","detail":{}}`,
		`{"version":"v1","requestContext":{"http":{"method":"POST"}},"body":"e30=","isBase64Encoded":true}`,
		`{"bucket":"b","key":"k"}`, `{"cas_certificate_id":1,"targets":["a"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := Decode(raw)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if ev != nil {
				t.Fatalf("an event came back with the error %v", err)
			}
			return
		}
		if ev == nil {
			t.Fatal("nil event and nil error")
		}
		if ev.HTTP != nil {
			if len(ev.Records) != 0 || ev.HTTP.Method == "" || ev.HTTP.Headers == nil {
				t.Fatalf("bad HTTP event %s", dump(ev))
			}
			return
		}
		if len(ev.Records) == 0 {
			t.Fatal("no record and no error")
		}
		for i, r := range ev.Records {
			if r.Object != nil {
				if err := checkObject(r.Object, "bucket", "key"); err != nil {
					t.Fatalf("record %d holds a bad object: %v", i, err)
				}
			}
			if r.Object == nil && r.Body == nil {
				t.Fatalf("record %d is empty", i)
			}
		}
	})
}

// FuzzDecodeBody checks that DecodeBody never panics, that every error is an
// *Error, and that an accepted body has exactly one source.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"certificate":"C","private_key":"K"}`, `{"bucket":"b","key":"k","store":"oss"}`,
		`{"cas_certificate_id":1,"targets":["a","b"]}`, `{"cas_certificate_id":1.0}`, `{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := DecodeBody(raw, KindWebhook)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			return
		}
		n := 0
		if b.Certificate != "" && b.PrivateKey != "" {
			n++
		}
		if b.Bucket != "" && b.Key != "" {
			n++
		}
		if b.CASCertificateID > 0 {
			n++
		}
		if n != 1 {
			t.Fatalf("accepted a body with %d sources: %+v", n, b)
		}
	})
}

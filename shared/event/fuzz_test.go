package event

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// addBadFixtures seeds f with every file in testdata/bad.
func addBadFixtures(f *testing.F) {
	dir := filepath.Join("..", "..", "testdata", "bad")
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// hostileSeeds are inputs of shared/handler's hostile table, small enough to fuzz from.
var hostileSeeds = []string{
	`{"certificate":123,"private_key":"k"}`, `{"cas_certificate_id":"12345678"}`, `{"cas_certificate_id":-5}`,
	`{"cas_certificate_id":1,"password":"x"}`, `{"bucket":"certs","key":"live/\u0000/privkey.pem","store":"oss"}`,
	`{"bucket":"certs","key":"live/../../etc/privkey.pem","store":"oss"}`, `{"bucket":"a/b","key":"k/x.pem","store":"gcs"}`,
	`{"cas_certificate_id":1,"targets":[]}`, `{"cas_certificate_id":1,"targets":["a","a"]}`, "{\"name\":\"\xff\",\"cas_certificate_id\":1}",
	`{"targets":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `,"cas_certificate_id":1}`,
	`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"certs"},"object":{"key":"a/..%2F..%2Fprivkey.pem"}}}]}`,
}

// FuzzDecode checks that Decode never panics, that every error is an *Error, and
// that what it accepts holds at least one valid record or one HTTP request.
func FuzzDecode(f *testing.F) {
	for name := range cases() {
		f.Add(readFixture(f, name))
	}
	for _, s := range []string{
		`{"audit":true}`, `{"audit":1}`, `{"triggerTime":"x","triggerName":"t"}`, `{"source":"aws.events","detail-type":"Scheduled Event"}`,
		``, `{}`, `[]`, `null`, `{"events":[]}`, `{"events":[null]}`, `{"Records":[{}]}`,
		`{"specversion":"1.0","type":"oss:ObjectCreated:PutObject","data":{}}`,
		`{"source":"aws.s3","detail-type":"Object Created","detail":{}}`,
		`{"version":"v1","requestContext":{"http":{"method":"POST"}},"body":"e30=","isBase64Encoded":true}`,
		`{"bucket":"b","key":"k"}`, `{"cas_certificate_id":1,"targets":["a"]}`,
	} {
		f.Add([]byte(s))
	}
	addBadFixtures(f)
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := Decode(raw)
		if len(raw) > MaxEnvelope && (err == nil || !TooLarge(err)) {
			t.Fatalf("a %d-byte event was not refused as too large: %v", len(raw), err)
		}
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
		if ev.Audit != nil {
			if len(ev.Records) != 0 || ev.Audit.Trigger == "" {
				t.Fatalf("bad audit event %s", dump(ev))
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
	addBadFixtures(f)
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := DecodeBody(raw, KindWebhook)
		if len(raw) > MaxSize && (err == nil || !TooLarge(err)) {
			t.Fatalf("a %d-byte body was not refused as too large: %v", len(raw), err)
		}
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
		again, _ := json.Marshal(b)
		back, err := DecodeBody(again, KindInvoke)
		if err != nil || !reflect.DeepEqual(back, b) {
			t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, back, b)
		}
	})
}

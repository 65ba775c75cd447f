package event

import (
	"reflect"
	"strings"
	"testing"
)

// secretMarker stands in for key material: no error message may repeat it.
const secretMarker = "SECRET-KEY-MATERIAL-9f3a"

func TestDecodeBodyAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Body
	}{
		{"inline", `{"certificate":"C","private_key":"` + secretMarker + `"}`, Body{Certificate: "C", PrivateKey: secretMarker}},
		{"inline with chain, name, targets", `{"certificate":"C","private_key":"K","chain":"I","name":"www","targets":["a","b"]}`,
			Body{Certificate: "C", PrivateKey: "K", Chain: "I", Name: "www", Targets: []string{"a", "b"}}},
		{"bucket", `{"bucket":"b","key":"certs/x/fullchain.pem"}`, Body{Bucket: "b", Key: "certs/x/fullchain.pem"}},
		{"bucket oss", `{"bucket":"b","key":"k","store":"oss"}`, Body{Bucket: "b", Key: "k", Store: "oss"}},
		{"bucket s3", `{"bucket":"b","key":"k","store":"s3"}`, Body{Bucket: "b", Key: "k", Store: "s3"}},
		{"cas", `{"cas_certificate_id":12345678}`, Body{CASCertificateID: 12345678}},
		{"cas max", `{"cas_certificate_id":9223372036854775807}`, Body{CASCertificateID: 9223372036854775807}},
		{"empty chain and name are absent", `{"cas_certificate_id":1,"chain":"","name":""}`, Body{CASCertificateID: 1}},
		{"nulls are absent", `{"certificate":"C","private_key":"K","bucket":null,"key":null,"cas_certificate_id":null,"targets":null}`, Body{Certificate: "C", PrivateKey: "K"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kind := range []Kind{KindWebhook, KindInvoke} {
				got, err := DecodeBody([]byte(tt.in), kind)
				if err != nil {
					t.Fatalf("DecodeBody(%s): %v", kind, err)
				}
				if !reflect.DeepEqual(*got, tt.want) {
					t.Errorf("DecodeBody(%s) = %+v, want %+v", kind, *got, tt.want)
				}
			}
		})
	}
}

func TestDecodeBodyRefuses(t *testing.T) {
	inline := `"certificate":"C","private_key":"` + secretMarker + `"`
	tests := []struct {
		name  string
		in    string
		field string
		words string
	}{
		{"unknown field", `{` + inline + `,"password":"x"}`, "password", "unknown field: a certificate body has only certificate, private_key, chain, name, bucket, key, store, cas_certificate_id, targets or force"},
		{"several unknown fields", `{` + inline + `,"b":1,"a":2,"c":3}`, "a", "also unknown: b, c"},
		{"unknown field, odd name", `{` + inline + `,"x\ny":1}`, `"x\ny"`, "unknown field"},
		{"case matters", `{"Certificate":"C","private_key":"K"}`, "Certificate", "unknown field"},
		{"no source", `{"name":"x"}`, "", "no certificate source"},
		{"empty object", `{}`, "", "no certificate source"},
		{"inline and bucket", `{` + inline + `,"bucket":"b","key":"k"}`, "", "more than one certificate source (certificate and private_key or bucket and key)"},
		{"bucket and cas", `{"bucket":"b","key":"k","cas_certificate_id":1}`, "", "more than one certificate source"},
		{"all three", `{` + inline + `,"bucket":"b","key":"k","cas_certificate_id":1}`, "", "certificate and private_key, bucket and key or cas_certificate_id"},
		{"half inline and cas", `{"private_key":"K","cas_certificate_id":1}`, "", "more than one certificate source"},
		{"certificate alone", `{"certificate":"C"}`, "private_key", "missing: certificate was given without private_key"},
		{"private_key alone", `{"private_key":"` + secretMarker + `"}`, "certificate", "missing: private_key was given without certificate"},
		{"empty certificate", `{"certificate":" ","private_key":"K"}`, "certificate", "must not be empty"},
		{"empty private_key", `{"certificate":"C","private_key":""}`, "private_key", "must not be empty"},
		{"bucket alone", `{"bucket":"b"}`, "key", "missing: bucket was given without key"},
		{"key alone", `{"key":"k"}`, "bucket", "missing: key was given without bucket"},
		{"empty bucket", `{"bucket":"","key":"k"}`, "bucket", "missing"},
		{"key dotdot", `{"bucket":"b","key":"a/../k"}`, "key", ".."},
		{"key folder", `{"bucket":"b","key":"certs/"}`, "key", "folder"},
		{"store gcs", `{"bucket":"b","key":"k","store":"gcs"}`, "store", `"gcs" is not a store`},
		{"store OSS", `{"bucket":"b","key":"k","store":"OSS"}`, "store", "is not a store"},
		{"store empty", `{"bucket":"b","key":"k","store":""}`, "store", "is not a store"},
		{"store with inline", `{` + inline + `,"store":"oss"}`, "store", "only goes with bucket and key"},
		{"chain with bucket", `{"bucket":"b","key":"k","chain":"I"}`, "chain", "only goes with certificate and private_key"},
		{"certificate a number", `{"certificate":1,"private_key":"K"}`, "certificate", "must be a string, not a number"},
		{"private_key an object", `{"certificate":"C","private_key":{"pem":"` + secretMarker + `"}}`, "private_key", "must be a string, not an object"},
		{"cas zero", `{"cas_certificate_id":0}`, "cas_certificate_id", "positive whole number"},
		{"cas negative", `{"cas_certificate_id":-5}`, "cas_certificate_id", "positive whole number"},
		{"cas fraction", `{"cas_certificate_id":1.5}`, "cas_certificate_id", "positive whole number"},
		{"cas exponent", `{"cas_certificate_id":1e3}`, "cas_certificate_id", "positive whole number"},
		{"cas too big", `{"cas_certificate_id":9223372036854775808}`, "cas_certificate_id", "positive whole number"},
		{"cas a string", `{"cas_certificate_id":"12345678"}`, "cas_certificate_id", "must be a number, not a string"},
		{"targets a string", `{"cas_certificate_id":1,"targets":"a"}`, "targets", "must be an array"},
		{"targets empty", `{"cas_certificate_id":1,"targets":[]}`, "targets", "is empty"},
		{"target empty", `{"cas_certificate_id":1,"targets":["a",""]}`, "targets[1]", "must not be empty"},
		{"target blank", `{"cas_certificate_id":1,"targets":["  "]}`, "targets[0]", "must not be empty"},
		{"target a number", `{"cas_certificate_id":1,"targets":["a",2]}`, "targets[1]", "must be a string, not a number"},
		{"target null", `{"cas_certificate_id":1,"targets":[null]}`, "targets[0]", "must be a string, not null"},
		{"target repeated", `{"cas_certificate_id":1,"targets":["a","b","a"]}`, "targets[2]", "repeats targets[0]"},
		{"not an object", `["certificate"]`, "", "must be a JSON object"},
		{"not JSON", `{"certificate":`, "", "not valid JSON"},
		{"empty", ``, "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBody([]byte(tt.in), KindWebhook)
			if err == nil {
				t.Fatal("DecodeBody accepted it")
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.Field != tt.field || !strings.Contains(e.Reason, tt.words) {
				t.Errorf("got Field %q Reason %q; want Field %q, Reason holding %q", e.Field, e.Reason, tt.field, tt.words)
			}
			if strings.Contains(err.Error(), secretMarker) {
				t.Errorf("error %q repeats key material", err)
			}
		})
	}
}

func TestDecodeBodyKind(t *testing.T) {
	for _, kind := range []Kind{KindOSS, KindS3, KindCAS, ""} {
		if _, err := DecodeBody([]byte(`{"cas_certificate_id":1}`), kind); err == nil {
			t.Errorf("DecodeBody(kind %q) accepted a body", kind)
		}
	}
	// The size limit holds for a body too, and is recognisable for a 413.
	big := `{"cas_certificate_id":1,"name":"` + strings.Repeat("x", MaxSize) + `"}`
	if _, err := DecodeBody([]byte(big), KindWebhook); !TooLarge(err) {
		t.Errorf("DecodeBody(%d bytes) = %v, want a too-large error", len(big), err)
	}
	_, err := DecodeBody([]byte(`{"x":1}`), KindWebhook)
	if !strings.HasPrefix(err.Error(), "x: unknown field") {
		t.Errorf("error = %q", err)
	}
}

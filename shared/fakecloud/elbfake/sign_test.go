package elbfake

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// The vector below was computed outside Go, with coreutils and openssl, from the published
// algorithm:
//
//	printf 'PUT\n/v3/p1/elb/certificates/abc/\nfingerprint=a%%20b&fingerprint=b\nuser-agent:test\nx-project-id:p1\nx-sdk-date:20240101T000000Z\n\nuser-agent;x-project-id;x-sdk-date\n' > cr
//	printf '%s' "$(printf '{"certificate":{"name":"n"}}\n' | sha256sum | cut -d' ' -f1)" >> cr
//	printf 'SDK-HMAC-SHA256\n20240101T000000Z\n%s' "$(sha256sum cr | cut -d' ' -f1)" | openssl dgst -sha256 -hmac secret
const (
	vectorBodyHash = "f81274fdfc47d4cfbc6ef8c07efd3a4312e0bd587d9e0c5321efac3fd42f9508"
	vectorCRHash   = "b247f59bfa84c71db9315c5ccaf0d93d2db4472b2980da21212c8e9de8fd5945"
	vectorSig      = "06b04ab025e00ffaf16c27fda2faa3997327e31804c22a768a4ea1c8e99565f3"
	vectorBody     = "{\"certificate\":{\"name\":\"n\"}}\n"
)

func vectorRequest(sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPut, "http://127.0.0.1:1/v3/p1/elb/certificates/abc?fingerprint=b&fingerprint=a%20b", strings.NewReader(vectorBody))
	r.Header.Set("User-Agent", "test")
	r.Header.Set("X-Project-Id", "p1")
	r.Header.Set("X-Sdk-Date", "20240101T000000Z")
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	r.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature="+sig)
	return r
}

func TestSignatureVector(t *testing.T) {
	r := vectorRequest(vectorSig)
	cr := canonicalRequest(r, []string{"user-agent", "x-project-id", "x-sdk-date"}, []byte(vectorBody))
	if !strings.HasSuffix(cr, "\n"+vectorBodyHash) {
		t.Fatalf("canonical request payload hash:\n%s", cr)
	}
	sts := stringToSign("20240101T000000Z", cr)
	if want := "SDK-HMAC-SHA256\n20240101T000000Z\n" + vectorCRHash; sts != want {
		t.Fatalf("string to sign:\n%s\nwant\n%s\ncanonical request:\n%s", sts, want, cr)
	}
	if got := signature("secret", sts); got != vectorSig {
		t.Fatalf("signature %s, want %s", got, vectorSig)
	}

	keys := fakecore.NewKeyring()
	keys.Add(fakecore.Credential{AccessKeyID: "AK1", AccessKeySecret: "secret"})
	at := time.Date(2024, 1, 1, 0, 5, 0, 0, time.UTC)
	if ak, e := authenticate(vectorRequest(vectorSig), []byte(vectorBody), keys, at); e != nil || ak != "AK1" {
		t.Fatalf("vector refused: %v", e)
	}
	tampered := []struct {
		name string
		req  func() *http.Request
		body string
		now  time.Time
		msg  string
	}{
		{"body changed", func() *http.Request { return vectorRequest(vectorSig) }, vectorBody + " ", at, "verify aksk signature fail"},
		{"query changed", func() *http.Request {
			r := vectorRequest(vectorSig)
			r.URL.RawQuery = "fingerprint=b"
			return r
		}, vectorBody, at, "verify aksk signature fail"},
		{"signed header changed", func() *http.Request {
			r := vectorRequest(vectorSig)
			r.Header.Set("User-Agent", "other")
			return r
		}, vectorBody, at, "verify aksk signature fail"},
		{"signed header missing", func() *http.Request {
			r := vectorRequest(vectorSig)
			r.Header.Del("User-Agent")
			return r
		}, vectorBody, at, "signed header user-agent is missing"},
		{"wrong signature", func() *http.Request { return vectorRequest(strings.Repeat("0", 64)) }, vectorBody, at, "verify aksk signature fail"},
		{"stale", func() *http.Request { return vectorRequest(vectorSig) }, vectorBody, at.Add(16 * time.Minute), "more than 15 minutes"},
		{"unknown key", func() *http.Request {
			r := vectorRequest(vectorSig)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AK1", "AK2", 1))
			return r
		}, vectorBody, at, "ak AK2 not exist"},
		{"wrong scheme", func() *http.Request {
			r := vectorRequest(vectorSig)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			return r
		}, vectorBody, at, "Authorization header is not"},
		{"date not signed", func() *http.Request {
			r := vectorRequest(vectorSig)
			r.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=user-agent;x-project-id, Signature="+vectorSig)
			return r
		}, vectorBody, at, "x-sdk-date must be a signed header"},
	}
	for _, tt := range tampered {
		t.Run(tt.name, func(t *testing.T) {
			_, e := authenticate(tt.req(), []byte(tt.body), keys, tt.now)
			if e == nil || e.Status != http.StatusUnauthorized || e.Code != CodeAuth || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("got %v, want 401 %s containing %q", e, CodeAuth, tt.msg)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	tests := map[string]string{
		"aZ09-_.~":    "aZ09-_.~",
		"a b+c/d*":    "a%20b%2Bc%2Fd%2A",
		"é":           "%C3%A9",
		"x=y&z":       "x%3Dy%26z",
		"":            "",
		"%2F already": "%252F%20already",
	}
	for in, want := range tests {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := canonicalURI("/v3/p%20q/elb"); got != "/v3/p%20q/elb/" {
		t.Errorf("canonicalURI = %q", got)
	}
}

package elbfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// Algorithm is the only Authorization scheme the emulator accepts.
const Algorithm = "SDK-HMAC-SHA256"

// DateLayout is the layout of the X-Sdk-Date header.
const DateLayout = "20060102T150405Z"

// maxSkew is how far X-Sdk-Date may be from the emulator's clock (API Gateway allows 15 minutes).
const maxSkew = 15 * time.Minute

// authHeader is a parsed "SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…".
type authHeader struct {
	access, signature string
	signedHeaders     []string
}

func parseAuthorization(v string) (authHeader, bool) {
	rest, ok := strings.CutPrefix(v, Algorithm+" ")
	if !ok {
		return authHeader{}, false
	}
	var a authHeader
	for _, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return authHeader{}, false
		}
		switch k {
		case "Access":
			a.access = val
		case "SignedHeaders":
			a.signedHeaders = strings.Split(val, ";")
		case "Signature":
			a.signature = val
		}
	}
	if a.access == "" || a.signature == "" || len(a.signedHeaders) == 0 {
		return authHeader{}, false
	}
	return a, true
}

// escape percent-encodes every byte except A–Z a–z 0–9 _ - ~ . with upper-case hex.
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '~' || c == '.' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// canonicalURI escapes each segment of the decoded path and ends it with "/".
func canonicalURI(escapedPath string) string {
	segs := strings.Split(escapedPath, "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		segs[i] = escape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// canonicalQuery sorts keys, then each key's values, and escapes both.
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(parts, "&")
}

// canonicalRequest builds Huawei's canonical request for r with the given signed headers
// (lower-case, in the order the client listed them) and body.
func canonicalRequest(r *http.Request, signedHeaders []string, body []byte) string {
	var hdrs strings.Builder
	for _, h := range signedHeaders {
		var vals []string
		if h == "host" {
			vals = []string{r.Host}
		} else {
			vals = append(vals, r.Header.Values(h)...)
			sort.Strings(vals)
		}
		for _, v := range vals {
			hdrs.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	payload := r.Header.Get("X-Sdk-Content-Sha256")
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	return strings.Join([]string{
		r.Method,
		canonicalURI(r.URL.EscapedPath()),
		canonicalQuery(r.URL.Query()),
		hdrs.String(),
		strings.Join(signedHeaders, ";"),
		payload,
	}, "\n")
}

// stringToSign is "SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex sha256 of the canonical request>".
func stringToSign(date, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + date + "\n" + hex.EncodeToString(sum[:])
}

// signature is hex(HMAC-SHA256(secret, stringToSign)).
func signature(secret, sts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

// authenticate checks r the way API Gateway does for AK/SK requests and returns the access key id.
func authenticate(r *http.Request, body []byte, keys *fakecore.Keyring, now time.Time) (string, *APIError) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return "", errAuth("the Authorization header is missing")
	}
	a, ok := parseAuthorization(raw)
	if !ok {
		return "", errAuth("the Authorization header is not " + Algorithm + " Access=..., SignedHeaders=..., Signature=...")
	}
	date := r.Header.Get("X-Sdk-Date")
	if date == "" {
		return "", errAuth("the X-Sdk-Date header is missing")
	}
	t, err := time.Parse(DateLayout, date)
	if err != nil {
		return "", errAuth("X-Sdk-Date is not in the format " + DateLayout)
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return "", errAuth("X-Sdk-Date " + date + " is more than 15 minutes from the server time")
	}
	signsDate := false
	for _, h := range a.signedHeaders {
		if h != strings.ToLower(h) || h == "" {
			return "", errAuth("SignedHeaders must be lower-case header names")
		}
		if h == "x-sdk-date" {
			signsDate = true
		}
		if h != "host" && len(r.Header.Values(h)) == 0 {
			return "", errAuth("signed header " + h + " is missing from the request")
		}
	}
	if !signsDate {
		return "", errAuth("x-sdk-date must be a signed header")
	}
	cred, ok := keys.Lookup(a.access)
	if !ok {
		return "", errAuth("ak " + a.access + " not exist")
	}
	want := signature(cred.AccessKeySecret, stringToSign(date, canonicalRequest(r, a.signedHeaders, body)))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(a.signature))) {
		return "", errAuth("verify aksk signature fail")
	}
	token := r.Header.Get("X-Security-Token")
	switch {
	case cred.SecurityToken != "" && token == "":
		return "", errAuth("the X-Security-Token header is required for a temporary access key")
	case cred.SecurityToken != "" && token != cred.SecurityToken:
		return "", errAuth("the security token is invalid or expired")
	case cred.SecurityToken == "" && token != "":
		return "", errAuth("a security token was sent with a permanent access key")
	}
	return a.access, nil
}

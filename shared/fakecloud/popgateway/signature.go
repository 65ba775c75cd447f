package popgateway

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// popEncode is the RFC 3986 percent-encoding that Alibaba's signature v1 uses:
// only A-Z a-z 0-9 - _ . ~ stay as they are, a space becomes %20.
func popEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// StringToSign builds the signature v1 string to sign for an RPC request: every parameter
// except Signature, sorted by name, encoded and joined, then prefixed with the method and "/".
// It is exported so tests can sign raw requests with an implementation that is not the SDK's.
func StringToSign(method string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = popEncode(k) + "=" + popEncode(params[k])
	}
	return method + "&" + popEncode("/") + "&" + popEncode(strings.Join(parts, "&"))
}

// Sign returns the signature v1 value: base64(HMAC-SHA1(secret + "&", stringToSign)).
func Sign(stringToSign, secret string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signatureMatches compares in constant time.
func signatureMatches(got, want string) bool {
	return hmac.Equal([]byte(got), []byte(want))
}

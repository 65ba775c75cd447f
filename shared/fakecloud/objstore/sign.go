package objstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// This file holds the signature algorithms, written from the vendors' published descriptions:
//   - OSS V4: https://www.alibabacloud.com/help/en/oss/developer-reference/recommend-to-use-signature-version-4
//   - AWS SigV4 for S3: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html

const (
	ossV4Algorithm   = "OSS4-HMAC-SHA256"
	ossV4Terminator  = "aliyun_v4_request"
	awsV4Algorithm   = "AWS4-HMAC-SHA256"
	awsV4Terminator  = "aws4_request"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	amzDateLayout    = "20060102T150405Z"
	streamingTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// uriEncode percent-encodes every byte except the RFC 3986 unreserved characters (and '/' when
// keepSlash is set), with upper-case hex, as both vendors specify.
func uriEncode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// queryPair is one decoded query parameter, re-encoded for a canonical query string.
type queryPair struct{ key, value string }

// canonicalQueryPairs decodes a raw query string ('+' meaning space) and re-encodes every name and
// value with uriEncode, sorted by encoded name, then value.
func canonicalQueryPairs(rawQuery string) []queryPair {
	var pairs []queryPair
	for _, part := range strings.Split(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		pairs = append(pairs, queryPair{uriEncode(k, false), uriEncode(v, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].key != pairs[j].key {
			return pairs[i].key < pairs[j].key
		}
		return pairs[i].value < pairs[j].value
	})
	return pairs
}

// headerValues returns the values of the lower-case header name as the client sent them; Go moves
// Host and Content-Length out of r.Header.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		return []string{r.Host}
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	}
	return r.Header.Values(name)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// authFields parses "ALG k1=v1,k2=v2" (spaces after commas allowed) into a map.
func authFields(auth, algorithm string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(auth, algorithm+" ")
	if !ok {
		return nil, false
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, false
		}
		fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return fields, true
}

// credentialScope is the parsed "ak/date/region/service/terminator" Credential field.
type credentialScope struct {
	accessKeyID, date, region, service, terminator string
}

func (c credentialScope) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + c.terminator
}

func parseCredential(v string) (credentialScope, bool) {
	parts := strings.Split(v, "/")
	n := len(parts)
	if n < 5 {
		return credentialScope{}, false
	}
	c := credentialScope{
		accessKeyID: strings.Join(parts[:n-4], "/"),
		date:        parts[n-4],
		region:      parts[n-3],
		service:     parts[n-2],
		terminator:  parts[n-1],
	}
	if c.accessKeyID == "" || len(c.date) != 8 || c.region == "" {
		return credentialScope{}, false
	}
	return c, true
}

// --- OSS V4 ---

// ossIsDefaultSigned reports whether OSS V4 always signs the (lower-case) header.
func ossIsDefaultSigned(name string) bool {
	return strings.HasPrefix(name, "x-oss-") || name == "content-type" || name == "content-md5"
}

// ossCanonicalRequest builds the OSS V4 canonical request. The canonical URI is "/" for service
// requests, "/bucket/" for bucket requests and "/bucket/key" for object requests; additional is
// the AdditionalHeaders list (lower-case).
func ossCanonicalRequest(r *http.Request, bucket, key string, additional []string) string {
	uri := "/"
	if bucket != "" {
		uri += bucket + "/" + key
	}

	var q strings.Builder
	for _, p := range canonicalQueryPairs(r.URL.RawQuery) {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(p.key)
		if p.value != "" {
			q.WriteString("=" + p.value)
		}
	}

	signed := map[string]bool{}
	for name := range r.Header {
		if low := strings.ToLower(name); ossIsDefaultSigned(low) {
			signed[low] = true
		}
	}
	for _, name := range additional {
		if !ossIsDefaultSigned(name) {
			signed[name] = true
		}
	}
	names := make([]string, 0, len(signed))
	for name := range signed {
		names = append(names, name)
	}
	sort.Strings(names)
	var h strings.Builder
	for _, name := range names {
		values := headerValues(r, name)
		for i, v := range values {
			values[i] = strings.TrimSpace(v)
		}
		h.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}

	payload := r.Header.Get("x-oss-content-sha256")
	if payload == "" {
		payload = unsignedPayload
	}
	return strings.Join([]string{
		r.Method, uriEncode(uri, true), q.String(), h.String(), strings.Join(additional, ";"), payload,
	}, "\n")
}

// ossStringToSign builds the OSS V4 string to sign.
func ossStringToSign(datetime, scope, canonicalRequest string) string {
	return ossV4Algorithm + "\n" + datetime + "\n" + scope + "\n" + sha256Hex(canonicalRequest)
}

// ossSignature derives the OSS V4 signing key from secret and signs stringToSign (lower-case hex).
func ossSignature(secret, date, region, product, stringToSign string) string {
	k := hmacSHA256([]byte("aliyun_v4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, product)
	k = hmacSHA256(k, ossV4Terminator)
	return hex.EncodeToString(hmacSHA256(k, stringToSign))
}

// --- AWS SigV4 (S3 flavour: the path is encoded once, not normalised) ---

// awsCanonicalRequest builds the SigV4 canonical request for the signed headers (lower-case, sorted).
func awsCanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	var q strings.Builder
	for _, p := range canonicalQueryPairs(r.URL.RawQuery) {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(p.key + "=" + p.value)
	}
	var h strings.Builder
	for _, name := range signedHeaders {
		values := headerValues(r, name)
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		h.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	return strings.Join([]string{
		r.Method, uriEncode(path, true), q.String(), h.String(), strings.Join(signedHeaders, ";"), payloadHash,
	}, "\n")
}

// awsStringToSign builds the SigV4 string to sign.
func awsStringToSign(amzDate, scope, canonicalRequest string) string {
	return awsV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonicalRequest)
}

// awsSignature derives the SigV4 signing key from secret and signs stringToSign (lower-case hex).
func awsSignature(secret, date, region, service, stringToSign string) string {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, awsV4Terminator)
	return hex.EncodeToString(hmacSHA256(k, stringToSign))
}

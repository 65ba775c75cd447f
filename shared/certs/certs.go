// Package certs parses, validates and normalises a TLS certificate, its chain and its private key.
package certs

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
)

// Size and count limits applied by Parse and ParseCombined.
const (
	MaxCertificateBytes = 65536 // certificate or chain input
	MaxKeyBytes         = 16384 // private key input
	MaxCertificates     = 11    // leaf and up to 10 intermediates (Huawei ELB's limit)
)

// Bundle is a parsed certificate with its chain and private key.
type Bundle struct {
	Leaf          *x509.Certificate
	Intermediates []*x509.Certificate // nearest first
	Key           crypto.Signer
	// CertificatePEM is the leaf then the intermediates, normalised: one PEM block each,
	// 64-character base64 lines, LF endings, no blank lines, no text outside blocks, trailing newline.
	CertificatePEM string
	// PrivateKeyPEM is the key in traditional form: RSA as PKCS#1 "RSA PRIVATE KEY",
	// ECDSA as SEC1 "EC PRIVATE KEY" (Alibaba SLB demands PKCS#1 for RSA).
	PrivateKeyPEM string
}

// Info is the public description of a certificate, as the report shows it.
type Info struct {
	Name              string   `json:"name,omitempty"`
	CommonName        string   `json:"common_name"`
	DNSNames          []string `json:"dns_names"`
	Serial            string   `json:"serial"` // lower-case hex
	FingerprintSHA256 string   `json:"fingerprint_sha256"`
	NotBefore         string   `json:"not_before"` // RFC 3339 UTC
	NotAfter          string   `json:"not_after"`  // RFC 3339 UTC
	Issuer            string   `json:"issuer"`     // issuer CN, or the full DN when it has no CN
}

// Error is a bad certificate or key: Field is "certificate", "private_key" or "chain".
// Its message never holds key material or PEM text.
type Error struct {
	Field  string
	Reason string
	err    error // wrapped sentinel, if any
}

// Error returns Field + ": " + Reason.
func (e *Error) Error() string { return e.Field + ": " + e.Reason }

// Unwrap returns the sentinel the error wraps (ErrKeyMismatch), or nil.
func (e *Error) Unwrap() error { return e.err }

// ErrKeyMismatch means the private key does not belong to the leaf certificate.
// It is wrapped by the *Error that Validate returns. Callers reading from a bucket
// treat it as "the other file is still uploading".
var ErrKeyMismatch = errors.New("private key does not match the certificate")

// Field names used in Error.Field.
const (
	FieldCertificate = "certificate"
	FieldPrivateKey  = "private_key"
	FieldChain       = "chain"
)

func newError(field, reason string) *Error { return &Error{Field: field, Reason: reason} }

// Info describes the leaf certificate; Name is left empty for the caller to fill.
func (b *Bundle) Info() Info {
	leaf := b.Leaf
	issuer := leaf.Issuer.CommonName
	if issuer == "" {
		issuer = leaf.Issuer.String()
	}
	return Info{
		CommonName:        leaf.Subject.CommonName,
		DNSNames:          b.DNSNames(),
		Serial:            leaf.SerialNumber.Text(16),
		FingerprintSHA256: b.FingerprintSHA256(),
		NotBefore:         leaf.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:          leaf.NotAfter.UTC().Format(time.RFC3339),
		Issuer:            issuer,
	}
}

// FingerprintSHA1 is the SHA-1 of the leaf's DER as lower-case colon-separated hex, as SLB shows it.
func (b *Bundle) FingerprintSHA1() string { return FingerprintSHA1(b.Leaf.Raw) }

// FingerprintSHA256 is the SHA-256 of the leaf's DER as lower-case hex without colons.
func (b *Bundle) FingerprintSHA256() string {
	sum := sha256.Sum256(b.Leaf.Raw)
	return hex.EncodeToString(sum[:])
}

// FingerprintSHA1 is the SHA-1 of der as lower-case colon-separated hex ("68:08:1a:...").
func FingerprintSHA1(der []byte) string {
	sum := sha1.Sum(der)
	var sb strings.Builder
	sb.Grow(len(sum)*3 - 1)
	for i, c := range sum {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// NormalizeFingerprint strips a "SHA1 Fingerprint=" style prefix, colons and white space,
// and lower-cases the rest, so fingerprints from different clouds compare equal.
func NormalizeFingerprint(s string) string {
	if i := strings.LastIndexByte(s, '='); i >= 0 {
		s = s[i+1:]
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ':', ' ', '\t', '\r', '\n':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// DNSNames returns the leaf's SAN DNS names, lower-cased and deduplicated; when it has none,
// its CommonName if that looks like a DNS name. The result is never nil.
func (b *Bundle) DNSNames() []string {
	names := make([]string, 0, len(b.Leaf.DNSNames))
	seen := make(map[string]bool, len(b.Leaf.DNSNames))
	for _, n := range b.Leaf.DNSNames {
		n = strings.ToLower(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		names = append(names, n)
	}
	if len(names) == 0 {
		if cn := strings.ToLower(b.Leaf.Subject.CommonName); isDNSName(cn) {
			names = append(names, cn)
		}
	}
	return names
}

// CoversAll reports whether the certificate covers every one of names (see Covers);
// it is true for an empty list.
func (b *Bundle) CoversAll(names []string) bool {
	held := b.DNSNames()
	for _, n := range names {
		if !Covers(held, n) {
			return false
		}
	}
	return true
}

// Covers reports whether a certificate holding the names held covers name,
// case-insensitively: name is held exactly, or held has "*.parent" and name is exactly one
// label under parent. A wildcard name is covered only by holding the same wildcard.
func Covers(held []string, name string) bool {
	name = canonicalName(name)
	if name == "" {
		return false
	}
	wildName := strings.HasPrefix(name, "*.")
	for _, h := range held {
		h = canonicalName(h)
		if h == "" {
			continue
		}
		if h == name {
			return true
		}
		if wildName {
			continue
		}
		parent, ok := strings.CutPrefix(h, "*.")
		if !ok || parent == "" {
			continue
		}
		label, ok := strings.CutSuffix(name, "."+parent)
		if ok && label != "" && !strings.ContainsAny(label, ".*") {
			return true
		}
	}
	return false
}

// NormalizeNames is names as clouds list them made comparable: each lower-cased, trimmed and
// without a trailing dot, empty ones dropped, each once, in their order.
func NormalizeNames(names []string) []string {
	var out []string
	for _, n := range names {
		if n = canonicalName(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// canonicalName lower-cases a DNS name and drops one trailing dot.
func canonicalName(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// isDNSName reports whether s (lower-case) looks like a host name with at least two labels,
// optionally a wildcard "*." in front.
func isDNSName(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

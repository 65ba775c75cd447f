package elbfake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Limits of ELB v3 certificates.
const (
	// MaxCertificateLength is the longest `certificate` accepted, in characters. The current
	// vendor API pages say 65536; the hw-sdk v0.1.207 model comments still say 20000.
	MaxCertificateLength = 65536
	// MaxPrivateKeyLength is the longest `private_key` accepted, in characters.
	MaxPrivateKeyLength = 8192
	// MaxChainLength is the most certificates one `certificate` field may hold (leaf included).
	MaxChainLength = 11
	// DefaultCertificateQuota is the default number of certificates per project.
	DefaultCertificateQuota = 120
	// maxDomains and maxDomainLength bound a certificate's `domain`. The hw-sdk v0.1.207 model
	// comments (model_create_certificate_option.go Domain) and the current pages say 100 names
	// and 10000 characters; the Huawei EU API reference
	// (support.huaweicloud.com/eu/api-elb/ShowCertificate.html) and the white-label reference
	// (opentelekomcloud-docs/load-balancer api-ref/source/apis_v3/certificate/*.rst) say "0 to
	// 1024 characters ... A maximum of 30 domain names". The emulator keeps the stricter limits.
	maxDomains      = 30
	maxDomainLength = 1024
	maxSNIDomains   = 200
	maxNameLength   = 255
)

// parsedCert is what the emulator keeps from a validated certificate PEM.
type parsedCert struct {
	leaf  *x509.Certificate
	chain int
}

// parseCertPEM checks a `certificate` value: length, PEM, at most MaxChainLength certificates.
func parseCertPEM(certPEM string) (*parsedCert, *APIError) {
	if strings.TrimSpace(certPEM) == "" {
		return nil, errInvalid("Invalid input for certificate: the certificate is required.")
	}
	if n := utf8.RuneCountInString(certPEM); n > MaxCertificateLength {
		return nil, errInvalid("Invalid input for certificate: %d characters, at most %d are allowed.", n, MaxCertificateLength)
	}
	blocks, detail := pemBlocks(certPEM)
	if detail != "" {
		return nil, errInvalidCert("certificate: " + detail)
	}
	if len(blocks) > MaxChainLength {
		return nil, errInvalidCert(fmt.Sprintf("certificate: %d certificates, a chain holds at most %d", len(blocks), MaxChainLength))
	}
	var leaf *x509.Certificate
	for i, b := range blocks {
		if b.Type != "CERTIFICATE" {
			return nil, errInvalidCert(fmt.Sprintf("certificate: block %d is %q, want CERTIFICATE", i+1, b.Type))
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, errInvalidCert(fmt.Sprintf("certificate %d: %v", i+1, err))
		}
		if i == 0 {
			leaf = c
		}
	}
	return &parsedCert{leaf: leaf, chain: len(blocks)}, nil
}

// parseKeyPEM checks a `private_key` value: length, one unencrypted RSA, ECDSA or Ed25519 key.
func parseKeyPEM(keyPEM string) (crypto.Signer, *APIError) {
	if n := utf8.RuneCountInString(keyPEM); n > MaxPrivateKeyLength {
		return nil, errInvalid("Invalid input for private_key: %d characters, at most %d are allowed.", n, MaxPrivateKeyLength)
	}
	blocks, detail := pemBlocks(keyPEM)
	if detail != "" {
		return nil, errInvalidCert("private_key: " + detail)
	}
	var keyBlocks []*pem.Block
	for _, b := range blocks {
		if b.Type != "EC PARAMETERS" {
			keyBlocks = append(keyBlocks, b)
		}
	}
	if len(keyBlocks) != 1 {
		return nil, errInvalidCert(fmt.Sprintf("private_key: want one key block, got %d", len(keyBlocks)))
	}
	b := keyBlocks[0]
	if strings.Contains(b.Type, "ENCRYPTED") || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, errInvalidCert("private_key: encrypted keys are not accepted")
	}
	var (
		key any
		err error
	)
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, errInvalidCert(fmt.Sprintf("private_key: unsupported PEM type %q", b.Type))
	}
	if err != nil {
		return nil, errInvalidCert("private_key: " + err.Error())
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, errInvalidCert(fmt.Sprintf("private_key: unsupported key type %T", key))
}

// checkPair validates a certificate and, when keyPEM is not empty, that the key matches its leaf.
func checkPair(certPEM, keyPEM string) (*parsedCert, *APIError) {
	pc, e := parseCertPEM(certPEM)
	if e != nil {
		return nil, e
	}
	if keyPEM == "" {
		return pc, nil
	}
	key, e := parseKeyPEM(keyPEM)
	if e != nil {
		return nil, e
	}
	pub, ok := pc.leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, errInvalidCert("the private key does not match the certificate")
	}
	return pc, nil
}

// pemBlocks splits s into PEM blocks and refuses text outside them.
func pemBlocks(s string) ([]*pem.Block, string) {
	rest := strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	var blocks []*pem.Block
	for rest != "" {
		if !strings.HasPrefix(rest, "-----BEGIN ") {
			return nil, "text outside PEM blocks"
		}
		b, after := pem.Decode([]byte(rest))
		if b == nil {
			return nil, "malformed PEM block"
		}
		blocks = append(blocks, b)
		rest = strings.TrimSpace(string(after))
	}
	if len(blocks) == 0 {
		return nil, "no PEM block"
	}
	return blocks, ""
}

// Fingerprint is the SHA-1 of a certificate's DER in lower-case colon-separated hex, the
// format the emulator answers in `fingerprint` and matches ?fingerprint= against (exactly). The
// real format is undocumented; clients should not depend on it.
func Fingerprint(der []byte) string {
	sum := sha1.Sum(der)
	h := hex.EncodeToString(sum[:])
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

var domainRule = regexp.MustCompile(`^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// splitDomains validates a `domain` value (comma-separated names, ≤30, ≤1024 characters) and
// returns its names in lower case.
func splitDomains(domain string) ([]string, *APIError) {
	if domain == "" {
		return nil, nil
	}
	if len(domain) > maxDomainLength {
		return nil, errInvalid("Invalid input for domain: at most %d characters.", maxDomainLength)
	}
	names := strings.Split(domain, ",")
	if len(names) > maxDomains {
		return nil, errInvalid("Invalid input for domain: at most %d domain names.", maxDomains)
	}
	for i, n := range names {
		if !domainRule.MatchString(n) {
			return nil, errInvalid("Invalid input for domain: %q is not a domain name or wildcard domain name.", n)
		}
		names[i] = strings.ToLower(n)
	}
	return names, nil
}

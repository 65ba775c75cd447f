package slbfake

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
)

// parsedUpload is a validated certificate chain and key, as UploadServerCertificate stores them.
type parsedUpload struct {
	chain     []*x509.Certificate // leaf first
	algorithm string              // "RSA" (the only algorithm CLB accepts)
	keyLength int
}

// nameRule is SLB's rule for server certificate names: 1–80 characters, a letter first,
// then letters, digits, ".", "_" or "-".
var nameRule = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]{0,79}$`)

func validName(name string) *APIError {
	if !nameRule.MatchString(name) {
		return errInvalidParam("The specified parameter ServerCertificateName is not valid. " +
			"(fakecloud: 1-80 characters, a letter first, then letters, digits, '.', '_' or '-')")
	}
	return nil
}

// certRequirementsDoc is Alibaba's page on what CLB accepts as a server certificate.
const certRequirementsDoc = "https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/certificate-requirements-and-certificate-format-conversion"

// parseUpload validates what UploadServerCertificate receives the way SLB documents it
// (certRequirementsDoc): PEM certificates, leaf first, each signed by the next, no blank lines;
// an RSA leaf ("CLB supports RSA certificates only. ECDSA (Elliptic Curve) certificates are not
// supported"); an unencrypted PKCS#1 key ("CLB requires unencrypted PKCS#1 format private keys",
// PKCS#8 must be converted first) that matches the leaf. An older revision of the page (docs
// mirror github.com/AlibabaCloudDocs/slb, "Certificate requirements.md", 2021) allowed EC keys
// in eu-west-1 only; the current page allows them nowhere, and so does the emulator (the stricter
// reading). The exact error code of the refusal is not published: the emulator answers the
// documented ServerCertificate / key format error (400), which callers must treat as permanent.
// It parses with crypto/x509 only, on purpose independent of the project's own validator.
func parseUpload(certPEM, keyPEM string) (*parsedUpload, *APIError) {
	if strings.TrimSpace(certPEM) == "" || strings.TrimSpace(keyPEM) == "" {
		return nil, errCertOrKeyEmpty()
	}
	if detail := checkLines(certPEM); detail != "" {
		return nil, errCertFormat(detail)
	}
	blocks, detail := pemBlocks(certPEM)
	if detail != "" {
		return nil, errCertFormat(detail)
	}
	var chain []*x509.Certificate
	for i, b := range blocks {
		if b.Type != "CERTIFICATE" {
			return nil, errCertFormat(fmt.Sprintf("block %d is %q, want CERTIFICATE", i+1, b.Type))
		}
		if len(b.Headers) > 0 {
			return nil, errCertFormat(fmt.Sprintf("block %d has PEM headers", i+1))
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, errCertFormat(fmt.Sprintf("certificate %d: %v", i+1, err))
		}
		chain = append(chain, c)
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
			return nil, errCertFormat(fmt.Sprintf("certificate %d is not signed by certificate %d (leaf first, then its issuers): %v", i+1, i+2, err))
		}
	}

	if _, rsaLeaf := chain[0].PublicKey.(*rsa.PublicKey); !rsaLeaf {
		return nil, errCertFormat(fmt.Sprintf("the leaf's public key is %s; CLB supports RSA certificates only (%s)",
			chain[0].PublicKeyAlgorithm, certRequirementsDoc))
	}
	if detail := checkLines(keyPEM); detail != "" {
		return nil, errKeyFormat(detail)
	}
	key, apiErr := parseKey(keyPEM)
	if apiErr != nil {
		return nil, apiErr
	}
	leaf := chain[0]
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return nil, errCertFormat("unsupported public key type")
	}
	if !pub.Equal(key.Public()) {
		return nil, errCertKeyMismatch()
	}
	return &parsedUpload{chain: chain, algorithm: "RSA", keyLength: leaf.PublicKey.(*rsa.PublicKey).N.BitLen()}, nil
}

// checkLines rejects blank lines and stray whitespace inside a PEM text; CRLF endings are accepted.
func checkLines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for i, line := range strings.Split(strings.Trim(s, "\n"), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			return fmt.Sprintf("line %d is blank; remove blank lines", i+1)
		case !strings.HasPrefix(line, "-----") && strings.ContainsAny(line, " \t"):
			return fmt.Sprintf("line %d contains whitespace", i+1)
		}
	}
	return ""
}

// pemBlocks splits s into PEM blocks and refuses text outside them.
func pemBlocks(s string) ([]*pem.Block, string) {
	rest := []byte(strings.ReplaceAll(s, "\r\n", "\n"))
	var blocks []*pem.Block
	for {
		trimmed := strings.TrimSpace(string(rest))
		if trimmed == "" {
			break
		}
		if !strings.HasPrefix(trimmed, "-----BEGIN ") {
			return nil, "text outside PEM blocks"
		}
		var b *pem.Block
		b, rest = pem.Decode([]byte(trimmed))
		if b == nil {
			return nil, "malformed PEM block"
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 {
		return nil, "no PEM block"
	}
	return blocks, ""
}

func parseKey(s string) (crypto.Signer, *APIError) {
	blocks, detail := pemBlocks(s)
	if detail != "" {
		return nil, errKeyFormat(detail)
	}
	if len(blocks) != 1 {
		return nil, errKeyFormat(fmt.Sprintf("want exactly one private key block, got %d", len(blocks)))
	}
	b := blocks[0]
	if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, errKeyEncrypted()
	}
	// certRequirementsDoc: PKCS#1 only; a PKCS#8 key must first be converted (`openssl rsa`),
	// and EC keys are not supported.
	switch b.Type {
	case "RSA PRIVATE KEY":
	case "PRIVATE KEY":
		return nil, errKeyFormat("a PKCS#8 key (BEGIN PRIVATE KEY); CLB requires an unencrypted PKCS#1 key (BEGIN RSA PRIVATE KEY), see " + certRequirementsDoc)
	case "EC PRIVATE KEY":
		return nil, errKeyFormat("an EC key (BEGIN EC PRIVATE KEY); CLB supports RSA keys only, see " + certRequirementsDoc)
	default:
		return nil, errKeyFormat(fmt.Sprintf("unsupported PEM type %q", b.Type))
	}
	key, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		return nil, errKeyFormat(err.Error())
	}
	return key, nil
}

// fingerprint is SLB's Fingerprint: SHA-1 of the leaf DER, lower-case colon-separated hex.
func fingerprint(der []byte) string {
	sum := sha1.Sum(der)
	h := hex.EncodeToString(sum[:])
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

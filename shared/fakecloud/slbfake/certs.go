package slbfake

import (
	"crypto"
	"crypto/ecdsa"
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
	algorithm string              // "RSA" or "ECC"
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

// parseUpload validates what UploadServerCertificate receives the way SLB documents it:
// PEM certificates, leaf first, each signed by the next, no blank lines; an unencrypted
// PKCS#1, PKCS#8 or SEC1 key that matches the leaf. It parses with crypto/x509 only, on purpose
// independent of the project's own validator.
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
	p := &parsedUpload{chain: chain}
	switch k := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		p.algorithm, p.keyLength = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		p.algorithm, p.keyLength = "ECC", k.Curve.Params().BitSize
	default:
		return nil, errCertFormat(fmt.Sprintf("unsupported public key type %T", leaf.PublicKey))
	}
	return p, nil
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
	var keyBlocks []*pem.Block
	for _, b := range blocks {
		if b.Type == "EC PARAMETERS" { // what `openssl ecparam -genkey` prints before the key
			continue
		}
		keyBlocks = append(keyBlocks, b)
	}
	if len(keyBlocks) != 1 {
		return nil, errKeyFormat(fmt.Sprintf("want exactly one private key block, got %d", len(keyBlocks)))
	}
	b := keyBlocks[0]
	if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, errKeyEncrypted()
	}
	var (
		key any
		err error
	)
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, errKeyFormat(fmt.Sprintf("unsupported PEM type %q", b.Type))
	}
	if err != nil {
		return nil, errKeyFormat(err.Error())
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	}
	return nil, errKeyFormat(fmt.Sprintf("unsupported key type %T (RSA or ECDSA only)", key))
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

package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"strings"
)

// Parse parses a certificate (leaf first, optionally followed by intermediates), its private
// key and an optional chain of intermediates not already in certificate; a certificate that
// is already present is dropped. It checks structure only; call Validate before use.
// Every error is a *Error.
func Parse(certificate, privateKey, chain []byte) (*Bundle, error) {
	certBlocks, err := readBlocks(FieldCertificate, certificate, MaxCertificateBytes)
	if err != nil {
		return nil, err
	}
	if len(certBlocks) == 0 {
		return nil, newError(FieldCertificate, "no PEM certificate found")
	}
	certs, err := parseCertificates(FieldCertificate, certBlocks)
	if err != nil {
		return nil, err
	}

	var extra []*x509.Certificate
	if len(bytes.TrimSpace(chain)) > 0 {
		chainBlocks, err := readBlocks(FieldChain, chain, MaxCertificateBytes)
		if err != nil {
			return nil, err
		}
		if len(chainBlocks) == 0 {
			return nil, newError(FieldChain, "no PEM certificate found")
		}
		extra, err = parseCertificates(FieldChain, chainBlocks)
		if err != nil {
			return nil, err
		}
	}

	keyBlocks, err := readBlocks(FieldPrivateKey, privateKey, MaxKeyBytes)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyBlocks)
	if err != nil {
		return nil, err
	}
	return assemble(certs, extra, key)
}

// ParseCombined parses one PEM blob holding a private key and certificates in any order
// (leaf first among the certificates). Every error is a *Error.
func ParseCombined(pemBytes []byte) (*Bundle, error) {
	blocks, err := readBlocks(FieldCertificate, pemBytes, MaxCertificateBytes+MaxKeyBytes)
	if err != nil {
		return nil, err
	}
	var certBlocks, keyBlocks []*pem.Block
	for _, b := range blocks {
		switch classify(b.Type) {
		case kindKey, kindECParams:
			keyBlocks = append(keyBlocks, b)
		default:
			certBlocks = append(certBlocks, b)
		}
	}
	if len(certBlocks) == 0 {
		return nil, newError(FieldCertificate, "no PEM certificate found")
	}
	certs, err := parseCertificates(FieldCertificate, certBlocks)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyBlocks)
	if err != nil {
		return nil, err
	}
	return assemble(certs, nil, key)
}

// assemble deduplicates the certificates, checks the structural rules and normalises the PEM.
func assemble(certs, extra []*x509.Certificate, key crypto.Signer) (*Bundle, error) {
	all := make([]*x509.Certificate, 0, len(certs)+len(extra))
	seen := make(map[string]bool, len(certs)+len(extra))
	for _, c := range append(certs, extra...) {
		if seen[string(c.Raw)] {
			continue
		}
		seen[string(c.Raw)] = true
		all = append(all, c)
	}
	if len(all) > MaxCertificates {
		field := FieldCertificate
		if len(extra) > 0 {
			field = FieldChain
		}
		return nil, newError(field, fmt.Sprintf("has %d certificates in total; at most %d (the leaf and %d intermediates) are allowed",
			len(all), MaxCertificates, MaxCertificates-1))
	}
	leaf := all[0]
	if leaf.BasicConstraintsValid && leaf.IsCA {
		return nil, newError(FieldCertificate, fmt.Sprintf("the first certificate (%s) is a CA certificate, not a server certificate; the leaf must come first",
			describe(leaf)))
	}

	var certPEM strings.Builder
	for _, c := range all {
		certPEM.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	return &Bundle{
		Leaf:           leaf,
		Intermediates:  all[1:],
		Key:            key,
		CertificatePEM: certPEM.String(),
		PrivateKeyPEM:  keyPEM,
	}, nil
}

func encodeKey(key crypto.Signer) (string, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})), nil
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", newError(FieldPrivateKey, "ECDSA key cannot be encoded in SEC1 form (unsupported curve)")
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})), nil
	}
	return "", newError(FieldPrivateKey, "unsupported key type; use RSA or ECDSA")
}

// readBlocks splits input into PEM blocks. It accepts CRLF, surrounding white space, blank
// lines and text outside blocks; it rejects NUL bytes, over-size input and broken blocks.
// Empty input yields no blocks and no error.
func readBlocks(field string, data []byte, limit int) ([]*pem.Block, error) {
	if len(data) > limit {
		return nil, newError(field, fmt.Sprintf("is too large (%d bytes; at most %d)", len(data), limit))
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, newError(field, "contains NUL bytes; is it binary DER rather than PEM text?")
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")

	var blocks []*pem.Block
	var body strings.Builder
	typ := ""
	inBlock := false
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.Trim(line, " \t\v\f")
		if !inBlock {
			switch {
			case strings.HasPrefix(line, "-----BEGIN"):
				t, ok := blockLabel(line, "-----BEGIN ")
				if !ok {
					return nil, newError(field, fmt.Sprintf("PEM block %d has a malformed BEGIN line", len(blocks)+1))
				}
				typ, inBlock = t, true
				body.Reset()
				body.WriteString(line + "\n")
			case strings.HasPrefix(line, "-----END"):
				return nil, newError(field, "has a PEM END line without a matching BEGIN line")
			}
			continue
		}
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "-----BEGIN"):
			return nil, newError(field, fmt.Sprintf("PEM block %d (%s) has no END line", len(blocks)+1, describeType(typ)))
		case strings.HasPrefix(line, "-----END"):
			if t, ok := blockLabel(line, "-----END "); !ok || t != typ {
				return nil, newError(field, fmt.Sprintf("PEM block %d (%s) has a mismatched END line", len(blocks)+1, describeType(typ)))
			}
			body.WriteString(line + "\n")
			b, rest := pem.Decode([]byte(body.String()))
			if b == nil || len(bytes.TrimSpace(rest)) != 0 || b.Type != typ {
				return nil, newError(field, fmt.Sprintf("PEM block %d (%s) cannot be decoded (bad base64 or headers)", len(blocks)+1, describeType(typ)))
			}
			blocks = append(blocks, b)
			inBlock = false
		default:
			body.WriteString(line + "\n")
		}
	}
	if inBlock {
		return nil, newError(field, fmt.Sprintf("PEM block %d (%s) has no END line", len(blocks)+1, describeType(typ)))
	}
	return blocks, nil
}

// blockLabel extracts the type from "-----BEGIN TYPE-----" (prefix "-----BEGIN ").
func blockLabel(line, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return "", false
	}
	t, ok := strings.CutSuffix(rest, "-----")
	if !ok || t == "" || strings.Contains(t, "-----") {
		return "", false
	}
	return t, true
}

type blockKind int

const (
	kindOther blockKind = iota
	kindCert
	kindKey
	kindECParams
	kindCSR
	kindPublicKey
)

func classify(typ string) blockKind {
	switch {
	case typ == "CERTIFICATE":
		return kindCert
	case typ == "EC PARAMETERS":
		return kindECParams
	case strings.HasSuffix(typ, "PRIVATE KEY"):
		return kindKey
	case strings.HasSuffix(typ, "CERTIFICATE REQUEST"):
		return kindCSR
	case strings.HasSuffix(typ, "PUBLIC KEY"):
		return kindPublicKey
	}
	return kindOther
}

// describeType names a PEM block type for an error message without echoing arbitrary
// input: key types are described in lower case and odd labels are not repeated.
func describeType(typ string) string {
	switch classify(typ) {
	case kindCert:
		return "CERTIFICATE"
	case kindKey:
		return "a private key"
	case kindCSR:
		return "a certificate signing request"
	case kindPublicKey:
		return "a public key"
	case kindECParams:
		return "EC PARAMETERS"
	}
	if len(typ) > 32 || strings.Contains(typ, "PRIVATE") {
		return "an unrecognised block type"
	}
	for i := 0; i < len(typ); i++ {
		c := typ[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '.' || c == '_') {
			return "an unrecognised block type"
		}
	}
	return fmt.Sprintf("%q", typ)
}

// parseCertificates parses blocks that must all be certificates.
func parseCertificates(field string, blocks []*pem.Block) ([]*x509.Certificate, error) {
	certs := make([]*x509.Certificate, 0, len(blocks))
	for i, b := range blocks {
		switch classify(b.Type) {
		case kindCert:
		case kindCSR:
			return nil, newError(field, "is a certificate signing request, not a certificate")
		case kindKey, kindECParams:
			return nil, newError(field, "holds a private key, not a certificate; the key belongs in private_key")
		case kindPublicKey:
			return nil, newError(field, "holds a public key, not a certificate")
		default:
			return nil, newError(field, fmt.Sprintf("PEM block %d has unexpected type %s; want CERTIFICATE", i+1, describeType(b.Type)))
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, newError(field, fmt.Sprintf("certificate %d cannot be parsed: %v", i+1, err))
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// parseKey finds the single private key among blocks and parses it.
func parseKey(blocks []*pem.Block) (crypto.Signer, error) {
	var key *pem.Block
	n := 0
	for i, b := range blocks {
		switch classify(b.Type) {
		case kindKey:
			n++
			if key == nil {
				key = b
			}
		case kindECParams:
		case kindCert:
			return nil, newError(FieldPrivateKey, "holds a certificate, not a private key; the certificate belongs in certificate")
		case kindCSR:
			return nil, newError(FieldPrivateKey, "is a certificate signing request, not a private key")
		case kindPublicKey:
			return nil, newError(FieldPrivateKey, "holds a public key, not a private key")
		default:
			return nil, newError(FieldPrivateKey, fmt.Sprintf("PEM block %d has unexpected type %s; want a private key", i+1, describeType(b.Type)))
		}
	}
	switch {
	case n == 0:
		return nil, newError(FieldPrivateKey, "no PEM private key found")
	case n > 1:
		return nil, newError(FieldPrivateKey, fmt.Sprintf("holds %d private keys; provide exactly one", n))
	}
	if key.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(key.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, newError(FieldPrivateKey, "is encrypted; provide an unencrypted key")
	}

	var parsed any
	var err error
	switch key.Type {
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(key.Bytes)
		if err != nil {
			return nil, newError(FieldPrivateKey, fmt.Sprintf("is not a valid PKCS#1 RSA key: %v", err))
		}
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(key.Bytes)
		if err != nil {
			return nil, newError(FieldPrivateKey, fmt.Sprintf("is not a valid SEC1 EC key: %v", err))
		}
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(key.Bytes)
		if err != nil {
			if alg := pkcs8Algorithm(key.Bytes); alg != "" {
				return nil, newError(FieldPrivateKey, fmt.Sprintf("unsupported key type (%s); use RSA or ECDSA", alg))
			}
			return nil, newError(FieldPrivateKey, fmt.Sprintf("is not a valid PKCS#8 key: %v", err))
		}
	case "DSA PRIVATE KEY":
		return nil, newError(FieldPrivateKey, "unsupported key type (DSA); use RSA or ECDSA")
	case "OPENSSH PRIVATE KEY":
		return nil, newError(FieldPrivateKey, "is in OpenSSH format; provide a PEM (PKCS#1, PKCS#8 or SEC1) key")
	default:
		return nil, newError(FieldPrivateKey, "has an unsupported PEM key type; want PKCS#1, PKCS#8 or SEC1")
	}

	switch k := parsed.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return nil, newError(FieldPrivateKey, "unsupported key type (Ed25519); use RSA or ECDSA")
	}
	return nil, newError(FieldPrivateKey, fmt.Sprintf("unsupported key type (%s); use RSA or ECDSA", keyTypeName(parsed)))
}

var unsupportedKeyOIDs = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}, "DSA"},
	{asn1.ObjectIdentifier{1, 3, 101, 110}, "X25519"},
	{asn1.ObjectIdentifier{1, 3, 101, 111}, "X448"},
	{asn1.ObjectIdentifier{1, 3, 101, 112}, "Ed25519"},
	{asn1.ObjectIdentifier{1, 3, 101, 113}, "Ed448"},
}

// pkcs8Algorithm names a known but unsupported algorithm in a PKCS#8 structure, or "".
func pkcs8Algorithm(der []byte) string {
	var p struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if _, err := asn1.Unmarshal(der, &p); err != nil {
		return ""
	}
	for _, u := range unsupportedKeyOIDs {
		if p.Algo.Algorithm.Equal(u.oid) {
			return u.name
		}
	}
	return ""
}

// keyTypeName describes a public or private key without its value.
func keyTypeName(k any) string {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PrivateKey:
		return "ECDSA " + k.Curve.Params().Name
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", k)
}

// describe names a certificate for error messages by its subject (public information).
func describe(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	if s := c.Subject.String(); s != "" {
		return s
	}
	return "serial " + c.SerialNumber.Text(16)
}

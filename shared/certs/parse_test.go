package certs_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
)

// ecParamsP256 is the "EC PARAMETERS" block openssl writes before a P-256 SEC1 key.
const ecParamsP256 = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"

func TestParseKeyFormats(t *testing.T) {
	tests := []struct {
		name     string
		keyType  certstest.KeyType
		format   string
		ecParams bool
		wantType string // normalised PEM type
	}{
		{"rsa pkcs1", certstest.RSA2048, "pkcs1", false, "RSA PRIVATE KEY"},
		{"rsa pkcs8", certstest.RSA2048, "pkcs8", false, "RSA PRIVATE KEY"},
		{"ec p256 pkcs8", certstest.ECDSAP256, "pkcs8", false, "EC PRIVATE KEY"},
		{"ec p384 pkcs8", certstest.ECDSAP384, "pkcs8", false, "EC PRIVATE KEY"},
		{"ec sec1", certstest.ECDSAP256, "sec1", false, "EC PRIVATE KEY"},
		{"ec sec1 with ec parameters", certstest.ECDSAP256, "sec1", true, "EC PRIVATE KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := issue(t, certstest.Options{KeyType: tt.keyType, KeyFormat: tt.format})
			key := is.KeyPEM
			if tt.ecParams {
				key = append([]byte(ecParamsP256), key...)
			}
			b, err := certs.Parse(is.FullchainPEM, key, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Validate(time.Now()); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !b.Leaf.Equal(is.Leaf) {
				t.Fatal("leaf differs")
			}
			pub := b.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
			if !pub.Equal(is.Leaf.PublicKey) {
				t.Fatal("key does not match leaf")
			}
			switch tt.keyType {
			case certstest.RSA2048:
				if _, ok := b.Key.(*rsa.PrivateKey); !ok {
					t.Fatalf("key %T, want *rsa.PrivateKey", b.Key)
				}
			default:
				if _, ok := b.Key.(*ecdsa.PrivateKey); !ok {
					t.Fatalf("key %T, want *ecdsa.PrivateKey", b.Key)
				}
			}
			blk, rest := pem.Decode([]byte(b.PrivateKeyPEM))
			if blk == nil || len(rest) != 0 || blk.Type != tt.wantType {
				t.Fatalf("PrivateKeyPEM is not one %q block", tt.wantType)
			}
			var again any
			if tt.wantType == "RSA PRIVATE KEY" {
				again, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
			} else {
				again, err = x509.ParseECPrivateKey(blk.Bytes)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !again.(interface{ Equal(crypto.PrivateKey) bool }).Equal(b.Key) {
				t.Fatal("normalised key differs from parsed key")
			}
		})
	}
}

func TestParseChainForms(t *testing.T) {
	is := issue(t, certstest.Options{Intermediates: 2})
	none := issue(t, certstest.Options{Intermediates: -1})
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	tests := []struct {
		name      string
		issued    *certstest.Issued
		cert      []byte
		chain     []byte
		combined  []byte // if set, ParseCombined is used instead
		wantInter int
	}{
		{"fullchain", is, is.FullchainPEM, nil, nil, 2},
		{"cert and chain", is, is.CertPEM, is.ChainPEM, nil, 2},
		{"fullchain and chain again", is, is.FullchainPEM, is.ChainPEM, nil, 2},
		{"cert and fullchain as chain", is, is.CertPEM, is.FullchainPEM, nil, 2},
		{"empty chain string", is, is.FullchainPEM, []byte(" \r\n"), nil, 2},
		{"leaf only", none, none.CertPEM, nil, nil, 0},
		{"combined key first", is, nil, nil, cat(is.KeyPEM, is.FullchainPEM), 2},
		{"combined key last", is, nil, nil, cat(is.FullchainPEM, is.KeyPEM), 2},
		{"combined key between", is, nil, nil, cat(is.CertPEM, is.KeyPEM, is.ChainPEM), 2},
		{"combined messy", is, nil, nil, messy(t, cat(is.FullchainPEM, []byte(ecParamsP256), is.KeyPEM)), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b *certs.Bundle
			var err error
			if tt.combined != nil {
				b, err = certs.ParseCombined(tt.combined)
			} else {
				b, err = certs.Parse(tt.cert, tt.issued.KeyPEM, tt.chain)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Intermediates) != tt.wantInter {
				t.Fatalf("%d intermediates, want %d", len(b.Intermediates), tt.wantInter)
			}
			if b.CertificatePEM != string(tt.issued.FullchainPEM) {
				t.Fatalf("CertificatePEM differs from the full chain:\n%s", b.CertificatePEM)
			}
			if err := b.Validate(time.Now()); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

// TestParseNormalises feeds CRLF, blank lines, indentation, 76-column base64 and text
// around the blocks, and expects exactly the canonical PEM back.
func TestParseNormalises(t *testing.T) {
	ec := issue(t, certstest.Options{KeyFormat: "sec1"})
	rsaIs := issue(t, certstest.Options{KeyType: certstest.RSA2048, KeyFormat: "pkcs1"})
	tests := []struct {
		name   string
		issued *certstest.Issued
		cert   []byte
		chain  []byte
		key    []byte
	}{
		{"messy fullchain", ec, messy(t, ec.FullchainPEM), nil, messy(t, ec.KeyPEM)},
		{"messy cert and chain", ec, messy(t, ec.CertPEM), messy(t, ec.ChainPEM), messy(t, append([]byte(ecParamsP256), ec.KeyPEM...))},
		{"messy rsa", rsaIs, messy(t, rsaIs.FullchainPEM), nil, messy(t, rsaIs.KeyPEM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(tt.cert, []byte("\r\n\r\n")) || !bytes.Contains(tt.cert, []byte("subject=")) {
				t.Fatal("test input is not messy")
			}
			b, err := certs.Parse(tt.cert, tt.key, tt.chain)
			if err != nil {
				t.Fatal(err)
			}
			if b.CertificatePEM != string(tt.issued.FullchainPEM) {
				t.Fatalf("CertificatePEM not normalised:\n%q", b.CertificatePEM)
			}
			if b.PrivateKeyPEM != string(tt.issued.KeyPEM) {
				t.Fatal("PrivateKeyPEM not normalised") // never print key text
			}
			for _, out := range []string{b.CertificatePEM, b.PrivateKeyPEM} {
				if strings.Contains(out, "\r") || strings.Contains(out, "\n\n") || !strings.HasSuffix(out, "\n") ||
					!strings.HasPrefix(out, "-----BEGIN ") {
					t.Fatal("output has CR, blank lines, text outside blocks or no trailing newline")
				}
				rest := []byte(out)
				n := 0
				for len(rest) > 0 {
					var blk *pem.Block
					blk, rest = pem.Decode(rest)
					if blk == nil {
						t.Fatal("output does not round-trip through pem.Decode")
					}
					n++
				}
				for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					if len(line) > 64 && !strings.HasPrefix(line, "-----") {
						t.Fatalf("line of %d characters", len(line))
					}
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	ok := issue(t, certstest.Options{})
	rsaIs := issue(t, certstest.Options{KeyType: certstest.RSA2048, KeyFormat: "pkcs1"})
	long := issue(t, certstest.Options{Intermediates: 11})
	ten := issue(t, certstest.Options{Intermediates: 10})

	csrKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "www.example.com"}, DNSNames: names}, csrKey)
	if err != nil {
		t.Fatal(err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})

	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	edPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})

	junk := make([]byte, 256)
	rand.Read(junk)
	encPKCS8 := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: junk})
	encLegacy := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{
		"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: junk})
	junkCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: junk})
	dsa := pem.EncodeToMemory(&pem.Block{Type: "DSA PRIVATE KEY", Bytes: junk})

	// reversed puts the intermediate first: the "leaf" is then a CA.
	reversed := append(append([]byte(nil), ok.ChainPEM...), ok.CertPEM...)
	brokenB64 := bytes.Replace(ok.CertPEM, []byte("\n"), []byte("\n!!!!\n"), 2)
	noEnd := ok.CertPEM[:bytes.Index(ok.CertPEM, []byte("-----END"))]
	big := append(bytes.Repeat([]byte("# padding\n"), 6600), ok.FullchainPEM...)
	bigKey := append(bytes.Repeat([]byte("# padding\n"), 1700), ok.KeyPEM...)
	withNUL := append(append([]byte(nil), ok.FullchainPEM...), 0)

	tests := []struct {
		name     string
		cert     []byte
		key      []byte
		chain    []byte
		combined bool // ParseCombined(cert) instead
		field    string
		want     string
	}{
		{"empty certificate", nil, ok.KeyPEM, nil, false, "certificate", "no PEM certificate found"},
		{"blank certificate", []byte("\r\n \n"), ok.KeyPEM, nil, false, "certificate", "no PEM certificate found"},
		{"text only certificate", []byte("hello"), ok.KeyPEM, nil, false, "certificate", "no PEM certificate found"},
		{"empty key", ok.FullchainPEM, nil, nil, false, "private_key", "no PEM private key found"},
		{"text only chain", ok.CertPEM, ok.KeyPEM, []byte("nothing here"), false, "chain", "no PEM certificate found"},
		{"nul byte", withNUL, ok.KeyPEM, nil, false, "certificate", "NUL"},
		{"nul byte in key", ok.FullchainPEM, append(append([]byte(nil), ok.KeyPEM...), 0), nil, false, "private_key", "NUL"},
		{"oversized certificate", big, ok.KeyPEM, nil, false, "certificate", "too large"},
		{"oversized chain", ok.CertPEM, ok.KeyPEM, big, false, "chain", "too large"},
		{"oversized key", ok.FullchainPEM, bigKey, nil, false, "private_key", "too large"},
		{"csr as certificate", csr, ok.KeyPEM, nil, false, "certificate", "is a certificate signing request, not a certificate"},
		{"csr as chain", ok.CertPEM, ok.KeyPEM, csr, false, "chain", "certificate signing request"},
		{"csr as key", ok.FullchainPEM, csr, nil, false, "private_key", "certificate signing request"},
		{"key as certificate", ok.KeyPEM, ok.KeyPEM, nil, false, "certificate", "holds a private key, not a certificate"},
		{"key in chain", ok.CertPEM, ok.KeyPEM, ok.KeyPEM, false, "chain", "holds a private key"},
		{"certificate as key", ok.FullchainPEM, ok.CertPEM, nil, false, "private_key", "holds a certificate, not a private key"},
		{"unknown block type", []byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"), ok.KeyPEM, nil, false, "certificate", `"X509 CRL"`},
		{"unknown key block type", ok.FullchainPEM, []byte("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n"), nil, false, "private_key", `"FOO"`},
		{"public key as key", ok.FullchainPEM, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), nil, false, "private_key", "public key"},
		{"encrypted pkcs8", ok.FullchainPEM, encPKCS8, nil, false, "private_key", "is encrypted; provide an unencrypted key"},
		{"encrypted legacy", rsaIs.FullchainPEM, encLegacy, nil, false, "private_key", "is encrypted; provide an unencrypted key"},
		{"ed25519 key", ok.FullchainPEM, edPEM, nil, false, "private_key", "unsupported key type (Ed25519)"},
		{"dsa key", ok.FullchainPEM, dsa, nil, false, "private_key", "unsupported key type (DSA)"},
		{"two keys", ok.FullchainPEM, append(append([]byte(nil), ok.KeyPEM...), rsaIs.KeyPEM...), nil, false, "private_key", "holds 2 private keys"},
		{"twelve certificates", long.FullchainPEM, long.KeyPEM, nil, false, "certificate", "has 12 certificates"},
		{"twelve with chain", long.CertPEM, long.KeyPEM, long.ChainPEM, false, "chain", "at most 11"},
		{"ca first", reversed, ok.KeyPEM, nil, false, "certificate", "the first certificate (CN=certstest Intermediate CA 1) is a CA certificate"},
		{"broken base64", brokenB64, ok.KeyPEM, nil, false, "certificate", "PEM block 1 (CERTIFICATE) cannot be decoded"},
		{"missing end", noEnd, ok.KeyPEM, nil, false, "certificate", "has no END line"},
		{"begin inside block", append(append([]byte(nil), noEnd...), ok.ChainPEM...), ok.KeyPEM, nil, false, "certificate", "has no END line"},
		{"end without begin", ok.CertPEM[bytes.Index(ok.CertPEM, []byte("\n"))+1:], ok.KeyPEM, nil, false, "certificate", "without a matching BEGIN"},
		{"garbage certificate", junkCert, ok.KeyPEM, nil, false, "certificate", "certificate 1 cannot be parsed"},
		{"garbage key", ok.FullchainPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: junk}), nil, false, "private_key", "is not a valid PKCS#8 key"},
		{"combined without key", ok.FullchainPEM, nil, nil, true, "private_key", "no PEM private key found"},
		{"combined without certificate", ok.KeyPEM, nil, nil, true, "certificate", "no PEM certificate found"},
		{"combined csr", append(append([]byte(nil), csr...), ok.KeyPEM...), nil, nil, true, "certificate", "certificate signing request"},
		{"combined encrypted", append(append([]byte(nil), ok.FullchainPEM...), encPKCS8...), nil, nil, true, "private_key", "is encrypted"},
		{"combined twelve", append(append([]byte(nil), long.FullchainPEM...), long.KeyPEM...), nil, nil, true, "certificate", "has 12 certificates"},
	}
	// Eleven certificates in total is the most allowed.
	if _, err := certs.Parse(ten.FullchainPEM, ten.KeyPEM, nil); err != nil {
		t.Fatalf("eleven certificates: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b *certs.Bundle
			var err error
			if tt.combined {
				b, err = certs.ParseCombined(tt.cert)
			} else {
				b, err = certs.Parse(tt.cert, tt.key, tt.chain)
			}
			if b != nil {
				t.Fatal("bundle returned with an error")
			}
			asError(t, err, tt.field, tt.want)
			checkNoKeyMaterial(t, err.Error(), tt.key)
			checkNoKeyMaterial(t, err.Error(), tt.cert)
		})
	}
}

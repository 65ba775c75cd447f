package certs_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
)

func TestValidate(t *testing.T) {
	now := time.Now()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	leafTmpl := func(mod func(*x509.Certificate)) *x509.Certificate {
		c := &x509.Certificate{
			Subject:     pkix.Name{CommonName: "www.example.com"},
			DNSNames:    names,
			NotBefore:   now.Add(-time.Hour),
			NotAfter:    now.Add(30 * 24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if mod != nil {
			mod(c)
		}
		return c
	}
	custom := func(mod func(*x509.Certificate), key crypto.Signer) func(t *testing.T) (cert, k, chain []byte) {
		return func(t *testing.T) ([]byte, []byte, []byte) {
			c, kp := selfSigned(t, leafTmpl(mod), key)
			return c, kp, nil
		}
	}
	issued := func(opts certstest.Options) func(t *testing.T) ([]byte, []byte, []byte) {
		return func(t *testing.T) ([]byte, []byte, []byte) {
			is := issue(t, opts)
			return is.FullchainPEM, is.KeyPEM, nil
		}
	}

	tests := []struct {
		name     string
		build    func(t *testing.T) (cert, key, chain []byte)
		field    string // "" means valid
		want     string
		mismatch bool
	}{
		{name: "ecdsa p256", build: issued(certstest.Options{})},
		{name: "ecdsa p384", build: issued(certstest.Options{KeyType: certstest.ECDSAP384})},
		{name: "rsa 2048", build: issued(certstest.Options{KeyType: certstest.RSA2048, KeyFormat: "pkcs1"})},
		{name: "no intermediates", build: issued(certstest.Options{Intermediates: -1})},
		{name: "three intermediates", build: issued(certstest.Options{Intermediates: 3})},
		{name: "expires in 25h", build: issued(certstest.Options{NotAfter: now.Add(25 * time.Hour)})},
		{name: "common name fallback", build: issued(certstest.Options{DNSNames: []string{}, CommonName: "legacy.example.com"})},
		{name: "self-signed leaf", build: func(t *testing.T) ([]byte, []byte, []byte) {
			is, err := certstest.SelfSigned(certstest.Options{DNSNames: names})
			if err != nil {
				t.Fatal(err)
			}
			return is.CertPEM, is.KeyPEM, nil
		}},
		{name: "no extended key usage", build: custom(func(c *x509.Certificate) { c.ExtKeyUsage = nil }, p256)},
		{name: "any extended key usage", build: custom(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny} }, p256)},
		{
			name: "mismatched key",
			build: func(t *testing.T) ([]byte, []byte, []byte) {
				return issue(t, certstest.Options{}).FullchainPEM, issue(t, certstest.Options{}).KeyPEM, nil
			},
			field: "private_key", want: "does not match the certificate", mismatch: true,
		},
		{
			name: "mismatched key type",
			build: func(t *testing.T) ([]byte, []byte, []byte) {
				return issue(t, certstest.Options{}).FullchainPEM, issue(t, certstest.Options{KeyType: certstest.RSA2048}).KeyPEM, nil
			},
			field: "private_key", want: "key is RSA 2048, certificate CN=www.example.com has ECDSA P-256", mismatch: true,
		},
		{
			name: "reversed chain",
			build: func(t *testing.T) ([]byte, []byte, []byte) {
				is := issue(t, certstest.Options{Intermediates: 2})
				// Split the two intermediates and give them in the wrong order.
				first := is.ChainPEM[:bytes.Index(is.ChainPEM[1:], []byte("-----BEGIN"))+1]
				second := is.ChainPEM[len(first):]
				return is.CertPEM, is.KeyPEM, append(append([]byte(nil), second...), first...)
			},
			field: "chain",
			want:  "certificate 1 (CN=www.example.com) is not signed by certificate 2 (CN=certstest Intermediate CA 2)",
		},
		{
			name: "wrong intermediate",
			build: func(t *testing.T) ([]byte, []byte, []byte) {
				a, b := issue(t, certstest.Options{Intermediates: 2}), issue(t, certstest.Options{})
				return append(append([]byte(nil), a.CertPEM...), b.ChainPEM...), a.KeyPEM, nil
			},
			field: "chain", want: "certificate 1 (CN=www.example.com) is not signed by certificate 2 (CN=certstest Intermediate CA 1)",
		},
		{
			name: "out of order further up",
			build: func(t *testing.T) ([]byte, []byte, []byte) {
				is := issue(t, certstest.Options{Intermediates: 2})
				return append(append([]byte(nil), is.FullchainPEM...), is.RootPEM...), is.KeyPEM, issue(t, certstest.Options{}).ChainPEM
			},
			field: "chain", want: "certificate 4 (CN=certstest Root CA) is not signed by certificate 5 (CN=certstest Intermediate CA 1)",
		},
		{
			name:  "expired",
			build: issued(certstest.Options{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}),
			field: "certificate", want: "expired at " + now.Add(-time.Hour).UTC().Format(time.RFC3339),
		},
		{
			name:  "not yet valid",
			build: issued(certstest.Options{NotBefore: now.Add(time.Hour)}),
			field: "certificate", want: "not valid until " + now.Add(time.Hour).UTC().Format(time.RFC3339),
		},
		{
			name:  "expiring in 23h",
			build: issued(certstest.Options{NotAfter: now.Add(23 * time.Hour)}),
			field: "certificate", want: "less than 24 h from now",
		},
		{
			name:  "weak rsa 1024",
			build: issued(certstest.Options{KeyType: certstest.RSA1024, KeyFormat: "pkcs1"}),
			field: "certificate", want: "RSA key of 1024 bits is too weak",
		},
		{
			name:  "p224 curve",
			build: custom(nil, p224),
			field: "certificate", want: "ECDSA curve P-224 is not supported",
		},
		{
			name:  "sha1 signature",
			build: custom(func(c *x509.Certificate) { c.SignatureAlgorithm = x509.ECDSAWithSHA1 }, p256),
			field: "certificate", want: "weak signature algorithm ECDSA-SHA1",
		},
		{
			name:  "no dns names",
			build: issued(certstest.Options{DNSNames: []string{}, CommonName: "Example Corp"}),
			field: "certificate", want: "has no DNS name",
		},
		{
			name:  "client auth only",
			build: custom(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }, p256),
			field: "certificate", want: "does not allow TLS server authentication",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, key, chain := tt.build(t)
			b, err := certs.Parse(cert, key, chain)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = b.Validate(now)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			asError(t, err, tt.field, tt.want)
			if got := errors.Is(err, certs.ErrKeyMismatch); got != tt.mismatch {
				t.Errorf("errors.Is(err, ErrKeyMismatch) = %v, want %v", got, tt.mismatch)
			}
			checkNoKeyMaterial(t, err.Error(), key)
		})
	}
}

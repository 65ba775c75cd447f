package certs_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
)

// FuzzParse checks Parse and ParseCombined never panic, always return a *certs.Error,
// and never repeat key material in an error. Seeds are kept small (ECDSA, short chains)
// so minimising new inputs stays quick. Run with:
//
//	go test -run '^$' -fuzz=FuzzParse -fuzzminimizetime=2s ./shared/certs
func FuzzParse(f *testing.F) {
	leaf := certstest.Must(f, certstest.Options{DNSNames: []string{"a.example.com"}, Intermediates: -1, KeyFormat: "sec1"})
	ec := certstest.Must(f, certstest.Options{DNSNames: []string{"a.example.com"}})
	rs := certstest.Must(f, certstest.Options{DNSNames: []string{"a.example.com"}, KeyType: certstest.RSA1024, KeyFormat: "pkcs1"})
	f.Add(leaf.CertPEM, leaf.KeyPEM, []byte(nil))
	f.Add(ec.CertPEM, ec.KeyPEM, ec.ChainPEM)
	f.Add(messy(f, leaf.CertPEM), messy(f, append([]byte(ecParamsP256), leaf.KeyPEM...)), []byte(nil))
	f.Add(rs.FullchainPEM, rs.KeyPEM, []byte(nil))
	f.Add(leaf.KeyPEM, ec.CertPEM, leaf.KeyPEM)
	f.Add([]byte(""), []byte(""), []byte(""))
	// From shared/handler's hostile table: truncated, wrong types, CSR, encrypted, Ed25519, NUL.
	csrKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"a.example.com"}}, csrKey)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	block := func(typ string, der []byte, h map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: h, Bytes: der})
	}
	f.Add(ec.CertPEM[:len(ec.CertPEM)/2], ec.KeyPEM, []byte(nil))
	f.Add(block("CERTIFICATE REQUEST", csr, nil), ec.KeyPEM, []byte(nil))
	f.Add(ec.CertPEM, block("ENCRYPTED "+"PRIVATE KEY", []byte{0x30, 0}, nil), []byte(nil))
	f.Add(rs.CertPEM, block("RSA "+"PRIVATE KEY", []byte{0x30, 0}, map[string]string{"Proc-Type": "4,ENCRYPTED"}), []byte(nil))
	f.Add(ec.CertPEM, block("PRIVATE "+"KEY", edDER, nil), ec.ChainPEM)
	f.Add(append([]byte("\x00"), ec.CertPEM...), ec.KeyPEM, []byte(nil))

	f.Fuzz(func(t *testing.T, cert, key, chain []byte) {
		check := func(err error) {
			if err == nil {
				return
			}
			var ce *certs.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *certs.Error", err)
			}
			checkNoKeyMaterial(t, err.Error(), key)
			checkNoKeyMaterial(t, err.Error(), cert)
			checkNoKeyMaterial(t, err.Error(), chain)
		}
		b, err := certs.Parse(cert, key, chain)
		check(err)
		if err == nil && (len(cert) > certs.MaxCertificateBytes || len(chain) > certs.MaxCertificateBytes || len(key) > certs.MaxKeyBytes) {
			t.Fatal("an input over its size limit was accepted")
		}
		if err == nil {
			check(b.Validate(time.Now()))
			_ = b.Info()
			_ = b.FingerprintSHA1()
		}
		all := append(append(append([]byte(nil), cert...), key...), chain...)
		b, err = certs.ParseCombined(all)
		check(err)
		if err == nil {
			check(b.Validate(time.Now()))
			_ = b.Info()
		}
	})
}

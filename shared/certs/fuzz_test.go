package certs_test

import (
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

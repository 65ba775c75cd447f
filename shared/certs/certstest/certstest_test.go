package certstest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
	"time"
)

func decodeAll(t *testing.T, data []byte) []*pem.Block {
	t.Helper()
	var blocks []*pem.Block
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(bytes.TrimSpace(data)) != 0 {
		t.Fatalf("trailing data after PEM blocks: %q", data)
	}
	return blocks
}

func parseCerts(t *testing.T, data []byte) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for _, b := range decodeAll(t, data) {
		if b.Type != "CERTIFICATE" {
			t.Fatalf("block type %q, want CERTIFICATE", b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
	return certs
}

func TestNewChains(t *testing.T) {
	tests := []struct {
		name          string
		intermediates int
		want          int
	}{
		{"default one", 0, 1},
		{"none", -1, 0},
		{"two", 2, 2},
		{"eleven", 11, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := Must(t, Options{DNSNames: []string{"a.example.com"}, Intermediates: tt.intermediates})
			chain := parseCerts(t, is.ChainPEM)
			if len(chain) != tt.want {
				t.Fatalf("chain has %d certificates, want %d", len(chain), tt.want)
			}
			full := parseCerts(t, is.FullchainPEM)
			if len(full) != tt.want+1 || !full[0].Equal(is.Leaf) {
				t.Fatalf("fullchain: %d certificates, leaf first = %v", len(full), len(full) > 0 && full[0].Equal(is.Leaf))
			}
			roots := parseCerts(t, is.RootPEM)
			if len(roots) != 1 {
				t.Fatalf("root PEM has %d certificates", len(roots))
			}
			// Each signed by the next; the last by the root.
			all := append(full, roots[0])
			for i := 0; i+1 < len(all); i++ {
				if err := all[i].CheckSignatureFrom(all[i+1]); err != nil {
					t.Fatalf("certificate %d not signed by %d: %v", i, i+1, err)
				}
			}
			pool := x509.NewCertPool()
			pool.AddCert(roots[0])
			inter := x509.NewCertPool()
			for _, c := range chain {
				inter.AddCert(c)
			}
			if _, err := is.Leaf.Verify(x509.VerifyOptions{
				DNSName:       "a.example.com",
				Roots:         pool,
				Intermediates: inter,
			}); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if tt.want == 0 && len(is.ChainPEM) != 0 {
				t.Fatalf("ChainPEM = %q, want empty", is.ChainPEM)
			}
		})
	}
}

func TestNewKeys(t *testing.T) {
	tests := []struct {
		name    string
		keyType KeyType
		format  string
		pemType string
		check   func(t *testing.T, pub any)
	}{
		{"default", "", "", "PRIVATE KEY", wantEC(elliptic.P256())},
		{"p256 sec1", ECDSAP256, "sec1", "EC PRIVATE KEY", wantEC(elliptic.P256())},
		{"p384 pkcs8", ECDSAP384, "pkcs8", "PRIVATE KEY", wantEC(elliptic.P384())},
		{"rsa2048 pkcs1", RSA2048, "pkcs1", "RSA PRIVATE KEY", wantRSA(2048)},
		{"rsa2048 pkcs8", RSA2048, "", "PRIVATE KEY", wantRSA(2048)},
		{"rsa1024 pkcs1", RSA1024, "pkcs1", "RSA PRIVATE KEY", wantRSA(1024)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := Must(t, Options{DNSNames: []string{"k.example.com"}, KeyType: tt.keyType, KeyFormat: tt.format})
			blocks := decodeAll(t, is.KeyPEM)
			if len(blocks) != 1 || blocks[0].Type != tt.pemType {
				t.Fatalf("key PEM: %d blocks, want one %q", len(blocks), tt.pemType)
			}
			var key any
			var err error
			switch tt.pemType {
			case "PRIVATE KEY":
				key, err = x509.ParsePKCS8PrivateKey(blocks[0].Bytes)
			case "RSA PRIVATE KEY":
				key, err = x509.ParsePKCS1PrivateKey(blocks[0].Bytes)
			case "EC PRIVATE KEY":
				key, err = x509.ParseECPrivateKey(blocks[0].Bytes)
			}
			if err != nil {
				t.Fatal(err)
			}
			pub := key.(crypto.Signer).Public()
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(is.Leaf.PublicKey) {
				t.Fatal("key does not match leaf")
			}
			tt.check(t, is.Leaf.PublicKey)
			wantUsage := x509.KeyUsageDigitalSignature
			if _, ok := pub.(*rsa.PublicKey); ok {
				wantUsage |= x509.KeyUsageKeyEncipherment
			}
			if is.Leaf.KeyUsage != wantUsage {
				t.Fatalf("key usage %v, want %v", is.Leaf.KeyUsage, wantUsage)
			}
		})
	}
}

func wantEC(curve elliptic.Curve) func(*testing.T, any) {
	return func(t *testing.T, pub any) {
		t.Helper()
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != curve {
			t.Fatalf("leaf key %T, want ECDSA %s", pub, curve.Params().Name)
		}
	}
}

func wantRSA(bits int) func(*testing.T, any) {
	return func(t *testing.T, pub any) {
		t.Helper()
		k, ok := pub.(*rsa.PublicKey)
		if !ok || k.N.BitLen() != bits {
			t.Fatalf("leaf key %T, want RSA %d", pub, bits)
		}
	}
}

func TestNewLeafFields(t *testing.T) {
	nb := time.Now().Add(-48 * time.Hour).Truncate(time.Second).UTC()
	na := time.Now().Add(-24 * time.Hour).Truncate(time.Second).UTC()
	tests := []struct {
		name   string
		opts   Options
		wantCN string
		check  func(t *testing.T, leaf *x509.Certificate)
	}{
		{
			name:   "cn defaults to first name",
			opts:   Options{DNSNames: []string{"x.example.com", "y.example.com"}},
			wantCN: "x.example.com",
			check: func(t *testing.T, leaf *x509.Certificate) {
				if time.Until(leaf.NotAfter) < 89*24*time.Hour || time.Since(leaf.NotBefore) < 59*time.Minute {
					t.Fatalf("default validity %s .. %s", leaf.NotBefore, leaf.NotAfter)
				}
			},
		},
		{
			name:   "explicit cn and times",
			opts:   Options{DNSNames: []string{"x.example.com"}, CommonName: "Other", NotBefore: nb, NotAfter: na},
			wantCN: "Other",
			check: func(t *testing.T, leaf *x509.Certificate) {
				if !leaf.NotBefore.Equal(nb) || !leaf.NotAfter.Equal(na) {
					t.Fatalf("validity %s .. %s, want %s .. %s", leaf.NotBefore, leaf.NotAfter, nb, na)
				}
			},
		},
		{
			name:   "no names",
			opts:   Options{},
			wantCN: "",
			check:  func(t *testing.T, leaf *x509.Certificate) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := Must(t, tt.opts)
			leaf := is.Leaf
			if leaf.Subject.CommonName != tt.wantCN {
				t.Fatalf("CN %q, want %q", leaf.Subject.CommonName, tt.wantCN)
			}
			if !slices.Equal(leaf.DNSNames, tt.opts.DNSNames) {
				t.Fatalf("DNS names %v, want %v", leaf.DNSNames, tt.opts.DNSNames)
			}
			if leaf.IsCA || !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
				t.Fatalf("leaf IsCA=%v ExtKeyUsage=%v", leaf.IsCA, leaf.ExtKeyUsage)
			}
			if leaf.SerialNumber.BitLen() < 64 {
				t.Fatalf("serial %x looks too short", leaf.SerialNumber)
			}
			tt.check(t, leaf)
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"pkcs1 with ec", Options{KeyFormat: "pkcs1"}},
		{"sec1 with rsa", Options{KeyType: RSA2048, KeyFormat: "sec1"}},
		{"unknown format", Options{KeyFormat: "der"}},
		{"unknown type", Options{KeyType: "ed25519"}},
		{"inverted validity", Options{NotBefore: time.Now(), NotAfter: time.Now().Add(-time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil {
				t.Fatal("New succeeded, want error")
			}
		})
	}
}

func TestFreshPerCall(t *testing.T) {
	a := Must(t, Options{DNSNames: []string{"a.example.com"}})
	b := Must(t, Options{DNSNames: []string{"a.example.com"}})
	if bytes.Equal(a.KeyPEM, b.KeyPEM) || bytes.Equal(a.ChainPEM, b.ChainPEM) {
		t.Fatal("keys or intermediates reused between calls")
	}
	if a.Leaf.SerialNumber.Cmp(b.Leaf.SerialNumber) == 0 {
		t.Fatal("serial reused")
	}
	if !bytes.Equal(a.RootPEM, b.RootPEM) {
		t.Fatal("root differs between calls")
	}
}

func TestSelfSigned(t *testing.T) {
	is, err := SelfSigned(Options{DNSNames: []string{"self.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := is.Leaf.CheckSignatureFrom(is.Leaf); err == nil {
		// A non-CA cannot sign, so CheckSignatureFrom must refuse it; check the raw signature instead.
		t.Fatal("CheckSignatureFrom accepted a non-CA issuer")
	}
	if err := is.Leaf.CheckSignature(is.Leaf.SignatureAlgorithm, is.Leaf.RawTBSCertificate, is.Leaf.Signature); err != nil {
		t.Fatalf("self signature: %v", err)
	}
	if len(is.ChainPEM) != 0 || !bytes.Equal(is.FullchainPEM, is.CertPEM) {
		t.Fatal("self-signed chain not empty")
	}
	if is.Leaf.Issuer.String() != is.Leaf.Subject.String() {
		t.Fatalf("issuer %q != subject %q", is.Leaf.Issuer, is.Leaf.Subject)
	}
}

// Package certstest makes test certificates, chains and keys at run time.
package certstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"
)

// KeyType names the kind of private key a leaf gets.
type KeyType string

// Key types accepted in Options.KeyType.
const (
	ECDSAP256 KeyType = "ecdsa-p256"
	ECDSAP384 KeyType = "ecdsa-p384"
	RSA2048   KeyType = "rsa2048"
	RSA1024   KeyType = "rsa1024" // weak, for negative tests
)

// Key formats accepted in Options.KeyFormat.
const (
	FormatPKCS8 = "pkcs8"
	FormatPKCS1 = "pkcs1"
	FormatSEC1  = "sec1"
)

// Options describes the leaf certificate to issue; the zero value gives a sensible leaf.
type Options struct {
	DNSNames      []string  // SANs
	CommonName    string    // default DNSNames[0]
	NotBefore     time.Time // default now-1h
	NotAfter      time.Time // default now+90 days
	KeyType       KeyType   // default ECDSAP256
	KeyFormat     string    // "pkcs8" (default), "pkcs1" (RSA only), "sec1" (EC only)
	Intermediates int       // number of intermediate CAs: 0 means 1 (the default); -1 for none
}

// Issued is a leaf certificate with its chain, key and root, as parsed values and PEM.
type Issued struct {
	Leaf         *x509.Certificate
	CertPEM      []byte // leaf only
	ChainPEM     []byte // intermediates, nearest first (empty when none)
	FullchainPEM []byte // leaf then intermediates
	KeyPEM       []byte // the leaf's private key in Options.KeyFormat
	RootPEM      []byte
}

type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var (
	rootOnce sync.Once
	root     authority
	rootPEM  []byte
	rootErr  error
)

// Root returns the process-wide root CA certificate that signs every chain from New.
func Root() (*x509.Certificate, error) {
	if err := loadRoot(); err != nil {
		return nil, err
	}
	return root.cert, nil
}

func loadRoot() error {
	rootOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			rootErr = fmt.Errorf("certstest: root key: %w", err)
			return
		}
		now := time.Now()
		tmpl := caTemplate("certstest Root CA", now.AddDate(-20, 0, 0), now.AddDate(20, 0, 0))
		cert, der, err := create(tmpl, tmpl, key.Public(), key)
		if err != nil {
			rootErr = fmt.Errorf("certstest: root: %w", err)
			return
		}
		root = authority{cert: cert, key: key}
		rootPEM = encode("CERTIFICATE", der)
	})
	return rootErr
}

// New issues a leaf certificate for opts, signed through fresh intermediates by the shared root.
func New(opts Options) (*Issued, error) {
	if err := loadRoot(); err != nil {
		return nil, err
	}
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	n := opts.Intermediates
	switch {
	case n == 0:
		n = 1
	case n < 0:
		n = 0
	}

	// Intermediates must be valid whenever the leaf is.
	now := time.Now()
	caFrom := minTime(opts.NotBefore, now).Add(-time.Hour)
	caUntil := maxTime(opts.NotAfter, now.AddDate(5, 0, 0)).Add(time.Hour)

	// Build from the root down: inters[n-1] is signed by the root, inters[0] signs the leaf.
	inters := make([]authority, n)
	ders := make([][]byte, n)
	issuer := root
	for i := n - 1; i >= 0; i-- {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("certstest: intermediate key: %w", err)
		}
		tmpl := caTemplate(fmt.Sprintf("certstest Intermediate CA %d", i+1), caFrom, caUntil)
		cert, der, err := create(tmpl, issuer.cert, key.Public(), issuer.key)
		if err != nil {
			return nil, fmt.Errorf("certstest: intermediate %d: %w", i+1, err)
		}
		inters[i] = authority{cert: cert, key: key}
		ders[i] = der
		issuer = inters[i]
	}

	key, keyPEM, err := newKey(opts.KeyType, opts.KeyFormat)
	if err != nil {
		return nil, err
	}
	tmpl, err := leafTemplate(opts, key)
	if err != nil {
		return nil, err
	}
	leaf, leafDER, err := create(tmpl, issuer.cert, key.Public(), issuer.key)
	if err != nil {
		return nil, fmt.Errorf("certstest: leaf: %w", err)
	}

	is := &Issued{
		Leaf:    leaf,
		CertPEM: encode("CERTIFICATE", leafDER),
		KeyPEM:  keyPEM,
		RootPEM: append([]byte(nil), rootPEM...),
	}
	is.ChainPEM = []byte{}
	for _, der := range ders {
		is.ChainPEM = append(is.ChainPEM, encode("CERTIFICATE", der)...)
	}
	is.FullchainPEM = append(append([]byte(nil), is.CertPEM...), is.ChainPEM...)
	return is, nil
}

// SelfSigned issues a leaf certificate that is its own issuer, for negative tests.
// RootPEM holds the leaf itself and ChainPEM is empty; Intermediates is ignored.
func SelfSigned(opts Options) (*Issued, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}
	key, keyPEM, err := newKey(opts.KeyType, opts.KeyFormat)
	if err != nil {
		return nil, err
	}
	tmpl, err := leafTemplate(opts, key)
	if err != nil {
		return nil, err
	}
	leaf, der, err := create(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("certstest: self-signed leaf: %w", err)
	}
	certPEM := encode("CERTIFICATE", der)
	return &Issued{
		Leaf:         leaf,
		CertPEM:      certPEM,
		ChainPEM:     []byte{},
		FullchainPEM: append([]byte(nil), certPEM...),
		KeyPEM:       keyPEM,
		RootPEM:      append([]byte(nil), certPEM...),
	}, nil
}

// Must is New that calls tb.Fatal on error.
func Must(tb testing.TB, opts Options) *Issued {
	tb.Helper()
	is, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return is
}

func withDefaults(opts Options) (Options, error) {
	now := time.Now()
	if opts.CommonName == "" && len(opts.DNSNames) > 0 {
		opts.CommonName = opts.DNSNames[0]
	}
	if opts.NotBefore.IsZero() {
		opts.NotBefore = now.Add(-time.Hour)
	}
	if opts.NotAfter.IsZero() {
		opts.NotAfter = now.Add(90 * 24 * time.Hour)
	}
	if opts.KeyType == "" {
		opts.KeyType = ECDSAP256
	}
	if opts.KeyFormat == "" {
		opts.KeyFormat = FormatPKCS8
	}
	if opts.NotAfter.Before(opts.NotBefore) {
		return opts, errors.New("certstest: NotAfter is before NotBefore")
	}
	return opts, nil
}

func newKey(kt KeyType, format string) (crypto.Signer, []byte, error) {
	var key crypto.Signer
	var err error
	switch kt {
	case ECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case RSA1024:
		key, err = rsa.GenerateKey(rand.Reader, 1024)
	default:
		return nil, nil, fmt.Errorf("certstest: unknown key type %q", kt)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("certstest: generate %s key: %w", kt, err)
	}

	var typ string
	var der []byte
	switch format {
	case FormatPKCS8:
		typ = "PRIVATE KEY"
		der, err = x509.MarshalPKCS8PrivateKey(key)
	case FormatPKCS1:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, nil, fmt.Errorf("certstest: key format pkcs1 needs an RSA key, not %s", kt)
		}
		typ = "RSA PRIVATE KEY"
		der = x509.MarshalPKCS1PrivateKey(k)
	case FormatSEC1:
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, nil, fmt.Errorf("certstest: key format sec1 needs an ECDSA key, not %s", kt)
		}
		typ = "EC PRIVATE KEY"
		der, err = x509.MarshalECPrivateKey(k)
	default:
		return nil, nil, fmt.Errorf("certstest: unknown key format %q", format)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("certstest: marshal key: %w", err)
	}
	return key, encode(typ, der), nil
}

func leafTemplate(opts Options, key crypto.Signer) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := key.(*rsa.PrivateKey); ok {
		usage |= x509.KeyUsageKeyEncipherment
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: opts.CommonName},
		DNSNames:              append([]string(nil), opts.DNSNames...),
		NotBefore:             opts.NotBefore,
		NotAfter:              opts.NotAfter,
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}, nil
}

func caTemplate(cn string, notBefore, notAfter time.Time) *x509.Certificate {
	serial, err := randomSerial()
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		serial = big.NewInt(time.Now().UnixNano())
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"certstest"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func create(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, []byte, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, der, nil
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("certstest: serial: %w", err)
	}
	if serial.Sign() == 0 {
		serial.SetInt64(1)
	}
	return serial, nil
}

func encode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

package casfake

import (
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// willExpire is how close to its end a certificate counts as WILLEXPIRED. [guess]
const willExpire = 30 * 24 * time.Hour

// certificate is one stored certificate. The PEMs are kept exactly as uploaded.
type certificate struct {
	id                   int64
	name                 string
	certPEM, keyPEM      string
	signCert, signKey    string // SM2 dual certificate (seeded only)
	encryptCert, encrKey string
	algorithm            string // RSA, ECC, SM2

	commonName, issuer               string
	orgName, province, city, country string
	sans                             []string
	fingerprint, sha2, serial        string
	notBefore, notAfter              time.Time
}

// Certificate is a stored certificate as the Go API shows it (no key material).
type Certificate struct {
	ID          int64
	Name        string
	CommonName  string
	SANs        []string
	Fingerprint string // SHA-1 of the leaf DER, upper-case hex, as CAS's Fingerprint
	SHA256      string // SHA-256 of the leaf DER, upper-case hex, as CAS's Sha2
	SerialNo    string // lower-case hex
	NotBefore   time.Time
	NotAfter    time.Time
	HasKey      bool // a non-SM2 private key is stored
}

// AddCertificate stores a certificate and its key through the same validation as
// UploadUserCertificate and returns its id.
func (s *Service) AddCertificate(name string, certPEM, keyPEM []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.uploadLocked(name, string(certPEM), string(keyPEM))
	if e != nil {
		return 0, e
	}
	return c.id, nil
}

// AddCertificateWithoutKey stores a certificate with no private key, as CAS holds a bought
// certificate whose key was generated outside CAS.
func (s *Service) AddCertificateWithoutKey(name string, certPEM []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.checkName(name); e != nil {
		return 0, e
	}
	leaf, e := parseLeaf(string(certPEM))
	if e != nil {
		return 0, e
	}
	return s.insertLocked(newCertificate(name, string(certPEM), "", leaf)).id, nil
}

// AddSM2Certificate stores an SM2 dual certificate (sign and encrypt pairs) as given: the
// emulator cannot parse SM2, so the descriptive fields stay empty and Cert/Key are absent.
func (s *Service) AddSM2Certificate(name string, signCert, signKey, encryptCert, encryptKey []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.checkName(name); e != nil {
		return 0, e
	}
	c := &certificate{name: name, algorithm: "SM2",
		signCert: string(signCert), signKey: string(signKey), encryptCert: string(encryptCert), encrKey: string(encryptKey)}
	return s.insertLocked(c).id, nil
}

// Certificates returns every stored certificate, by id.
func (s *Service) Certificates() []Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Certificate, 0, len(s.certs))
	for _, c := range s.sortedLocked() {
		out = append(out, Certificate{
			ID: c.id, Name: c.name, CommonName: c.commonName, SANs: slices.Clone(c.sans),
			Fingerprint: c.fingerprint, SHA256: c.sha2, SerialNo: c.serial,
			NotBefore: c.notBefore, NotAfter: c.notAfter, HasKey: c.keyPEM != "",
		})
	}
	return out
}

// --- the caller holds s.mu ------------------------------------------------------------------

func (s *Service) sortedLocked() []*certificate {
	out := make([]*certificate, 0, len(s.certs))
	for _, c := range s.certs {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *certificate) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (s *Service) checkName(name string) *APIError {
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return errName()
	}
	for _, c := range s.certs {
		if c.name == name {
			return errNameRepeat()
		}
	}
	return nil
}

func (s *Service) uploadLocked(name, certPEM, keyPEM string) (*certificate, *APIError) {
	if e := s.checkName(name); e != nil {
		return nil, e
	}
	leaf, e := parseLeaf(certPEM)
	if e != nil {
		return nil, e
	}
	key, e := parsePrivateKey(keyPEM)
	if e != nil {
		return nil, e
	}
	if pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(key.Public()) {
		return nil, errKeyMismatch()
	}
	return s.insertLocked(newCertificate(name, certPEM, keyPEM, leaf)), nil
}

func (s *Service) insertLocked(c *certificate) *certificate {
	c.id = s.nextID
	s.nextID++
	s.certs[c.id] = c
	return c
}

// status is CAS's certificate status for OrderType CERT/UPLOAD.
func (c *certificate) status(now time.Time) string {
	switch {
	case c.notAfter.IsZero():
		return "ISSUED"
	case !now.Before(c.notAfter):
		return "EXPIRED"
	case c.notAfter.Sub(now) < willExpire:
		return "WILLEXPIRED"
	}
	return "ISSUED"
}

func (c *certificate) expired(now time.Time) bool {
	return !c.notAfter.IsZero() && !now.Before(c.notAfter)
}

func newCertificate(name, certPEM, keyPEM string, leaf *x509.Certificate) *certificate {
	sum1, sum256 := sha1.Sum(leaf.Raw), sha256.Sum256(leaf.Raw)
	c := &certificate{
		name: name, certPEM: certPEM, keyPEM: keyPEM,
		commonName: leaf.Subject.CommonName, sans: slices.Clone(leaf.DNSNames),
		fingerprint: strings.ToUpper(hex.EncodeToString(sum1[:])),
		sha2:        strings.ToUpper(hex.EncodeToString(sum256[:])),
		serial:      leaf.SerialNumber.Text(16),
		notBefore:   leaf.NotBefore.UTC(), notAfter: leaf.NotAfter.UTC(),
		orgName: first(leaf.Subject.Organization), province: first(leaf.Subject.Province),
		city: first(leaf.Subject.Locality), country: first(leaf.Subject.Country),
		issuer: first(leaf.Issuer.Organization),
	}
	if c.issuer == "" {
		c.issuer = leaf.Issuer.CommonName
	}
	for _, ip := range leaf.IPAddresses {
		c.sans = append(c.sans, ip.String())
	}
	c.algorithm = "ECC"
	if _, ok := leaf.PublicKey.(*rsa.PublicKey); ok {
		c.algorithm = "RSA"
	}
	return c
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// parseLeaf reads Cert: one or more CERTIFICATE blocks, leaf first, nothing else. It uses
// crypto/x509 only, independent of the project's validator and of slbfake's stricter rules.
func parseLeaf(s string) (*x509.Certificate, *APIError) {
	var leaf *x509.Certificate
	rest := []byte(s)
	for n := 1; ; n++ {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, errCertFormat("a " + b.Type + " block in Cert")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, errCertFormat(err.Error())
		}
		if leaf == nil {
			leaf = c
		}
	}
	switch {
	case leaf == nil:
		return nil, errCertFormat("no PEM certificate")
	case strings.TrimSpace(string(rest)) != "":
		return nil, errCertFormat("text after the last PEM block")
	}
	return leaf, nil
}

// parsePrivateKey reads Key: one unencrypted RSA or ECDSA key, PKCS#8, PKCS#1 or SEC1 (an
// "EC PARAMETERS" block before it is allowed).
func parsePrivateKey(s string) (crypto.Signer, *APIError) {
	b, rest := pem.Decode([]byte(s))
	if b != nil && b.Type == "EC PARAMETERS" {
		b, rest = pem.Decode(rest)
	}
	switch {
	case b == nil:
		return nil, errKeyFormat("no PEM private key")
	case strings.TrimSpace(string(rest)) != "":
		return nil, errKeyFormat("more than one PEM block in Key")
	case b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "":
		return nil, errKeyFormat("the key is encrypted")
	}
	parsers := []func([]byte) (any, error){
		x509.ParsePKCS8PrivateKey,
		func(der []byte) (any, error) { return x509.ParsePKCS1PrivateKey(der) },
		func(der []byte) (any, error) { return x509.ParseECPrivateKey(der) },
	}
	for _, parse := range parsers {
		k, err := parse(b.Bytes)
		if err != nil {
			continue
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		}
	}
	return nil, errKeyFormat("not an RSA or ECDSA private key")
}

package certs

import (
	"crypto/x509"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// wildcardUnderPublicSuffix returns the first wildcard name of names whose parent is a public
// suffix ("*.com", "*.co.uk", "*.github.io"), by the maintained Public Suffix List that
// golang.org/x/net/publicsuffix embeds (https://publicsuffix.org/list/): no CA may issue one
// (CA/Browser Forum Baseline Requirements §3.2.2.6), and a listener serving it would answer for
// every domain under that suffix.
func wildcardUnderPublicSuffix(names []string) string {
	for _, n := range names {
		parent, ok := strings.CutPrefix(n, "*.")
		if !ok {
			continue
		}
		parent = strings.TrimSuffix(strings.ToLower(parent), ".")
		if parent == "" || !strings.Contains(parent, ".") {
			return n // "*.com", "*.internal": a top-level domain is always a suffix
		}
		if suffix, _ := publicsuffix.PublicSuffix(parent); suffix == parent {
			return n
		}
	}
	return ""
}

// checkPublicSuffix refuses a leaf holding a wildcard directly under a public suffix.
func checkPublicSuffix(b *Bundle) error {
	if n := wildcardUnderPublicSuffix(b.DNSNames()); n != "" {
		return newError(FieldCertificate, fmt.Sprintf("holds the wildcard %s, directly under a public suffix: it would serve every domain under %s; refused",
			n, strings.TrimPrefix(n, "*.")))
	}
	return nil
}

// Warnings lists what does not stop a deployment but needs a person: a leaf sent with
// no intermediate whose chain does not reach a root of roots (nil: the system's roots), and a
// common name that is an IP address. The chain is checked as of the leaf's start of validity.
func (b *Bundle) Warnings(roots *x509.CertPool) []string {
	if b == nil || b.Leaf == nil {
		return nil
	}
	var out []string
	if len(b.Intermediates) == 0 {
		if _, err := b.Leaf.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: b.Leaf.NotBefore.Add(time.Minute)}); err != nil {
			out = append(out, "the certificate came without intermediates and its issuer is not a trusted root: "+
				"clients will fail to build the chain; deploy the full chain (fullchain.pem, or chain.pem next to cert.pem)")
		}
	}
	if cn := b.Leaf.Subject.CommonName; cn != "" {
		if _, err := netip.ParseAddr(strings.Trim(cn, "[]")); err == nil {
			out = append(out, fmt.Sprintf("the common name %s is an IP address: browsers ignore the common name, and an IP address belongs in an IP subjectAltName", cn))
		}
	}
	return out
}

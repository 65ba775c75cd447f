package provider

import (
	"regexp"
	"strings"
	"sync"

	"github.com/certrotate/certrotate/shared/certs"
)

// NamePrefix starts the name of every certificate this project uploads; it is how a certificate
// is recognised as ours, and the only ones cleanup may delete.
const NamePrefix = "certrotate-"

var nameUnsafe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9._-]+`) })

// CertificateName is the name this project gives a certificate it uploads: the prefix, the common
// name, the expiry date and the start of the SHA-256 fingerprint, within SLB's rule (1–80
// characters, a letter first; letters, digits, ".", "_", "-"), which Huawei ELB accepts too.
func CertificateName(b *certs.Bundle) string {
	cn := strings.ReplaceAll(b.Leaf.Subject.CommonName, "*", "wildcard")
	if cn == "" && len(b.DNSNames()) > 0 {
		cn = strings.ReplaceAll(b.DNSNames()[0], "*", "wildcard")
	}
	cn = strings.Trim(nameUnsafe().ReplaceAllString(cn, "-"), "-.")
	suffix := "-" + b.Leaf.NotAfter.UTC().Format("20060102") + "-" + b.FingerprintSHA256()[:12]
	if room := 80 - len(NamePrefix) - len(suffix); len(cn) > room {
		cn = strings.TrimRight(cn[:room], "-.")
	}
	if cn == "" {
		return NamePrefix + strings.TrimPrefix(suffix, "-")
	}
	return NamePrefix + cn + suffix
}

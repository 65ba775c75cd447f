package provider_test

import (
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/provider"
)

func TestCertificateNameKeepsSLBsRule(t *testing.T) {
	for _, names := range [][]string{{"*.example.com"}, {"example.com"}, {strings.Repeat("a", 60) + ".example.com"}, {"xn--bcher-kva.example"}} {
		is := certstest.Must(t, certstest.Options{DNSNames: names})
		b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := provider.CertificateName(b)
		if len(n) > 80 || !strings.HasPrefix(n, provider.NamePrefix) || strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			t.Errorf("CertificateName(%v) = %q breaks SLB's rule (1–80 characters; letters, digits, . _ -)", names, n)
		}
		if !strings.Contains(n, b.FingerprintSHA256()[:12]) {
			t.Errorf("CertificateName(%v) = %q does not name the fingerprint", names, n)
		}
	}
}

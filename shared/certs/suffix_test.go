package certs

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
)

func TestWildcardUnderAPublicSuffixIsRefused(t *testing.T) {
	for _, tc := range []struct {
		names []string
		bad   string
	}{
		{[]string{"*.com"}, "*.com"},
		{[]string{"example.co.uk", "*.co.uk"}, "*.co.uk"},
		{[]string{"*.github.io"}, "*.github.io"},
		{[]string{"*.internal"}, "*.internal"},
		{[]string{"*.example.com", "example.com"}, ""},
		{[]string{"*.example.co.uk"}, ""},
		{[]string{"*.a.b.example.org"}, ""},
	} {
		t.Run(strings.Join(tc.names, ","), func(t *testing.T) {
			is := certstest.Must(t, certstest.Options{DNSNames: tc.names, CommonName: "x.example.net", KeyType: certstest.RSA2048})
			b, err := Parse(is.FullchainPEM, is.KeyPEM, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = b.Validate(time.Now())
			if tc.bad == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.bad) || !strings.Contains(err.Error(), "public suffix") {
				t.Fatalf("Validate = %v, want %s refused as under a public suffix", err, tc.bad)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	root, err := certstest.Root()
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	for _, tc := range []struct {
		name  string
		opts  certstest.Options
		roots *x509.CertPool
		want  []string
	}{
		{"full chain", certstest.Options{DNSNames: []string{"a.example.com"}}, nil, nil},
		{"leaf alone, untrusted issuer", certstest.Options{DNSNames: []string{"a.example.com"}, Intermediates: -1}, x509.NewCertPool(), []string{"without intermediates"}},
		{"leaf alone, trusted issuer", certstest.Options{DNSNames: []string{"a.example.com"}, Intermediates: -1}, roots, nil},
		{"common name an IP", certstest.Options{DNSNames: []string{"a.example.com"}, CommonName: "192.0.2.1"}, nil, []string{"IP address"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := certstest.Must(t, tc.opts)
			b, err := Parse(is.FullchainPEM, is.KeyPEM, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := b.Warnings(tc.roots)
			if len(got) != len(tc.want) {
				t.Fatalf("Warnings = %q, want %d holding %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q, want it to say %q", got[i], w)
				}
			}
		})
	}
}

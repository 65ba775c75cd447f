package certs_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
)

func TestCovers(t *testing.T) {
	tests := []struct {
		name string
		held []string
		host string
		want bool
	}{
		{"exact", []string{"example.com"}, "example.com", true},
		{"exact case-insensitive", []string{"WWW.Example.COM"}, "www.example.com", true},
		{"name upper case", []string{"www.example.com"}, "WWW.EXAMPLE.COM", true},
		{"not held", []string{"example.com"}, "www.example.com", false},
		{"wildcard one label", []string{"*.example.com"}, "a.example.com", true},
		{"wildcard case-insensitive", []string{"*.EXAMPLE.com"}, "A.example.COM", true},
		{"wildcard not two labels", []string{"*.example.com"}, "a.b.example.com", false},
		{"wildcard not the apex", []string{"*.example.com"}, "example.com", false},
		{"wildcard not another parent", []string{"*.example.com"}, "a.example.org", false},
		{"wildcard not a suffix trick", []string{"*.example.com"}, "aexample.com", false},
		{"wildcard name by same wildcard", []string{"*.example.com"}, "*.example.com", true},
		{"wildcard name same wildcard any case", []string{"*.Example.com"}, "*.example.COM", true},
		{"wildcard name not by apex", []string{"example.com"}, "*.example.com", false},
		{"wildcard name not by a host", []string{"a.example.com"}, "*.example.com", false},
		{"wildcard name not by parent wildcard", []string{"*.com"}, "*.example.com", false},
		{"nested wildcard name not by wildcard", []string{"*.example.com"}, "*.a.example.com", false},
		{"second of several", []string{"example.org", "*.example.com"}, "www.example.com", true},
		{"trailing dot", []string{"example.com."}, "example.com", true},
		{"empty held", nil, "example.com", false},
		{"empty name", []string{"example.com"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := certs.Covers(tt.held, tt.host); got != tt.want {
				t.Fatalf("Covers(%q, %q) = %v, want %v", tt.held, tt.host, got, tt.want)
			}
		})
	}
}

func TestCoversAll(t *testing.T) {
	is := issue(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}})
	b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		names []string
		want  bool
	}{
		{"none", nil, true},
		{"apex", []string{"example.com"}, true},
		{"apex and hosts", []string{"example.com", "www.example.com", "API.example.com"}, true},
		{"wildcard", []string{"*.example.com"}, true},
		{"deep host", []string{"example.com", "a.b.example.com"}, false},
		{"other domain", []string{"example.org"}, false},
		{"other wildcard", []string{"*.a.example.com"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.CoversAll(tt.names); got != tt.want {
				t.Fatalf("CoversAll(%q) = %v, want %v", tt.names, got, tt.want)
			}
		})
	}
}

func TestDNSNames(t *testing.T) {
	tests := []struct {
		name string
		opts certstest.Options
		want []string
	}{
		{"sans lower-cased and deduplicated", certstest.Options{DNSNames: []string{"WWW.Example.com", "www.example.com", "*.Example.com"}}, []string{"www.example.com", "*.example.com"}},
		{"common name fallback", certstest.Options{DNSNames: []string{}, CommonName: "Legacy.Example.com"}, []string{"legacy.example.com"}},
		{"common name not a host", certstest.Options{DNSNames: []string{}, CommonName: "Example Corp"}, []string{}},
		{"single label common name", certstest.Options{DNSNames: []string{}, CommonName: "localhost"}, []string{}},
		{"sans win over common name", certstest.Options{DNSNames: []string{"a.example.com"}, CommonName: "b.example.com"}, []string{"a.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := issue(t, tt.opts)
			b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := b.DNSNames()
			if got == nil || !slices.Equal(got, tt.want) {
				t.Fatalf("DNSNames() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestFingerprints(t *testing.T) {
	for _, kt := range []certstest.KeyType{certstest.ECDSAP256, certstest.RSA2048} {
		t.Run(string(kt), func(t *testing.T) {
			is := issue(t, certstest.Options{KeyType: kt})
			b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
			if err != nil {
				t.Fatal(err)
			}
			s1 := sha1.Sum(is.Leaf.Raw)
			parts := make([]string, len(s1))
			for i, c := range s1 {
				parts[i] = fmt.Sprintf("%02x", c)
			}
			want1 := strings.Join(parts, ":")
			if got := b.FingerprintSHA1(); got != want1 {
				t.Errorf("FingerprintSHA1() = %s, want %s", got, want1)
			}
			if got := certs.FingerprintSHA1(is.Leaf.Raw); got != want1 {
				t.Errorf("FingerprintSHA1(der) = %s, want %s", got, want1)
			}
			want256 := fmt.Sprintf("%x", sha256.Sum256(is.Leaf.Raw))
			if got := b.FingerprintSHA256(); got != want256 {
				t.Errorf("FingerprintSHA256() = %s, want %s", got, want256)
			}
			// What clouds and openssl print normalises to the same string.
			openssl := "SHA1 Fingerprint=" + strings.ToUpper(want1)
			if certs.NormalizeFingerprint(openssl) != certs.NormalizeFingerprint(b.FingerprintSHA1()) {
				t.Errorf("normalised fingerprints differ")
			}
		})
	}
}

func TestNormalizeFingerprint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"68:08:1A:FF", "68081aff"},
		{"SHA1 Fingerprint=68:08:1A:FF", "68081aff"},
		{"sha256 Fingerprint=AB CD ef", "abcdef"},
		{" 68081aff\n", "68081aff"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := certs.NormalizeFingerprint(tt.in); got != tt.want {
				t.Fatalf("NormalizeFingerprint(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestInfo(t *testing.T) {
	nb := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	na := nb.Add(90 * 24 * time.Hour)
	is := issue(t, certstest.Options{DNSNames: []string{"WWW.example.com", "example.com"}, NotBefore: nb, NotAfter: na})
	b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := b.Info()
	want := certs.Info{
		CommonName:        "WWW.example.com",
		DNSNames:          []string{"www.example.com", "example.com"},
		Serial:            is.Leaf.SerialNumber.Text(16),
		FingerprintSHA256: fmt.Sprintf("%x", sha256.Sum256(is.Leaf.Raw)),
		NotBefore:         "2030-01-02T02:04:05Z",
		NotAfter:          "2030-04-02T02:04:05Z",
		Issuer:            "certstest Intermediate CA 1",
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Fatalf("Info() =\n%s\nwant\n%s", gj, wj)
	}
	if got.Serial != strings.ToLower(got.Serial) {
		t.Errorf("serial %q not lower-case", got.Serial)
	}
	for _, key := range []string{`"common_name"`, `"dns_names"`, `"serial"`, `"fingerprint_sha256"`, `"not_before"`, `"not_after"`, `"issuer"`} {
		if !strings.Contains(string(gj), key) {
			t.Errorf("JSON %s lacks %s", gj, key)
		}
	}
	if strings.Contains(string(gj), `"name"`) {
		t.Errorf("empty name not omitted: %s", gj)
	}
}

// TestErrorsHoldNoKeyMaterial puts a real key where it does not belong, or next to the
// wrong certificate, and checks no message repeats it.
func TestErrorsHoldNoKeyMaterial(t *testing.T) {
	a := issue(t, certstest.Options{KeyType: certstest.RSA2048, KeyFormat: "pkcs1"})
	other := issue(t, certstest.Options{})
	key := a.KeyPEM
	cat := func(p ...[]byte) []byte {
		var out []byte
		for _, x := range p {
			out = append(out, x...)
		}
		return out
	}
	tests := []struct {
		name  string
		parse func() (*certs.Bundle, error)
	}{
		{"key as certificate", func() (*certs.Bundle, error) { return certs.Parse(key, key, nil) }},
		{"key as chain", func() (*certs.Bundle, error) { return certs.Parse(a.CertPEM, key, key) }},
		{"two keys", func() (*certs.Bundle, error) { return certs.Parse(a.FullchainPEM, cat(key, key), nil) }},
		{"key with certificate", func() (*certs.Bundle, error) { return certs.Parse(a.FullchainPEM, cat(key, a.CertPEM), nil) }},
		{"truncated key", func() (*certs.Bundle, error) { return certs.Parse(a.FullchainPEM, key[:len(key)/2], nil) }},
		{"corrupted key", func() (*certs.Bundle, error) {
			k := []byte(strings.Replace(string(key), "\n", "\nAAAA", 3))
			return certs.Parse(a.FullchainPEM, k, nil)
		}},
		{"key as sec1", func() (*certs.Bundle, error) {
			return certs.Parse(a.FullchainPEM, []byte(strings.ReplaceAll(string(key), "RSA PRIVATE", "EC PRIVATE")), nil)
		}},
		{"key as pkcs8", func() (*certs.Bundle, error) {
			return certs.Parse(a.FullchainPEM, []byte(strings.ReplaceAll(string(key), "RSA PRIVATE", "PRIVATE")), nil)
		}},
		{"odd key label", func() (*certs.Bundle, error) {
			return certs.Parse(a.FullchainPEM, []byte(strings.ReplaceAll(string(key), "RSA PRIVATE KEY", "RSA PRIVATE KEYS")), nil)
		}},
		{"combined key only", func() (*certs.Bundle, error) { return certs.ParseCombined(key) }},
		{"mismatch", func() (*certs.Bundle, error) {
			b, err := certs.Parse(other.FullchainPEM, key, nil)
			if err != nil {
				return nil, err
			}
			return nil, b.Validate(time.Now())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.parse()
			if err == nil {
				t.Fatal("no error")
			}
			checkNoKeyMaterial(t, err.Error(), key)
		})
	}
}

func TestNormalizeNames(t *testing.T) {
	got := certs.NormalizeNames([]string{" Example.COM. ", "www.example.com", "", "example.com", "*.Example.com"})
	want := []string{"example.com", "www.example.com", "*.example.com"}
	if !slices.Equal(got, want) {
		t.Fatalf("NormalizeNames = %q, want %q", got, want)
	}
}

package source

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
)

// memBucket is an in-memory Bucket that records the keys read.
type memBucket struct {
	mu      sync.Mutex
	objects map[string][]byte
	links   map[string]string
	reads   []string
}

func (m *memBucket) List(_ context.Context, bucket, prefix string) ([]string, error) {
	var out []string
	for k := range m.objects {
		b, key, _ := strings.Cut(k, "/")
		if b == bucket && strings.HasPrefix(key, prefix) && !strings.Contains(strings.TrimPrefix(key, prefix), "/") {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *memBucket) Get(_ context.Context, bucket, key string, max int64) ([]byte, error) {
	m.mu.Lock()
	m.reads = append(m.reads, key)
	m.mu.Unlock()
	d, ok := m.objects[bucket+"/"+key]
	if !ok {
		return nil, ErrNotFound
	}
	if int64(len(d)) > max {
		return nil, ErrTooLarge
	}
	return d, nil
}

func (m *memBucket) SymlinkTarget(_ context.Context, bucket, key string) (string, error) {
	t, ok := m.links[bucket+"/"+key]
	if !ok {
		return "", ErrNotFound
	}
	return t, nil
}

func TestFromFolderLayouts(t *testing.T) {
	rsa := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	ec := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	other := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	combined := append(append([]byte{}, ec.KeyPEM...), ec.FullchainPEM...)

	tests := []struct {
		name    string
		objects map[string][]byte
		key     string
		want    *certstest.Issued
		pending string // substring of the pending reason
		bad     bool   // a *certs.Error
	}{
		{name: "certbot", key: "live/example.com/fullchain.pem", want: rsa, objects: map[string][]byte{
			"live/example.com/cert.pem": rsa.CertPEM, "live/example.com/chain.pem": rsa.ChainPEM,
			"live/example.com/fullchain.pem": rsa.FullchainPEM, "live/example.com/privkey.pem": rsa.KeyPEM,
			"live/example.com/README": []byte("certbot readme")}},
		{name: "certbot leaf and chain only", key: "c/site/cert.pem", want: rsa, objects: map[string][]byte{
			"c/site/cert.pem": rsa.CertPEM, "c/site/chain.pem": rsa.ChainPEM, "c/site/privkey.pem": rsa.KeyPEM}},
		{name: "acme.sh", key: "example.com/example.com.cer", want: ec, objects: map[string][]byte{
			"example.com/example.com.cer": ec.CertPEM, "example.com/ca.cer": ec.ChainPEM,
			"example.com/fullchain.cer": ec.FullchainPEM, "example.com/example.com.key": ec.KeyPEM,
			"example.com/example.com.csr": []byte("csr"), "example.com/example.com.conf": []byte("conf")}},
		{name: "acme.sh ecc folder", key: "example.com_ecc/fullchain.cer", want: ec, objects: map[string][]byte{
			"example.com_ecc/example.com.cer": ec.CertPEM, "example.com_ecc/fullchain.cer": ec.FullchainPEM,
			"example.com_ecc/example.com.key": ec.KeyPEM}},
		{name: "bundle", key: "b/site.pem", want: ec, objects: map[string][]byte{"b/site.pem": combined, "b/notes.pem": []byte("not pem")}},
		{name: "bucket root", key: "fullchain.pem", want: ec, objects: map[string][]byte{"fullchain.pem": ec.FullchainPEM, "key.pem": ec.KeyPEM}},
		{name: "sub-folder ignored", key: "a/fullchain.pem", pending: "no private key", objects: map[string][]byte{
			"a/fullchain.pem": ec.FullchainPEM, "a/old/privkey.pem": ec.KeyPEM}},
		{name: "key missing", key: "s/fullchain.pem", pending: "no private key", objects: map[string][]byte{"s/fullchain.pem": ec.FullchainPEM}},
		{name: "certificate missing", key: "s/privkey.pem", pending: "no certificate", objects: map[string][]byte{"s/privkey.pem": ec.KeyPEM}},
		{name: "key from the previous certificate", key: "s/fullchain.pem", pending: "does not match", objects: map[string][]byte{
			"s/fullchain.pem": ec.FullchainPEM, "s/privkey.pem": other.KeyPEM}},
		{name: "bundle with mismatched key", key: "b/site.pem", bad: true, objects: map[string][]byte{
			"b/site.pem": append(append([]byte{}, other.KeyPEM...), ec.FullchainPEM...)}},
		{name: "garbage certificate", key: "g/fullchain.pem", bad: true, objects: map[string][]byte{
			"g/fullchain.pem": []byte("hello"), "g/privkey.pem": ec.KeyPEM}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &memBucket{objects: map[string][]byte{}}
			for k, v := range tc.objects {
				b.objects["certs/"+k] = v
			}
			got, err := FromFolder(context.Background(), b, "certs", tc.key)
			var pe *PendingError
			var ce *certs.Error
			switch {
			case tc.pending != "":
				if !errors.As(err, &pe) || !strings.Contains(pe.Reason, tc.pending) {
					t.Fatalf("want pending %q, got %v", tc.pending, err)
				}
			case tc.bad:
				if !errors.As(err, &ce) {
					t.Fatalf("want a *certs.Error, got %v", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !got.Leaf.Equal(tc.want.Leaf) || len(got.Intermediates) != 1 {
					t.Fatalf("wrong certificate or chain: %v, %d intermediates", got.Leaf.Subject, len(got.Intermediates))
				}
			}
			for _, r := range b.reads {
				if strings.Contains(r, "/old/") || strings.HasSuffix(r, ".csr") || strings.HasSuffix(r, "README") {
					t.Errorf("read %s, which is not a certificate file of the folder", r)
				}
			}
		})
	}
}

func TestFromFolderRefusesBadKeys(t *testing.T) {
	b := &memBucket{objects: map[string][]byte{}}
	for _, key := range []string{"", "a/../b/fullchain.pem", "./x.pem", "dir/", "a\x00b", strings.Repeat("k", 1024)} {
		_, err := FromFolder(context.Background(), b, "certs", key)
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("key %q: want ErrBadKey, got %v", key, err)
		}
	}
	if len(b.reads) != 0 {
		t.Fatalf("read objects for a bad key: %v", b.reads)
	}
}

func TestResolveSymlink(t *testing.T) {
	b := &memBucket{links: map[string]string{"certs/live/current": "live/2026/fullchain.pem", "certs/evil": "../secret/privkey.pem"}}
	got, err := ResolveSymlink(context.Background(), b, "certs", "live/current")
	if err != nil || got != "live/2026/fullchain.pem" {
		t.Fatalf("ResolveSymlink = %q, %v", got, err)
	}
	if _, err := ResolveSymlink(context.Background(), b, "certs", "evil"); !errors.Is(err, ErrBadKey) {
		t.Fatalf("a link to ../ was followed: %v", err)
	}
	if _, err := ResolveSymlink(context.Background(), plainBucket{}, "certs", "x"); err == nil {
		t.Fatal("a store without symlinks resolved one")
	}
}

type plainBucket struct{}

func (plainBucket) List(context.Context, string, string) ([]string, error) { return nil, nil }
func (plainBucket) Get(context.Context, string, string, int64) ([]byte, error) {
	return nil, fmt.Errorf("unused")
}

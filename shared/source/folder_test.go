package source

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
)

// memBucket is an in-memory Bucket that records the keys read. Objects are last modified at
// modified[k], else at written (zero: the store does not say); a read answers read[k] when set
// (the object replaced since it was listed).
type memBucket struct {
	mu       sync.Mutex
	objects  map[string][]byte
	links    map[string]string
	written  time.Time
	modified map[string]time.Time
	read     map[string]time.Time
	reads    []string
}

func (m *memBucket) lastModified(k string) time.Time {
	if t, ok := m.modified[k]; ok {
		return t
	}
	return m.written
}

func (m *memBucket) List(_ context.Context, bucket, prefix string) ([]Object, error) {
	var out []Object
	for k := range m.objects {
		b, key, _ := strings.Cut(k, "/")
		if b == bucket && strings.HasPrefix(key, prefix) && !strings.Contains(strings.TrimPrefix(key, prefix), "/") {
			out = append(out, Object{Key: key, LastModified: m.lastModified(k)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m *memBucket) Get(_ context.Context, bucket, key string, max int64) ([]byte, time.Time, error) {
	m.mu.Lock()
	m.reads = append(m.reads, key)
	m.mu.Unlock()
	d, ok := m.objects[bucket+"/"+key]
	if !ok {
		return nil, time.Time{}, ErrNotFound
	}
	if int64(len(d)) > max {
		return nil, time.Time{}, ErrTooLarge
	}
	if t, ok := m.read[bucket+"/"+key]; ok {
		return d, t, nil
	}
	return d, m.lastModified(bucket + "/" + key), nil
}

func (m *memBucket) SymlinkTarget(_ context.Context, bucket, key string) (string, error) {
	t, ok := m.links[bucket+"/"+key]
	if !ok {
		return "", ErrNotFound
	}
	return t, nil
}

// t0 is when the tests' files were written.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

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
			// Written a minute ago: inside the settle window, what is missing is still pending.
			b := &memBucket{objects: map[string][]byte{}, written: t0}
			for k, v := range tc.objects {
				b.objects["certs/"+k] = v
			}
			got, err := FromFolder(context.Background(), b, "certs", tc.key, t0.Add(time.Minute))
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
		_, err := FromFolder(context.Background(), b, "certs", key, t0)
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

func (plainBucket) List(context.Context, string, string) ([]Object, error) { return nil, nil }
func (plainBucket) Get(context.Context, string, string, int64) ([]byte, time.Time, error) {
	return nil, time.Time{}, fmt.Errorf("unused")
}

// TestFromFolderSettleWindow: a folder without a matching pair is pending while its newest file is
// younger than SettleWindow (the other file may be uploading), and a bad-input failure after.
func TestFromFolderSettleWindow(t *testing.T) {
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	other := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	mismatched := map[string][]byte{"s/fullchain.pem": is.FullchainPEM, "s/privkey.pem": other.KeyPEM}
	at := func(d time.Duration) time.Time { return t0.Add(-d) }
	tests := []struct {
		name     string
		objects  map[string][]byte
		key      string
		written  time.Time            // every object's time unless modified says
		modified map[string]time.Time // by key in the bucket
		read     map[string]time.Time // what a read says, when not the listing's
		pending  string               // substring of the pending reason
		field    string               // a *certs.Error on this field
		message  string               // substring of that error
		ok       bool
	}{
		{name: "mismatch, written a minute ago", objects: mismatched, key: "s/fullchain.pem", written: at(time.Minute),
			pending: "does not match"},
		{name: "mismatch, unchanged for six minutes", objects: mismatched, key: "s/fullchain.pem", written: at(6 * time.Minute),
			field: "private_key", message: "in certs/s/privkey.pem does not match the certificate in certs/s/fullchain.pem; both unchanged for 6m: upload the matching key"},
		{name: "mismatch, exactly the window", objects: mismatched, key: "s/privkey.pem", written: at(SettleWindow),
			field: "private_key", message: "both unchanged for 5m"},
		{name: "mismatch, for days", objects: mismatched, key: "s/privkey.pem", written: at(49*time.Hour + 3*time.Minute + 20*time.Second),
			field: "private_key", message: "both unchanged for 49h3m:"},
		{name: "mismatch, old key and a certificate just uploaded", objects: mismatched, key: "s/fullchain.pem", written: at(time.Hour),
			modified: map[string]time.Time{"certs/s/fullchain.pem": at(30 * time.Second)}, pending: "does not match"},
		{name: "mismatch, listed old but replaced before the read", objects: mismatched, key: "s/fullchain.pem", written: at(time.Hour),
			read: map[string]time.Time{"certs/s/privkey.pem": at(time.Second)}, pending: "does not match"},
		{name: "mismatch, the store gives no times", objects: mismatched, key: "s/fullchain.pem", pending: "does not match"},
		{name: "mismatch, files dated after now (clock skew)", objects: mismatched, key: "s/fullchain.pem", written: t0.Add(time.Hour),
			pending: "does not match"},
		{name: "matching pair, old", key: "s/fullchain.pem", written: at(90 * 24 * time.Hour), ok: true,
			objects: map[string][]byte{"s/fullchain.pem": is.FullchainPEM, "s/privkey.pem": is.KeyPEM}},
		{name: "certificate only, four minutes", key: "s/fullchain.pem", written: at(4 * time.Minute), pending: "holds no private key yet",
			objects: map[string][]byte{"s/fullchain.pem": is.FullchainPEM}},
		{name: "certificate only, six minutes", key: "s/fullchain.pem", written: at(6 * time.Minute), field: "private_key",
			message: "certs/s/ holds no private key (privkey.pem, key.pem or <folder>.key); its certificate unchanged for 6m: upload the key",
			objects: map[string][]byte{"s/fullchain.pem": is.FullchainPEM}},
		{name: "leaf and chain only, newest recent", key: "s/cert.pem", written: at(time.Hour), pending: "holds no private key yet",
			modified: map[string]time.Time{"certs/s/chain.pem": at(time.Minute)},
			objects:  map[string][]byte{"s/cert.pem": is.CertPEM, "s/chain.pem": is.ChainPEM}},
		{name: "certificate and a stray .pem, six minutes", key: "s/fullchain.pem", written: at(6 * time.Minute), field: "private_key",
			message: "holds no private key", objects: map[string][]byte{"s/fullchain.pem": is.FullchainPEM, "s/notes.pem": []byte("notes")}},
		{name: "key only, six minutes", key: "s/privkey.pem", written: at(6 * time.Minute), field: "certificate",
			message: "certs/s/ holds no certificate (fullchain.pem, cert.pem or <folder>.cer); its private key unchanged for 6m: upload the certificate",
			objects: map[string][]byte{"s/privkey.pem": is.KeyPEM}},
		{name: "key only, the store gives no time", key: "s/privkey.pem", pending: "holds no certificate yet",
			objects: map[string][]byte{"s/privkey.pem": is.KeyPEM}},
		{name: "neither, old", key: "s/README", written: at(time.Hour), pending: "holds no private key yet",
			objects: map[string][]byte{"s/README": []byte("readme")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &memBucket{objects: map[string][]byte{}, written: tc.written, modified: tc.modified, read: tc.read}
			for k, v := range tc.objects {
				b.objects["certs/"+k] = v
			}
			got, err := FromFolder(context.Background(), b, "certs", tc.key, t0)
			var pe *PendingError
			var ce *certs.Error
			switch {
			case tc.pending != "":
				if !errors.As(err, &pe) || !strings.Contains(pe.Reason, tc.pending) {
					t.Fatalf("want pending %q, got %v", tc.pending, err)
				}
			case tc.field != "":
				if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(ce.Reason, tc.message) {
					t.Fatalf("want a *certs.Error on %s saying %q, got %#v", tc.field, tc.message, err)
				}
			case tc.ok:
				if err != nil || !got.Leaf.Equal(is.Leaf) {
					t.Fatalf("FromFolder: %v", err)
				}
			}
			if err != nil && strings.Contains(err.Error(), "PRIVATE"+" KEY") {
				t.Fatal("the error quotes key material")
			}
		})
	}
}

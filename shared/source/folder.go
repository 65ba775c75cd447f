// Package source obtains the PEMs of a certificate: from a folder in a bucket (SPEC §3).
package source

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/certrotate/certrotate/shared/certs"
)

// Bucket reads one object store.
type Bucket interface {
	// List returns the keys of the objects directly under prefix (prefix is "" or ends in "/"),
	// without descending into sub-folders.
	List(ctx context.Context, bucket, prefix string) ([]string, error)
	// Get returns an object's content. It fails with ErrNotFound when the object does not exist
	// and with ErrTooLarge when it holds more than max bytes.
	Get(ctx context.Context, bucket, key string, max int64) ([]byte, error)
}

// Symlinks is implemented by a Bucket whose store has symbolic links (OSS).
type Symlinks interface {
	// SymlinkTarget returns the key a symbolic link points to.
	SymlinkTarget(ctx context.Context, bucket, key string) (string, error)
}

var (
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrTooLarge: the object is larger than a certificate file can be.
	ErrTooLarge = errors.New("object too large")
	// ErrNoBucket: the bucket does not exist.
	ErrNoBucket = errors.New("bucket does not exist")
	// ErrBadKey: an object key (or a symbolic link's target) that cannot name a certificate file.
	ErrBadKey = errors.New("bad object key")
)

// PendingError says the folder does not yet hold a certificate and a key that belong together;
// the upload of the missing file will complete the rotation.
type PendingError struct{ Reason string }

func (e *PendingError) Error() string { return "pending: " + e.Reason }

// Limits on what a certificate folder may hold.
const (
	maxCertBytes = 64 << 10
	maxKeyBytes  = 16 << 10
	maxListed    = 1000
)

// folder is what a folder listing offers, by role.
type folder struct {
	fullchain, leaf, chain, key string
	bundles                     []string
}

// ResolveSymlink returns the key a symlink points to, validated like any object key.
func ResolveSymlink(ctx context.Context, b Bucket, bucket, key string) (string, error) {
	s, ok := b.(Symlinks)
	if !ok {
		return "", fmt.Errorf("source: %s/%s is a symbolic link, which this store does not have", bucket, key)
	}
	target, err := s.SymlinkTarget(ctx, bucket, key)
	if err != nil {
		return "", fmt.Errorf("source: resolving symbolic link %s/%s: %w", bucket, key, err)
	}
	if err := CheckKey(target); err != nil {
		return "", fmt.Errorf("source: symbolic link %s/%s points to %q: %w", bucket, key, target, err)
	}
	return target, nil
}

// bucketRE is compiled when first used, not at start.
var bucketRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`) })

// CheckBucket refuses names that no OSS or S3 bucket can have (3–63 characters: lower-case
// letters, digits, "-" and "."; a letter or digit at each end), before any call is made.
func CheckBucket(bucket string) error {
	if !bucketRE().MatchString(bucket) {
		return fmt.Errorf("%w: bucket name %q is not valid (3-63 lower-case letters, digits, - and .)", ErrBadKey, bucket)
	}
	return nil
}

// CheckKey refuses object keys that cannot name a certificate file.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrBadKey)
	case len(key) > 1023:
		return fmt.Errorf("%w: longer than 1023 bytes", ErrBadKey)
	case strings.ContainsRune(key, 0):
		return fmt.Errorf("%w: contains a NUL byte", ErrBadKey)
	case strings.HasSuffix(key, "/"):
		return fmt.Errorf("%w: names a folder", ErrBadKey)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == ".." || seg == "." {
			return fmt.Errorf("%w: contains a . or .. segment", ErrBadKey)
		}
	}
	return nil
}

// FromFolder reads the certificate in the folder of key (SPEC §3) and parses it. It returns a
// *PendingError when the folder does not yet hold a certificate and a matching key, and a
// *certs.Error when a file is not a valid certificate or key.
func FromFolder(ctx context.Context, b Bucket, bucket, key string) (*certs.Bundle, error) {
	if err := CheckBucket(bucket); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if err := CheckKey(key); err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	prefix := path.Dir(key) + "/"
	if prefix == "./" {
		prefix = ""
	}
	keys, err := b.List(ctx, bucket, prefix)
	if errors.Is(err, ErrNotFound) {
		// Only the bucket can be missing for a listing: retrying will not create it.
		return nil, fmt.Errorf("source: listing %s/%s: %w", bucket, prefix, ErrNoBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("source: listing %s/%s: %w", bucket, prefix, err)
	}
	f := classify(prefix, keys)
	switch {
	case f.key != "" && (f.fullchain != "" || f.leaf != ""):
		return fromFiles(ctx, b, bucket, f)
	case len(f.bundles) > 0:
		return fromBundles(ctx, b, bucket, f.bundles)
	case f.key == "":
		return nil, &PendingError{Reason: fmt.Sprintf("%s/%s holds no private key yet (privkey.pem, key.pem or <folder>.key)", bucket, prefix)}
	default:
		return nil, &PendingError{Reason: fmt.Sprintf("%s/%s holds no certificate yet (fullchain.pem, cert.pem or <folder>.cer)", bucket, prefix)}
	}
}

// classify sorts a folder listing into roles. For acme.sh's ECC folders ("example.com_ecc") the
// folder name without "_ecc" also names the files.
func classify(prefix string, keys []string) folder {
	dir := path.Base(strings.TrimSuffix(prefix, "/"))
	stems := []string{dir, strings.TrimSuffix(dir, "_ecc")}
	var f folder
	for _, k := range keys {
		name := strings.TrimPrefix(k, prefix)
		if name == "" || strings.Contains(name, "/") {
			continue
		}
		lower := strings.ToLower(name)
		switch {
		case lower == "fullchain.pem" || lower == "fullchain.cer" || lower == "fullchain.crt":
			f.fullchain = pick(f.fullchain, k)
		case lower == "cert.pem" || isStem(lower, stems, ".cer") || isStem(lower, stems, ".crt"):
			f.leaf = pick(f.leaf, k)
		case lower == "chain.pem" || lower == "ca.cer":
			f.chain = pick(f.chain, k)
		case lower == "privkey.pem" || lower == "key.pem" || isStem(lower, stems, ".key"):
			f.key = pick(f.key, k)
		case strings.HasSuffix(lower, ".pem"):
			f.bundles = append(f.bundles, k)
		}
	}
	sort.Strings(f.bundles)
	return f
}

func isStem(name string, stems []string, ext string) bool {
	for _, s := range stems {
		if s != "" && s != "." && name == strings.ToLower(s)+ext {
			return true
		}
	}
	return false
}

// pick keeps the first name in sort order, so a folder with both fullchain.pem and fullchain.cer
// is read the same way every time.
func pick(have, k string) string {
	if have == "" || k < have {
		return k
	}
	return have
}

func fromFiles(ctx context.Context, b Bucket, bucket string, f folder) (*certs.Bundle, error) {
	certKey, chainKey := f.fullchain, ""
	if certKey == "" {
		certKey, chainKey = f.leaf, f.chain
	}
	want := []struct {
		key string
		max int64
	}{{certKey, maxCertBytes}, {f.key, maxKeyBytes}, {chainKey, maxCertBytes}}
	got := make([][]byte, len(want))
	errs := make([]error, len(want))
	var wg sync.WaitGroup
	for i, w := range want {
		if w.key == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = b.Get(ctx, bucket, w.key, w.max)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case errors.Is(err, ErrNotFound):
			// Listed, then gone: a re-upload is under way.
			return nil, &PendingError{Reason: fmt.Sprintf("%s/%s disappeared while being read", bucket, want[i].key)}
		case err != nil:
			return nil, fmt.Errorf("source: reading %s/%s: %w", bucket, want[i].key, err)
		}
	}
	bundle, err := certs.Parse(got[0], got[1], got[2])
	if err == nil {
		err = mismatch(bundle)
	}
	if errors.Is(err, certs.ErrKeyMismatch) {
		return nil, &PendingError{Reason: fmt.Sprintf("%s/%s does not match %s/%s yet; waiting for the other file", bucket, f.key, bucket, certKey)}
	}
	if err != nil {
		return nil, err
	}
	return bundle, nil
}

// mismatch checks only that the key belongs to the leaf; the full validation is the caller's.
func mismatch(b *certs.Bundle) error {
	type publicKeyer interface{ Equal(x crypto.PublicKey) bool }
	pub, ok := b.Key.Public().(publicKeyer)
	if !ok || !pub.Equal(b.Leaf.PublicKey) {
		return certs.ErrKeyMismatch
	}
	return nil
}

// fromBundles reads "*.pem" objects holding both a key and certificates; the first that parses
// wins. Files holding only one of the two are not bundles and are passed over.
func fromBundles(ctx context.Context, b Bucket, bucket string, keys []string) (*certs.Bundle, error) {
	for _, k := range keys {
		data, err := b.Get(ctx, bucket, k, maxCertBytes+maxKeyBytes)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrTooLarge) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("source: reading %s/%s: %w", bucket, k, err)
		}
		if !holdsKeyAndCert(data) {
			continue
		}
		bundle, err := certs.ParseCombined(data)
		if err == nil {
			err = mismatch(bundle)
		}
		if errors.Is(err, certs.ErrKeyMismatch) {
			// One object is written at once: a mismatch inside it is not an upload in progress.
			return nil, &certs.Error{Field: "private_key", Reason: fmt.Sprintf("in %s/%s does not match the certificate in the same file", bucket, k)}
		}
		if err != nil {
			return nil, err
		}
		return bundle, nil
	}
	return nil, &PendingError{Reason: fmt.Sprintf("no certificate and private key in %s yet", bucket)}
}

func holdsKeyAndCert(data []byte) bool {
	s := string(data)
	return strings.Contains(s, "-----BEGIN CERTIFICATE-----") && strings.Contains(s, "PRIVATE KEY-----")
}

// ReadLimited reads r to its end and closes it, failing with ErrTooLarge past max bytes. Bucket
// implementations use it for object bodies.
func ReadLimited(r io.ReadCloser, max int64) ([]byte, error) {
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return data, nil
}

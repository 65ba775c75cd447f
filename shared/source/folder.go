// Package source obtains the PEMs of a certificate: from a folder in a bucket.
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
	"time"

	"github.com/certrotate/certrotate/shared/certs"
)

// Bucket reads one object store.
type Bucket interface {
	// List returns the objects directly under prefix (prefix is "" or ends in "/"), without
	// descending into sub-folders.
	List(ctx context.Context, bucket, prefix string) ([]Object, error)
	// Get returns an object's content and when it was last written (zero when the store did not
	// say). It fails with ErrNotFound when the object does not exist and with ErrTooLarge when it
	// holds more than max bytes.
	Get(ctx context.Context, bucket, key string, max int64) (data []byte, lastModified time.Time, err error)
}

// Object is one object of a listing.
type Object struct {
	Key string
	// LastModified is when the object was last written, as the store says; zero when it did not say.
	LastModified time.Time
}

// SettleWindow is how long a folder's files must stay unchanged before what they lack is final.
// An ACME client (certbot's deploy hook, acme.sh's --reloadcmd) uploads a certificate's files
// within seconds of each other; a folder whose key still does not match its certificate, or that
// still holds only one of the two, five minutes after its last write is not waiting for an upload
// but holds a wrong or missing file: a bad-input failure, no longer pending.
const SettleWindow = 5 * time.Minute

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
	modified                    map[string]time.Time // key → last modified, as listed
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

// FromFolder reads the certificate in the folder of key and parses it. It returns a *PendingError
// when the folder does not yet hold a certificate and a matching key, and a *certs.Error when a
// file is not a valid certificate or key, or when the folder has lacked a matching pair for
// SettleWindow before now (its files' last-modified times).
func FromFolder(ctx context.Context, b Bucket, bucket, key string, now time.Time) (*certs.Bundle, error) {
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
	objects, err := b.List(ctx, bucket, prefix)
	if errors.Is(err, ErrNotFound) {
		// Only the bucket can be missing for a listing: retrying will not create it.
		return nil, fmt.Errorf("source: listing %s/%s: %w", bucket, prefix, ErrNoBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("source: listing %s/%s: %w", bucket, prefix, err)
	}
	f := classify(prefix, objects)
	if f.key != "" && (f.fullchain != "" || f.leaf != "") {
		return fromFiles(ctx, b, bucket, f, now)
	}
	if len(f.bundles) > 0 {
		bundle, err := fromBundles(ctx, b, bucket, f.bundles)
		var pending *PendingError
		if !errors.As(err, &pending) || (f.key == "" && f.fullchain == "" && f.leaf == "") {
			return bundle, err
		}
		// No bundle, but one file of a pair: said as for a folder without bundles.
	}
	return nil, halfUploaded(bucket, prefix, f, now)
}

// halfUploaded says what a folder holding one file of the pair lacks: pending while that file
// is recent (the other may be uploading), final once it has been unchanged for SettleWindow.
func halfUploaded(bucket, prefix string, f folder, now time.Time) error {
	if f.key == "" {
		if age, ok := f.age(now, f.fullchain, f.leaf, f.chain); ok && age >= SettleWindow {
			return &certs.Error{Field: "private_key", Reason: fmt.Sprintf("%s/%s holds no private key (privkey.pem, key.pem or <folder>.key); "+
				"its certificate unchanged for %s: upload the key", bucket, prefix, minutes(age))}
		}
		return &PendingError{Reason: fmt.Sprintf("%s/%s holds no private key yet (privkey.pem, key.pem or <folder>.key)", bucket, prefix)}
	}
	if age, ok := f.age(now, f.key); ok && age >= SettleWindow {
		return &certs.Error{Field: "certificate", Reason: fmt.Sprintf("%s/%s holds no certificate (fullchain.pem, cert.pem or <folder>.cer); "+
			"its private key unchanged for %s: upload the certificate", bucket, prefix, minutes(age))}
	}
	return &PendingError{Reason: fmt.Sprintf("%s/%s holds no certificate yet (fullchain.pem, cert.pem or <folder>.cer)", bucket, prefix)}
}

// age is how long ago the newest of keys (those not empty) was written, by the listing.
func (f folder) age(now time.Time, keys ...string) (time.Duration, bool) {
	var times []time.Time
	for _, k := range keys {
		if k != "" {
			times = append(times, f.modified[k])
		}
	}
	return sinceNewest(now, times...)
}

// sinceNewest is how long ago the newest of times was; ok is false when there is none or one is zero
// (unknown: never taken as old).
func sinceNewest(now time.Time, times ...time.Time) (time.Duration, bool) {
	var newest time.Time
	for _, t := range times {
		if t.IsZero() {
			return 0, false
		}
		if t.After(newest) {
			newest = t
		}
	}
	if newest.IsZero() {
		return 0, false
	}
	return now.Sub(newest), true
}

// minutes renders a duration in whole minutes: "7m", "2h5m".
func minutes(d time.Duration) string {
	return strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
}

// classify sorts a folder listing into roles. For acme.sh's ECC folders ("example.com_ecc") the
// folder name without "_ecc" also names the files.
func classify(prefix string, objects []Object) folder {
	dir := path.Base(strings.TrimSuffix(prefix, "/"))
	stems := []string{dir, strings.TrimSuffix(dir, "_ecc")}
	f := folder{modified: make(map[string]time.Time, len(objects))}
	for _, o := range objects {
		k := o.Key
		f.modified[k] = o.LastModified
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

func fromFiles(ctx context.Context, b Bucket, bucket string, f folder, now time.Time) (*certs.Bundle, error) {
	certKey, chainKey := f.fullchain, ""
	if certKey == "" {
		certKey, chainKey = f.leaf, f.chain
	}
	want := []struct {
		key string
		max int64
	}{{certKey, maxCertBytes}, {f.key, maxKeyBytes}, {chainKey, maxCertBytes}}
	got := make([][]byte, len(want))
	modified := make([]time.Time, len(want))
	errs := make([]error, len(want))
	var wg sync.WaitGroup
	for i, w := range want {
		if w.key == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], modified[i], errs[i] = b.Get(ctx, bucket, w.key, w.max)
			if modified[i].IsZero() {
				modified[i] = f.modified[w.key] // the read did not say: the listing's
			}
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
		// The times of what was read, not of the listing: a file replaced in between is recent.
		if age, ok := sinceNewest(now, modified[0], modified[1]); ok && age >= SettleWindow {
			return nil, &certs.Error{Field: "private_key", Reason: fmt.Sprintf("in %s/%s does not match the certificate in %s/%s; "+
				"both unchanged for %s: upload the matching key", bucket, f.key, bucket, certKey, minutes(age))}
		}
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
		data, _, err := b.Get(ctx, bucket, k, maxCertBytes+maxKeyBytes)
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

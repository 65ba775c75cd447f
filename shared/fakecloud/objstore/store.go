// Package objstore emulates Alibaba Cloud OSS and AWS S3 object storage (path style) in memory,
// verifying OSS V4 and AWS SigV4 request signatures against a fakecore.Keyring.
package objstore

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

const (
	storeOSS = "oss"
	storeS3  = "s3"

	maxKeyLen  = 1023
	maxBodyLen = 5 << 20 // 5 MiB
	maxSkew    = 15 * time.Minute
)

// object is one stored object. It is never modified after it is stored: a put replaces it.
type object struct {
	body        []byte
	md5Hex      string // lower-case hex MD5 of body
	contentType string
	// modified is when the put that stored the object was received, in whole seconds (the
	// Last-Modified header is an HTTP-date; the listings' LastModified repeat it with ".000").
	// GetObject and HeadObject answer it as Last-Modified, ListObjects(V2) as Contents.LastModified:
	// OSS https://www.alibabacloud.com/help/en/oss/developer-reference/getobject,
	// https://www.alibabacloud.com/help/en/oss/developer-reference/headobject,
	// https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectsv2;
	// S3 https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html,
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html (Object.LastModified).
	modified  time.Time
	target    string            // OSS symlink target key; empty for a normal object
	checksums map[string]string // S3: lower-case algorithm name ("crc32") → base64 value, as uploaded
}

func newObject(body []byte, contentType string, modified time.Time) *object {
	sum := md5.Sum(body)
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	return &object{
		body:        append([]byte(nil), body...),
		md5Hex:      hex.EncodeToString(sum[:]),
		contentType: contentType,
		modified:    modified.UTC().Truncate(time.Second),
	}
}

type bucket struct {
	created time.Time
	objects map[string]*object
}

// Store emulates OSS and S3 buckets in memory. Safe for concurrent use.
type Store struct {
	keys   *fakecore.Keyring
	log    *fakecore.Log
	faults *fakecore.Faults
	now    func() time.Time

	mu      sync.RWMutex
	buckets map[string]map[string]*bucket // store ("oss", "s3") → bucket name → bucket
}

// New returns an empty store. keys, log and faults may be nil (no credential is then accepted,
// nothing is logged, no fault is injected); now nil means time.Now.
func New(keys *fakecore.Keyring, log *fakecore.Log, faults *fakecore.Faults, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{
		keys:    keys,
		log:     log,
		faults:  faults,
		now:     now,
		buckets: map[string]map[string]*bucket{storeOSS: {}, storeS3: {}},
	}
}

// OSS returns the Alibaba Cloud OSS handler, path style: /{bucket}/{key}.
func (s *Store) OSS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(ossService, w, r) })
}

// S3 returns the AWS S3 handler, path style: /{bucket}/{key}.
func (s *Store) S3() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(s3Service, w, r) })
}

// CreateBucket creates bucket in store ("oss" or "s3") unless it exists. It panics on another store name.
func (s *Store) CreateBucket(store, bucket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucketLocked(store, bucket, true)
}

// Put stores body under key in store ("oss" or "s3"), creating the bucket if needed.
func (s *Store) Put(store, bucket, key string, body []byte) {
	o := newObject(body, "", s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucketLocked(store, bucket, true).objects[key] = o
}

// PutSymlink makes OSS key a symlink to target (in the same bucket), creating the bucket if needed.
func (s *Store) PutSymlink(bucket, key, target string) {
	o := newObject(nil, "", s.now())
	o.target = target
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucketLocked(storeOSS, bucket, true).objects[key] = o
}

// Object returns the content GetObject would answer for key: an OSS symlink yields its target's content.
func (s *Store) Object(store, bucket, key string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.bucketLocked(store, bucket, false)
	if b == nil {
		return nil, false
	}
	o := b.objects[key]
	if o != nil && o.target != "" {
		o = b.objects[o.target]
		if o != nil && o.target != "" {
			return nil, false
		}
	}
	if o == nil {
		return nil, false
	}
	return append([]byte(nil), o.body...), true
}

// Delete removes key from store; a missing bucket or key is not an error.
func (s *Store) Delete(store, bucket, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bucketLocked(store, bucket, false); b != nil {
		delete(b.objects, key)
	}
}

// bucketLocked returns the named bucket, creating it when create is set; s.mu must be held
// (for writing when create is set).
func (s *Store) bucketLocked(store, name string, create bool) *bucket {
	m, ok := s.buckets[store]
	if !ok {
		panic(fmt.Sprintf("objstore: unknown store %q (want %q or %q)", store, storeOSS, storeS3))
	}
	b := m[name]
	if b == nil && create {
		b = &bucket{created: s.now().UTC(), objects: map[string]*object{}}
		m[name] = b
	}
	return b
}

// lookup returns the bucket's existence and the object stored under key (nil if none).
func (s *Store) lookup(store, bucketName, key string) (bool, *object) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.bucketLocked(store, bucketName, false)
	if b == nil {
		return false, nil
	}
	return true, b.objects[key]
}

// store saves o under key; it reports false when the bucket does not exist.
func (s *Store) store(store, bucketName, key string, o *object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucketLocked(store, bucketName, false)
	if b == nil {
		return false
	}
	b.objects[key] = o
	return true
}

// remove deletes key; it reports false when the bucket does not exist.
func (s *Store) remove(store, bucketName, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucketLocked(store, bucketName, false)
	if b == nil {
		return false
	}
	delete(b.objects, key)
	return true
}

// listEntry is one key of a listing with its object.
type listEntry struct {
	key string
	obj *object
}

// listing is the result of one list page.
type listing struct {
	contents   []listEntry
	prefixes   []string
	truncated  bool
	nextMarker string // last key or common prefix returned, when truncated
}

// list returns up to max keys and common prefixes after marker, in byte order. Keys that roll up
// into a common prefix not greater than marker are skipped, so a marker that is a common prefix
// resumes after every key under it. It reports false when the bucket does not exist.
func (s *Store) list(store, bucketName, prefix, delimiter, marker string, max int) (listing, bool) {
	s.mu.RLock()
	b := s.bucketLocked(store, bucketName, false)
	if b == nil {
		s.mu.RUnlock()
		return listing{}, false
	}
	entries := make([]listEntry, 0, len(b.objects))
	for k, o := range b.objects {
		if strings.HasPrefix(k, prefix) && k > marker {
			entries = append(entries, listEntry{k, o})
		}
	}
	s.mu.RUnlock()
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })

	var out listing
	if max <= 0 {
		return out, true
	}
	last := ""
	for _, e := range entries {
		item, isPrefix := e.key, false
		if delimiter != "" {
			if i := strings.Index(e.key[len(prefix):], delimiter); i >= 0 {
				item, isPrefix = e.key[:len(prefix)+i+len(delimiter)], true
				if item <= marker || item == last {
					continue
				}
			}
		}
		if len(out.contents)+len(out.prefixes) >= max {
			out.truncated = true
			out.nextMarker = last
			break
		}
		if isPrefix {
			out.prefixes = append(out.prefixes, item)
		} else {
			out.contents = append(out.contents, e)
		}
		last = item
	}
	return out, true
}

package event

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxKeyBytes is the longest object key accepted, in bytes (the S3 and OSS limit is 1023 bytes).
const MaxKeyBytes = 1023

// checkBucket validates a bucket name: present, at most 255 bytes, valid UTF-8,
// no slash and no control character. It is not the vendors' full naming rule: the
// store itself refuses a name it does not hold.
func checkBucket(bucket, field string) *Error {
	switch {
	case bucket == "":
		return &Error{Field: field, Reason: "missing: a bucket name is required"}
	case len(bucket) > 255:
		return &Error{Field: field, Reason: "is longer than 255 bytes"}
	case !utf8.ValidString(bucket):
		return &Error{Field: field, Reason: "is not valid UTF-8"}
	case strings.ContainsRune(bucket, '/'):
		return &Error{Field: field, Reason: "must not contain /"}
	case strings.IndexFunc(bucket, unicode.IsControl) >= 0:
		return &Error{Field: field, Reason: "must not contain control characters"}
	}
	return nil
}

// checkKey validates an object key: present, at most MaxKeyBytes, valid UTF-8, no
// NUL, no ".." path segment and not a folder (ending in "/").
func checkKey(key, field string) *Error {
	switch {
	case key == "":
		return &Error{Field: field, Reason: "missing: an object key is required"}
	case len(key) > MaxKeyBytes:
		return &Error{Field: field, Reason: "is longer than 1023 bytes"}
	case !utf8.ValidString(key):
		return &Error{Field: field, Reason: "is not valid UTF-8"}
	case strings.ContainsRune(key, 0):
		return &Error{Field: field, Reason: "must not contain a NUL character"}
	case strings.HasSuffix(key, "/"):
		return &Error{Field: field, Reason: "names a folder (ends in /), not an object"}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == ".." {
			return &Error{Field: field, Reason: "must not contain a .. path segment"}
		}
	}
	return nil
}

// checkObject validates the bucket and key of o.
func checkObject(o *Object, bucketField, keyField string) *Error {
	if err := checkBucket(o.Bucket, bucketField); err != nil {
		return err
	}
	return checkKey(o.Key, keyField)
}

package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// bodyFields are the names a certificate body may hold, in the order messages list them.
var bodyFields = []string{"certificate", "private_key", "chain", "name", "bucket", "key", "store", "cas_certificate_id", "targets", "force"}

// DecodeBody decodes a certificate body strictly: kind is KindWebhook (the verified
// body of an HTTP request) or KindInvoke (a direct invocation's payload). An unknown
// field is an error naming it; the body must hold exactly one certificate source:
// certificate with private_key, bucket with key, or cas_certificate_id. Every error
// is an *Error, and no message ever quotes certificate or key material.
func DecodeBody(raw []byte, kind Kind) (*Body, error) {
	what := "body"
	switch kind {
	case KindWebhook:
		what = "webhook body"
	case KindInvoke:
		what = "event"
	default:
		return nil, &Error{Reason: fmt.Sprintf("a certificate body comes from a webhook or an invocation, not from %s", quote(string(kind)))}
	}
	m, perr := parseObject(raw, what, MaxSize)
	if perr != nil {
		return nil, perr
	}
	if err := unknownFields(m); err != nil {
		return nil, err
	}

	var b Body
	present := map[string]bool{}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"certificate", &b.Certificate}, {"private_key", &b.PrivateKey}, {"chain", &b.Chain},
		{"name", &b.Name}, {"bucket", &b.Bucket}, {"key", &b.Key}, {"store", &b.Store},
	} {
		ok, err := stringField(m, f.name, f.dst)
		if err != nil {
			return nil, err
		}
		present[f.name] = ok
		if f.name != "certificate" && f.name != "private_key" && f.name != "chain" && keyMaterial(*f.dst) {
			return nil, pemInField(f.name)
		}
	}
	if v, ok := m["force"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &b.Force); err != nil {
			return nil, &Error{Field: "force", Reason: "must be true or false, not " + jsonKind(v)}
		}
	}
	if v, ok := m["cas_certificate_id"]; ok && !isNull(v) {
		id, err := casID(v)
		if err != nil {
			return nil, err
		}
		b.CASCertificateID = id
		present["cas_certificate_id"] = true
	}
	if v, ok := m["targets"]; ok && !isNull(v) {
		targets, err := targetList(v)
		if err != nil {
			return nil, err
		}
		b.Targets = targets
	}

	// Present means given and not null; PEMs may not be given blank (an empty
	// bucket or key is refused by checkBucket and checkKey).
	if present["certificate"] && strings.TrimSpace(b.Certificate) == "" {
		return nil, &Error{Field: "certificate", Reason: "must not be empty"}
	}
	if present["private_key"] && strings.TrimSpace(b.PrivateKey) == "" {
		return nil, &Error{Field: "private_key", Reason: "must not be empty"}
	}
	if err := checkSources(&b, present); err != nil {
		return nil, err
	}
	return &b, nil
}

// checkSources enforces exactly one certificate source and the fields that go with it.
func checkSources(b *Body, present map[string]bool) *Error {
	inline := present["certificate"] || present["private_key"]
	bucket := present["bucket"] || present["key"]
	cas := present["cas_certificate_id"]
	var sources []string
	if inline {
		sources = append(sources, "certificate and private_key")
	}
	if bucket {
		sources = append(sources, "bucket and key")
	}
	if cas {
		sources = append(sources, "cas_certificate_id")
	}
	switch len(sources) {
	case 0:
		return &Error{Reason: "no certificate source: give exactly one of certificate and private_key, bucket and key, or cas_certificate_id"}
	case 1:
	default:
		return &Error{Reason: "more than one certificate source (" + oneOf(sources) + "): give exactly one of certificate and private_key, bucket and key, or cas_certificate_id"}
	}

	switch {
	case present["certificate"] && !present["private_key"]:
		return &Error{Field: "private_key", Reason: "missing: certificate was given without private_key"}
	case present["private_key"] && !present["certificate"]:
		return &Error{Field: "certificate", Reason: "missing: private_key was given without certificate"}
	case present["bucket"] && !present["key"]:
		return &Error{Field: "key", Reason: "missing: bucket was given without key"}
	case present["key"] && !present["bucket"]:
		return &Error{Field: "bucket", Reason: "missing: key was given without bucket"}
	case b.Chain != "" && !inline:
		return &Error{Field: "chain", Reason: "only goes with certificate and private_key"}
	case present["store"] && !bucket:
		return &Error{Field: "store", Reason: "only goes with bucket and key"}
	case present["store"] && b.Store != "oss" && b.Store != "s3":
		return &Error{Field: "store", Reason: fmt.Sprintf("%s is not a store: expected \"oss\" or \"s3\"", quote(b.Store))}
	}
	if bucket {
		if err := checkBucket(b.Bucket, "bucket"); err != nil {
			return err
		}
		if err := checkKey(b.Key, "key"); err != nil {
			return err
		}
	}
	return nil
}

// unknownFields refuses names a body does not have, naming the first (in order).
func unknownFields(m map[string]json.RawMessage) *Error {
	var unknown []string
	for _, k := range sortedKeys(m) {
		known := false
		for _, f := range bodyFields {
			if k == f {
				known = true
				break
			}
		}
		if !known {
			unknown = append(unknown, fieldName(k))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	reason := "unknown field: a certificate body has only " + oneOf(bodyFields)
	if len(unknown) > 1 {
		reason += " (also unknown: " + strings.Join(unknown[1:], ", ") + ")"
	}
	return &Error{Field: unknown[0], Reason: reason}
}

// stringField decodes the string field name into dst; it reports whether the
// field was given (not absent, not null).
func stringField(m map[string]json.RawMessage, name string, dst *string) (bool, *Error) {
	v, ok := m[name]
	if !ok || isNull(v) {
		return false, nil
	}
	if t := bytes.TrimSpace(v); t[0] != '"' {
		return false, &Error{Field: name, Reason: "must be a string, not " + jsonKind(v)}
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return false, &Error{Field: name, Reason: "must be a string"}
	}
	return true, nil
}

// casID decodes cas_certificate_id: a positive integer written as a JSON number.
func casID(v json.RawMessage) (int64, *Error) {
	const field = "cas_certificate_id"
	t := bytes.TrimSpace(v)
	if t[0] != '-' && (t[0] < '0' || t[0] > '9') {
		return 0, &Error{Field: field, Reason: "must be a number, not " + jsonKind(v)}
	}
	id, err := strconv.ParseInt(string(t), 10, 64)
	if err != nil || id <= 0 {
		return 0, &Error{Field: field, Reason: "must be a positive whole number"}
	}
	return id, nil
}

// targetList decodes targets: a non-empty array of distinct, non-empty strings.
func targetList(v json.RawMessage) ([]string, *Error) {
	if t := bytes.TrimSpace(v); t[0] != '[' {
		return nil, &Error{Field: "targets", Reason: "must be an array of target names, not " + jsonKind(v)}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, &Error{Field: "targets", Reason: "must be an array of target names"}
	}
	if len(items) == 0 {
		return nil, &Error{Field: "targets", Reason: "is empty: name at least one target, or leave targets out to use every target"}
	}
	out := make([]string, 0, len(items))
	seen := map[string]int{}
	for i, item := range items {
		field := index("targets", i)
		var s string
		if t := bytes.TrimSpace(item); t[0] != '"' {
			return nil, &Error{Field: field, Reason: "must be a string, not " + jsonKind(item)}
		}
		if err := json.Unmarshal(item, &s); err != nil {
			return nil, &Error{Field: field, Reason: "must be a string"}
		}
		if strings.TrimSpace(s) == "" {
			return nil, &Error{Field: field, Reason: "must not be empty"}
		}
		if keyMaterial(s) {
			return nil, pemInField(field)
		}
		if j, dup := seen[s]; dup {
			return nil, &Error{Field: field, Reason: fmt.Sprintf("repeats %s", index("targets", j))}
		}
		seen[s] = i
		out = append(out, s)
	}
	return out, nil
}

// Package event decodes every payload that announces a certificate into one internal value.
package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSize is the largest body accepted, directly or over HTTP: 1 MiB.
const MaxSize = 1 << 20

// MaxEnvelope is the largest event accepted: an HTTP event wraps a body of up to MaxSize,
// perhaps base64-encoded, so that the webhook can answer 413 for a larger one itself.
const MaxEnvelope = 6 << 20

// Kind says where a record came from.
type Kind string

// The kinds of record, as reported in the report's source.kind.
const (
	KindOSS     Kind = "oss"
	KindS3      Kind = "s3"
	KindWebhook Kind = "webhook"
	KindInvoke  Kind = "invoke"
	KindCAS     Kind = "cas"
)

// Object names one object in a bucket.
type Object struct {
	Store     string // "oss" | "s3"; empty when a body named a bucket without saying which store
	Bucket    string
	Key       string // decoded: S3 notification keys are URL-decoded here
	Region    string
	Symlink   bool // OSS PutSymlink: Key is the link, resolve it
	ETag      string
	EventName string
}

// Body is the webhook / direct-invocation body (README, The certificate body).
type Body struct {
	Certificate      string   `json:"certificate,omitempty"`
	PrivateKey       string   `json:"private_key,omitempty"`
	Chain            string   `json:"chain,omitempty"`
	Name             string   `json:"name,omitempty"`
	Bucket           string   `json:"bucket,omitempty"`
	Key              string   `json:"key,omitempty"`
	Store            string   `json:"store,omitempty"`
	CASCertificateID int64    `json:"cas_certificate_id,omitempty"`
	Targets          []string `json:"targets,omitempty"`
	// Force lets the certificate replace one that expires later (without it, no downgrade).
	Force bool `json:"force,omitempty"`
}

// Record is one "certificate issued" notice.
type Record struct {
	Kind   Kind
	Object *Object // bucket events and bucket+key bodies
	Body   *Body   // invoke / webhook
}

// HTTPRequest is a webhook call as the platform delivered it, normalised.
type HTTPRequest struct {
	Platform  string // "fc" | "lambda"
	Method    string
	Path      string
	Headers   map[string]string // keys lower-cased
	Body      []byte            // base64 already decoded
	RequestID string
}

// Event is a decoded invocation payload: either bucket/invoke records, or one HTTP
// request (webhook) whose body is verified and decoded later with DecodeBody.
type Event struct {
	Records []Record
	HTTP    *HTTPRequest
	Audit   *Audit // an audit trigger: no record, no HTTP request
}

// Error is bad input: Field names the JSON path (e.g. "events[0].oss.object.key").
type Error struct {
	Field  string
	Reason string

	tooLarge bool
	http     bool // the payload is an HTTP request event
}

// Error returns Field + ": " + Reason, or Reason alone when Field is empty.
func (e *Error) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// TooLarge reports whether err is an *Error refusing a payload or body over MaxSize
// (an HTTP caller answers 413 to it).
func TooLarge(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.tooLarge
}

// FromHTTP reports whether err is an *Error refusing an HTTP request event (a webhook call),
// which is answered over HTTP (400) rather than with a report.
func FromHTTP(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.http
}

// unrecognised is the reason given for a JSON object of no accepted shape.
const unrecognised = "unrecognised event: expected an OSS trigger event, an EventBridge CloudEvent for OSS, " +
	"an S3 notification, an S3 EventBridge event, an HTTP request, a certificate body, " +
	"or an audit trigger (an EventBridge Scheduled Event, a Function Compute timer event, " +
	"an SLB certificate-expiry CloudEvent, or {\"audit\": true})"

// bodySourceFields are the keys that make an object a certificate body (a direct invocation).
var bodySourceFields = []string{"certificate", "private_key", "chain", "bucket", "key", "cas_certificate_id"}

// Decode detects the shape of an invocation payload from the keys of its JSON object
// (never from configuration) and decodes it: the Function Compute OSS
// trigger, the same OSS record in an EventBridge CloudEvent, the S3 notification,
// the S3 event through EventBridge, an HTTP request (Function Compute HTTP trigger,
// Lambda function URL, API Gateway HTTP API v2) or the certificate body of a direct
// invocation, or an audit trigger. Every error is an *Error and comes with no event, so nothing
// downstream runs; the package does no I/O.
func Decode(raw []byte) (*Event, error) {
	top, perr := parseObject(raw, "event", MaxEnvelope)
	if perr != nil {
		return nil, perr
	}
	var ev *Event
	var err error
	switch {
	case has(top, "specversion"):
		ev, err = decodeCloudEvent(raw, top)
	case has(top, "events"):
		ev, err = decodeOSS(top)
	case has(top, "Records"):
		ev, err = decodeS3(top)
	case has(top, "detail-type") || (has(top, "source") && has(top, "detail")):
		if se, ok := isScheduled(raw); ok {
			return decodeScheduled(se), nil
		}
		ev, err = decodeS3EventBridge(raw)
	case has(top, "triggerTime") || has(top, "triggerName"):
		return decodeTimer(raw)
	case has(top, "audit"):
		return decodeAuditBody(top)
	case has(top, "requestContext"):
		ev, err = decodeHTTP(raw, top)
		var e *Error
		if errors.As(err, &e) {
			e.http = true
		}
	case hasAny(top, bodySourceFields...):
		ev, err = decodeInvoke(raw)
	default:
		return nil, &Error{Reason: unrecognised}
	}
	if err != nil {
		return nil, err
	}
	if ev.HTTP == nil && ev.Audit == nil && len(ev.Records) == 0 {
		// Never let a shape decode silently into nothing.
		return nil, &Error{Reason: "the event holds no record"}
	}
	return ev, nil
}

// decodeInvoke handles a direct invocation: the payload is the certificate body itself.
func decodeInvoke(raw []byte) (*Event, error) {
	b, err := DecodeBody(raw, KindInvoke)
	if err != nil {
		return nil, err
	}
	return &Event{Records: []Record{NewRecord(KindInvoke, b)}}, nil
}

// NewRecord makes the record for a body that DecodeBody accepted from kind
// (KindWebhook or KindInvoke): its Kind is KindCAS when the body names a CAS
// certificate, and it has an Object when the body names a bucket and key.
func NewRecord(kind Kind, b *Body) Record {
	r := Record{Kind: kind, Body: b}
	switch {
	case b.CASCertificateID != 0:
		r.Kind = KindCAS
	case b.Bucket != "" || b.Key != "":
		r.Object = &Object{Store: b.Store, Bucket: b.Bucket, Key: b.Key}
	}
	return r
}

// parseObject checks the limits shared by every payload and returns the top-level
// keys of the JSON object. what names the payload in messages ("event", "body").
func parseObject(raw []byte, what string, limit int) (map[string]json.RawMessage, *Error) {
	if len(raw) > limit {
		return nil, &Error{Reason: fmt.Sprintf("%s is %d bytes, over the limit of %d bytes (%d MiB)", what, len(raw), limit, limit>>20), tooLarge: true}
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, &Error{Reason: what + " is empty: expected a JSON object"}
	}
	if !utf8.Valid(trimmed) {
		return nil, &Error{Reason: what + " is not valid UTF-8"}
	}
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v)
		reason := what + " is not valid JSON"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			reason += fmt.Sprintf(": %s (at byte %d)", se.Error(), se.Offset)
		}
		return nil, &Error{Reason: reason}
	}
	if trimmed[0] != '{' {
		return nil, &Error{Reason: fmt.Sprintf("%s must be a JSON object, not %s", what, jsonKind(trimmed))}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, &Error{Reason: what + " is not a JSON object: " + err.Error()}
	}
	return top, nil
}

func has(m map[string]json.RawMessage, key string) bool {
	_, ok := m[key]
	return ok
}

func hasAny(m map[string]json.RawMessage, keys ...string) bool {
	for _, k := range keys {
		if has(m, k) {
			return true
		}
	}
	return false
}

// isNull reports whether a raw value is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// jsonKind names the kind of a JSON value for messages: "an object", "an array", …
func jsonKind(raw []byte) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// decodeAt unmarshals raw into v; a failure becomes an *Error whose Field is the
// JSON path below path.
func decodeAt(raw json.RawMessage, v any, path string) *Error {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := goKind(te.Type.Kind().String())
		return &Error{Field: join(path, te.Field), Reason: fmt.Sprintf("must be %s, not %s", want, article(te.Value))}
	}
	return &Error{Field: path, Reason: err.Error()}
}

// goKind turns a reflect kind name into the JSON kind expected.
func goKind(k string) string {
	switch {
	case k == "string":
		return "a string"
	case k == "bool":
		return "a boolean"
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "slice", k == "array":
		return "an array"
	default:
		return "an object"
	}
}

// article turns encoding/json's value description ("string", "number 1.5", "array") into a phrase.
func article(v string) string {
	if v == "" {
		return "this value"
	}
	if strings.HasPrefix(v, "number") {
		return "a number"
	}
	switch v {
	case "object", "array":
		return "an " + v
	case "bool":
		return "a boolean"
	}
	return "a " + v
}

// join appends a dotted JSON path to a base path.
func join(base, field string) string {
	switch {
	case base == "":
		return field
	case field == "":
		return base
	}
	return base + "." + field
}

// index forms "name[i]".
func index(name string, i int) string {
	return name + "[" + strconv.Itoa(i) + "]"
}

// quote renders an untrusted value for a message: quoted, and cut to 64 runes.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// fieldName renders an untrusted JSON key for Error.Field: as is when it is short
// and printable, otherwise quoted and cut.
func fieldName(k string) string {
	if k != "" && len(k) <= 64 && strings.IndexFunc(k, func(r rune) bool { return !unicode.IsPrint(r) || r == '"' }) < 0 {
		return k
	}
	return quote(k)
}

// oneOf lists accepted values for a message: "A, B or C".
func oneOf(values []string) string {
	switch len(values) {
	case 0:
		return ""
	case 1:
		return values[0]
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

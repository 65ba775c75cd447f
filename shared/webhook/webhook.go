// Package webhook signs and verifies HTTP requests with Standard Webhooks and GitHub-style HMAC-SHA256 signatures.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names, lower-case. HTTP header names are case-insensitive.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
	HeaderGitHub    = "x-hub-signature-256"
)

// Limits of the scheme.
const (
	// Tolerance is how far webhook-timestamp may be from now, either way.
	Tolerance = 300 * time.Second
	// ReplayWindow is how long Seen remembers an id.
	ReplayWindow = 10 * time.Minute
	// ReplayCacheSize bounds the ids Seen remembers; beyond it the oldest is forgotten first.
	ReplayCacheSize = 4096
	// MaxSignatureHeader is the longest webhook-signature (or x-hub-signature-256) value accepted.
	MaxSignatureHeader = 4096
	// MaxSignatures is the most signatures one header may carry.
	MaxSignatures = 10
	// MaxIDLength is the longest webhook-id accepted.
	MaxIDLength = 256
)

const secretPrefix = "whsec_"

// Error is a refused request: Status is the HTTP status to answer (401) and Reason says
// what was wrong and which header. It never holds the secret, a signature or the body.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string { return "webhook: " + e.Reason }

// ErrNoSecret is returned by Verify when no secret is configured: every request is refused.
var ErrNoSecret = &Error{Status: http.StatusUnauthorized, Reason: "no webhook secret is configured, so every signed request is refused"}

func refuse(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnauthorized, Reason: fmt.Sprintf(format, args...)}
}

// Key returns the HMAC key for a configured secret: for "whsec_" + base64 the decoded
// bytes, otherwise the string's bytes, used exactly as given (no trimming). An empty
// secret, bad base64 or an empty decoded key is an error; the error never quotes the secret.
func Key(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("webhook secret: empty")
	}
	rest, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("webhook secret: starts with whsec_ but the rest is not standard base64")
	}
	if len(key) == 0 {
		return nil, errors.New("webhook secret: starts with whsec_ but holds no key bytes")
	}
	return key, nil
}

// Sign returns the Standard Webhooks headers that sign body, keyed by lower-case name:
// webhook-id (id), webhook-timestamp (ts in Unix seconds) and webhook-signature
// ("v1,<base64 HMAC-SHA256(key, id.ts.body)>"). It never adds the GitHub-style
// x-hub-signature-256: that signature has no timestamp, so a captured request stripped of its
// webhook-* headers could be replayed forever to a receiver that accepts both.
func Sign(key []byte, id string, ts time.Time, body []byte) map[string]string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return map[string]string{
		HeaderID:        id,
		HeaderTimestamp: t,
		HeaderSignature: "v1," + base64.StdEncoding.EncodeToString(macStandard(key, id, t, body)),
	}
}

// SignGitHub returns the GitHub-style header for body: x-hub-signature-256 "sha256=<hex
// HMAC-SHA256(key, body)>", as GitHub and other senders compute it. This project never sends it;
// it is for tests of receivers that opted in (AcceptGitHub).
func SignGitHub(key []byte, body []byte) map[string]string {
	return map[string]string{HeaderGitHub: "sha256=" + hex.EncodeToString(macGitHub(key, body))}
}

func macStandard(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func macGitHub(key []byte, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// Verifier authenticates incoming requests against one or more keys (several during a
// secret rotation: any one passes) and remembers accepted webhook-ids. Safe for concurrent use.
type Verifier struct {
	keys   [][]byte
	now    func() time.Time
	github bool // x-hub-signature-256 accepted (AcceptGitHub)

	mu     sync.Mutex
	seen   map[string]seenEntry
	ring   []ringSlot // insertion order, oldest at head
	head   int
	n      int
	serial uint64
}

type seenEntry struct {
	at     time.Time
	serial uint64
}

type ringSlot struct {
	id     string
	serial uint64
}

// NewVerifier returns a Verifier for secrets (see Key); empty strings are skipped. With
// no secret at all it is still returned, and every Verify fails with ErrNoSecret. now is
// the clock (nil: time.Now). A secret that is not a valid key is an error.
func NewVerifier(secrets []string, now func() time.Time) (*Verifier, error) {
	if now == nil {
		now = time.Now
	}
	v := &Verifier{now: now, seen: make(map[string]seenEntry), ring: make([]ringSlot, ReplayCacheSize)}
	for i, s := range secrets {
		if s == "" {
			continue
		}
		k, err := Key(s)
		if err != nil {
			if len(secrets) > 1 {
				return nil, fmt.Errorf("secret %d: %w", i+1, err)
			}
			return nil, err
		}
		v.keys = append(v.keys, k)
	}
	return v, nil
}

// AcceptGitHub makes v accept a GitHub-style x-hub-signature-256 on a request that carries no
// webhook-* header (ROTATE_WEBHOOK_ACCEPT_GITHUB, NOTIFY_ACCEPT_GITHUB). Off by default: such a
// signature has no timestamp or id, so whoever captured one request can replay it. Call it before
// v is shared.
func (v *Verifier) AcceptGitHub(on bool) { v.github = on }

// Verify authenticates body, the raw bytes received (already base64-decoded where the
// platform encoded them), against headers (names matched case-insensitively; values of
// names that differ only in case are joined with ","). It returns the webhook-id (""
// for a GitHub-style request) and nil, or an *Error.
//
// When any webhook-* header is present the request is judged by Standard Webhooks alone:
// all three headers are required, webhook-timestamp is a decimal Unix time within
// Tolerance of now, and webhook-signature holds up to MaxSignatures space-separated
// "v1,<base64>" entries (canonical standard base64), any of which may match; entries of
// other versions are ignored. Otherwise, only when AcceptGitHub was set, x-hub-signature-256
// "sha256=<hex>" over the body alone is checked; it carries no timestamp or id, so such a
// request can be replayed by whoever captured it. Verify does not record the id: call
// Seen once the request is accepted.
func (v *Verifier) Verify(headers map[string]string, body []byte) (id string, err error) {
	if len(v.keys) == 0 {
		return "", ErrNoSecret
	}
	id, hasID := header(headers, HeaderID)
	ts, hasTS := header(headers, HeaderTimestamp)
	sig, hasSig := header(headers, HeaderSignature)
	if hasID || hasTS || hasSig {
		return v.verifyStandard(id, ts, sig, hasID, hasTS, hasSig, body)
	}
	if hub, ok := header(headers, HeaderGitHub); ok {
		if !v.github {
			return "", refuse("a GitHub-style %s signature alone is not accepted (it has no timestamp, so it could be replayed): sign with Standard Webhooks (%s, %s, %s), or let the function accept GitHub style (ROTATE_WEBHOOK_ACCEPT_GITHUB=true, NOTIFY_ACCEPT_GITHUB=true)",
				HeaderGitHub, HeaderID, HeaderTimestamp, HeaderSignature)
		}
		return "", v.verifyGitHub(hub, body)
	}
	if v.github {
		return "", refuse("missing %s header (Standard Webhooks: %s, %s, %s; or GitHub style: %s)", HeaderSignature, HeaderID, HeaderTimestamp, HeaderSignature, HeaderGitHub)
	}
	return "", refuse("missing %s header (Standard Webhooks: %s, %s, %s)", HeaderSignature, HeaderID, HeaderTimestamp, HeaderSignature)
}

func (v *Verifier) verifyStandard(id, ts, sig string, hasID, hasTS, hasSig bool, body []byte) (string, error) {
	var missing []string
	for _, h := range []struct {
		name string
		ok   bool
	}{{HeaderID, hasID && id != ""}, {HeaderTimestamp, hasTS && ts != ""}, {HeaderSignature, hasSig && strings.TrimSpace(sig) != ""}} {
		if !h.ok {
			missing = append(missing, h.name)
		}
	}
	if len(missing) > 0 {
		return "", refuse("missing %s header (Standard Webhooks needs %s, %s and %s)", strings.Join(missing, " and "), HeaderID, HeaderTimestamp, HeaderSignature)
	}
	if len(id) > MaxIDLength {
		return "", refuse("%s is longer than %d bytes", HeaderID, MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return "", refuse("%s holds a character other than printable ASCII", HeaderID)
		}
	}
	unix, ok := parseUnix(ts)
	if !ok {
		return "", refuse("%s is not a decimal Unix time in seconds", HeaderTimestamp)
	}
	age := v.now().Sub(time.Unix(unix, 0))
	switch {
	case age > Tolerance:
		return "", refuse("%s too old: more than %d s before now", HeaderTimestamp, int(Tolerance/time.Second))
	case age < -Tolerance:
		return "", refuse("%s too new: more than %d s after now", HeaderTimestamp, int(Tolerance/time.Second))
	}
	sigs, err := signatures(sig, HeaderSignature)
	if err != nil {
		return "", err
	}
	var want [][]byte // computed once per key, only if a v1 entry needs it
	var tried bool
	for _, s := range sigs {
		if s.version != "v1" {
			continue
		}
		tried = true
		got, err := base64.StdEncoding.Strict().DecodeString(s.value)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		if want == nil {
			for _, k := range v.keys {
				want = append(want, macStandard(k, id, ts, body))
			}
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				return id, nil
			}
		}
	}
	if !tried {
		return "", refuse("%s holds no v1 signature", HeaderSignature)
	}
	return "", refuse("%s: no v1 signature matches the body", HeaderSignature)
}

func (v *Verifier) verifyGitHub(hub string, body []byte) error {
	if len(hub) > MaxSignatureHeader {
		return refuse("%s is longer than %d bytes", HeaderGitHub, MaxSignatureHeader)
	}
	entries := strings.FieldsFunc(hub, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(entries) == 0 {
		return refuse("missing %s header value", HeaderGitHub)
	}
	if len(entries) > MaxSignatures {
		return refuse("%s holds more than %d signatures", HeaderGitHub, MaxSignatures)
	}
	var want [][]byte
	var tried bool
	for _, e := range entries {
		h, ok := strings.CutPrefix(e, "sha256=")
		if !ok {
			continue
		}
		tried = true
		got, err := hex.DecodeString(h)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		if want == nil {
			for _, k := range v.keys {
				want = append(want, macGitHub(k, body))
			}
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				return nil
			}
		}
	}
	if !tried {
		return refuse("%s is not \"sha256=<hex>\"", HeaderGitHub)
	}
	return refuse("%s does not match the body", HeaderGitHub)
}

type signature struct{ version, value string }

// signatures splits a webhook-signature value: space-separated "version,value" entries.
// An entry that holds more commas is read as further version,value pairs, which is what
// a proxy makes of two header lines joined with ",".
func signatures(h, name string) ([]signature, error) {
	if len(h) > MaxSignatureHeader {
		return nil, refuse("%s is longer than %d bytes", name, MaxSignatureHeader)
	}
	var out []signature
	for _, entry := range strings.Fields(h) {
		parts := strings.Split(entry, ",")
		for i := 0; i < len(parts); i += 2 {
			if parts[i] == "" && i == len(parts)-1 {
				break // a trailing comma
			}
			s := signature{version: parts[i]}
			if i+1 < len(parts) {
				s.value = parts[i+1]
			}
			out = append(out, s)
			if len(out) > MaxSignatures {
				return nil, refuse("%s holds more than %d signatures", name, MaxSignatures)
			}
		}
	}
	return out, nil
}

// parseUnix accepts 1 to 18 decimal digits only: no sign, space, fraction or exponent.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// header looks name (lower-case) up in h: the exact key first, otherwise any key equal
// under case folding, values joined with "," in key order.
func header(h map[string]string, name string) (string, bool) {
	if v, ok := h[name]; ok {
		return v, true
	}
	var keys []string
	for k := range h {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	sort.Strings(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = h[k]
	}
	return strings.Join(vals, ","), true
}

// Seen reports whether id was already recorded within ReplayWindow and, if not, records
// it now. Call it only after Verify accepted the request and just before doing the work,
// so that a refused request does not use up its id. An empty id (GitHub style) is never
// recorded and never seen. At most ReplayCacheSize ids are kept, oldest forgotten first.
func (v *Verifier) Seen(id string) bool {
	if id == "" {
		return false
	}
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.expire(now)
	if e, ok := v.seen[id]; ok {
		if !expired(e.at, now) {
			return true
		}
		delete(v.seen, id) // the clock went back; its slot is released when it reaches the head
	}
	if v.n == len(v.ring) {
		v.drop()
	}
	v.serial++
	v.seen[id] = seenEntry{at: now, serial: v.serial}
	v.ring[(v.head+v.n)%len(v.ring)] = ringSlot{id: id, serial: v.serial}
	v.n++
	return false
}

// Forget removes id, so that a sender's retry with the same id is processed again. Use it
// when the work for an accepted request failed in a way a retry may fix.
func (v *Verifier) Forget(id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.seen, id) // the ring slot no longer matches and is skipped when dropped
}

func expired(at, now time.Time) bool { return now.Sub(at) > ReplayWindow }

// expire drops slots from the head while they are stale or no longer current.
func (v *Verifier) expire(now time.Time) {
	for v.n > 0 {
		s := v.ring[v.head]
		if e, ok := v.seen[s.id]; ok && e.serial == s.serial && !expired(e.at, now) {
			return
		}
		v.drop()
	}
}

// drop removes the head slot, and its id if the slot is still the id's current one.
func (v *Verifier) drop() {
	s := v.ring[v.head]
	if e, ok := v.seen[s.id]; ok && e.serial == s.serial {
		delete(v.seen, s.id)
	}
	v.ring[v.head] = ringSlot{}
	v.head = (v.head + 1) % len(v.ring)
	v.n--
}

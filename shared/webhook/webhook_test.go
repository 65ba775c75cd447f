package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The GitHub docs' published vector
// (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
const (
	githubSecret = "It's a Secret to Everybody"
	githubBody   = "Hello, World!"
	githubSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

// The Standard Webhooks specification's published vector.
const (
	swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTS     = 1614265330
	swBody   = `{"test": 2432232314}`
	swSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// hmacB64 computes the Standard Webhooks signature by hand, independently of Sign.
func hmacB64(key []byte, signed string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signed))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func newVerifier(t *testing.T, now time.Time, secrets ...string) *Verifier {
	t.Helper()
	v, err := NewVerifier(secrets, fixedClock(now))
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	v.AcceptGitHub(true) // most tests exercise both styles; TestGitHubStyleNeedsOptIn the default
	return v
}

func wantRefused(t *testing.T, err error, reason string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *Error", err, err)
	}
	if e.Status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", e.Status)
	}
	if !strings.Contains(e.Reason, reason) {
		t.Errorf("reason = %q, want it to contain %q", e.Reason, reason)
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		name, secret string
		want         []byte
		wantErr      string
	}{
		{name: "plain", secret: githubSecret, want: []byte(githubSecret)},
		{name: "plain keeps spaces", secret: " a b ", want: []byte(" a b ")},
		{name: "whsec", secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}), want: []byte{0, 1, 2, 255}},
		{name: "empty", secret: "", wantErr: "empty"},
		{name: "whsec bad base64", secret: "whsec_not*base64", wantErr: "not standard base64"},
		{name: "whsec unpadded", secret: "whsec_AAE", wantErr: "not standard base64"},
		{name: "whsec empty", secret: "whsec_", wantErr: "no key bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Key(tt.secret)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if rest := strings.TrimPrefix(tt.secret, "whsec_"); rest != "" && strings.Contains(err.Error(), rest) {
					t.Errorf("error quotes the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tt.want) {
				t.Errorf("key = %x, want %x", got, tt.want)
			}
		})
	}
}

func TestGitHubVector(t *testing.T) {
	key, err := Key(githubSecret)
	if err != nil {
		t.Fatal(err)
	}
	h := signBoth(key, "id", time.Unix(1, 0), []byte(githubBody))
	if h[HeaderGitHub] != githubSig {
		t.Errorf("Sign %s = %s, want %s", HeaderGitHub, h[HeaderGitHub], githubSig)
	}
	v := newVerifier(t, time.Now(), githubSecret)
	id, err := v.Verify(map[string]string{HeaderGitHub: githubSig}, []byte(githubBody))
	if err != nil || id != "" {
		t.Fatalf("Verify = %q, %v; want \"\", nil", id, err)
	}
	// Header names in any case; upper-case hex.
	if _, err := v.Verify(map[string]string{"X-Hub-Signature-256": strings.ToUpper(githubSig[:7]) + strings.ToUpper(githubSig[7:])}, []byte(githubBody)); err == nil {
		t.Error("SHA256= prefix accepted; GitHub sends lower-case sha256=")
	}
	if _, err := v.Verify(map[string]string{"X-Hub-Signature-256": "sha256=" + strings.ToUpper(githubSig[7:])}, []byte(githubBody)); err != nil {
		t.Errorf("mixed-case header name or upper-case hex: %v", err)
	}
	_, err = v.Verify(map[string]string{HeaderGitHub: githubSig}, []byte(githubBody+" "))
	wantRefused(t, err, "does not match")
	_, err = v.Verify(map[string]string{HeaderGitHub: "sha1=abc"}, []byte(githubBody))
	wantRefused(t, err, `not "sha256=<hex>"`)
}

func TestStandardVector(t *testing.T) {
	now := time.Unix(swTS, 0)
	v := newVerifier(t, now, swSecret)
	id, err := v.Verify(map[string]string{HeaderID: swID, HeaderTimestamp: strconv.Itoa(swTS), HeaderSignature: swSig}, []byte(swBody))
	if err != nil || id != swID {
		t.Fatalf("Verify published vector = %q, %v", id, err)
	}
	key, _ := Key(swSecret)
	if got := signBoth(key, swID, now, []byte(swBody))[HeaderSignature]; got != swSig {
		t.Errorf("Sign = %s, want %s", got, swSig)
	}
}

func TestStandardComputedByHand(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	rawKey := []byte("\x00\x01binary key\xff")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(rawKey)
	body := []byte(`{"certificate":"-----BEGIN CERTIFICATE-----\n..."}`)
	id, ts := "msg_hand", "1700000000"
	sig := "v1," + hmacB64(rawKey, id+"."+ts+"."+string(body))

	v := newVerifier(t, now, secret)
	got, err := v.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: sig}, body)
	if err != nil || got != id {
		t.Fatalf("Verify = %q, %v", got, err)
	}
	signed := signBoth(rawKey, id, now, body)
	want := map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: sig}
	for k, w := range want {
		if signed[k] != w {
			t.Errorf("Sign[%s] = %q, want %q", k, signed[k], w)
		}
	}
	m := hmac.New(sha256.New, rawKey)
	m.Write(body)
	if w := "sha256=" + hex.EncodeToString(m.Sum(nil)); signed[HeaderGitHub] != w {
		t.Errorf("Sign[%s] = %q, want %q", HeaderGitHub, signed[HeaderGitHub], w)
	}
	// The same key given as a plain secret is a different key.
	plain := newVerifier(t, now, secret[len("whsec_"):])
	_, err = plain.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: sig}, body)
	wantRefused(t, err, "no v1 signature matches")
}

func TestSecretRotation(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"name":"rotation"}`)
	oldKey, newKey := []byte("old secret"), []byte("new secret")
	id, ts := "msg_1", "1700000000"
	signedBy := func(k []byte) string { return "v1," + hmacB64(k, id+"."+ts+"."+string(body)) }

	t.Run("two configured secrets accept either", func(t *testing.T) {
		v := newVerifier(t, now, "old secret", "new secret")
		for _, k := range [][]byte{oldKey, newKey} {
			if _, err := v.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: signedBy(k)}, body); err != nil {
				t.Errorf("signed by %q: %v", k, err)
			}
		}
		_, err := v.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: signedBy([]byte("third"))}, body)
		wantRefused(t, err, "no v1 signature matches")
	})
	t.Run("header with two signatures, only the second valid", func(t *testing.T) {
		v := newVerifier(t, now, "new secret")
		h := signedBy(oldKey) + " " + signedBy(newKey)
		if _, err := v.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: h}, body); err != nil {
			t.Errorf("Verify: %v", err)
		}
	})
	t.Run("two header lines joined with a comma", func(t *testing.T) {
		v := newVerifier(t, now, "new secret")
		for _, h := range []string{signedBy(oldKey) + "," + signedBy(newKey), signedBy(oldKey) + ", " + signedBy(newKey)} {
			if _, err := v.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: h}, body); err != nil {
				t.Errorf("Verify(%q): %v", h, err)
			}
		}
	})
	t.Run("unknown versions ignored", func(t *testing.T) {
		v := newVerifier(t, now, "new secret")
		valid := signedBy(newKey)
		h := "v1a," + valid[3:] + " v2," + valid[3:] + " " + valid
		if _, err := v.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: h}, body); err != nil {
			t.Errorf("Verify: %v", err)
		}
		_, err := v.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: "v2," + valid[3:]}, body)
		wantRefused(t, err, "holds no v1 signature")
		_, err = v.Verify(map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: "v1a," + valid[3:]}, body)
		wantRefused(t, err, "holds no v1 signature")
	})
	t.Run("a bad secret among several names its position", func(t *testing.T) {
		_, err := NewVerifier([]string{"ok", "whsec_!!"}, nil)
		if err == nil || !strings.Contains(err.Error(), "secret 2") || strings.Contains(err.Error(), "!!") {
			t.Errorf("err = %v", err)
		}
	})
}

// signed returns headers and body for a valid request at now.
func signed(now time.Time) (map[string]string, []byte, []byte) {
	key := []byte("tamper key")
	body := []byte(`{"name":"x"}`)
	return signBoth(key, "msg_tamper", now, body), body, key
}

func TestTampered(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier(t, now, "tamper key")
	h, body, _ := signed(now)
	delete(h, HeaderGitHub)
	if _, err := v.Verify(h, body); err != nil {
		t.Fatalf("untampered: %v", err)
	}
	tests := []struct {
		name   string
		header string
		value  string
		reason string
	}{
		{"id changed", HeaderID, "msg_tampes", "no v1 signature matches"},
		{"timestamp changed", HeaderTimestamp, "1700000001", "no v1 signature matches"},
		{"timestamp with sign", HeaderTimestamp, "+1700000000", "not a decimal Unix time"},
		{"timestamp fraction", HeaderTimestamp, "1700000000.0", "not a decimal Unix time"},
		{"timestamp spaces", HeaderTimestamp, " 1700000000", "not a decimal Unix time"},
		{"timestamp huge", HeaderTimestamp, "99999999999999999999", "not a decimal Unix time"},
		{"timestamp in ms", HeaderTimestamp, "1700000000000", "too new"},
		{"signature changed", HeaderSignature, "v1," + base64.StdEncoding.EncodeToString(make([]byte, 32)), "no v1 signature matches"},
		{"signature truncated", HeaderSignature, h[HeaderSignature][:20], "no v1 signature matches"},
		{"signature not base64", HeaderSignature, "v1,****", "no v1 signature matches"},
		{"signature without version", HeaderSignature, h[HeaderSignature][3:], "holds no v1 signature"},
		{"id missing", HeaderID, "", "missing webhook-id header"},
		{"timestamp missing", HeaderTimestamp, "", "missing webhook-timestamp header"},
		{"signature missing", HeaderSignature, "", "missing webhook-signature header"},
		{"id with space", HeaderID, "msg tamper", "printable ASCII"},
		{"id too long", HeaderID, strings.Repeat("a", MaxIDLength+1), "longer than 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hh := map[string]string{}
			for k, val := range h {
				hh[k] = val
			}
			if tt.value == "" {
				delete(hh, tt.header)
			} else {
				hh[tt.header] = tt.value
			}
			_, err := v.Verify(hh, body)
			wantRefused(t, err, tt.reason)
		})
	}
	t.Run("every header flipped bit by bit", func(t *testing.T) {
		for _, name := range []string{HeaderID, HeaderTimestamp, HeaderSignature} {
			orig := h[name]
			for i := 0; i < len(orig); i++ {
				for _, bit := range []byte{0x01, 0x20} {
					b := []byte(orig)
					b[i] ^= bit
					hh := map[string]string{HeaderID: h[HeaderID], HeaderTimestamp: h[HeaderTimestamp], HeaderSignature: h[HeaderSignature]}
					hh[name] = string(b)
					if _, err := v.Verify(hh, body); err == nil {
						t.Errorf("%s with byte %d ^ %#x accepted: %q", name, i, bit, b)
					}
				}
			}
		}
	})
}

func TestEveryBodyByteFlipped(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier(t, now, "tamper key")
	h, body, _ := signed(now)
	hub := map[string]string{HeaderGitHub: h[HeaderGitHub]}
	delete(h, HeaderGitHub)
	for i := range body {
		for _, bit := range []byte{0x01, 0x80} {
			b := append([]byte(nil), body...)
			b[i] ^= bit
			if _, err := v.Verify(h, b); err == nil {
				t.Errorf("Standard Webhooks: body byte %d ^ %#x accepted", i, bit)
			}
			if _, err := v.Verify(hub, b); err == nil {
				t.Errorf("GitHub style: body byte %d ^ %#x accepted", i, bit)
			}
		}
	}
	for _, b := range [][]byte{body[:len(body)-1], append(append([]byte(nil), body...), '\n'), nil} {
		if _, err := v.Verify(h, b); err == nil {
			t.Errorf("body %q accepted", b)
		}
	}
}

func TestClockSkew(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	key := []byte("skew")
	body := []byte("{}")
	tests := []struct {
		name   string
		offset time.Duration // timestamp minus now
		reason string
	}{
		{"now", 0, ""},
		{"299 s old", -299 * time.Second, ""},
		{"300 s old", -300 * time.Second, ""},
		{"301 s old", -301 * time.Second, "too old"},
		{"299 s ahead", 299 * time.Second, ""},
		{"300 s ahead", 300 * time.Second, ""},
		{"301 s ahead", 301 * time.Second, "too new"},
		{"a day old", -24 * time.Hour, "too old"},
		{"zero", -now.Sub(time.Unix(0, 0)), "too old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, now, "skew")
			h := signBoth(key, "msg_skew", now.Add(tt.offset), body)
			delete(h, HeaderGitHub)
			_, err := v.Verify(h, body)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantRefused(t, err, tt.reason)
		})
	}
	t.Run("sub-second clock", func(t *testing.T) {
		v := newVerifier(t, now.Add(300*time.Second+time.Millisecond), "skew")
		h := signBoth(key, "msg_skew", now, body)
		delete(h, HeaderGitHub)
		_, err := v.Verify(h, body)
		wantRefused(t, err, "too old")
	})
}

func TestBothStylesStandardDecides(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier(t, now, "tamper key")
	h, body, _ := signed(now)
	if _, err := v.Verify(h, body); err != nil {
		t.Fatalf("both valid: %v", err)
	}
	// A valid GitHub signature does not rescue a stale Standard Webhooks request.
	stale := newVerifier(t, now.Add(time.Hour), "tamper key")
	_, err := stale.Verify(h, body)
	wantRefused(t, err, "too old")
	// Nor an incomplete one.
	hh := map[string]string{HeaderGitHub: h[HeaderGitHub], HeaderID: h[HeaderID]}
	_, err = v.Verify(hh, body)
	wantRefused(t, err, "missing webhook-timestamp and webhook-signature header")
}

func TestHeaderCase(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier(t, now, "tamper key")
	h, body, _ := signed(now)
	mixed := map[string]string{
		"Webhook-Id":        h[HeaderID],
		"WEBHOOK-TIMESTAMP": h[HeaderTimestamp],
		"webhook-Signature": h[HeaderSignature],
	}
	if id, err := v.Verify(mixed, body); err != nil || id != h[HeaderID] {
		t.Fatalf("Verify mixed case = %q, %v", id, err)
	}
}

func TestMissingHeaders(t *testing.T) {
	v := newVerifier(t, time.Now(), "s")
	for _, h := range []map[string]string{nil, {}, {"content-type": "application/json"}} {
		_, err := v.Verify(h, []byte("{}"))
		wantRefused(t, err, "missing webhook-signature header")
		wantRefused(t, err, HeaderGitHub)
	}
}

func TestOversized(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier(t, now, "tamper key")
	h, body, _ := signed(now)
	valid := h[HeaderSignature]
	tests := []struct {
		name, sig, reason string
	}{
		{"longer than 4 KiB", valid + " " + strings.Repeat("x", MaxSignatureHeader), "longer than 4096"},
		{"11 entries", strings.Repeat("v2,AAAA ", 10) + valid, "more than 10 signatures"},
		{"11 pairs joined by commas", strings.Repeat("v2,AAAA,", 10) + valid, "more than 10 signatures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(map[string]string{HeaderID: h[HeaderID], HeaderTimestamp: h[HeaderTimestamp], HeaderSignature: tt.sig}, body)
			wantRefused(t, err, tt.reason)
		})
	}
	t.Run("10 entries, the last valid", func(t *testing.T) {
		sig := strings.Repeat("v2,AAAA ", 9) + valid
		if _, err := v.Verify(map[string]string{HeaderID: h[HeaderID], HeaderTimestamp: h[HeaderTimestamp], HeaderSignature: sig}, body); err != nil {
			t.Errorf("Verify: %v", err)
		}
	})
	t.Run("GitHub header too long", func(t *testing.T) {
		_, err := v.Verify(map[string]string{HeaderGitHub: h[HeaderGitHub] + strings.Repeat(" ", MaxSignatureHeader)}, body)
		wantRefused(t, err, "longer than 4096")
	})
	t.Run("GitHub header with 11 entries", func(t *testing.T) {
		_, err := v.Verify(map[string]string{HeaderGitHub: strings.Repeat("sha256=00,", 10) + h[HeaderGitHub]}, body)
		wantRefused(t, err, "more than 10")
	})
}

func TestNoSecret(t *testing.T) {
	for _, secrets := range [][]string{nil, {}, {""}, {"", ""}} {
		v, err := NewVerifier(secrets, nil)
		if err != nil {
			t.Fatalf("NewVerifier(%q): %v", secrets, err)
		}
		h := signBoth([]byte(""), "msg", time.Now(), nil) // signed with the empty key
		for _, hh := range []map[string]string{h, {HeaderGitHub: h[HeaderGitHub]}, nil} {
			_, err := v.Verify(hh, nil)
			if !errors.Is(err, ErrNoSecret) {
				t.Errorf("Verify with no secret = %v, want ErrNoSecret", err)
			}
			wantRefused(t, err, "no webhook secret")
		}
	}
}

func TestErrorsLeakNothing(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	secret := "leak-check-secret"
	key := []byte(secret)
	body := []byte(`{"private_key":"-----BEGIN ` + `PRIVATE KEY-----SECRETBODY"}`)
	good := signBoth(key, "msg_leak", now, body)
	v := newVerifier(t, now, secret)
	// Requests with a wrong signature, so the expected one is what could leak.
	cases := []map[string]string{
		{HeaderID: "msg_leak", HeaderTimestamp: good[HeaderTimestamp], HeaderSignature: "v1,AAAA"},
		{HeaderGitHub: "sha256=00"},
		{HeaderID: "msg_leak", HeaderTimestamp: good[HeaderTimestamp], HeaderSignature: good[HeaderSignature]},
		{HeaderGitHub: good[HeaderGitHub]},
	}
	tampered := append([]byte(nil), body...)
	tampered[0] = '['
	for i, h := range cases {
		_, err := v.Verify(h, tampered)
		if err == nil {
			t.Fatalf("case %d accepted", i)
		}
		msg := err.Error()
		for _, s := range []string{secret, good[HeaderSignature][3:], good[HeaderGitHub][7:], "SECRETBODY", "PRIVATE KEY"} {
			if strings.Contains(msg, s) {
				t.Errorf("case %d: error %q contains %q", i, msg, s)
			}
		}
	}
}

func TestSeen(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := now
	var mu sync.Mutex
	v, err := NewVerifier([]string{"s"}, func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
	if err != nil {
		t.Fatal(err)
	}
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

	if v.Seen("a") {
		t.Fatal("first Seen(a) = true")
	}
	if !v.Seen("a") {
		t.Fatal("second Seen(a) = false: a replay was not detected")
	}
	if v.Seen("") || v.Seen("") {
		t.Error("the empty id (GitHub style) is never seen")
	}
	advance(ReplayWindow)
	if !v.Seen("a") {
		t.Error("Seen(a) exactly 10 minutes later = false")
	}
	advance(time.Second)
	if v.Seen("a") {
		t.Error("Seen(a) after 10 minutes = true")
	}
	if !v.Seen("a") {
		t.Error("a recorded again after expiry is seen again")
	}
	v.Forget("a")
	if v.Seen("a") {
		t.Error("Seen(a) after Forget = true")
	}
}

func TestSeenBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier(t, now, "s")
	for i := 0; i < ReplayCacheSize*3; i++ {
		if v.Seen(fmt.Sprint("id-", i)) {
			t.Fatalf("fresh id %d seen", i)
		}
		if len(v.seen) > ReplayCacheSize || v.n > ReplayCacheSize {
			t.Fatalf("cache holds %d ids, %d slots; limit %d", len(v.seen), v.n, ReplayCacheSize)
		}
	}
	// The newest are remembered, the oldest were evicted first.
	if !v.Seen(fmt.Sprint("id-", ReplayCacheSize*3-1)) {
		t.Error("newest id forgotten")
	}
	if v.Seen("id-0") {
		t.Error("oldest id still remembered")
	}
}

func TestSeenForgetThenEvict(t *testing.T) {
	// A forgotten and re-recorded id keeps its new record when its old slot is evicted.
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier(t, now, "s")
	v.Seen("x")
	v.Forget("x")
	v.Seen("x")
	for i := 0; i < ReplayCacheSize-2; i++ {
		v.Seen(fmt.Sprint("fill-", i))
	}
	// The ring is full (two slots for x); the next insert drops x's stale slot only.
	v.Seen("one-more")
	if !v.Seen("x") {
		t.Error("x forgotten when its stale slot was evicted")
	}
}

func TestSeenConcurrent(t *testing.T) {
	v := newVerifier(t, time.Now(), "s")
	const workers, ids = 8, 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := map[string]int{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < ids; i++ {
				id := fmt.Sprint("id-", i)
				if !v.Seen(id) {
					mu.Lock()
					fresh[id]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for i := 0; i < ids; i++ {
		if n := fresh[fmt.Sprint("id-", i)]; n != 1 {
			t.Errorf("id-%d accepted as fresh %d times, want exactly once", i, n)
		}
	}
}

func TestVerifyConcurrent(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier(t, now, "tamper key", "other")
	h, body, _ := signed(now)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := v.Verify(h, body); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(swTS, 0)
	key, _ := Key(swSecret)
	other := []byte("not the key")
	f.Add(swID, strconv.Itoa(swTS), swSig, "", []byte(swBody))
	f.Add("", "", "", githubSig, []byte(githubBody))
	f.Add("msg", "1614265330", "v1,AAAA v1a,BBBB v2,", "sha256=00", []byte("{}"))
	f.Add("a.b", "1614265330", "v1,,v1,", "", []byte(""))
	f.Add(swID, "01614265330", swSig+","+swSig, "", []byte(swBody))
	f.Fuzz(func(t *testing.T, id, ts, sig, hub string, body []byte) {
		h := map[string]string{}
		for name, val := range map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: sig, HeaderGitHub: hub} {
			if val != "" {
				h[name] = val
			}
		}
		v, err := NewVerifier([]string{swSecret}, fixedClock(now))
		if err != nil {
			t.Fatal(err)
		}
		gotID, err := v.Verify(h, body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
				t.Fatalf("error %v is not a 401 *Error", err)
			}
			return
		}
		// Accepted: the request must carry a signature made with the key.
		standard := id != "" || ts != "" || sig != ""
		if standard {
			want := "v1," + hmacB64(key, id+"."+ts+"."+string(body))
			if gotID != id || !containsEntry(sig, want) {
				t.Fatalf("accepted id=%q ts=%q sig=%q without a signature made with the key", id, ts, sig)
			}
		} else {
			m := hmac.New(sha256.New, key)
			m.Write(body)
			if gotID != "" || !strings.Contains(strings.ToLower(hub), "sha256="+hex.EncodeToString(m.Sum(nil))) {
				t.Fatalf("accepted hub=%q without a signature made with the key", hub)
			}
		}
		// A verifier with another key refuses the same request.
		w, _ := NewVerifier([]string{string(other)}, fixedClock(now))
		if _, err := w.Verify(h, body); err == nil {
			t.Fatal("accepted by a verifier holding another key")
		}
	})
}

// containsEntry reports whether the signature header holds want as a whole v1 entry.
func containsEntry(header, want string) bool {
	sigs, err := signatures(header, HeaderSignature)
	if err != nil {
		return false
	}
	w, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(want, "v1,"))
	for _, s := range sigs {
		got, err := base64.StdEncoding.DecodeString(s.value)
		if s.version == "v1" && err == nil && hmac.Equal(got, w) {
			return true
		}
	}
	return false
}

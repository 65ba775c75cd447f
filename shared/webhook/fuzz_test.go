package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzSignedRequests checks NewVerifier and Verify on requests signed with the configured
// secret: no panic; a secret that is not a key is refused without being quoted; a request
// signed with the key passes (Standard Webhooks and GitHub style); the same request with
// another body, or verified under another key, is refused with a 401 *Error; and no error
// ever holds the secret, the key or a signature.
func FuzzSignedRequests(f *testing.F) {
	f.Add(swSecret, swID, []byte(swBody), uint16(0), byte(1))
	f.Add(githubSecret, "msg_1", []byte(githubBody), uint16(3), byte(0x80))
	f.Add("whsec_", "id", []byte("{}"), uint16(0), byte(1))
	f.Add("whsec_not*base64", "id", []byte(""), uint16(0), byte(1))
	f.Add("whsec_AA==", "a b", []byte(`{"certificate":"x"}`), uint16(1), byte(2))
	f.Add("s", strings.Repeat("i", MaxIDLength+1), []byte(`{"cas_certificate_id":1}`), uint16(9), byte(0xff))
	now := time.Unix(swTS, 0)
	f.Fuzz(func(t *testing.T, secret, id string, body []byte, at uint16, flip byte) {
		v, err := NewVerifier([]string{secret}, fixedClock(now))
		if err == nil {
			v.AcceptGitHub(true)
		}
		if err != nil {
			if len(secret) > len(secretPrefix)+4 && strings.Contains(err.Error(), secret) {
				t.Fatal("NewVerifier's error quotes the secret")
			}
			if _, kerr := Key(secret); kerr == nil {
				t.Fatalf("NewVerifier refused a secret Key accepts: %v", err)
			}
			return
		}
		key, err := Key(secret)
		if secret == "" {
			if _, err := v.Verify(map[string]string{}, body); err != ErrNoSecret {
				t.Fatalf("no secret: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("NewVerifier accepted a secret Key refuses: %v", err)
		}
		h := signBoth(key, id, now.Add(-time.Duration(at%301)*time.Second), body) // within the 300 s tolerance
		leaks := []string{h[HeaderSignature], strings.TrimPrefix(h[HeaderSignature], "v1,"), h[HeaderGitHub], strings.TrimPrefix(h[HeaderGitHub], "sha256=")}
		if len(secret) >= 16 {
			leaks = append(leaks, secret)
		}
		if len(key) >= 16 {
			leaks = append(leaks, string(key), hex.EncodeToString(key), base64.StdEncoding.EncodeToString(key))
		}
		refused := func(what string, err error) {
			t.Helper()
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
				t.Fatalf("%s: error %v is not a 401 *Error", what, err)
			}
			for _, l := range leaks {
				if strings.Contains(err.Error(), l) {
					t.Fatalf("%s: the error holds the secret, the key or a signature", what)
				}
			}
		}

		standard := map[string]string{HeaderID: h[HeaderID], HeaderTimestamp: h[HeaderTimestamp], HeaderSignature: h[HeaderSignature]}
		got, err := v.Verify(standard, body)
		validID := id != "" && len(id) <= MaxIDLength && strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) < 0
		switch {
		case validID && (err != nil || got != id):
			t.Fatalf("a request signed with the key was refused: %v", err)
		case !validID && err == nil:
			t.Fatalf("accepted the bad webhook-id %q", id)
		case err != nil:
			refused("bad id", err)
		}
		if _, err := v.Verify(map[string]string{HeaderGitHub: h[HeaderGitHub]}, body); err != nil {
			t.Fatalf("a GitHub-style request signed with the key was refused: %v", err)
		}

		other := append(bytes.Clone(body), flip)
		if len(body) > 0 && flip != 0 {
			other = bytes.Clone(body)
			other[int(at)%len(body)] ^= flip
		}
		_, err = v.Verify(standard, other)
		refused("another body", err)
		_, err = v.Verify(map[string]string{HeaderGitHub: h[HeaderGitHub]}, other)
		refused("another body, GitHub style", err)

		w, err := NewVerifier([]string{"other:" + secret}, fixedClock(now))
		if err == nil {
			w.AcceptGitHub(true)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Verify(standard, body)
		refused("another key", err)
		_, err = w.Verify(map[string]string{HeaderGitHub: h[HeaderGitHub]}, body)
		refused("another key, GitHub style", err)
	})
}

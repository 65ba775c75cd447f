package webhook

import (
	"strings"
	"testing"
	"time"
)

// signBoth is what a sender signing in both styles sends: the Standard Webhooks headers and the
// GitHub-style one.
func signBoth(key []byte, id string, ts time.Time, body []byte) map[string]string {
	h := Sign(key, id, ts, body)
	for k, v := range SignGitHub(key, body) {
		h[k] = v
	}
	return h
}

func TestSignSendsStandardWebhooksOnly(t *testing.T) {
	h := Sign([]byte("k"), "msg_1", time.Unix(1, 0), []byte("{}"))
	if _, ok := h[HeaderGitHub]; ok || len(h) != 3 {
		t.Fatalf("Sign = %v, want only %s, %s and %s", h, HeaderID, HeaderTimestamp, HeaderSignature)
	}
}

// TestGitHubStyleNeedsOptIn: a request signed in both styles, stripped of its webhook-* headers,
// is refused unless the receiver opted in to GitHub style; with the opt-in it passes.
func TestGitHubStyleNeedsOptIn(t *testing.T) {
	now := time.Now()
	key, _ := Key("s3cret")
	body := []byte(`{"cas_certificate_id":1}`)
	stripped := map[string]string{HeaderGitHub: SignGitHub(key, body)[HeaderGitHub]}
	for _, tc := range []struct {
		name   string
		accept bool
		ok     bool
	}{{"default", false, false}, {"opted in", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier([]string{"s3cret"}, fixedClock(now))
			if err != nil {
				t.Fatal(err)
			}
			v.AcceptGitHub(tc.accept)
			_, err = v.Verify(stripped, body)
			if tc.ok != (err == nil) {
				t.Fatalf("Verify = %v, want ok %v", err, tc.ok)
			}
			if !tc.ok && !strings.Contains(err.Error(), "ACCEPT_GITHUB") {
				t.Fatalf("the refusal does not say how to opt in: %v", err)
			}
			// Standard Webhooks pass either way.
			if _, err := v.Verify(Sign(key, "msg_"+strings.ReplaceAll(tc.name, " ", "_"), now, body), body); err != nil {
				t.Fatalf("Standard Webhooks: %v", err)
			}
		})
	}
}

package handler

import (
	"context"
	"net/http"
	"testing"

	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/webhook"
)

// TestGitHubSignatureOnlyWhenOptedIn: a request carrying only a valid GitHub-style signature is a
// 401 by default and accepted with ROTATE_WEBHOOK_ACCEPT_GITHUB=true.
func TestGitHubSignatureOnlyWhenOptedIn(t *testing.T) {
	for _, tc := range []struct {
		accept string
		code   int
	}{{"false", http.StatusUnauthorized}, {"true", http.StatusOK}} {
		t.Run("accept="+tc.accept, func(t *testing.T) {
			e := newEnv(t)
			t.Setenv("ROTATE_WEBHOOK_ACCEPT_GITHUB", tc.accept)
			withSecret(t, e)
			b := inline(string(e.fresh.FullchainPEM), string(e.fresh.KeyPEM), "targets", []string{"web"})
			key, _ := webhook.Key(secret)
			answer, err := e.h.Handle(context.Background(), httpEvent(t, "fc", "POST", webhook.SignGitHub(key, b), b, false))
			if err != nil {
				t.Fatal(err)
			}
			if a, ok := answer.(*entry.HTTPResponse); !ok || a.StatusCode != tc.code {
				t.Fatalf("answer %+v, want HTTP %d", answer, tc.code)
			}
		})
	}
}

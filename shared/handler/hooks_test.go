package handler

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/certrotate/certrotate/shared/entry"

	"github.com/certrotate/certrotate/shared/testtool"
)

// fcTrigger serves the rotate handler over HTTP as Function Compute's HTTP trigger does: the
// request becomes an HTTP trigger event, the handler's answer becomes the response.
func fcTrigger(t *testing.T, e *env) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		headers := map[string]string{}
		for k := range r.Header {
			headers[k] = r.Header.Get(k)
		}
		out, err := lambda.NewHandler(e.h.Handle).Invoke(r.Context(), httpEvent(t, "fc", r.Method, headers, body, false))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		var resp entry.HTTPResponse
		_ = json.Unmarshal(out, &resp)
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCertbotDeployHookAgainstTheRealFunction(t *testing.T) {
	for _, tool := range []string{"sh", "openssl", "curl", "od"} {
		testtool.Need(t, "the deploy hooks against the real function (shared/handler)", "e.g. apt-get install "+hookPackages[tool], tool)
	}
	e := newEnv(t)
	withSecret(t, e)
	srv := fcTrigger(t, e)
	lineage := filepath.Join(t.TempDir(), "live", "example.com")
	if err := os.MkdirAll(lineage, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"fullchain.pem": e.fresh.FullchainPEM, "privkey.pem": e.fresh.KeyPEM} {
		if err := os.WriteFile(filepath.Join(lineage, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	hook, _ := filepath.Abs(filepath.Join("..", "..", "scripts", "certbot-deploy-hook.sh"))
	run := func(secret string) (string, error) {
		cmd := exec.Command("sh", hook)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "RENEWED_LINEAGE=" + lineage, "RENEWED_DOMAINS=example.com www.example.com",
			"ROTATE_WEBHOOK_URL=" + srv.URL, "ROTATE_WEBHOOK_SECRET=" + secret}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(secret)
	if err != nil || !strings.Contains(out, `"status":"rotated"`) {
		t.Fatalf("hook: %v\n%s", err, out)
	}
	e.cloud.ResetCalls()
	out, err = run("whsec_d3Jvbmcgc2VjcmV0IGZvciB0aGUgdGVzdA==")
	if err == nil || !strings.Contains(out, "401") {
		t.Fatalf("a wrong secret was not refused: %v\n%s", err, out)
	}
	if n := len(e.cloud.Calls()); n != 0 {
		t.Fatalf("%d cloud calls for a refused hook", n)
	}
	assertNoSecrets(t, e.fresh, []byte(out), e.logs.Bytes())
}

// hookPackages names the Debian package that holds each tool the hooks need.
var hookPackages = map[string]string{"sh": "dash", "openssl": "openssl", "curl": "curl", "od": "coreutils"}

package handler

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/testtool"
)

// TestLegoDeployHookAgainstTheRealFunction runs scripts/lego-deploy-hook.sh as lego v5 runs a
// hook: executed directly, without a shell, with LEGO_HOOK_* in its environment; the paths hold
// spaces, which the hook must not split. It posts to the real handler behind an FC HTTP trigger.
func TestLegoDeployHookAgainstTheRealFunction(t *testing.T) {
	for _, tool := range []string{"sh", "openssl", "curl", "od", "grep"} {
		testtool.Need(t, "the lego hook", "install "+tool, tool)
	}
	hook, _ := filepath.Abs(filepath.Join("..", "..", "scripts", "lego-deploy-hook.sh"))
	info, err := os.Stat(hook)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&0o111 == 0 {
		t.Fatal("the hook is not executable: lego runs it without a shell")
	}
	if head, _ := os.ReadFile(hook); !strings.HasPrefix(string(head), "#!/bin/sh\n") {
		t.Fatal("the hook does not start with #!/bin/sh: lego runs it without a shell")
	}

	e := newEnv(t)
	withSecret(t, e)
	srv := fcTrigger(t, e)
	// lego's layout: <path>/certificates/<name>.crt, .key, .issuer.crt.
	dir := filepath.Join(t.TempDir(), "lego data", "certificates")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"bundle.crt":             e.fresh.FullchainPEM,
		"leaf only.crt":          e.fresh.CertPEM,
		"example.com.issuer.crt": e.fresh.ChainPEM,
		"example.com.key":        e.fresh.KeyPEM,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(t *testing.T, crt, secret string) (string, error) {
		cmd := exec.Command(hook) // no shell, as lego does
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"),
			"LEGO_HOOK_CERT_PATH=" + filepath.Join(dir, crt),
			"LEGO_HOOK_CERT_KEY_PATH=" + filepath.Join(dir, "example.com.key"),
			"LEGO_HOOK_ISSUER_CERT_PATH=" + filepath.Join(dir, "example.com.issuer.crt"),
			"LEGO_HOOK_CERT_NAME=example.com", "LEGO_HOOK_CERT_DOMAINS=example.com,*.example.com",
			"ROTATE_WEBHOOK_URL=" + srv.URL, "ROTATE_WEBHOOK_SECRET=" + secret}
		out, err := cmd.CombinedOutput()
		_, _ = e.tr.Write(out)
		return string(out), err
	}
	type answer struct {
		Status      string   `json:"status"`
		Warnings    []string `json:"warnings"`
		Certificate struct {
			Name string `json:"name"`
		} `json:"certificate"`
	}
	decode := func(t *testing.T, out string) answer {
		t.Helper()
		var a answer
		line := out[strings.Index(out, "{"):]
		if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &a); err != nil {
			t.Fatalf("no report in the hook's output: %v\n%s", err, out)
		}
		return a
	}

	t.Run("leaf only (--no-bundle): the issuer is sent with it", func(t *testing.T) {
		out, err := run(t, "leaf only.crt", secret)
		if err != nil {
			t.Fatalf("hook: %v\n%s", err, out)
		}
		if a := decode(t, out); a.Status != "rotated" || a.Certificate.Name != "example.com" || len(a.Warnings) != 0 {
			t.Fatalf("report: %s", out)
		}
	})
	t.Run("bundle, again: unchanged", func(t *testing.T) {
		out, err := run(t, "bundle.crt", secret)
		if err != nil {
			t.Fatalf("hook: %v\n%s", err, out)
		}
		if a := decode(t, out); a.Status != "unchanged" {
			t.Fatalf("report: %s", out)
		}
	})
	t.Run("wrong secret: refused, nothing called", func(t *testing.T) {
		e.cloud.ResetCalls()
		out, err := run(t, "bundle.crt", "whsec_d3Jvbmcgc2VjcmV0IGZvciB0aGUgdGVzdA==")
		if err == nil || !strings.Contains(out, "401") {
			t.Fatalf("a wrong secret was not refused: %v\n%s", err, out)
		}
		if n := len(e.cloud.Calls()); n != 0 {
			t.Fatalf("%d cloud calls for a refused hook", n)
		}
	})
	t.Run("not run by lego: says what is missing", func(t *testing.T) {
		cmd := exec.Command(hook)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ROTATE_WEBHOOK_URL=" + srv.URL, "ROTATE_WEBHOOK_SECRET=" + secret}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "LEGO_HOOK_CERT_PATH is not set") {
			t.Fatalf("exit %v:\n%s", err, out)
		}
	})
	assertNoSecrets(t, e.fresh, e.logs.Bytes())
}

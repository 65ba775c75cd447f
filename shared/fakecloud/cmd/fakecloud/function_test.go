package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/testtool"
	"github.com/certrotate/certrotate/shared/webhook"
)

// TestServeFunction fronts the real rotate binary with `serve --seed demo --function rotate=…`
// and calls it as a CA or a deploy hook would: unsigned (401), not POST (405), signed (200,
// rotated, the emulator's listeners changed), the same again (unchanged), then the certbot deploy hook end to end.
func TestServeFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rotate")
	}
	bin := buildBinary(t)
	rotate := filepath.Join(t.TempDir(), "rotate")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", rotate, "../../../../functions/rotate")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build rotate: %v\n%s", err, out)
	}

	const secret = "whsec_ZmFrZWNsb3VkIGZyb250cyBhIGZ1bmN0aW9uIGluIHRoaXMgdGVzdA=="
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	var logs syncBuffer
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--seed", "demo", "--ready-file", ready, "--function", "rotate="+rotate)
	// Only what an operator would export: the targets and the secret. Endpoints and keys default
	// to the emulator's.
	srv.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		`ROTATE_TARGETS=[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-demo-web","listener_port":443}]`,
		"ROTATE_WEBHOOK_SECRET=" + secret}
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	var base string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			base = strings.TrimSpace(string(b))
			break
		}
	}
	if base == "" {
		t.Fatalf("serve did not start: %s", logs.String())
	}
	fn := base + "/fn/rotate/"

	is, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, KeyType: certstest.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"certificate": string(is.FullchainPEM), "private_key": string(is.KeyPEM)})
	key, err := webhook.Key(secret)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		method  string
		url     string
		headers map[string]string
		status  int
		want    string
	}{
		{"unsigned", http.MethodPost, fn, nil, http.StatusUnauthorized, `"error"`},
		{"not POST", http.MethodGet, fn, nil, http.StatusMethodNotAllowed, `"error"`},
		{"unknown function", http.MethodPost, base + "/fn/notify/", nil, http.StatusNotFound, `no function \"notify\"`},
		{"signed", http.MethodPost, fn, webhook.Sign(key, "msg_fakecloud_test", time.Now(), body), http.StatusOK, `"status":"rotated"`},
		// Each request runs a new process, as a new instance would: the replay memory (per
		// instance) is empty, and the rotation's own idempotency answers.
		{"signed again", http.MethodPost, fn, webhook.Sign(key, "msg_fakecloud_test", time.Now(), body), http.StatusOK, `"status":"unchanged"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(got), tc.want) {
				t.Fatalf("%s %s: %d %s, want %d with %s\nlog:\n%s", tc.method, tc.url, resp.StatusCode, got, tc.status, tc.want, logs.String())
			}
		})
	}

	// The listener now serves the new certificate.
	out, errOut, code := runBin(t, bin, "state", "--url", base)
	if code != 0 || !strings.Contains(out, is.Leaf.NotAfter.UTC().Format("2006-01-02")) {
		t.Fatalf("state after the webhook: %d %s\n%s", code, errOut, out)
	}

	t.Run("certbot deploy hook", func(t *testing.T) {
		for _, tool := range []string{"sh", "openssl", "curl", "od"} {
			testtool.Need(t, "the deploy hook through fakecloud --function", "e.g. apt-get install "+hookPackage(tool), tool)
		}
		next, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, KeyType: certstest.RSA2048,
			NotAfter: time.Now().AddDate(0, 0, 120)})
		if err != nil {
			t.Fatal(err)
		}
		lineage := filepath.Join(t.TempDir(), "live", "example.com")
		if err := os.MkdirAll(lineage, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"fullchain.pem": next.FullchainPEM, "privkey.pem": next.KeyPEM} {
			if err := os.WriteFile(filepath.Join(lineage, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		hook, _ := filepath.Abs("../../../../scripts/certbot-deploy-hook.sh")
		cmd := exec.Command("sh", hook)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir(), "RENEWED_LINEAGE=" + lineage,
			"RENEWED_DOMAINS=example.com www.example.com", "ROTATE_WEBHOOK_URL=" + fn, "ROTATE_WEBHOOK_SECRET=" + secret}
		got, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(got), `"status":"rotated"`) {
			t.Fatalf("certbot deploy hook through fakecloud: %v\n%s\nlog:\n%s", err, got, logs.String())
		}
	})
}

// hookPackage names the Debian package that holds a tool the hooks need.
func hookPackage(tool string) string {
	switch tool {
	case "sh":
		return "dash"
	case "od":
		return "coreutils"
	}
	return tool
}

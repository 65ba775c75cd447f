package handler

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSignCommandMakesEventsTheFunctionAccepts(t *testing.T) {
	e := newEnv(t)
	withSecret(t, e)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	_ = os.WriteFile(cert, e.fresh.FullchainPEM, 0o600)
	_ = os.WriteFile(key, e.fresh.KeyPEM, 0o600)
	getenv := func(k string) string {
		if k == "ROTATE_WEBHOOK_SECRET" {
			return secret
		}
		return ""
	}
	sign := SignCommand(getenv)
	for _, platform := range []string{"fc", "lambda"} {
		var out, errOut bytes.Buffer
		if code := sign.Run([]string{"--certificate", cert, "--private-key", key, "--name", "demo", "--event", platform}, nil, &out, &errOut); code != 0 {
			t.Fatalf("sign: exit %d: %s", code, errOut.String())
		}
		status, body := e.call(t, out.Bytes())
		if status != 200 || (body["status"] != "rotated" && body["status"] != "unchanged") {
			t.Fatalf("%s: signed event answered %d %v", platform, status, body)
		}
		tampered := bytes.Replace(out.Bytes(), []byte(`"isBase64Encoded": true`), []byte(`"isBase64Encoded": false`), 1)
		if status, _ := e.call(t, tampered); status == 200 {
			t.Fatalf("%s: a tampered event was accepted", platform)
		}
	}
	var out, errOut bytes.Buffer
	if code := sign.Run([]string{"--certificate", cert, "--private-key", key}, nil, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "webhook-signature: v1,") || strings.Contains(out.String(), "PRIVATE KEY") {
		t.Fatalf("headers: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	none := SignCommand(func(string) string { return "" })
	if code := none.Run([]string{"--body", cert}, nil, &out, &errOut); code != 2 {
		t.Fatalf("no secret: exit %d", code)
	}
}

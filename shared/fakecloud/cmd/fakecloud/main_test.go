package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud"
)

// buildBinary compiles this command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	bin := filepath.Join(t.TempDir(), "fakecloud")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func runBin(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestBinary(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()

	// --help for the tool and every command.
	// --help names every service the emulator speaks.
	out, _, code := runBin(t, bin, "--help")
	for _, want := range []string{"fakecloud serve", "SLB", "CAS", "OSS", "S3", "Huawei Cloud ELB", "robots", "--function"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--help (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	for _, cmd := range []string{"serve", "state", "put", "mkcert"} {
		if _, errOut, code := runBin(t, bin, cmd, "--help"); code != 0 || !strings.Contains(errOut, "Usage: fakecloud "+cmd) {
			t.Errorf("%s --help: %d %s", cmd, code, errOut)
		}
	}
	if _, _, code := runBin(t, bin, "frobnicate"); code != 2 {
		t.Errorf("unknown command exit %d", code)
	}
	if _, errOut, code := runBin(t, bin, "serve", "--addr", "0.0.0.0:0"); code != 2 || !strings.Contains(errOut, "loopback") {
		t.Errorf("non-loopback addr: %d %s", code, errOut)
	}
	// The configuring window (a load balancer busy after each write) is on by default, and settable.
	if _, errOut, _ := runBin(t, bin, "serve", "--help"); !strings.Contains(errOut, "-configuring-window duration") ||
		!strings.Contains(errOut, `(default 1s)`) {
		t.Errorf("serve --help lacks the configuring window and its default: %s", errOut)
	}
	if _, errOut, code := runBin(t, bin, "serve", "--configuring-window", "-1s"); code != 2 || !strings.Contains(errOut, "configuring-window") {
		t.Errorf("negative window: %d %s", code, errOut)
	}

	// mkcert writes certbot's four files.
	certDir := filepath.Join(dir, "live", "example.com")
	if out, errOut, code := runBin(t, bin, "mkcert", "--names", "example.com,www.example.com", "--days", "30", "--out", certDir); code != 0 {
		t.Fatalf("mkcert: %d %s %s", code, out, errOut)
	}
	full, err := os.ReadFile(filepath.Join(certDir, "fullchain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(full)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(leaf.DNSNames, ",") != "example.com,www.example.com" || time.Until(leaf.NotAfter) > 31*24*time.Hour {
		t.Errorf("leaf %v until %v", leaf.DNSNames, leaf.NotAfter)
	}
	for _, f := range []string{"cert.pem", "chain.pem", "privkey.pem"} {
		if st, err := os.Stat(filepath.Join(certDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if st, _ := os.Stat(filepath.Join(certDir, "privkey.pem")); st.Mode().Perm() != 0o600 {
		t.Errorf("privkey.pem mode %v", st.Mode().Perm())
	}
	if _, _, code := runBin(t, bin, "mkcert", "--out", dir); code != 2 {
		t.Errorf("mkcert without names: exit %d", code)
	}

	// serve --seed demo --ready-file.
	ready := filepath.Join(dir, "ready")
	var serveErr syncBuffer
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--seed", "demo", "--ready-file", ready)
	srv.Stderr = &serveErr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	done := make(chan struct{})
	go func() { waitErr = srv.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			_ = srv.Process.Kill()
			<-done
		}
	})
	var base string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			base = strings.TrimSpace(string(b))
			break
		}
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("ready file: %q; stderr: %s", base, serveErr.String())
	}

	// state: the tables (every service, Huawei ELB included) and the JSON.
	out, errOut, code := runBin(t, bin, "state", "--url", base)
	if code != 0 {
		t.Fatalf("state: %d %s", code, errOut)
	}
	for _, want := range []string{"lb-demo-web", "lb-demo-shop", "api.example.com", "example.com,www.example.com", "shop.other.org", "not-ours", "(in 5d)", "default",
		"Alibaba SLB (CLB) listeners", "Alibaba CAS certificates", "Alibaba ALB listeners", "Alibaba NLB listeners", "lsn-demoweb443", "additional",
		"Huawei ELB listeners", "Huawei ELB certificates", "demo-web", "0a1b2c3d4e5f67890a1b2c3d4e5f6789"} {
		if !strings.Contains(out, want) {
			t.Errorf("state table lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runBin(t, bin, "state", "--url", base, "--json")
	var st fakecloud.State
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Regions) != 1 || len(st.Regions[0].LoadBalancers) != 2 {
		t.Fatalf("state --json: %v %s", err, out)
	}

	// put, then read back through the admin endpoint.
	if out, errOut, code := runBin(t, bin, "put", "--url", base, "--store", "oss", "--bucket", "certs", "--key", "live/example.com/fullchain.pem",
		"--file", filepath.Join(certDir, "fullchain.pem")); code != 0 {
		t.Fatalf("put: %d %s %s", code, out, errOut)
	}
	resp, err := http.Get(base + "/_fake/objects/oss/certs/live/example.com/fullchain.pem")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, full) {
		t.Errorf("object = %q", got)
	}
	if _, _, code := runBin(t, bin, "put", "--url", base, "--store", "gcs", "--bucket", "b", "--key", "k", "--file", ready); code != 2 {
		t.Errorf("put to gcs: exit %d", code)
	}

	// SIGTERM stops it cleanly and removes the ready file.
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		if waitErr != nil {
			t.Errorf("serve exited with %v; stderr: %s", waitErr, serveErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if _, err := os.Stat(ready); !os.IsNotExist(err) {
		t.Errorf("ready file left behind: %v", err)
	}
	// The log is JSON, one object per line, and never holds a query string.
	for _, line := range strings.Split(strings.TrimSpace(serveErr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not JSON: %s", line)
		}
		if strings.Contains(line, "Signature=") || strings.Contains(line, "PRIVATE KEY") {
			t.Errorf("log leaks request content: %s", line)
		}
	}
}

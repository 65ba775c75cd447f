package webhook

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/certrotate/certrotate/shared/certs/certstest"

	"github.com/certrotate/certrotate/shared/testtool"
)

// The deploy hooks in scripts/ are run with sh against a fake rotate that verifies them
// with Verifier and decodes the certificate body.

type hookBody struct {
	Certificate string   `json:"certificate"`
	PrivateKey  string   `json:"private_key"`
	Name        string   `json:"name"`
	Targets     []string `json:"targets"`
}

// fakeRotate answers like rotate's HTTP trigger: 401 {"error"} when Verify refuses,
// otherwise 200 (or status) with a small report.
type fakeRotate struct {
	t      *testing.T
	v      *Verifier
	status int

	mu       sync.Mutex
	calls    int
	bodies   []hookBody
	refusals []string
}

func newFakeRotate(t *testing.T, secret string) (*fakeRotate, *httptest.Server) {
	t.Helper()
	v, err := NewVerifier([]string{secret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRotate{t: t, v: v, status: http.StatusOK}
	srv := httptest.NewServer(f) // 127.0.0.1, OS-assigned port
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeRotate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost {
		f.t.Errorf("method %s, want POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type %q, want application/json", ct)
	}
	if r.Header.Get(HeaderGitHub) != "" {
		f.t.Errorf("hook sent %s: a receiver that accepts it loses replay protection", HeaderGitHub)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		f.t.Errorf("read body: %v", err)
	}
	headers := map[string]string{}
	for k, vals := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vals, ",")
	}
	id, err := f.v.Verify(headers, raw)
	if err != nil {
		var e *Error
		errors.As(err, &e)
		f.refusals = append(f.refusals, e.Reason)
		w.WriteHeader(e.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": e.Reason})
		return
	}
	if id == "" || !strings.HasPrefix(id, "msg_") {
		f.t.Errorf("webhook-id %q", id)
	}
	if f.v.Seen(id) {
		f.t.Errorf("webhook-id %q reused", id)
	}
	var b hookBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		f.t.Errorf("body is not a certificate body: %v", err)
	}
	if dec.More() {
		f.t.Errorf("trailing data after the JSON body")
	}
	f.bodies = append(f.bodies, b)
	w.WriteHeader(f.status)
	if f.status >= 300 {
		_, _ = io.WriteString(w, `{"id":"run-1","status":"partial","targets":[{"name":"lb-1:443","status":"failed","error":"throttled"}],"error":"listener lb-1:443: throttled"}`)
		return
	}
	_, _ = io.WriteString(w, `{"id":"run-1","status":"rotated"}`)
}

func (f *fakeRotate) got() (calls int, bodies []hookBody, refusals []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, append([]hookBody(nil), f.bodies...), append([]string(nil), f.refusals...)
}

func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"sh", "openssl", "curl", "od"} {
		testtool.Need(t, "the deploy hook tests (shared/webhook)", "e.g. apt-get install "+hookPackages[tool], tool)
	}
}

// shells returns sh plus every other POSIX shell found, to catch shell-specific behaviour.
func shells() []string {
	out := []string{"sh"}
	for _, s := range []string{"dash", "bash", "busybox", "ash", "mksh", "ksh", "yash", "posh"} {
		if _, err := exec.LookPath(s); err == nil {
			out = append(out, s)
		}
	}
	return out
}

func script(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

type hookResult struct {
	stdout, stderr string
	exit           int
}

// runHook runs path with shell in a clean environment holding only env, PATH and TMPDIR,
// and checks that the script removed its temporary files.
func runHook(t *testing.T, shell, path string, env map[string]string) hookResult {
	t.Helper()
	tmp := t.TempDir()
	args := []string{path}
	if shell == "busybox" {
		args = []string{"sh", path}
	}
	cmd := exec.Command(shell, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + tmp}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := hookResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.exit = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %s %s: %v", shell, path, err)
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("the script left %d temporary entries behind", len(left))
	}
	return res
}

// certbotLineage writes a certbot live folder.
func certbotLineage(t *testing.T, fullchain, key []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "live", "example.com")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"fullchain.pem": fullchain, "privkey.pem": key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// acmeFolder writes an acme.sh domain folder and returns the reload command's environment.
func acmeFolder(t *testing.T, fullchain, key []byte) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "example.com_ecc")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"fullchain.cer": fullchain, "example.com.key": key, "example.com.cer": []byte("unused"), "ca.cer": []byte("unused")}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{
		"CERT_PATH":           filepath.Join(dir, "example.com.cer"),
		"CERT_KEY_PATH":       filepath.Join(dir, "example.com.key"),
		"CA_CERT_PATH":        filepath.Join(dir, "ca.cer"),
		"CERT_FULLCHAIN_PATH": filepath.Join(dir, "fullchain.cer"),
		"Le_Domain":           "example.com",
	}
}

// hookEnv returns the environment for one of the two hooks, for the given PEMs.
func hookEnv(t *testing.T, hook string, fullchain, key []byte) map[string]string {
	t.Helper()
	if hook == "certbot-deploy-hook.sh" {
		return map[string]string{
			"RENEWED_LINEAGE": certbotLineage(t, fullchain, key),
			"RENEWED_DOMAINS": "example.com *.example.com www.example.com",
		}
	}
	return acmeFolder(t, fullchain, key)
}

func randomWhsec(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// assertNoLeak checks the script's output for the secret, the key bytes and the private key.
func assertNoLeak(t *testing.T, res hookResult, secret string, privateKey []byte) {
	t.Helper()
	out := res.stdout + res.stderr
	k, _ := Key(secret)
	for _, s := range []string{secret, hex.EncodeToString(k), base64.StdEncoding.EncodeToString(k)} {
		if len(s) >= 8 && strings.Contains(out, s) {
			t.Errorf("output contains the secret or key")
		}
	}
	for _, line := range strings.Split(string(privateKey), "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") && strings.Contains(out, line) {
			t.Errorf("output contains private key material")
			return
		}
	}
}

func TestHooksDeliverSignedBody(t *testing.T) {
	needTools(t)
	issued := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}})
	secrets := map[string]string{
		"plain":      "It's a \"secret\" \\ $HOME `x` 6\\ \t end",
		"plain long": strings.Repeat("long plain secret 6\\ ", 5), // over 64 bytes: hashed first
		"whsec":      randomWhsec(t, 24),
		"whsec long": randomWhsec(t, 100),
	}
	for _, hook := range []string{"certbot-deploy-hook.sh", "acme-sh-reloadcmd.sh"} {
		for _, shell := range shells() {
			for secretName, secret := range secrets {
				if shell != "sh" && secretName != "plain" && secretName != "whsec" {
					continue // the key handling is shell-independent past the first two
				}
				t.Run(hook+"/"+shell+"/"+secretName, func(t *testing.T) {
					f, srv := newFakeRotate(t, secret)
					env := hookEnv(t, hook, issued.FullchainPEM, issued.KeyPEM)
					env["ROTATE_WEBHOOK_URL"] = srv.URL + "/rotate"
					env["ROTATE_WEBHOOK_SECRET"] = secret
					res := runHook(t, shell, script(t, hook), env)
					if res.exit != 0 {
						t.Fatalf("exit %d\nstdout: %s\nstderr: %s", res.exit, res.stdout, res.stderr)
					}
					calls, bodies, refusals := f.got()
					if calls != 1 || len(refusals) != 0 || len(bodies) != 1 {
						t.Fatalf("calls %d, refusals %q, bodies %d", calls, refusals, len(bodies))
					}
					b := bodies[0]
					if b.Certificate != string(issued.FullchainPEM) {
						t.Errorf("certificate differs from fullchain PEM:\n%q\nwant\n%q", b.Certificate, issued.FullchainPEM)
					}
					if b.PrivateKey != string(issued.KeyPEM) {
						t.Errorf("private_key differs from the key PEM")
					}
					if b.Name != "example.com" {
						t.Errorf("name %q, want example.com", b.Name)
					}
					if b.Targets != nil {
						t.Errorf("targets %q without ROTATE_TARGETS_FILTER", b.Targets)
					}
					if !strings.Contains(res.stdout, `"status":"rotated"`) {
						t.Errorf("stdout lacks rotate's answer: %q", res.stdout)
					}
					assertNoLeak(t, res, secret, issued.KeyPEM)
				})
			}
		}
	}
}

func TestHookBodyEscaping(t *testing.T) {
	needTools(t)
	issued := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }
	big := bytes.Repeat(issued.FullchainPEM, 1+(200<<10)/len(issued.FullchainPEM)) // over 200 KB
	tests := []struct {
		name           string
		fullchain, key []byte
		filter         string
		wantTargets    []string
	}{
		{
			name:      "quotes, backslashes, tabs and CRLF",
			fullchain: append([]byte("subject=\"CN = a\\b\"\t/x\r\n"), crlf(issued.FullchainPEM)...),
			key:       bytes.TrimSuffix(issued.KeyPEM, []byte("\n")), // no final newline
		},
		{name: "over 200 KB streams", fullchain: big, key: issued.KeyPEM},
		{
			name:      "targets filter",
			fullchain: issued.FullchainPEM, key: issued.KeyPEM,
			filter:      ` edge-1 , edge "2",,b\c ,*`,
			wantTargets: []string{"edge-1", `edge "2"`, `b\c`, "*"},
		},
		{name: "targets filter of separators only", fullchain: issued.FullchainPEM, key: issued.KeyPEM, filter: " , ,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := randomWhsec(t, 32)
			f, srv := newFakeRotate(t, secret)
			env := hookEnv(t, "certbot-deploy-hook.sh", tt.fullchain, tt.key)
			env["ROTATE_WEBHOOK_URL"] = srv.URL
			env["ROTATE_WEBHOOK_SECRET"] = secret
			if tt.filter != "" {
				env["ROTATE_TARGETS_FILTER"] = tt.filter
			}
			res := runHook(t, "sh", script(t, "certbot-deploy-hook.sh"), env)
			if res.exit != 0 {
				t.Fatalf("exit %d\nstderr: %s", res.exit, res.stderr)
			}
			_, bodies, refusals := f.got()
			if len(bodies) != 1 || len(refusals) != 0 {
				t.Fatalf("bodies %d, refusals %q", len(bodies), refusals)
			}
			b := bodies[0]
			if b.Certificate != string(tt.fullchain) {
				t.Errorf("certificate not byte for byte (len %d, want %d)", len(b.Certificate), len(tt.fullchain))
			}
			if b.PrivateKey != string(tt.key) {
				t.Errorf("private_key not byte for byte:\n%q\nwant\n%q", b.PrivateKey, tt.key)
			}
			if strings.Join(b.Targets, "|") != strings.Join(tt.wantTargets, "|") {
				t.Errorf("targets %q, want %q", b.Targets, tt.wantTargets)
			}
		})
	}
}

func TestHookFailures(t *testing.T) {
	needTools(t)
	issued := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	const secret = "the right secret"

	t.Run("401 from rotate: non-zero exit and its error printed", func(t *testing.T) {
		for _, hook := range []string{"certbot-deploy-hook.sh", "acme-sh-reloadcmd.sh"} {
			f, srv := newFakeRotate(t, "another secret")
			env := hookEnv(t, hook, issued.FullchainPEM, issued.KeyPEM)
			env["ROTATE_WEBHOOK_URL"] = srv.URL
			env["ROTATE_WEBHOOK_SECRET"] = secret
			res := runHook(t, "sh", script(t, hook), env)
			_, _, refusals := f.got()
			if res.exit != 1 || len(refusals) != 1 {
				t.Fatalf("%s: exit %d, refusals %q\nstderr: %s", hook, res.exit, refusals, res.stderr)
			}
			want := "rotate answered HTTP 401: " + refusals[0]
			if !strings.Contains(res.stderr, want) {
				t.Errorf("%s: stderr %q, want it to contain %q", hook, res.stderr, want)
			}
			assertNoLeak(t, res, secret, issued.KeyPEM)
		}
	})
	t.Run("502 with a report: non-zero exit, report on stdout", func(t *testing.T) {
		f, srv := newFakeRotate(t, secret)
		f.status = http.StatusBadGateway
		env := hookEnv(t, "acme-sh-reloadcmd.sh", issued.FullchainPEM, issued.KeyPEM)
		env["ROTATE_WEBHOOK_URL"] = srv.URL
		env["ROTATE_WEBHOOK_SECRET"] = secret
		res := runHook(t, "sh", script(t, "acme-sh-reloadcmd.sh"), env)
		if res.exit != 1 || !strings.Contains(res.stderr, "HTTP 502: listener lb-1:443: throttled") || !strings.Contains(res.stdout, `"status":"partial"`) {
			t.Errorf("exit %d\nstdout: %s\nstderr: %s", res.exit, res.stdout, res.stderr)
		}
	})

	cases := []struct {
		name     string
		edit     func(env map[string]string, url string)
		exit     int
		stderr   string
		fullSize int // write a fullchain this large instead
	}{
		{name: "no secret", edit: func(env map[string]string, _ string) { delete(env, "ROTATE_WEBHOOK_SECRET") }, exit: 2, stderr: "ROTATE_WEBHOOK_SECRET is not set"},
		{name: "no URL", edit: func(env map[string]string, _ string) { delete(env, "ROTATE_WEBHOOK_URL") }, exit: 2, stderr: "ROTATE_WEBHOOK_URL is not set"},
		{name: "whsec not base64", edit: func(env map[string]string, _ string) { env["ROTATE_WEBHOOK_SECRET"] = "whsec_abc*def" }, exit: 2, stderr: "not standard base64"},
		{name: "whsec bad length", edit: func(env map[string]string, _ string) { env["ROTATE_WEBHOOK_SECRET"] = "whsec_abcde" }, exit: 2, stderr: "not standard base64"},
		{name: "whsec empty", edit: func(env map[string]string, _ string) { env["ROTATE_WEBHOOK_SECRET"] = "whsec_" }, exit: 2, stderr: "not standard base64"},
		{name: "not run by certbot", edit: func(env map[string]string, _ string) { delete(env, "RENEWED_LINEAGE") }, exit: 2, stderr: "RENEWED_LINEAGE is not set"},
		{name: "missing key file", edit: func(env map[string]string, _ string) {
			_ = os.Remove(filepath.Join(env["RENEWED_LINEAGE"], "privkey.pem"))
		}, exit: 2, stderr: "cannot read"},
		{name: "binary file", edit: func(env map[string]string, _ string) {
			_ = os.WriteFile(filepath.Join(env["RENEWED_LINEAGE"], "privkey.pem"), []byte("-----BEGIN\x00\x01"), 0o600)
		}, exit: 2, stderr: "not printable ASCII"},
		{name: "body over 1 MiB", fullSize: 1<<20 + 1, exit: 2, stderr: "over rotate's limit of 1 MiB"},
		{name: "unreachable", edit: func(env map[string]string, _ string) { env["ROTATE_WEBHOOK_URL"] = "http://127.0.0.1:1/" }, exit: 1, stderr: "could not POST"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFakeRotate(t, secret)
			full := issued.FullchainPEM
			if tc.fullSize > 0 {
				full = bytes.Repeat([]byte("A"), tc.fullSize)
			}
			env := hookEnv(t, "certbot-deploy-hook.sh", full, issued.KeyPEM)
			env["ROTATE_WEBHOOK_URL"] = srv.URL
			env["ROTATE_WEBHOOK_SECRET"] = secret
			if tc.edit != nil {
				tc.edit(env, srv.URL)
			}
			res := runHook(t, "sh", script(t, "certbot-deploy-hook.sh"), env)
			if res.exit != tc.exit || !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", res.exit, res.stderr, tc.exit, tc.stderr)
			}
			if calls, _, _ := f.got(); calls != 0 {
				t.Errorf("rotate was called %d times", calls)
			}
			assertNoLeak(t, res, secret, issued.KeyPEM)
		})
	}
}

func TestHookCurlOptsAndSymlink(t *testing.T) {
	needTools(t)
	issued := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	secret := randomWhsec(t, 32)
	f, srv := newFakeRotate(t, secret)
	// A symlink to the hook from another folder, as in /etc/letsencrypt/renewal-hooks/deploy/.
	link := filepath.Join(t.TempDir(), "certrotate")
	if err := os.Symlink(script(t, "certbot-deploy-hook.sh"), link); err != nil {
		t.Skipf("symlink: %v", err)
	}
	env := hookEnv(t, "certbot-deploy-hook.sh", issued.FullchainPEM, issued.KeyPEM)
	env["ROTATE_WEBHOOK_URL"] = srv.URL
	env["ROTATE_WEBHOOK_SECRET"] = secret
	env["ROTATE_WEBHOOK_CURL_OPTS"] = "--max-time 30 -H X-Extra:*"
	res := runHook(t, "sh", link, env)
	if res.exit != 0 {
		t.Fatalf("exit %d\nstderr: %s", res.exit, res.stderr)
	}
	if calls, bodies, _ := f.got(); calls != 1 || len(bodies) != 1 {
		t.Errorf("calls %d, bodies %d", calls, len(bodies))
	}
}

func TestSignAndPostStandalone(t *testing.T) {
	needTools(t)
	issued := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	secret := "standalone"
	f, srv := newFakeRotate(t, secret)
	dir := certbotLineage(t, issued.FullchainPEM, issued.KeyPEM)
	path := script(t, "sign-and-post.sh")
	cmd := exec.Command("sh", path, filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem"), "shop")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir(), "ROTATE_WEBHOOK_URL=" + srv.URL, "ROTATE_WEBHOOK_SECRET=" + secret}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, bodies, _ := f.got(); len(bodies) != 1 || bodies[0].Name != "shop" {
		t.Errorf("bodies %+v", bodies)
	}
	usage := exec.Command("sh", path)
	usage.Env = cmd.Env
	out, err = usage.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 || !strings.Contains(string(out), "usage:") {
		t.Errorf("without arguments: %v\n%s", err, out)
	}
}

// hookPackages names the Debian package that holds each tool the hooks need.
var hookPackages = map[string]string{"sh": "dash", "openssl": "openssl", "curl": "curl", "od": "coreutils"}

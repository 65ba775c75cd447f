package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/entry/runtimeapitest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
)

// build compiles this function as it is built for the platforms: CGO_ENABLED=0, -tags lambda.norpc,
// -trimpath, -ldflags='-s -w'.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

type world struct {
	cloud *fakecloud.Cloud
	url   string
	fresh *certstest.Issued
	body  []byte
}

func newWorld(t *testing.T) *world {
	c, url := fakecloud.Start(t)
	old := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}, NotAfter: time.Now().Add(48 * time.Hour), KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	sc, err := c.SLB().AddServerCertificate("cn-hangzhou", "old", old.FullchainPEM, old.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SLB().AddLoadBalancer("cn-hangzhou", "lb-1", "web"); err != nil {
		t.Fatal(err)
	}
	if err := c.SLB().AddListener("lb-1", 443, "https", sc.ID); err != nil {
		t.Fatal(err)
	}
	fresh := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}, KeyType: certstest.RSA2048}) // CLB takes RSA only
	body, _ := json.Marshal(map[string]string{"certificate": string(fresh.FullchainPEM), "private_key": string(fresh.KeyPEM)})
	return &world{cloud: c, url: url, fresh: fresh, body: body}
}

// environ is a clean environment for the function: nothing from the test process leaks in.
func (w *world) environ(extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(),
		`ROTATE_TARGETS=[{"provider":"alislb","region":"cn-hangzhou","name":"web","load_balancer_id":"lb-1","listener_port":443}]`,
		"ROTATE_SLB_ENDPOINT=" + w.url,
	}, extra...)
}

// lockedBuffer is written by the child's stderr copier while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *lockedBuffer) String() string { return string(b.Bytes()) }

func start(t *testing.T, bin string, env []string) *lockedBuffer {
	t.Helper()
	stderr := &lockedBuffer{}
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stderr = env, io.MultiWriter(stderr, leakcheck.Writer(t, "role-secret", "role-token"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return stderr
}

func TestBinaryOnTheRuntimeAPIs(t *testing.T) {
	bin := build(t)

	t.Run("lambda", func(t *testing.T) {
		w := newWorld(t)
		api := runtimeapitest.NewLambda(t)
		logs := start(t, bin, w.environ(api.Env(),
			"ALIBABA_CLOUD_ACCESS_KEY_ID="+fakecore.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+fakecore.DefaultAccessKeySecret))
		res := invoke(t, api, w.body, runtimeapitest.WithRequestID("req-lambda-1"))
		assertRotated(t, w, res)
		if !strings.Contains(logs.String(), `"request_id":"req-lambda-1"`) {
			t.Errorf("logs do not carry the request id:\n%s", logs)
		}
		assertClean(t, w, res.Body, logs.Bytes())
	})

	t.Run("function compute with per-invocation role credentials", func(t *testing.T) {
		w := newWorld(t)
		w.cloud.Keys().Add(fakecore.Credential{AccessKeyID: "STS.role", AccessKeySecret: "role-secret", SecurityToken: "role-token"})
		api := runtimeapitest.NewFC(t)
		// No ALIBABA_CLOUD_* in the environment: only the invocation's credentials can work.
		logs := start(t, bin, w.environ(api.Env()))
		res := invoke(t, api, w.body, runtimeapitest.WithFCCredentials("STS.role", "role-secret", "role-token"), runtimeapitest.WithRequestID("req-fc-1"))
		assertRotated(t, w, res)
		assertClean(t, w, res.Body, logs.Bytes())
		if bytes.Contains(logs.Bytes(), []byte("role-secret")) || bytes.Contains(logs.Bytes(), []byte("role-token")) {
			t.Fatal("the role credentials were logged")
		}
	})

	t.Run("function compute without a role", func(t *testing.T) {
		// No role: the invocation carries no credentials, and no ALIBABA_CLOUD_* is set. Only the
		// invocation can tell; it is still a configuration error: a failed report, not a function
		// error (retrying will not give the function a role), nothing called.
		w := newWorld(t)
		api := runtimeapitest.NewFC(t)
		logs := start(t, bin, w.environ(api.Env()))
		res := invoke(t, api, w.body, runtimeapitest.WithRequestID("req-fc-no-role"))
		var rep struct{ Status, Error string }
		if res.Error || json.Unmarshal(res.Body, &rep) != nil || rep.Status != "failed" ||
			!strings.HasPrefix(rep.Error, "configuration: no Alibaba Cloud credentials for the alislb targets: this Function Compute invocation carries no role credentials") {
			t.Fatalf("answer (error=%v): %s", res.Error, res.Body)
		}
		if n := len(w.cloud.Calls()); n != 0 {
			t.Fatalf("%d cloud calls", n)
		}
		assertClean(t, w, res.Body, logs.Bytes())
	})

	t.Run("configuration error stops the start", func(t *testing.T) {
		api := runtimeapitest.NewLambda(t)
		cmd := exec.Command(bin)
		cmd.Env = []string{api.Env(), `ROTATE_TARGETS=[{"provider":"nope"}]`, "ROTATE_CONCURRENCY=zero"}
		out, err := cmd.CombinedOutput()
		_, _ = leakcheck.Writer(t).Write(out)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("exit %v, want 2\n%s", err, out)
		}
		for _, want := range []string{`provider: "nope" is not supported`, "region: is required", "ROTATE_CONCURRENCY"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("message does not list %q:\n%s", want, out)
			}
		}
	})
}

func invoke(t *testing.T, api *runtimeapitest.Server, body []byte, opts ...runtimeapitest.InvokeOption) runtimeapitest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := api.Invoke(ctx, body, append(opts, runtimeapitest.WithDeadline(time.Now().Add(30*time.Second)))...)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = leakcheck.Writer(t).Write(append(res.Body, '\n'))
	return res
}

func assertRotated(t *testing.T, w *world, res runtimeapitest.Result) {
	t.Helper()
	var rep struct {
		Status  string `json:"status"`
		Error   string `json:"error"`
		Targets []struct {
			CertificateID string `json:"certificate_id"`
		} `json:"targets"`
	}
	if res.Error || json.Unmarshal(res.Body, &rep) != nil || rep.Status != "rotated" {
		t.Fatalf("answer (error=%v): %s", res.Error, res.Body)
	}
	if got, _ := w.cloud.SLB().ListenerCertificate("lb-1", 443); got != rep.Targets[0].CertificateID {
		t.Fatalf("listener serves %s, report says %s", got, rep.Targets[0].CertificateID)
	}
}

func assertClean(t *testing.T, w *world, outputs ...[]byte) {
	t.Helper()
	for _, out := range outputs {
		for _, line := range append(strings.Split(string(w.fresh.KeyPEM), "\n"), "PRIVATE KEY", fakecore.DefaultAccessKeySecret) {
			if len(line) > 10 && !strings.HasPrefix(line, "-----") && bytes.Contains(out, []byte(line)) {
				t.Fatalf("output holds key material or a secret")
			}
		}
	}
}

func TestCommandLineExitCodes(t *testing.T) {
	bin := build(t)
	w := newWorld(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	creds := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fakecore.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fakecore.DefaultAccessKeySecret}
	expired := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	expiredBody, _ := json.Marshal(map[string]string{"certificate": string(expired.FullchainPEM), "private_key": string(expired.KeyPEM)})
	for _, tc := range []struct {
		name   string
		args   []string
		env    []string
		stdin  []byte
		code   int
		stdout string
	}{
		{"help", []string{"--help"}, nil, nil, 0, "invoke --event"},
		{"rotated", []string{"invoke", "--event", write("ok.json", w.body)}, creds, nil, 0, `"status": "rotated"`},
		{"unchanged from stdin", []string{"invoke", "--event", "-"}, creds, w.body, 0, `"status": "unchanged"`},
		{"bad certificate", []string{"invoke", "--event", write("exp.json", expiredBody)}, creds, nil, 2, `"status": "failed"`},
		{"bad event", []string{"invoke", "--event", write("bad.json", []byte(`{"hello":1}`))}, creds, nil, 2, "unrecognised event"},
		{"cloud failure", []string{"invoke", "--event", write("ok2.json", w.body)}, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=nobody", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=x"}, nil, 1, `"status": "failed"`},
		{"no arguments", nil, creds, nil, 2, ""},
		{"sign --help", []string{"sign", "--help"}, nil, nil, 0, "Usage: rotate sign"},
		// Known at start, not at the first SLB call: a configuration error, exit 2, nothing printed.
		{"no Alibaba keys", []string{"invoke", "--event", write("ok3.json", w.body)}, nil, nil, 2, ""},
		{"no Alibaba keys, ALB target", []string{"invoke", "--event", write("ok4.json", w.body)},
			[]string{`ROTATE_TARGETS=[{"provider":"alialb","region":"cn-hangzhou","name":"alb","listener_id":"lsn-1"}]`}, nil, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = w.environ(tc.env...)
			cmd.Stdin = bytes.NewReader(tc.stdin)
			var stdout, stderr bytes.Buffer
			lw := leakcheck.Writer(t)
			cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, lw), io.MultiWriter(&stderr, lw)
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			assertClean(t, w, stdout.Bytes(), stderr.Bytes())
		})
	}
}

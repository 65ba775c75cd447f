package deploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

// TestPackagedBinariesRun builds the zips with `make package` (into a temporary BIN and DIST),
// unpacks each, and drives its binary through the runtime API of its platform: rotate with a
// golden bucket event against the cloud emulator, notify with the report rotate answered.
func TestPackagedBinariesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both functions")
	}
	tmp := t.TempDir()
	dist := filepath.Join(tmp, "dist")
	cmd := exec.Command("make", "-C", root(t), "BIN="+filepath.Join(tmp, "bin"), "DIST="+dist, "GOARCH="+runtime.GOARCH, "package")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}
	zips, _ := filepath.Glob(filepath.Join(dist, "*.zip"))
	want := []string{"notify-fc.zip", "notify-lambda-" + runtime.GOARCH + ".zip", "rotate-fc.zip", "rotate-lambda-" + runtime.GOARCH + ".zip"}
	var got []string
	for _, z := range zips {
		got = append(got, filepath.Base(z))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("make package wrote %v, want %v", got, want)
	}
	bin := func(zipName, entry string) string {
		return unzipOne(t, filepath.Join(dist, zipName), entry, filepath.Join(tmp, "unzipped", zipName))
	}

	for _, platform := range []struct {
		name     string
		rotate   string
		notify   string
		api      func(testing.TB) *runtimeapitest.Server
		event    string // rotate's golden event
		failure  string // a golden destination record of a failed rotate, for notify
		seed     func(w *world)
		env      func(w *world) []string
		invokeOp []runtimeapitest.InvokeOption
	}{
		{
			name:    "lambda",
			rotate:  bin("rotate-lambda-"+runtime.GOARCH+".zip", "bootstrap"),
			notify:  bin("notify-lambda-"+runtime.GOARCH+".zip", "bootstrap"),
			api:     func(tb testing.TB) *runtimeapitest.Server { return runtimeapitest.NewLambda(tb) },
			event:   "s3-eventbridge-object-created.json", // bucket amzn-s3-demo-bucket1, key example-key
			failure: "lambda-destination-failure.json",
			seed: func(w *world) {
				w.cloud.Objects().Put("s3", "amzn-s3-demo-bucket1", "fullchain.pem", w.fresh.FullchainPEM)
				w.cloud.Objects().Put("s3", "amzn-s3-demo-bucket1", "privkey.pem", w.fresh.KeyPEM)
			},
			env: func(w *world) []string {
				return []string{"AWS_ENDPOINT_URL_S3=" + w.url, "AWS_REGION=ca-central-1",
					"AWS_ACCESS_KEY_ID=" + fakecore.DefaultAccessKeyID, "AWS_SECRET_ACCESS_KEY=" + fakecore.DefaultAccessKeySecret,
					"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fakecore.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fakecore.DefaultAccessKeySecret}
			},
		},
		{
			name:    "function compute",
			rotate:  bin("rotate-fc.zip", "main"),
			notify:  bin("notify-fc.zip", "main"),
			api:     func(tb testing.TB) *runtimeapitest.Server { return runtimeapitest.NewFC(tb) },
			event:   "oss-put-object.json", // bucket testbucket, key source/a.png
			failure: "fc-destination-failure.json",
			seed: func(w *world) {
				w.cloud.Objects().Put("oss", "testbucket", "source/fullchain.pem", w.fresh.FullchainPEM)
				w.cloud.Objects().Put("oss", "testbucket", "source/privkey.pem", w.fresh.KeyPEM)
			},
			// No ALIBABA_CLOUD_* in the environment: the invocation's role credentials serve.
			env:      func(w *world) []string { return []string{"ROTATE_OSS_ENDPOINT=" + w.url} },
			invokeOp: []runtimeapitest.InvokeOption{runtimeapitest.WithFCCredentials(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, "")},
		},
	} {
		t.Run(platform.name, func(t *testing.T) {
			w := newWorld(t)
			platform.seed(w)
			// What the functions log and answer is scanned for the key and the secrets.
			out := leakcheck.Writer(t, string(w.fresh.KeyPEM), fakecore.DefaultAccessKeySecret, notifySecret, hookSecret)
			api := platform.api(t)
			run(t, platform.rotate, append(w.environ(), append(platform.env(w), api.Env())...), out)
			res := invoke(t, api, readFile(t, filepath.Join("testdata", platform.event)), platform.invokeOp...)
			out.Write(append(res.Body, '\n'))
			rep := w.assertRotated(t, res)

			hook := newHook(t)
			api = platform.api(t)
			run(t, platform.notify, []string{api.Env(), "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
				"NOTIFY_SECRET=" + notifySecret, "NOTIFY_WEBHOOK_URL=" + hook.URL, "NOTIFY_WEBHOOK_SECRET=" + hookSecret,
				"NOTIFY_ON=all"}, out)
			// rotate's report, as rotate posts it or as a success destination would carry it.
			res = invoke(t, api, res.Body, platform.invokeOp...)
			out.Write(append(res.Body, '\n'))
			if res.Error || !hook.received(rep.ID) {
				t.Fatalf("notify did not deliver report %s to its channel (error=%v): %s", rep.ID, res.Error, res.Body)
			}
			// The platform's failure destination record.
			before := hook.count()
			res = invoke(t, api, readFile(t, filepath.Join("testdata", platform.failure)), platform.invokeOp...)
			out.Write(append(res.Body, '\n'))
			if res.Error || hook.count() != before+1 {
				t.Fatalf("notify did not deliver the failure record %s (error=%v, %d messages): %s", platform.failure, res.Error, hook.count()-before, res.Body)
			}
		})
	}
}

// unzipOne checks that zipPath holds exactly one executable named entry and extracts it into dir.
func unzipOne(t *testing.T, zipPath, entry, dir string) string {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != entry {
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		t.Fatalf("%s holds %v, want only %s", filepath.Base(zipPath), names, entry)
	}
	f := zr.File[0]
	if f.Mode()&0o111 != 0o111 || !f.Mode().IsRegular() {
		t.Fatalf("%s: %s has mode %v, want an executable file", filepath.Base(zipPath), entry, f.Mode())
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, entry)
	dst, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, f.Mode().Perm())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, rc); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// world is the emulated cloud: SLB listener lb-1:443 serves an old certificate for example.com.
type world struct {
	cloud *fakecloud.Cloud
	url   string
	fresh *certstest.Issued
}

func newWorld(t *testing.T) *world {
	t.Helper()
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
	return &world{cloud: c, url: url, fresh: certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}, KeyType: certstest.RSA2048})}
}

func (w *world) environ() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(),
		`ROTATE_TARGETS=[{"provider":"alislb","region":"cn-hangzhou","name":"web","load_balancer_id":"lb-1","listener_port":443}]`,
		"ROTATE_SLB_ENDPOINT=" + w.url,
	}
}

type report struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Targets []struct {
		CertificateID string `json:"certificate_id"`
	} `json:"targets"`
}

func (w *world) assertRotated(t *testing.T, res runtimeapitest.Result) report {
	t.Helper()
	var rep report
	if res.Error || json.Unmarshal(res.Body, &rep) != nil || rep.Status != "rotated" || len(rep.Targets) != 1 {
		t.Fatalf("rotate answered (error=%v): %s", res.Error, res.Body)
	}
	if got, _ := w.cloud.SLB().ListenerCertificate("lb-1", 443); got != rep.Targets[0].CertificateID {
		t.Fatalf("listener serves %s, the report says %s", got, rep.Targets[0].CertificateID)
	}
	return rep
}

// Secrets the functions are configured with (test values).
const (
	notifySecret = "whsec_ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
	hookSecret   = "whsec_c2lnbmluZy1rZXktZm9yLXRoZS1nZW5lcmljLWhvb2s="
)

// run starts a function binary with exactly env, its stderr also going to out; the test's
// cleanup stops it.
func run(t *testing.T, bin string, env []string, out io.Writer) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(&stderr, out) // stderr is read only after Wait
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(filepath.Dir(bin)), stderr.String())
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
	return res
}

// hook is a notification channel (NOTIFY_WEBHOOK_URL) that records what it receives.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

func (h *hook) received(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range h.bodies {
		if bytes.Contains(b, []byte(id)) {
			return true
		}
	}
	return false
}

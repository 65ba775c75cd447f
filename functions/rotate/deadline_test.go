package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/entry/runtimeapitest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
)

// notifySink stands for the notify function: it records every report rotate posts, and when.
type notifySink struct {
	mu    sync.Mutex
	posts []post
	url   string
}

type post struct {
	at   time.Time
	body []byte
}

func newNotifySink(t *testing.T) *notifySink {
	s := &notifySink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.posts = append(s.posts, post{at: time.Now(), body: body})
		s.mu.Unlock()
		_, _ = io.WriteString(w, `{"sent":true}`)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *notifySink) all() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]post(nil), s.posts...)
}

// deadlineReport is what these tests read of a report.
type deadlineReport struct {
	Status  string `json:"status"`
	Targets []struct {
		Status        string `json:"status"`
		CertificateID string `json:"certificate_id"`
		Error         string `json:"error"`
	} `json:"targets"`
}

const notifySecret = "notify-secret-for-the-deadline-test"

// TestDeadlinesOnEveryRuntime: on the Lambda runtime API, the FC runtime API and the command line
// (invoke --deadline), a short deadline against SLB calls slower than the whole reserve, or an
// SLB that never answers, still ends with a report posted to notify and an answer inside the
// deadline, with no key material in either; the target is failed and retryable, and a
// redelivery without the fault converges on one uploaded certificate, bound.
func TestDeadlinesOnEveryRuntime(t *testing.T) {
	leakcheck.Register(notifySecret)
	bin := build(t)
	for _, tc := range []struct {
		runtime string // lambda, fc, cli
		fault   string // latency, hang
		limit   time.Duration
	}{
		{"lambda", "latency", 3 * time.Second},
		{"lambda", "hang", 2 * time.Second},
		{"fc", "latency", 3 * time.Second},
		{"fc", "hang", 2 * time.Second},
		{"cli", "latency", 3 * time.Second},
		{"cli", "hang", 2 * time.Second},
	} {
		t.Run(tc.runtime+" "+tc.fault, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			sink := newNotifySink(t)
			switch tc.fault {
			case "latency":
				// Every SLB call takes longer than everything the run keeps back (at most
				// 3 s × 4/10 here), so the run cannot finish in time.
				w.cloud.Faults().SetLatency(tc.limit / 2)
			case "hang":
				if err := (fakecloud.FaultConfig{Hang: []string{"slb"}}).Apply(w.cloud.Faults()); err != nil {
					t.Fatal(err)
				}
			}
			env := w.environ("ALIBABA_CLOUD_ACCESS_KEY_ID="+fakecore.DefaultAccessKeyID,
				"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+fakecore.DefaultAccessKeySecret,
				"ROTATE_NOTIFY_URL="+sink.url, "ROTATE_NOTIFY_SECRET="+notifySecret)
			run := runOn(t, bin, tc.runtime, env, w.body)

			begin := time.Now()
			deadline := begin.Add(tc.limit)
			answer, answeredAt, failed := run(tc.limit)
			if !answeredAt.Before(deadline) {
				t.Fatalf("answered %s after the deadline (%s limit)", answeredAt.Sub(deadline), tc.limit)
			}
			if !failed {
				t.Fatalf("a run that could not finish did not fail the invocation (the platform would not retry it): %s", answer)
			}
			posts := sink.all()
			if len(posts) != 1 {
				t.Fatalf("%d reports posted to notify, want 1", len(posts))
			}
			if !posts[0].at.Before(deadline) {
				t.Fatalf("the report reached notify %s after the deadline", posts[0].at.Sub(deadline))
			}
			var rep deadlineReport
			if err := json.Unmarshal(posts[0].body, &rep); err != nil {
				t.Fatalf("notify got %s: %v", posts[0].body, err)
			}
			if rep.Status != "failed" || len(rep.Targets) == 0 {
				t.Fatalf("report: %s", posts[0].body)
			}
			for _, tg := range rep.Targets {
				if tg.Status != "failed" || !strings.Contains(tg.Error, "deadline") {
					t.Fatalf("target not failed for the deadline: %s", posts[0].body)
				}
			}
			assertClean(t, w, answer, posts[0].body)
			_, _ = leakcheck.Writer(t, notifySecret).Write(append(append(answer, '\n'), posts[0].body...))

			// Redelivery, the fault gone: the platform's retry converges the rotation.
			w.cloud.Faults().Clear()
			answer, _, failed = run(30 * time.Second)
			if failed {
				t.Fatalf("redelivery failed: %s", answer)
			}
			assertConverged(t, w)
			assertClean(t, w, answer)
		})
	}
}

// runOn starts the function for runtime and returns how to invoke it with a time limit: the
// answer, when it arrived, and whether the invocation failed (a function error, or exit 1).
func runOn(t *testing.T, bin, runtime string, env []string, body []byte) func(limit time.Duration) ([]byte, time.Time, bool) {
	t.Helper()
	var api *runtimeapitest.Server
	switch runtime {
	case "lambda":
		api = runtimeapitest.NewLambda(t)
	case "fc":
		api = runtimeapitest.NewFC(t)
	}
	if api != nil {
		logs := start(t, bin, append(env, api.Env()))
		t.Cleanup(func() { assertNoSecret(t, logs.Bytes()) })
		return func(limit time.Duration) ([]byte, time.Time, bool) {
			ctx, cancel := context.WithTimeout(context.Background(), limit+30*time.Second)
			defer cancel()
			res, err := api.Invoke(ctx, body, runtimeapitest.WithDeadline(time.Now().Add(limit)))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = leakcheck.Writer(t, notifySecret).Write(append(res.Body, '\n'))
			return res.Body, res.Received, res.Error
		}
	}
	return func(limit time.Duration) ([]byte, time.Time, bool) {
		cmd := exec.Command(bin, "invoke", "--deadline", limit.String(), "--event", "-")
		cmd.Env = env
		cmd.Stdin = bytes.NewReader(body)
		var stdout, stderr bytes.Buffer
		lw := leakcheck.Writer(t, notifySecret)
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, lw), io.MultiWriter(&stderr, lw)
		err := cmd.Run()
		at := time.Now()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != 0 && code != 1 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.Bytes(), stderr.Bytes())
		}
		var rep deadlineReport
		if json.Unmarshal(stdout.Bytes(), &rep) != nil || rep.Status == "" {
			t.Fatalf("no report on stdout:\n%s\nstderr:\n%s", stdout.Bytes(), stderr.Bytes())
		}
		assertNoSecret(t, stderr.Bytes())
		return stdout.Bytes(), at, code == 1
	}
}

func assertNoSecret(t *testing.T, out []byte) {
	t.Helper()
	if bytes.Contains(out, []byte(notifySecret)) || bytes.Contains(out, []byte(fakecore.DefaultAccessKeySecret)) {
		t.Errorf("a secret was written out")
	}
}

// assertConverged: the listener serves the fresh certificate, uploaded once.
func assertConverged(t *testing.T, w *world) {
	t.Helper()
	sum := sha1.Sum(w.fresh.Leaf.Raw)
	want := certs.NormalizeFingerprint(hex.EncodeToString(sum[:]))
	n := 0
	for _, sc := range w.cloud.SLB().ServerCertificates("cn-hangzhou") {
		if certs.NormalizeFingerprint(sc.Fingerprint) == want {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d uploaded copies of the certificate, want 1", n)
	}
	id, _ := w.cloud.SLB().ListenerCertificate("lb-1", 443)
	sc, ok := w.cloud.SLB().ServerCertificateByID(id)
	if !ok || certs.NormalizeFingerprint(sc.Fingerprint) != want {
		t.Fatalf("the listener serves %s, not the new certificate", id)
	}
}

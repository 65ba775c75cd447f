package handler

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/report"
)

// TestEveryCloudCallEndsBeforeTheDeadline: whichever service never answers (SLB, Huawei ELB,
// OSS, S3, CAS), the handler returns its report before a 1 s deadline, the failure is retryable
// and says the deadline stopped it, and the report still reaches notify in time.
func TestEveryCloudCallEndsBeforeTheDeadline(t *testing.T) {
	pems := func(e *env) []byte {
		b, _ := json.Marshal(map[string]string{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM)})
		return b
	}
	for _, tc := range []struct {
		service string
		env     func(url string) map[string]string
		payload func(e *env) []byte
	}{
		{"slb", nil, pems},
		{"elb", func(url string) map[string]string {
			return map[string]string{
				"ROTATE_TARGETS":             `[{"provider":"huaweielb","region":"cn-north-4","name":"elb","project_id":"p1","certificate_id":"0123456789abcdef0123456789abcdef"}]`,
				"ROTATE_ELB_ENDPOINT":        url,
				"HUAWEICLOUD_SDK_AK":         fakecore.DefaultAccessKeyID,
				"HUAWEICLOUD_SDK_SK":         fakecore.DefaultAccessKeySecret,
				"HUAWEICLOUD_SDK_PROJECT_ID": "p1",
			}
		}, pems},
		{"oss", nil, func(*env) []byte { return []byte(`{"bucket":"certs","key":"example.com/fullchain.pem","store":"oss"}`) }},
		{"s3", nil, func(*env) []byte { return []byte(`{"bucket":"certs","key":"example.com/fullchain.pem","store":"s3"}`) }},
		{"cas", func(url string) map[string]string { return map[string]string{"ROTATE_CAS_ENDPOINT": url} },
			func(*env) []byte { return []byte(`{"cas_certificate_id":12345678}`) }},
	} {
		t.Run(tc.service, func(t *testing.T) {
			e := newEnv(t)
			var posted atomic.Int64 // UnixNano of the notify post
			sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				posted.Store(time.Now().UnixNano())
			}))
			t.Cleanup(sink.Close)
			vars := map[string]string{"ROTATE_NOTIFY_URL": sink.URL, "ROTATE_NOTIFY_SECRET": "notify-secret"}
			if tc.env != nil {
				for k, v := range tc.env(serverURL(t)) {
					vars[k] = v
				}
			}
			rebuild(t, e, vars)
			if err := (fakecloud.FaultConfig{Hang: []string{tc.service}}).Apply(e.cloud.Faults()); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(time.Second)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			answer, err := e.h.Handle(ctx, tc.payload(e))
			if now := time.Now(); !now.Before(deadline) {
				t.Fatalf("answered %s after the deadline", now.Sub(deadline))
			}
			if err == nil {
				t.Fatal("a run stopped by the deadline did not fail the invocation (nothing would retry it)")
			}
			rep, ok := answer.(*report.Report)
			if !ok {
				t.Fatalf("answer %T, want a report", answer)
			}
			out, _ := json.Marshal(rep)
			_, _ = e.tr.Write(append(out, '\n'))
			if rep.Status != report.Failed || !rep.Retryable || !strings.Contains(string(out), "deadline is near") {
				t.Fatalf("report: %s", out)
			}
			if at := posted.Load(); at == 0 || !time.Unix(0, at).Before(deadline) {
				t.Fatalf("the report did not reach notify before the deadline")
			}
			if n := countHung(e.cloud); n == 0 {
				t.Fatalf("no call to %s was held: the test did not test the hang", tc.service)
			}
		})
	}
}

// serverURL is the emulator's URL as the environment already holds it.
func serverURL(t *testing.T) string {
	t.Helper()
	return os.Getenv("ROTATE_SLB_ENDPOINT")
}

// rebuild sets vars in the environment and builds e's handler again from it.
func rebuild(t *testing.T, e *env, vars map[string]string) {
	t.Helper()
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadRotate()
	if err != nil {
		t.Fatal(err)
	}
	if e.h, err = NewRotate(cfg, slog.New(slog.NewJSONHandler(io.MultiWriter(e.logs, e.tr), nil))); err != nil {
		t.Fatal(err)
	}
}

func countHung(c *fakecloud.Cloud) int {
	// A held request is logged once it ends: when the client gives up, which may be just after
	// the handler returned.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := 0
		for _, call := range c.Calls() {
			if call.Code == "fakecloud.Hang" {
				n++
			}
		}
		if n > 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

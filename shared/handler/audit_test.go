package handler

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/report"
)

// TestAuditTriggers runs each audit trigger's fixture through the Lambda invoke path: each
// answers an audit report (the seeded certificate has 2 days left: attention), returns no error
// whatever it found, and makes no mutating call.
func TestAuditTriggers(t *testing.T) {
	for _, name := range []string{"eventbridge-scheduled-event.json", "fc-timer-trigger.json", "slb-eventbridge-cert-expired.json", "invoke-audit.json"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			got, err := e.invoke(t, fixture(t, name))
			if err != nil {
				t.Fatalf("the audit failed the invocation: %v", err)
			}
			if got["kind"] != report.KindAudit || got["status"] != report.AuditAttention {
				t.Fatalf("answer kind %v status %v, want an audit needing attention: %v", got["kind"], got["status"], got)
			}
			places, _ := got["places"].([]any)
			if len(places) != 1 {
				t.Fatalf("%d places, want 1: %v", len(places), got)
			}
			if p := places[0].(map[string]any); p["status"] != report.PlaceExpiring || p["name"] != "web" {
				t.Errorf("place %v, want web expiring", p)
			}
			if len(e.cloud.Calls()) == 0 {
				t.Error("the audit read nothing")
			}
			for _, c := range e.cloud.MutatingCalls() {
				t.Errorf("mutating call %s", c.Action)
			}
		})
	}
}

func TestAuditCommand(t *testing.T) {
	e := newEnv(t)
	page := filepath.Join(t.TempDir(), "audit.html")
	cmd := AuditCommand(func() (*Rotate, error) { return e.h, nil })
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"attention exits 1 and writes the page", []string{"--html", page}, 1},
		{"an argument too many", []string{"extra"}, 2},
		{"an unknown flag", []string{"--htm", page}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := cmd.Run(tc.args, nil, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			if tc.code != 1 {
				return
			}
			if !strings.Contains(stdout.String(), `"kind": "audit"`) {
				t.Errorf("stdout is not the audit report: %s", stdout.String())
			}
			html, err := os.ReadFile(page)
			if err != nil || !strings.Contains(string(html), "1 of 1 places need attention") {
				t.Errorf("page: %v %.200s", err, html)
			}
		})
	}
	for _, c := range e.cloud.MutatingCalls() {
		t.Errorf("mutating call %s", c.Action)
	}
}

// TestAuditPostsToNotify: the audit's report reaches notify signed, like a rotation's, and
// notify's channel receives the audit message.
func TestAuditPostsToNotify(t *testing.T) {
	e := newEnv(t)
	srv, sink := notifyTrigger(t)
	e.h.cfg.NotifyURL, e.h.cfg.NotifySecret = srv.URL, rotateNotifySecret
	got, err := e.invoke(t, fixture(t, "invoke-audit.json"))
	if err != nil || got["kind"] != report.KindAudit {
		t.Fatalf("answer %v, %v", got, err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Audit: 1 of 1 places need attention") || !strings.Contains(msgs[0].Text, "**expiring** `web`") ||
		!strings.Contains(msgs[0].Text, got["id"].(string)) {
		t.Fatalf("messages %+v", msgs)
	}
	if !strings.Contains(e.logs.String(), `"msg":"audit posted to notify"`) {
		t.Errorf("logs:\n%s", e.logs)
	}
}

// TestAuditWithinTheDeadline: against an SLB that never answers, the audit stops its reads in
// time, reports the place failed, posts the report to notify and answers before the deadline.
func TestAuditWithinTheDeadline(t *testing.T) {
	e := newEnv(t)
	var posted atomic.Int64 // UnixNano of the notify post
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		posted.Store(time.Now().UnixNano())
	}))
	t.Cleanup(sink.Close)
	rebuild(t, e, map[string]string{"ROTATE_NOTIFY_URL": sink.URL, "ROTATE_NOTIFY_SECRET": "notify-secret"})
	if err := (fakecloud.FaultConfig{Hang: []string{"slb"}}).Apply(e.cloud.Faults()); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(2 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	answer, err := e.h.Handle(ctx, fixture(t, "invoke-audit.json"))
	if now := time.Now(); !now.Before(end) {
		t.Fatalf("answered %s after the deadline", now.Sub(end))
	}
	if err != nil {
		t.Fatalf("an audit failed the invocation: %v", err)
	}
	rep, ok := answer.(*report.Audit)
	if !ok || rep.Status != report.AuditAttention || len(rep.Places) != 1 || rep.Places[0].Status != report.PlaceFailed {
		t.Fatalf("answer %#v", answer)
	}
	if at := posted.Load(); at == 0 || !time.Unix(0, at).Before(end) {
		t.Fatal("the audit did not reach notify before the deadline")
	}
	if countHung(e.cloud) == 0 {
		t.Fatal("no SLB call was held: the test did not test the hang")
	}
}

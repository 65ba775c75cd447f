package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
)

// TestAuditOnTheCommandLine: `rotate audit --html FILE` and `rotate invoke` of an audit trigger
// print the audit report and exit 1 when a place needs attention (the seeded certificate has two
// days left), changing nothing.
func TestAuditOnTheCommandLine(t *testing.T) {
	bin := build(t)
	w := newWorld(t)
	page := filepath.Join(t.TempDir(), "audit.html")
	creds := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fakecore.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fakecore.DefaultAccessKeySecret}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"rotate audit --html", []string{"audit", "--html", page}},
		{"rotate invoke of a timer event", []string{"invoke", "--event", "../../testdata/fc-timer-trigger.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = w.environ(creds...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			_, _ = leakcheck.Writer(t).Write(append(out, []byte(stderr.String())...))
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1\n%s\n%s", err, out, stderr.String())
			}
			var rep struct {
				Kind, Status string
				Places       []struct{ Name, Status string }
			}
			if err := json.Unmarshal(out, &rep); err != nil || rep.Kind != "audit" || rep.Status != "attention" ||
				len(rep.Places) != 1 || rep.Places[0].Status != "expiring" {
				t.Fatalf("report %+v (%v):\n%s", rep, err, out)
			}
		})
	}
	if html, err := os.ReadFile(page); err != nil || !strings.Contains(string(html), "need attention") {
		t.Errorf("the page was not written: %v", err)
	}
	for _, c := range w.cloud.MutatingCalls() {
		t.Errorf("mutating call %s", c.Action)
	}
}

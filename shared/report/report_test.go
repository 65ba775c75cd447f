package report

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSettleAndExitCode(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		targets []string
		dryRun  bool
		status  string
		code    int
	}{
		{"nothing", nil, false, Skipped, 0},
		{"every target skipped", []string{TargetSkipped, TargetSkipped}, false, Skipped, 0},
		{"rotated", []string{TargetRotated, TargetSkipped, TargetUnchanged}, false, Rotated, 0},
		{"all unchanged or skipped", []string{TargetUnchanged, TargetSkipped}, false, Unchanged, 0},
		{"partial", []string{TargetRotated, TargetFailed}, false, Partial, 1},
		{"failed", []string{TargetFailed, TargetSkipped}, false, Failed, 1},
		{"dry run", []string{TargetWouldRotate, TargetSkipped}, true, DryRun, 0},
		{"dry run with a failed discovery", []string{TargetWouldRotate, TargetFailed}, true, Failed, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(now, Source{Kind: "invoke"})
			for _, s := range tc.targets {
				r.Targets = append(r.Targets, Target{Name: "t", Status: s})
			}
			r.Settle(now.Add(time.Second), tc.dryRun)
			if r.Status != tc.status || r.ExitCode() != tc.code {
				t.Fatalf("status %s exit %d, want %s %d", r.Status, r.ExitCode(), tc.status, tc.code)
			}
			if tc.status == Failed && r.Error == "" {
				t.Fatal("failed report without error")
			}
			if r.FinishedAt != "2026-11-22T10:00:01Z" {
				t.Fatalf("finished_at %q", r.FinishedAt)
			}
		})
	}
}

func TestFailAndPendingKeepTheirStatus(t *testing.T) {
	r := New(time.Now(), Source{})
	r.Fail(errors.New("certificate: expired"), true)
	r.Settle(time.Now(), false)
	if r.Status != Failed || r.ExitCode() != 2 {
		t.Fatalf("status %s exit %d", r.Status, r.ExitCode())
	}
	p := New(time.Now(), Source{})
	p.Status = Pending
	p.Settle(time.Now(), false)
	if p.Status != Pending || p.ExitCode() != 0 {
		t.Fatalf("pending: %s %d", p.Status, p.ExitCode())
	}
}

func TestJSONShape(t *testing.T) {
	r := New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source{Kind: "oss", Bucket: "b", Key: "k"})
	r.BadInput, r.Retryable = true, true
	r.Targets = append(r.Targets, Target{Name: "n", Provider: "alislb", Status: TargetRotated, Retryable: true})
	out, _ := json.Marshal(r)
	s := string(out)
	for _, want := range []string{`"id":"`, `"status":"unchanged"`, `"source":{"kind":"oss","bucket":"b","key":"k"}`, `"targets":[{"name":"n","provider":"alislb","status":"rotated"}]`, `"started_at":"2026-01-02T03:04:05Z"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	for _, unwanted := range []string{"BadInput", "Retryable", "retryable", "certificate"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("JSON has %s: %s", unwanted, s)
		}
	}
	if a, b := NewID(), NewID(); a == b || len(a) != 32 {
		t.Fatalf("ids %s %s", a, b)
	}
}

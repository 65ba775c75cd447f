package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/entry/runtimeapitest"
	"github.com/certrotate/certrotate/shared/fakecloud/chatsink"
)

const dingSecret = "SECnotify-binary-test-secret"

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

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// robots serves fake DingTalk and Slack robots; DingTalk checks its signature.
func robots(t *testing.T) (*chatsink.Sink, []string) {
	t.Helper()
	s := chatsink.New(io.Discard)
	s.SetSecret("dingtalk", dingSecret)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(),
		"NOTIFY_DINGTALK_WEBHOOK=" + srv.URL + "/_fake/chat/dingtalk?access_token=tok", "NOTIFY_DINGTALK_SECRET=" + dingSecret,
		"NOTIFY_SLACK_WEBHOOK=" + srv.URL + "/_fake/chat/slack/T0/B0/X",
	}
}

func TestBinaryOnLambda(t *testing.T) {
	bin := build(t)
	sink, env := robots(t)
	api := runtimeapitest.NewLambda(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stderr = append(env, api.Env()), &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := api.Invoke(ctx, fixture(t, "lambda-destination-failure.json"), runtimeapitest.WithRequestID("req-notify-1"),
		runtimeapitest.WithDeadline(time.Now().Add(30*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Status        string `json:"status"`
		Origin        string `json:"origin"`
		Notifications []struct {
			Channels []struct {
				Channel, Status string
			} `json:"channels"`
		} `json:"notifications"`
	}
	if res.Error || json.Unmarshal(res.Body, &answer) != nil || answer.Status != "sent" || answer.Origin != "lambda-destination" || len(answer.Notifications[0].Channels) != 2 {
		t.Fatalf("answer (error=%v): %s", res.Error, res.Body)
	}
	msgs := sink.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	for _, m := range msgs {
		if !strings.Contains(m.Text, "Failed") || !strings.Contains(m.Text, "I am failing!") {
			t.Errorf("%s message:\n%s", m.Vendor, m.Text)
		}
	}
	if !msgs[0].Signed && !msgs[1].Signed {
		t.Error("the DingTalk message was not signed")
	}
}

func TestCommandLine(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sink, env := robots(t)
	unchanged := []byte(`{"id":"r-unchanged","status":"unchanged","source":{"kind":"oss"},"targets":[],"started_at":"2026-05-20T08:30:00Z","finished_at":"2026-05-20T08:30:01Z"}`)
	for _, tc := range []struct {
		name     string
		args     []string
		env      []string
		code     int
		stdout   string
		messages int
	}{
		{"help", []string{"--help"}, nil, 0, "destination record", 0},
		{"partial report", []string{"invoke", "--event", write("r.json", fixture(t, "report-partial.json"))}, nil, 0, `"status": "sent"`, 2},
		{"unchanged is filtered", []string{"invoke", "--event", write("u.json", unchanged)}, nil, 0, `"status": "filtered"`, 2},
		{"unchanged with NOTIFY_ON=all", []string{"invoke", "--event", write("u2.json", unchanged)}, []string{"NOTIFY_ON=all"}, 0, `"status": "sent"`, 4},
		{"bad input", []string{"invoke", "--event", write("bad.json", []byte(`{"hello":1}`))}, nil, 2, "unrecognised payload", 4},
		{"a channel refuses", []string{"invoke", "--event", write("r2.json", fixture(t, "report-partial.json"))}, []string{"NOTIFY_DINGTALK_SECRET=SECwrong"}, 1, `"status": "partial"`, 5},
		{"bad configuration", []string{"invoke", "--event", write("r3.json", fixture(t, "report-partial.json"))}, []string{"NOTIFY_ON=never"}, 2, "", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(append([]string{}, env...), tc.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || len(sink.Messages()) != tc.messages {
				t.Fatalf("exit %d, want %d; %d messages; stdout:\n%s\nstderr:\n%s", code, tc.code, len(sink.Messages()), stdout.String(), stderr.String())
			}
			if tc.name == "help" && (strings.Contains(stdout.String(), "rotated") || strings.Contains(stdout.String(), "pending")) {
				t.Errorf("notify --help lists rotate's exit codes:\n%s", stdout.String())
			}
			for _, out := range []string{stdout.String(), stderr.String()} {
				if strings.Contains(out, dingSecret) || strings.Contains(out, "access_token=tok") {
					t.Fatalf("output holds a secret:\n%s", out)
				}
			}
		})
	}
}

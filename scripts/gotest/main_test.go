package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestReporter feeds go test -json events and checks what a person reads.
func TestReporter(t *testing.T) {
	const pkg = module + "deploy"
	for _, tc := range []struct {
		name   string
		events []event
		want   []string
		never  []string
	}{
		{"a pass is one line", []event{{Action: "start", Package: pkg}, {Action: "output", Package: pkg, Output: "ok\n"}, {Action: "pass", Package: pkg, Elapsed: 1.5}},
			[]string{"test: ok    deploy", "1 packages passed"}, []string{"FAIL"}},
		{"a failure shows its output", []event{{Action: "start", Package: pkg},
			{Action: "output", Package: pkg, Test: "TestX", Output: "    x_test.go:3: boom\n"}, {Action: "fail", Package: pkg, Test: "TestX"},
			{Action: "fail", Package: pkg, Elapsed: 2}},
			[]string{"FAIL  deploy", "x_test.go:3: boom", "1 FAILED (deploy)"}, nil},
		{"a tool skip is listed at the end", []event{{Action: "start", Package: pkg},
			{Action: "output", Package: pkg, Test: "TestLint", Output: "    t.go:9: skipped: the lint needs cfn-lint (pip install cfn-lint)\n"},
			{Action: "skip", Package: pkg, Test: "TestLint"}, {Action: "pass", Package: pkg}},
			[]string{"skipped: the lint needs cfn-lint (pip install cfn-lint)"}, nil},
		{"progress is relayed", []event{{Action: "start", Package: module + "shared/soak"},
			{Action: "output", Package: module + "shared/soak", Test: "TestShortSoak", Output: "    soak_test.go:20: progress: soaking 20 of 60\n"}},
			[]string{"test: shared/soak: soaking 20 of 60"}, nil},
		{"the root package", []event{{Action: "pass", Package: strings.TrimSuffix(module, "/")}}, []string{"test: ok    . "}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			r := newReporter("test", &out)
			for _, e := range tc.events {
				r.handle(e)
			}
			r.summary()
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range tc.never {
				if strings.Contains(out.String(), n) {
					t.Errorf("output holds %q:\n%s", n, out.String())
				}
			}
		})
	}
}

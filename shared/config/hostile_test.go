package config

import (
	"strings"
	"testing"
)

// TestLoadRotateHostile feeds bad environments to LoadRotate: each is refused with one message
// listing every problem, each naming its variable, none echoing a secret or a huge value whole.
func TestLoadRotateHostile(t *testing.T) {
	const badSecret = "whsec_not*base64*at*all"
	nested := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	huge := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // each must be listed
	}{
		{"targets not JSON", map[string]string{"ROTATE_TARGETS": `[{"provider":"alislb",`}, []string{"ROTATE_TARGETS: not a JSON array of targets"}},
		{"targets an object", map[string]string{"ROTATE_TARGETS": oneTarget[1 : len(oneTarget)-1]}, []string{"ROTATE_TARGETS: not a JSON array of targets"}},
		{"targets deeply nested", map[string]string{"ROTATE_TARGETS": nested}, []string{"ROTATE_TARGETS: not a JSON array of targets"}},
		{"targets empty array", map[string]string{"ROTATE_TARGETS": `[]`}, []string{"ROTATE_TARGETS: the array is empty"}},
		{"targets trailing data", map[string]string{"ROTATE_TARGETS": oneTarget + `{}`}, []string{"ROTATE_TARGETS: unexpected data after the JSON array"}},
		{"target unknown field", map[string]string{"ROTATE_TARGETS": `[{"provider":"alislb","region":"cn-hangzhou","port":443}]`}, []string{"ROTATE_TARGETS", `unknown field "port"`}},
		{"target wrong type", map[string]string{"ROTATE_TARGETS": `[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-1","listener_port":"443"}]`}, []string{"ROTATE_TARGETS", "listener_port"}},
		{"target NUL and non-UTF-8", map[string]string{"ROTATE_TARGETS": `[{"provider":"alislb","region":"cn-\u0000hangzhou"},{"provider":"alislb","region":"cn-hangzhou","domain":"` + "\xff" + `.example.com"}]`},
			[]string{"ROTATE_TARGETS[0]: region:", "is not a region id", "ROTATE_TARGETS[1]: domain:", "is not a DNS name"}},
		{"target huge region", map[string]string{"ROTATE_TARGETS": `[{"provider":"alislb","region":"` + huge + `"}]`}, []string{"ROTATE_TARGETS[0]: region:", "is not a region id"}},
		{"targets every problem", map[string]string{"ROTATE_TARGETS": `[{"provider":"alislb","listener_port":70000,"domain":"-bad-"},{"provider":"gcp","region":"cn-hangzhou"},{"provider":"huaweielb","region":"cn-north-4"},{"provider":"alislb","region":"cn-hangzhou","name":"a"},{"provider":"alislb","region":"cn-beijing","name":"a","match":["not a name"]}]`},
			[]string{"ROTATE_TARGETS[0]: region: is required", "ROTATE_TARGETS[0]: listener_port: 70000 is not a port", "ROTATE_TARGETS[0]: domain:", `ROTATE_TARGETS[1]: provider: "gcp" is not supported`,
				"ROTATE_TARGETS[2]: certificate_id or listener_id: one is required", `ROTATE_TARGETS[4]: name "a" is already used by element 3`, "ROTATE_TARGETS[4]: match[0]:"}},
		{"every typed value wrong", map[string]string{"ROTATE_DRY_RUN": "maybe", "ROTATE_CONCURRENCY": "zero", "ROTATE_QPS": "fast", "ROTATE_KEEP_PREVIOUS": "1.5"},
			[]string{`ROTATE_DRY_RUN: "maybe" is not true or false`, `ROTATE_CONCURRENCY: "zero" is not a whole number`, `ROTATE_QPS: "fast" is not a number`, `ROTATE_KEEP_PREVIOUS: "1.5" is not a whole number`}},
		{"values out of range", map[string]string{"ROTATE_CONCURRENCY": "65", "ROTATE_QPS": "-1", "ROTATE_KEEP_PREVIOUS": "-1", "ROTATE_ON_PARTIAL": "panic"},
			[]string{"ROTATE_CONCURRENCY: 65 is not between 1 and 64", "ROTATE_QPS: -1 is not between 0 and 1000", "ROTATE_KEEP_PREVIOUS: -1 is negative", `ROTATE_ON_PARTIAL: "panic" is not keep or rollback`}},
		{"bad endpoints", map[string]string{"ROTATE_SLB_ENDPOINT": "ftp://slb.example.com", "ROTATE_OSS_ENDPOINT": "http://", "ROTATE_CAS_ENDPOINT": "cas.aliyuncs.com", "ROTATE_ELB_ENDPOINT": "http://[::1", "ROTATE_NOTIFY_URL": "javascript:alert(1)", "ROTATE_NOTIFY_SECRET": "s3cr3t-notify"},
			[]string{"ROTATE_SLB_ENDPOINT:", "ROTATE_OSS_ENDPOINT:", "ROTATE_CAS_ENDPOINT:", "ROTATE_ELB_ENDPOINT:", "ROTATE_NOTIFY_URL:"}},
		{"notify URL without its secret", map[string]string{"ROTATE_NOTIFY_URL": "https://notify.example.com/"}, []string{"ROTATE_NOTIFY_SECRET: required when ROTATE_NOTIFY_URL is set"}},
		{"secrets that are not keys", map[string]string{"ROTATE_WEBHOOK_SECRET": badSecret, "ROTATE_NOTIFY_URL": "https://notify.example.com/", "ROTATE_NOTIFY_SECRET": "whsec_", "ROTATE_CONCURRENCY": "0"},
			[]string{"ROTATE_WEBHOOK_SECRET: webhook secret: starts with whsec_ but the rest is not standard base64", "ROTATE_NOTIFY_SECRET: webhook secret: starts with whsec_ but holds no key bytes", "ROTATE_CONCURRENCY: 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ROTATE_TARGETS", oneTarget)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := LoadRotate()
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			ce, ok := err.(*Error)
			if !ok || c != nil {
				t.Fatalf("error %T with config %v, want a *config.Error and no config", err, c)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message does not list %q:\n%.2000s", w, msg)
				}
			}
			if len(msg) > 8<<10 {
				t.Errorf("message is %d bytes: a value was echoed whole", len(msg))
			}
			if strings.Contains(msg, badSecret) || strings.Contains(msg, "s3cr3t-notify") {
				t.Error("message quotes a secret")
			}
			for _, p := range ce.Problems {
				if name, _, ok := strings.Cut(p.Error(), ":"); !ok || !strings.HasPrefix(name, "ROTATE_") && !strings.HasPrefix(name, "ALIBABA_CLOUD_") {
					t.Errorf("problem %q does not name its variable", p)
				}
			}
		})
	}
}

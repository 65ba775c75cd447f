package config

import (
	"errors"
	"strings"
	"testing"
)

const oneTarget = `[{"provider":"alislb","region":"cn-hangzhou"}]`

// alibabaKeys sets the Alibaba credentials that alislb targets need outside Function Compute.
func alibabaKeys(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tConfigTestKey")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "config-test-secret-not-real")
}

func TestLoadRotateDefaults(t *testing.T) {
	alibabaKeys(t)
	t.Setenv("ROTATE_TARGETS", oneTarget)
	c, err := LoadRotate()
	if err != nil {
		t.Fatal(err)
	}
	if c.KeepPrevious != 1 || c.OnPartial != "keep" || c.Concurrency != 8 || c.QPS != 20 || c.QPSMax != 100 || c.DryRun || len(c.Targets) != 1 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadRotateListsEveryProblem(t *testing.T) {
	t.Setenv("ROTATE_TARGETS", `[{"provider":"alislb"},{"provider":"x","region":"cn-hangzhou"}]`)
	t.Setenv("ROTATE_SLB_ENDPOINT", "127.0.0.1:8086")
	t.Setenv("ROTATE_NOTIFY_URL", "https://notify.example.com/hook")
	t.Setenv("ROTATE_ON_PARTIAL", "explode")
	t.Setenv("ROTATE_CONCURRENCY", "0")
	_, err := LoadRotate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"ROTATE_TARGETS[0]: region: is required",
		`ROTATE_TARGETS[1]: provider: "x" is not supported`,
		`ROTATE_SLB_ENDPOINT: "127.0.0.1:8086" is not an http:// or https:// URL`,
		"ROTATE_NOTIFY_SECRET: required when ROTATE_NOTIFY_URL is set",
		`ROTATE_ON_PARTIAL: "explode" is not keep or rollback`,
		"ROTATE_CONCURRENCY: 0 is not between 1 and 64",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not list %q:\n%v", want, err)
		}
	}
}

func TestLoadRotateBadTypesNameTheVariable(t *testing.T) {
	t.Setenv("ROTATE_TARGETS", "")
	t.Setenv("ROTATE_DRY_RUN", "maybe")
	_, err := LoadRotate()
	if err == nil || !strings.Contains(err.Error(), `ROTATE_DRY_RUN: "maybe" is not true or false`) || !strings.Contains(err.Error(), "ROTATE_TARGETS: is empty") {
		t.Fatalf("error %v", err)
	}
}

func TestLoadRotateDeployment(t *testing.T) {
	for _, tc := range []struct {
		name, explicit, lambda, fc, want, problem string
	}{
		{name: "nothing set", want: "default"},
		{name: "Lambda function name", lambda: "certrotate-RotateFunction-1A2B", want: "certrotate-rotatefunction-1a2b"},
		{name: "FC function name", fc: "certrotate_rotate", want: "certrotate-rotate"},
		{name: "explicit wins", explicit: "prod", lambda: "other", want: "prod"},
		{name: "explicit invalid", explicit: "Prod_1", problem: "ROTATE_DEPLOYMENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alibabaKeys(t)
			t.Setenv("ROTATE_TARGETS", oneTarget)
			t.Setenv("ROTATE_DEPLOYMENT", tc.explicit)
			t.Setenv("AWS_LAMBDA_FUNCTION_NAME", tc.lambda)
			t.Setenv("FC_FUNCTION_NAME", tc.fc)
			c, err := LoadRotate()
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("err = %v, want a problem naming %s", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Deployment != tc.want {
				t.Errorf("Deployment = %q, want %q", c.Deployment, tc.want)
			}
		})
	}
}

// TestLoadRotateLateProblemsEarly: what would only fail at the first cloud call (an endpoint with a
// path, missing credentials) is a configuration problem at start, in words a person can act on.
func TestLoadRotateLateProblemsEarly(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" = no problem
	}{
		{"endpoint with a path", map[string]string{"ROTATE_SLB_ENDPOINT": "http://127.0.0.1:8086/slb"},
			`ROTATE_SLB_ENDPOINT: "http://127.0.0.1:8086/slb" has a path (/slb); give the endpoint alone`},
		{"endpoint with a query", map[string]string{"ROTATE_ELB_ENDPOINT": "https://elb.example.com/?token=x"},
			"ROTATE_ELB_ENDPOINT: \"https://elb.example.com\" has a query or a fragment"},
		{"endpoint with a slash", map[string]string{"ROTATE_OSS_ENDPOINT": "http://127.0.0.1:8086/"}, ""},
		{"no Alibaba keys", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ""},
			"ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: required by the alislb targets"},
		{"no Alibaba keys on Function Compute", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "", "FC_RUNTIME_API": "127.0.0.1:9000"}, ""},
		{"no Alibaba keys, ALB and NLB targets", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "",
			"ROTATE_TARGETS": `[{"provider":"alinlb","region":"cn-hangzhou","listener_id":"lsn-1"},{"provider":"alialb","region":"cn-hangzhou","listener_id":"lsn-2"},{"provider":"alinlb","region":"cn-hangzhou","listener_id":"lsn-3"}]`},
			"ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: required by the alinlb, alialb targets outside Function Compute"},
		{"a number that is not one", map[string]string{"ROTATE_QPS": "fast"}, `ROTATE_QPS: "fast" is not a number (e.g. 20 or 2.5)`},
		{"rate ceiling below the start", map[string]string{"ROTATE_QPS": "200"},
			"ROTATE_QPS_MAX: 100 is below ROTATE_QPS (200); the rate starts at ROTATE_QPS and rises up to ROTATE_QPS_MAX, so set it to 200 or more"},
		{"rate ceiling raised with the start", map[string]string{"ROTATE_QPS": "200", "ROTATE_QPS_MAX": "200"}, ""},
		{"rate ceiling too high", map[string]string{"ROTATE_QPS_MAX": "5000"}, "ROTATE_QPS_MAX: 5000 is not between 0 and 1000"},
		{"rate ceiling zero", map[string]string{"ROTATE_QPS_MAX": "0"}, "ROTATE_QPS_MAX: 0 is not between 0 and 1000"},
		{"rate ceiling not a number", map[string]string{"ROTATE_QPS_MAX": "lots"}, `ROTATE_QPS_MAX: "lots" is not a number (e.g. 20 or 2.5)`},
		{"targets of the wrong shape", map[string]string{"ROTATE_TARGETS": `{"provider":"alislb"}`},
			"ROTATE_TARGETS: not a JSON array of targets (the value is a JSON object); want one such as [{"},
		{"a port as a string", map[string]string{"ROTATE_TARGETS": `[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-1","listener_port":"443"}]`},
			"field listener_port is a JSON string, want a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alibabaKeys(t)
			t.Setenv("ROTATE_TARGETS", oneTarget)
			t.Setenv("FC_RUNTIME_API", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := LoadRotate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected problem: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if err != nil {
				for _, goName := range []string{"provider.Target", "float64", "int64", "time.Duration", "Go value"} {
					if strings.Contains(err.Error(), goName) {
						t.Errorf("the message names a Go type (%s): %v", goName, err)
					}
				}
			}
		})
	}
}

func TestLoadRotateRateProblemsAreListedOnce(t *testing.T) {
	alibabaKeys(t)
	t.Setenv("ROTATE_TARGETS", oneTarget)
	t.Setenv("ROTATE_QPS", "2000")     // out of range: no second problem about the ceiling
	t.Setenv("ROTATE_QPS_MAX", "lots") // does not parse: no "0 is not between" as well
	_, err := LoadRotate()
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) != 2 {
		t.Fatalf("err = %v, want two problems", err)
	}
	for _, want := range []string{"ROTATE_QPS: 2000 is not between 0 and 1000", `ROTATE_QPS_MAX: "lots" is not a number`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not list %q:\n%v", want, err)
		}
	}
}

package config

import (
	"strings"
	"testing"
)

const oneTarget = `[{"provider":"alislb","region":"cn-hangzhou"}]`

func TestLoadRotateDefaults(t *testing.T) {
	t.Setenv("ROTATE_TARGETS", oneTarget)
	c, err := LoadRotate()
	if err != nil {
		t.Fatal(err)
	}
	if c.KeepPrevious != 1 || c.OnPartial != "keep" || c.Concurrency != 8 || c.QPS != 20 || c.DryRun || len(c.Targets) != 1 {
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
	if err == nil || !strings.Contains(err.Error(), `ROTATE_DRY_RUN: "maybe" is not a valid bool`) || !strings.Contains(err.Error(), "ROTATE_TARGETS: is empty") {
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

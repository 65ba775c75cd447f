package config

import (
	"strings"
	"testing"
)

func TestLoadRotateHuaweiTargets(t *testing.T) {
	const targets = `[{"provider":"huaweielb","region":"cn-north-4","listener_id":"l1"},` +
		`{"provider":"huaweielb","region":"cn-north-4","project_id":"p2","certificate_id":"c1"}]`
	t.Run("missing project and credentials", func(t *testing.T) {
		t.Setenv("ROTATE_TARGETS", targets)
		_, err := LoadRotate()
		for _, want := range []string{
			"ROTATE_TARGETS[0]: project_id: required when HUAWEICLOUD_SDK_PROJECT_ID is not set",
			"HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK: required by the huaweielb targets",
		} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v does not list %q", err, want)
			}
		}
		if err != nil && strings.Contains(err.Error(), "ROTATE_TARGETS[1]") {
			t.Errorf("a target naming its project was refused: %v", err)
		}
	})
	t.Run("complete", func(t *testing.T) {
		t.Setenv("ROTATE_TARGETS", targets)
		t.Setenv("HUAWEICLOUD_SDK_AK", "ak")
		t.Setenv("HUAWEICLOUD_SDK_SK", "sk")
		t.Setenv("HUAWEICLOUD_SDK_PROJECT_ID", "p1")
		t.Setenv("ROTATE_ELB_ENDPOINT", "http://127.0.0.1:8086")
		c, err := LoadRotate()
		if err != nil {
			t.Fatal(err)
		}
		if c.HuaweiProjectID != "p1" || c.HuaweiAccessKey != "ak" || c.ELBEndpoint != "http://127.0.0.1:8086" {
			t.Fatalf("config %+v", c)
		}
	})
}

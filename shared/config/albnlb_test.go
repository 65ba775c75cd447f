package config

import (
	"strings"
	"testing"
)

func TestALBAndNLBSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // a problem the error names; "" = valid
	}{
		{"defaults", map[string]string{}, ""},
		{"international", map[string]string{"ROTATE_CAS_REGION": "ap-southeast-1"}, ""},
		{"bad CAS region", map[string]string{"ROTATE_CAS_REGION": "cn-shanghai"}, "ROTATE_CAS_REGION"},
		{"bad ALB endpoint", map[string]string{"ROTATE_ALB_ENDPOINT": "alb.example"}, "ROTATE_ALB_ENDPOINT"},
		{"bad NLB endpoint", map[string]string{"ROTATE_NLB_ENDPOINT": "ftp://nlb"}, "ROTATE_NLB_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alibabaKeys(t)
			t.Setenv("ROTATE_TARGETS", `[{"provider":"alialb","region":"cn-hangzhou"},{"provider":"alinlb","region":"cn-hangzhou"}]`)
			for _, k := range []string{"ROTATE_CAS_REGION", "ROTATE_ALB_ENDPOINT", "ROTATE_NLB_ENDPOINT"} {
				t.Setenv(k, tt.env[k])
			}
			c, err := LoadRotate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]string{true: "cn-hangzhou", false: tt.env["ROTATE_CAS_REGION"]}[tt.env["ROTATE_CAS_REGION"] == ""]; c.CASRegion != want {
					t.Errorf("CASRegion %q, want %q", c.CASRegion, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to name %s", err, tt.want)
			}
		})
	}
}

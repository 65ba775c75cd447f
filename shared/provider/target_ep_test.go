package provider

import (
	"strings"
	"testing"
)

func TestEnterpriseProjectID(t *testing.T) {
	const uuid = "2d8f6d3e-1b7c-4a3e-9c61-5f0e8b7a6c21"
	for _, tc := range []struct {
		name, json, want string // want: "" accepted, else part of the error
	}{
		{"huaweielb uuid", `{"provider":"huaweielb","region":"cn-north-4","listener_id":"l1","enterprise_project_id":"` + uuid + `"}`, ""},
		{"huaweielb default project", `{"provider":"huaweielb","region":"cn-north-4","certificate_id":"c1","enterprise_project_id":"0"}`, ""},
		{"huaweielb not an id", `{"provider":"huaweielb","region":"cn-north-4","listener_id":"l1","enterprise_project_id":"all_granted_eps"}`,
			`[0]: enterprise_project_id: "all_granted_eps" is not an enterprise project id`},
		{"huaweielb upper case", `{"provider":"huaweielb","region":"cn-north-4","listener_id":"l1","enterprise_project_id":"` + strings.ToUpper(uuid) + `"}`,
			"enterprise_project_id:"},
		{"alislb", `{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb","enterprise_project_id":"` + uuid + `"}`,
			`[0]: enterprise_project_id: not used by provider "alislb"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTargets("[" + tc.json + "]")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "" && got[0].EnterpriseProjectID == "":
				t.Fatal("enterprise_project_id was not kept")
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want it to say %q", err, tc.want)
			}
		})
	}
}

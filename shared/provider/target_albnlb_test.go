package provider

import (
	"strings"
	"testing"
)

func TestParseALBAndNLBTargets(t *testing.T) {
	tests := []struct {
		name, json string
		want       string // a problem the error names; "" = valid, and then the default name
		wantName   string
	}{
		{"alb listener", `[{"provider":"alialb","region":"cn-hangzhou","listener_id":"lsn-0bfucwm3xcr8gd2ex1"}]`, "", "alialb/cn-hangzhou/listener-lsn-0bfucwm3xcr8gd2ex1"},
		{"alb listener domain", `[{"provider":"alialb","region":"cn-hangzhou","listener_id":"lsn-1","domain":"A.example.com"}]`, "", "alialb/cn-hangzhou/listener-lsn-1/a.example.com"},
		{"alb load balancer", `[{"provider":"alialb","region":"cn-hangzhou","load_balancer_id":"alb-1"}]`, "", "alialb/cn-hangzhou/alb-1"},
		{"alb region", `[{"provider":"alialb","region":"cn-hangzhou"}]`, "", "alialb/cn-hangzhou"},
		{"nlb listener", `[{"provider":"alinlb","region":"cn-hangzhou","listener_id":"lsn-abc@443"}]`, "", "alinlb/cn-hangzhou/listener-lsn-abc@443"},
		{"listener port", `[{"provider":"alialb","region":"cn-hangzhou","load_balancer_id":"alb-1","listener_port":443}]`, "listener_port: not used by provider", ""},
		{"both", `[{"provider":"alinlb","region":"cn-hangzhou","load_balancer_id":"nlb-1","listener_id":"lsn-1@443"}]`, "give one, not both", ""},
		{"domain without listener", `[{"provider":"alialb","region":"cn-hangzhou","load_balancer_id":"alb-1","domain":"a.example.com"}]`, "domain: needs listener_id", ""},
		{"bad listener id", `[{"provider":"alialb","region":"cn-hangzhou","listener_id":"listener 1"}]`, "is not a listener id", ""},
		{"project", `[{"provider":"alialb","region":"cn-hangzhou","project_id":"p"}]`, "project_id: not used", ""},
		{"unknown provider lists the new ones", `[{"provider":"alb","region":"cn-hangzhou"}]`, `"alialb", "alinlb"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTargets(tt.json)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got[0].Name != tt.wantName {
					t.Errorf("name %q, want %q", got[0].Name, tt.wantName)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to name %q", err, tt.want)
			}
		})
	}
}

package provider

import (
	"strings"
	"testing"
)

func TestParseTargets(t *testing.T) {
	got, err := ParseTargets(`[
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-1","listener_port":443},
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-1","listener_port":443,"domain":"API.example.com"},
		{"provider":"alislb","region":"cn-beijing","load_balancer_id":"lb-2"},
		{"provider":"alislb","region":"cn-shanghai","name":"all-shanghai","match":["*.Example.com"]},
		{"provider":"huaweielb","region":"cn-north-4","project_id":"p1","certificate_id":"c1"},
		{"provider":"huaweielb","region":"cn-north-4","listener_id":"l1","domain":"a.example.com"}
	]`)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{
		"alislb/cn-hangzhou/lb-1:443",
		"alislb/cn-hangzhou/lb-1:443/api.example.com",
		"alislb/cn-beijing/lb-2",
		"all-shanghai",
		"huaweielb/cn-north-4/certificate-c1",
		"huaweielb/cn-north-4/listener-l1/a.example.com",
	}
	for i, w := range wantNames {
		if got[i].Name != w {
			t.Errorf("target %d name = %q, want %q", i, got[i].Name, w)
		}
	}
	if got[1].Domain != "api.example.com" || got[3].Match[0] != "*.example.com" {
		t.Errorf("domain and match are not lower-cased: %q %q", got[1].Domain, got[3].Match)
	}
}

func TestParseTargetsReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name, json string
		want       []string
	}{
		{"empty", ``, []string{"ROTATE_TARGETS: is empty"}},
		{"not json", `{`, []string{"not a JSON array"}},
		{"object", `{"provider":"alislb"}`, []string{"not a JSON array"}},
		{"empty array", `[]`, []string{"the array is empty"}},
		{"unknown field", `[{"provider":"alislb","region":"cn-hangzhou","port":443}]`, []string{`unknown field "port"`}},
		{"trailing", `[{"provider":"alislb","region":"cn-hangzhou"}] []`, []string{"unexpected data"}},
		{"many", `[
			{"provider":"alislb"},
			{"provider":"gcp","region":"us"},
			{"provider":"alislb","region":"cn-hangzhou","listener_port":443},
			{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb","listener_port":70000},
			{"provider":"alislb","region":"cn-hangzhou","domain":"a.example.com"},
			{"provider":"alislb","region":"cn-hangzhou","match":["not a name"]},
			{"provider":"huaweielb","region":"cn-north-4"},
			{"provider":"huaweielb","region":"cn-north-4","certificate_id":"c","listener_id":"l"},
			{"provider":"huaweielb","region":"cn-north-4","certificate_id":"c","load_balancer_id":"lb"},
			{"provider":"alislb","region":"cn-hangzhou","name":"x"},
			{"provider":"alislb","region":"cn-beijing","name":"x"}
		]`, []string{
			"[0]: region: is required",
			`[1]: provider: "gcp" is not supported`,
			`[1]: region: "us" is not a region id`,
			"[2]: listener_port: needs load_balancer_id",
			"[3]: listener_port: 70000 is not a port",
			"[4]: domain: needs load_balancer_id and listener_port",
			`[5]: match[0]: "not a name" is not a DNS name`,
			"[6]: certificate_id or listener_id: one is required",
			"[7]: certificate_id and listener_id: give one, not both",
			`[8]: load_balancer_id: not used by provider "huaweielb"`,
			`[10]: name "x" is already used by element 9`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTargets(tc.json)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestPermanent(t *testing.T) {
	if Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
	base := errorString("boom")
	p := Permanent(base)
	if !IsPermanent(p) || IsPermanent(base) || p.Error() != "boom" {
		t.Fatalf("Permanent: %v %v", IsPermanent(p), p)
	}
	if Permanent(p) != p {
		t.Fatal("Permanent wraps twice")
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

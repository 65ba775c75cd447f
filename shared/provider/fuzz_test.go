package provider

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseTargets checks that ParseTargets never panics, that every problem names
// ROTATE_TARGETS (and its element), that what it accepts is valid, named, lower-cased and
// unique, and that the accepted targets round-trip through JSON unchanged.
func FuzzParseTargets(f *testing.F) {
	for _, s := range []string{
		``, `[]`, `{}`, `null`, `[null]`, `[{}]`, `[[[[[]]]]]`, `[{"provider":"alislb","region":"cn-hangzhou"}]{}`,
		`[{"provider":"alislb","region":"cn-hangzhou"}]`,
		`[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-1","listener_port":443,"domain":"API.example.com","name":"web"}]`,
		`[{"provider":"alislb","region":"cn-beijing","load_balancer_id":"lb-2"},{"provider":"alislb","region":"cn-shanghai","match":["*.Example.com","example.com"]}]`,
		`[{"provider":"huaweielb","region":"cn-north-4","project_id":"p1","certificate_id":"c1"},{"provider":"huaweielb","region":"cn-north-4","listener_id":"l1","domain":"a.example.com"}]`,
		`[{"provider":"alislb","region":"cn-hangzhou","port":443}]`,
		`[{"provider":"alislb","region":"cn-hangzhou","listener_port":"443"}]`,
		`[{"provider":"alislb","listener_port":70000,"domain":"-bad-"},{"provider":"gcp","region":"cn-hangzhou"}]`,
		`[{"provider":"alislb","region":"cn-hangzhou","name":"a"},{"provider":"alislb","region":"cn-beijing","name":"a"}]`,
		`[{"provider":"alislb","region":"cn-\u0000hangzhou"}]`, "[{\"provider\":\"alislb\",\"region\":\"\xff\"}]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		targets, err := ParseTargets(raw)
		if err != nil {
			if targets != nil {
				t.Fatalf("targets came back with the error %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "ROTATE_TARGETS") {
					t.Fatalf("problem %q does not name ROTATE_TARGETS", line)
				}
			}
			return
		}
		if len(targets) == 0 {
			t.Fatal("no target and no error")
		}
		names := map[string]bool{}
		for i, tg := range targets {
			if p := tg.problems(); len(p) != 0 {
				t.Fatalf("target %d accepted with problems %v", i, p)
			}
			if tg.Name == "" || names[tg.Name] {
				t.Fatalf("target %d has an empty or repeated name %q", i, tg.Name)
			}
			names[tg.Name] = true
			if tg.Domain != strings.ToLower(tg.Domain) {
				t.Fatalf("domain %q is not lower-cased", tg.Domain)
			}
			for _, m := range tg.Match {
				if m != strings.ToLower(m) {
					t.Fatalf("match %q is not lower-cased", m)
				}
			}
		}
		again, _ := json.Marshal(targets)
		back, err := ParseTargets(string(again))
		for i := range targets {
			if len(targets[i].Match) == 0 {
				targets[i].Match = nil // "match":[] is left out by omitempty
			}
		}
		if err != nil || !reflect.DeepEqual(back, targets) {
			t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, back, targets)
		}
	})
}

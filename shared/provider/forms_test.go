package provider

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The regular expressions the form checks stand for.
var forms = []struct {
	name  string
	re    *regexp.Regexp
	check func(string) bool
	parts []string // pieces random strings are made of
}{
	{"region", regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`), isRegion, []string{"cn", "-", "a", "z", "9", "0", "hangzhou", "A", "_", ""}},
	{"deployment", regexp.MustCompile(`^[a-z0-9-]{1,32}$`), isDeploymentID, []string{"prod", "-", "0", "z", "A", ".", "abcdefghij"}},
	{"uuid", regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`), isUUID,
		[]string{"0a1b2c3d", "-", "4e5f", "6789", "0a1b2c3d4e5f", "g", "F", "a", "0"}},
	{"domain", regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$`), isDomain,
		[]string{"*.", "*", ".", "example", "com", "-", "a", "0", "x-y", "A", "_", strings.Repeat("a", 30)}},
	{"listener", regexp.MustCompile(`^lsn-[a-z0-9]{1,40}(@[0-9]{1,5})?$`), isListenerID,
		[]string{"lsn-", "lsn", "-", "abc123", "@", "443", "0", "A", strings.Repeat("b", 20)}},
}

func TestFormsAgreeWithTheirRegularExpressions(t *testing.T) {
	fixed := []string{"", "cn-hangzhou", "ap-southeast-1", "c-1", "cn-", "-cn", "cn--1", "prod", strings.Repeat("a", 32), strings.Repeat("a", 33),
		"0a1b2c3d-4e5f-6789-0a1b-2c3d4e5f6789", "example.com", "*.example.com", "a.b.c.d", "-a.com", "a-.com", "a.-b", "a.b-", "*.com", "*.*.a.com",
		"a." + strings.Repeat("b", 63), "a." + strings.Repeat("b", 64), strings.Repeat("c", 63) + ".io", strings.Repeat("c", 64) + ".io",
		"lsn-abc", "lsn-abc@443", "lsn-abc@", "lsn-@1", "lsn-abc@123456", "lsn-" + strings.Repeat("a", 40), "lsn-" + strings.Repeat("a", 41)}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range forms {
		inputs := append([]string{}, fixed...)
		for range 20000 {
			var b strings.Builder
			for range rng.IntN(8) {
				b.WriteString(f.parts[rng.IntN(len(f.parts))])
			}
			inputs = append(inputs, b.String())
		}
		for _, in := range inputs {
			if got, want := f.check(in), f.re.MatchString(in); got != want {
				t.Errorf("%s(%q) = %v, the regular expression says %v", f.name, in, got, want)
			}
		}
	}
}

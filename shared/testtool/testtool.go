// Package testtool lets a test use a tool of the machine that a minimal machine may lack (a
// browser, a linter): without it the test is skipped with one line saying how to get it, except
// under CI=true, where nothing may be skipped and a missing tool fails the test.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of the first of names found on PATH. When none is, it skips t with
// "skipped: <what> needs <name> (<hint>)", or, under CI=true, fails t with the same words.
func Need(t testing.TB, what, hint string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := "skipped: " + what + " needs " + names[0] + " (" + hint + ")"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true runs everything")
	}
	t.Skip(msg)
	return ""
}

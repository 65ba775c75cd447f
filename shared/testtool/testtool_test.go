package testtool

import "testing"

func TestNeedFindsATool(t *testing.T) {
	if p := Need(t, "this test", "it is part of Go", "go"); p == "" {
		t.Fatal("go not found on PATH")
	}
}

func TestNeedSkipsOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	ok := t.Run("missing", func(t *testing.T) {
		Need(t, "this test", "no such tool", "certrotate-no-such-tool")
		t.Error("Need returned for a missing tool")
	})
	if !ok {
		t.Fatal("a missing tool failed the test outside CI")
	}
}

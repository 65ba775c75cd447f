package provider

import "testing"

func TestDeploymentFromFunction(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "default"},
		{"certrotate-RotateFunction-AbC123", "certrotate-rotatefunction-abc123"},
		{"my_func.v2", "my-func-v2"},
		{"__", "default"},
		{"a-very-long-function-name-that-goes-on-and-on", "a-very-long-function-name-that-g"},
		{"abcdefghijklmnopqrstuvwxyz01234-x", "abcdefghijklmnopqrstuvwxyz01234"},
	} {
		got := DeploymentFromFunction(tc.in)
		if got != tc.want {
			t.Errorf("DeploymentFromFunction(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if err := CheckDeployment(got); err != nil {
			t.Errorf("DeploymentFromFunction(%q) = %q is not valid: %v", tc.in, got, err)
		}
	}
}

func TestCheckDeployment(t *testing.T) {
	for _, ok := range []string{"default", "prod-1", "a", "abcdefghijklmnopqrstuvwxyz012345"} {
		if err := CheckDeployment(ok); err != nil {
			t.Errorf("CheckDeployment(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Prod", "a_b", "abcdefghijklmnopqrstuvwxyz0123456", "x y"} {
		if CheckDeployment(bad) == nil {
			t.Errorf("CheckDeployment(%q) accepted", bad)
		}
	}
}

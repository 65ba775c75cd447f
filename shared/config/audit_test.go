package config

import (
	"strings"
	"testing"
)

func TestAuditDays(t *testing.T) {
	for _, tc := range []struct {
		value   string
		want    int
		problem string
	}{
		{"", 30, ""},
		{"7", 7, ""},
		{"0", 0, "ROTATE_AUDIT_DAYS: 0 is not between 1 and 3650"},
		{"3651", 0, "ROTATE_AUDIT_DAYS: 3651 is not between 1 and 3650"},
		{"soon", 0, `ROTATE_AUDIT_DAYS: "soon" is not a whole number`},
	} {
		t.Run("value="+tc.value, func(t *testing.T) {
			t.Setenv("ROTATE_TARGETS", oneTarget)
			alibabaKeys(t)
			if tc.value != "" {
				t.Setenv("ROTATE_AUDIT_DAYS", tc.value)
			}
			c, err := LoadRotate()
			if tc.problem == "" {
				if err != nil || c.AuditDays != tc.want {
					t.Fatalf("AuditDays = %v, %v; want %d", c, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("error %v, want %q", err, tc.problem)
			}
		})
	}
}

package provider

import "strings"

// The forms configured ids and names must have. They are checked by hand rather than with
// regular expressions: compiling those was a fifth of rotate's own start-up work (measured with
// valgrind --tool=callgrind), and a cold start pays it on every start. forms_test.go holds the
// regular expressions each function stands for and checks that they agree.

// isRegion: ^[a-z]{2,}(-[a-z0-9]+)+$ (cn-hangzhou, ap-southeast-1, la-south-2).
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 2 || len(parts[0]) < 2 || !every(parts[0], isLower) {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || !every(p, isLowerOrDigit) {
			return false
		}
	}
	return true
}

// isDeploymentID: ^[a-z0-9-]{1,32}$.
func isDeploymentID(s string) bool {
	return len(s) >= 1 && len(s) <= 32 && every(s, isLabelChar)
}

// isUUID: ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isLowerOrDigit(s[i]) || s[i] > 'f' {
				return false
			}
		}
	}
	return true
}

// isDomain: ^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$: an optional
// wildcard, then labels of 1 to 63 letters, digits and inner hyphens, then a last label of 2 to
// 63 letters, digits and hyphens.
func isDomain(s string) bool {
	labels := strings.Split(strings.TrimPrefix(s, "*."), ".")
	if len(labels) < 2 {
		return false
	}
	last := labels[len(labels)-1]
	if len(last) < 2 || len(last) > 63 || !every(last, isLabelChar) {
		return false
	}
	for _, l := range labels[:len(labels)-1] {
		if len(l) < 1 || len(l) > 63 || !every(l, isLabelChar) || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
	}
	return true
}

// isListenerID: ^lsn-[a-z0-9]{1,40}(@[0-9]{1,5})?$ (ALB: lsn-…; NLB: lsn-…@port).
func isListenerID(s string) bool {
	rest, ok := strings.CutPrefix(s, "lsn-")
	if !ok {
		return false
	}
	id, port, hasPort := strings.Cut(rest, "@")
	if len(id) < 1 || len(id) > 40 || !every(id, isLowerOrDigit) {
		return false
	}
	return !hasPort || (len(port) >= 1 && len(port) <= 5 && every(port, isDigit))
}

func every(s string, ok func(byte) bool) bool {
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isLower(c byte) bool        { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool        { return '0' <= c && c <= '9' }
func isLowerOrDigit(c byte) bool { return isLower(c) || isDigit(c) }
func isLabelChar(c byte) bool    { return isLowerOrDigit(c) || c == '-' }

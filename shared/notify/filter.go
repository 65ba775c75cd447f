package notify

import (
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/report"
)

// Wants reports whether NOTIFY_ON (on) asks for a message about a run whose effective status is
// status: "changes" (the default) for rotated, skipped (no place took the certificate: worth
// telling), partial, failed and dry_run; "failures" for partial and failed; "all" for
// every run, unchanged and pending included.
func Wants(on, status string) bool {
	switch status {
	case report.Partial, report.Failed:
		return true
	case report.Rotated, report.DryRun, report.Skipped:
		return on != config.NotifyOnFailures
	}
	return on == config.NotifyOnAll
}

// Command notify tells people what a rotation did. This build reads a rotate report and writes
// a one-line summary to its log; the chat and e-mail channels come with the notify issue.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"

	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/report"
)

const usage = `notify takes a rotate report (as rotate returns it) and logs a summary of it.`

// result is notify's answer.
type result struct {
	Status   string `json:"status"` // the report's status
	Summary  string `json:"summary"`
	badInput bool
}

func (r *result) ExitCode() int {
	if r.badInput {
		return entry.ExitBadInput
	}
	return entry.ExitOK
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	entry.Main(entry.Program{Name: "notify", Usage: usage, Handle: func(ctx context.Context, raw json.RawMessage) (entry.Answer, error) {
		var rep report.Report
		if err := json.Unmarshal(raw, &rep); err != nil || rep.ID == "" || rep.Status == "" {
			if err == nil {
				err = errors.New("not a rotate report: id and status are required")
			}
			return &result{Summary: "refused: " + err.Error(), badInput: true}, nil
		}
		counts := map[string]int{}
		for _, t := range rep.Targets {
			counts[t.Status]++
		}
		summary := rep.Status
		if rep.Certificate != nil {
			summary += " " + rep.Certificate.CommonName + " (expires " + rep.Certificate.NotAfter + ")"
		}
		log.Info("rotation report", "request_id", entry.RequestID(ctx), "run_id", rep.ID, "status", rep.Status,
			"targets", counts, "error", rep.Error)
		return &result{Status: rep.Status, Summary: summary}, nil
	}})
}

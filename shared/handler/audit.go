package handler

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/certrotate/certrotate/shared/audit"
	"github.com/certrotate/certrotate/shared/deadline"
	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/notify"
	"github.com/certrotate/certrotate/shared/report"
)

// Audit runs an audit for trigger, posts its report to notify and returns it. What it
// finds never fails the invocation: a place that cannot be read is reported failed.
func (h *Rotate) Audit(ctx context.Context, trigger *event.Audit) *report.Audit {
	log := h.log.With("request_id", entry.RequestID(ctx))
	log.Info("audit started", "trigger", trigger.Trigger, "detail", trigger.Detail, "targets", len(h.cfg.Targets))
	// The reads stop in time for the notify post and the answer (package deadline): a place
	// whose read is cut short is reported failed, and the report still goes out.
	plan, ok := deadline.From(ctx)
	if !ok {
		plan = deadline.New(ctx, h.now(), h.cfg.NotifyURL != "")
	}
	work, cancel := plan.Work(ctx)
	a := audit.New(audit.Options{Targets: h.cfg.Targets, Days: h.cfg.AuditDays, Concurrency: h.cfg.Concurrency})
	rep := a.Run(work, h.clouds(work), h.now, log)
	cancel()
	attention := 0
	for _, p := range rep.Places {
		if p.Attention() {
			attention++
		}
	}
	log.Info("audit finished", "run_id", rep.ID, "status", rep.Status, "places", len(rep.Places), "attention", attention)
	if h.cfg.NotifyURL != "" {
		ctx, cancel := plan.Report(ctx)
		defer cancel()
		if err := notify.PostAudit(ctx, nil, h.cfg.NotifyURL, h.cfg.NotifySecret, rep); err != nil {
			log.Warn("notify failed: nobody was told of the audit", "run_id", rep.ID, "error", err.Error())
		} else {
			log.Info("audit posted to notify", "run_id", rep.ID)
		}
	}
	return rep
}

// AuditCommand is `rotate audit [--html FILE]`: it audits every target, prints the report as JSON
// and, with --html, writes the page. Exit 0: ok; 1: attention; 2: bad usage or configuration.
func AuditCommand(setup func() (*Rotate, error)) entry.Command {
	return entry.Command{
		Usage: "[--html FILE]        audit every target: print the report, write an HTML page; exit 0 ok, 1 attention",
		Run: func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			fs := flag.NewFlagSet("rotate audit", flag.ContinueOnError)
			fs.SetOutput(stderr)
			html := fs.String("html", "", "also write the audit as one self-contained HTML page to this file")
			if err := fs.Parse(args); err != nil {
				return entry.ExitBadInput
			}
			if fs.NArg() > 0 {
				fmt.Fprintf(stderr, "rotate audit: unexpected argument %q\n", fs.Arg(0))
				return entry.ExitBadInput
			}
			h, err := setup()
			if err != nil {
				fmt.Fprintf(stderr, "rotate: %v\n", err)
				return entry.ExitBadInput
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rep := h.Audit(ctx, &event.Audit{Trigger: event.TriggerInvoke, Detail: "command line"})
			if *html != "" {
				if err := writePage(*html, rep); err != nil {
					fmt.Fprintf(stderr, "rotate audit: %v\n", err)
					return entry.ExitFailed
				}
			}
			enc := json.NewEncoder(stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				fmt.Fprintf(stderr, "rotate audit: cannot print the report: %v\n", err)
				return entry.ExitFailed
			}
			return rep.ExitCode()
		},
	}
}

func writePage(file string, rep *report.Audit) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("writing the page: %w", err)
	}
	if err := audit.WriteHTML(f, rep); err != nil {
		f.Close()
		return fmt.Errorf("writing the page: %w", err)
	}
	return f.Close()
}

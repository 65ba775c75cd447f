// Command rotate deploys a newly issued TLS certificate to every load balancer that serves its
// names. It runs on AWS Lambda, on Alibaba Cloud Function Compute, or on the command line.
package main

import (
	"log/slog"
	"os"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/handler"
)

const usage = `rotate takes a certificate-issued event (an OSS or S3 upload, a webhook call, or a body with
the PEMs), validates the certificate, and deploys it to the targets in ROTATE_TARGETS.
An audit trigger (a schedule, a timer, an SLB expiry event, {"audit": true}) or "rotate audit"
reads what every target serves and reports what needs attention, changing nothing.
Configuration is read from the environment; see the README.`

func main() {
	entry.Main(entry.Program{Name: "rotate", Usage: usage, Commands: map[string]entry.Command{
		"sign":  handler.SignCommand(os.Getenv),
		"audit": handler.AuditCommand(newHandler),
	}, Setup: func() (entry.Handler, error) {
		h, err := newHandler()
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	}})
}

// newHandler builds the handler from the environment.
func newHandler() (*handler.Rotate, error) {
	cfg, err := config.LoadRotate()
	if err != nil {
		return nil, err
	}
	return handler.NewRotate(cfg, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
}

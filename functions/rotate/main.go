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
Configuration is read from the environment; see the README.`

func main() {
	entry.Main(entry.Program{Name: "rotate", Usage: usage, Commands: map[string]entry.Command{"sign": handler.SignCommand(os.Getenv)}, Setup: func() (entry.Handler, error) {
		cfg, err := config.LoadRotate()
		if err != nil {
			return nil, err
		}
		log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
		h, err := handler.NewRotate(cfg, log)
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	}})
}

// Command notify tells people what a rotation did: it posts a message about rotate's report to
// DingTalk, Feishu/Lark, WeCom, Slack, a signed webhook and e-mail. It runs on AWS Lambda, on
// Alibaba Cloud Function Compute, or on the command line.
package main

import (
	"log/slog"
	"os"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/notify"
)

const usage = `notify takes what rotate produced and tells people: a rotate report (or a list of them), an
AWS Lambda or Function Compute destination record wrapping one (or rotate's error), or an HTTP
request carrying a report signed with NOTIFY_SECRET. It posts one message per report to every
configured channel (NOTIFY_DINGTALK_*, NOTIFY_FEISHU_*, NOTIFY_WECOM_WEBHOOK, NOTIFY_SLACK_WEBHOOK,
NOTIFY_WEBHOOK_*, NOTIFY_SMTP_*), as NOTIFY_ON and NOTIFY_LANG say. Configuration is read from
the environment; see the README.`

const exitCodes = `Exit status: 0 sent or filtered (NOTIFY_ON left it out); 1 a channel failed, or an error;
2 bad input, bad usage or bad configuration.`

func main() {
	entry.Main(entry.Program{Name: "notify", Usage: usage, ExitCodes: exitCodes, Setup: func() (entry.Handler, error) {
		cfg, err := config.LoadNotify()
		if err != nil {
			return nil, err
		}
		h, err := notify.NewHandler(cfg, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	}})
}

package handler

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/webhook"
)

// SignCommand is `rotate sign`: it signs a webhook body with ROTATE_WEBHOOK_SECRET and
// prints the headers to send, or a whole signed HTTP event for `rotate invoke` and
// `sam local invoke -e`.
const signUsage = "[--body FILE | --certificate FILE --private-key FILE [--name N]] [--event headers|fc|lambda]"

func SignCommand(getenv func(string) string) entry.Command {
	return entry.Command{
		Usage: signUsage + "  sign a webhook body",
		Run: func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			fs := flag.NewFlagSet("rotate sign", flag.ContinueOnError)
			fs.SetOutput(io.Discard) // help goes to stdout, errors to stderr, each printed below
			bodyFile := fs.String("body", "", "the JSON body to sign (the README's certificate body)")
			certFile := fs.String("certificate", "", "build the body from this PEM file (leaf, then intermediates)")
			keyFile := fs.String("private-key", "", "… and this private key file")
			name := fs.String("name", "", "display name for the body")
			as := fs.String("event", "headers", "print the headers, or a signed Function Compute (fc) or Lambda function URL (lambda) event")
			if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fmt.Fprintln(stdout, "Usage: rotate sign "+signUsage+"\n\nSigns a webhook body with ROTATE_WEBHOOK_SECRET (Standard Webhooks).\n\nFlags:")
				fs.PrintDefaults()
				return entry.ExitOK
			} else if err != nil || fs.NArg() > 0 {
				if err == nil {
					err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
				}
				fmt.Fprintf(stderr, "rotate sign: %v\nUsage: rotate sign %s (rotate sign --help for the flags)\n", err, signUsage)
				return entry.ExitBadInput
			}
			fail := func(format string, a ...any) int {
				fmt.Fprintf(stderr, "rotate sign: "+format+"\n", a...)
				return entry.ExitBadInput
			}
			key, err := webhook.Key(getenv("ROTATE_WEBHOOK_SECRET"))
			if err != nil {
				return fail("ROTATE_WEBHOOK_SECRET: %v", err)
			}
			var body []byte
			switch {
			case *bodyFile != "" && *certFile == "" && *keyFile == "":
				if body, err = os.ReadFile(*bodyFile); err != nil {
					return fail("%v", err)
				}
			case *bodyFile == "" && *certFile != "" && *keyFile != "":
				cert, err1 := os.ReadFile(*certFile)
				priv, err2 := os.ReadFile(*keyFile)
				if err1 != nil || err2 != nil {
					return fail("reading the PEM files: %v %v", err1, err2)
				}
				body, _ = json.Marshal(event.Body{Certificate: string(cert), PrivateKey: string(priv), Name: *name})
			default:
				return fail("give --body, or --certificate and --private-key")
			}
			if _, err := event.DecodeBody(body, event.KindWebhook); err != nil {
				return fail("the body would be refused: %v", err)
			}
			headers := webhook.Sign(key, "msg_"+report.NewID(), time.Now(), body)
			headers["content-type"] = "application/json"
			switch *as {
			case "headers":
				keys := make([]string, 0, len(headers))
				for k := range headers {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					fmt.Fprintf(stdout, "%s: %s\n", k, headers[k])
				}
			case "fc", "lambda":
				out, _ := json.MarshalIndent(signedEvent(*as, headers, body), "", "  ")
				fmt.Fprintf(stdout, "%s\n", out)
			default:
				return fail("--event: %q is not headers, fc or lambda", *as)
			}
			return entry.ExitOK
		},
	}
}

// signedEvent wraps a signed POST as the platform's HTTP event (base64 body, as gateways often send it).
func signedEvent(platform string, headers map[string]string, body []byte) map[string]any {
	now := time.Now()
	httpCtx := map[string]any{"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "rotate-sign"}
	ev := map[string]any{"rawPath": "/", "headers": headers, "body": base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true}
	if platform == "fc" {
		ev["version"], ev["queryParameters"] = "v1", map[string]string{}
		ev["requestContext"] = map[string]any{"accountId": "0", "domainName": "local.fcapp.run", "domainPrefix": "local", "http": httpCtx,
			"requestId": "local-" + strings.ToLower(report.NewID()[:8]), "time": now.UTC().Format(time.RFC3339), "timeEpoch": fmt.Sprint(now.UnixMilli())}
	} else {
		ev["version"], ev["rawQueryString"] = "2.0", ""
		ev["requestContext"] = map[string]any{"accountId": "anonymous", "apiId": "local", "domainName": "local.lambda-url.localhost", "domainPrefix": "local",
			"http": httpCtx, "requestId": report.NewID(), "time": now.UTC().Format("02/Jan/2006:15:04:05 -0700"), "timeEpoch": now.UnixMilli()}
	}
	return ev
}

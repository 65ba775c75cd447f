// Command echo is a test function for package entry: it answers with what it was given.
//
// The event may hold "fail" (the handler returns that error), "panic" (the handler
// panics with it) and "exit_code" (the answer's exit code). The answer says which
// platform ran it, the request id, whether Function Compute role credentials reached
// the handler (never the secret: a short fingerprint of the three values), the
// deadline and the event.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/certrotate/certrotate/shared/entry"
)

type answer struct {
	Platform       string          `json:"platform"`
	RequestID      string          `json:"request_id"`
	FCCredentials  bool            `json:"fc_credentials"`
	SecurityToken  bool            `json:"security_token"`
	CredentialsSum string          `json:"credentials_sum,omitempty"`
	DeadlineUnixMS int64           `json:"deadline_unix_ms,omitempty"`
	Event          json.RawMessage `json:"event"`
	Exit           int             `json:"exit_code"`
}

func (a *answer) ExitCode() int { return a.Exit }

func handle(ctx context.Context, event json.RawMessage) (entry.Answer, error) {
	var in struct {
		Fail     string `json:"fail"`
		Panic    string `json:"panic"`
		ExitCode int    `json:"exit_code"`
	}
	_ = json.Unmarshal(event, &in) // any JSON is echoed; only an object steers
	if in.Panic != "" {
		panic(in.Panic)
	}
	if in.Fail != "" {
		return nil, errors.New(in.Fail)
	}
	a := &answer{Platform: entry.Platform(ctx), RequestID: entry.RequestID(ctx), Event: event, Exit: in.ExitCode}
	if ak, sk, token, ok := entry.FCCredentials(ctx); ok {
		a.FCCredentials, a.SecurityToken = true, token != ""
		sum := sha256.Sum256([]byte(ak + "\n" + sk + "\n" + token))
		a.CredentialsSum = hex.EncodeToString(sum[:8])
	}
	if d, ok := ctx.Deadline(); ok {
		a.DeadlineUnixMS = d.UnixMilli()
	}
	return a, nil
}

func main() {
	entry.Main(entry.Program{Name: "echo", Usage: "echo answers with the event it was given.", Handle: handle})
}

package handler

import (
	"context"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/rotation"
	"github.com/certrotate/certrotate/shared/source"
)

// TestWrongKeyIsPendingThenBadInput: an OSS folder whose private key is not the certificate's is
// pending just after the upload (the other file may be on its way), and once both files have been
// unchanged for source.SettleWindow a bad-input failure: exit 2, not retried, no load balancer
// called.
func TestWrongKeyIsPendingThenBadInput(t *testing.T) {
	e := newEnv(t)
	wrong := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}, KeyType: certstest.RSA2048})
	e.cloud.Objects().Put("oss", "testbucket", "source/fullchain.pem", e.fresh.FullchainPEM)
	e.cloud.Objects().Put("oss", "testbucket", "source/privkey.pem", wrong.KeyPEM)
	uploaded := time.Now()
	event := fixture(t, "oss-put-object.json") // names testbucket/source/a.png

	for _, tc := range []struct {
		name   string
		now    time.Time
		status string
		code   int
	}{
		{"just uploaded", uploaded, report.Pending, 0},
		{"unchanged for the settle window", uploaded.Add(source.SettleWindow), report.Failed, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.h.rot = rotation.New(rotation.Options{Targets: e.h.cfg.Targets, Now: func() time.Time { return tc.now }})
			e.cloud.ResetCalls()
			answer, err := e.h.Handle(context.Background(), event)
			if err != nil {
				t.Fatalf("the invocation failed (the platform would retry it): %v", err)
			}
			rep, ok := answer.(*report.Report)
			if !ok || rep.Status != tc.status || rep.ExitCode() != tc.code {
				t.Fatalf("answer %+v, want %s, exit %d", answer, tc.status, tc.code)
			}
			if tc.status == report.Failed && rep.Error != "private_key: in testbucket/source/privkey.pem does not match the certificate in "+
				"testbucket/source/fullchain.pem; both unchanged for 5m: upload the matching key" {
				t.Errorf("error %q", rep.Error)
			}
			for _, c := range e.cloud.Calls() {
				if c.Service != "oss" {
					t.Errorf("called %s %s", c.Service, c.Action)
				}
			}
		})
	}
}

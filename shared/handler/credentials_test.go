package handler

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/certrotate/certrotate/shared/report"
)

// TestFunctionComputeWithoutRoleIsAConfigurationError: on Function Compute the Alibaba
// credentials come with each invocation from the function's role, so a function without one (and
// without ALIBABA_CLOUD_* keys) is found at the invocation, not at start. It is still a
// configuration error: failed, exit 2 on the command line, not retried, nothing called.
func TestFunctionComputeWithoutRoleIsAConfigurationError(t *testing.T) {
	e := newEnv(t)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
	body, _ := json.Marshal(map[string]any{"certificate": string(e.fresh.FullchainPEM), "private_key": string(e.fresh.KeyPEM)})
	e.cloud.Objects().Put("oss", "testbucket", "source/fullchain.pem", e.fresh.FullchainPEM)
	e.cloud.Objects().Put("oss", "testbucket", "source/privkey.pem", e.fresh.KeyPEM)

	for _, tc := range []struct {
		name, event, want string
	}{
		{"inline body", string(body), "no Alibaba Cloud credentials for the alislb targets: this Function Compute invocation carries no role credentials"},
		{"OSS event", string(fixture(t, "oss-put-object.json")), "for the alislb targets and reading OSS:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Function Compute's context for an invocation of a function without a role.
			ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "fc-no-role"})
			answer, err := e.h.Handle(ctx, json.RawMessage(tc.event))
			if err != nil {
				t.Fatalf("the invocation failed (the platform would retry it): %v", err)
			}
			rep, ok := answer.(*report.Report)
			if !ok || rep.Status != report.Failed || rep.ExitCode() != 2 || !strings.HasPrefix(rep.Error, "configuration: ") ||
				!strings.Contains(rep.Error, tc.want) || !strings.Contains(rep.Error, "give the function a role") {
				t.Fatalf("answer %+v", answer)
			}
			if n := len(e.cloud.Calls()); n != 0 {
				t.Fatalf("%d cloud calls", n)
			}
		})
	}
}

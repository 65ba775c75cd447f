package entry

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// The platforms, as Platform reports them.
const (
	PlatformLambda = "lambda"
	PlatformFC     = "fc"
	PlatformCLI    = "cli"
)

// invocation is what this package knows of the running invocation. It is read once
// from the SDK's context when the handler starts (fccontext.FromContext writes to
// the shared FcContext on every call, so it is not called again concurrently).
type invocation struct {
	platform  string
	requestID string
	fcCreds   fccontext.Credentials
}

type invocationKey struct{}

// withInvocation stores the invocation read from the platform SDK's context in ctx.
func withInvocation(ctx context.Context) context.Context {
	if _, ok := ctx.Value(invocationKey{}).(*invocation); ok {
		return ctx
	}
	if inv := fromSDK(ctx); inv != nil {
		return context.WithValue(ctx, invocationKey{}, inv)
	}
	return ctx
}

// fromSDK reads the invocation from aws-lambda-go's or fc-runtime-go-sdk's context.
func fromSDK(ctx context.Context) *invocation {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc != nil {
		return &invocation{platform: PlatformLambda, requestID: lc.AwsRequestID}
	}
	if fcc, ok := fccontext.FromContext(ctx); ok && fcc != nil {
		return &invocation{platform: PlatformFC, requestID: fcc.RequestID, fcCreds: fcc.Credentials}
	}
	return nil
}

func current(ctx context.Context) *invocation {
	if inv, ok := ctx.Value(invocationKey{}).(*invocation); ok {
		return inv
	}
	return fromSDK(ctx)
}

// RequestID returns the invocation's request id. Lambda: lambdacontext AwsRequestID;
// FC: fccontext RequestID; CLI: a generated id stored in ctx by Main. Empty when
// ctx holds none of these.
func RequestID(ctx context.Context) string {
	if inv := current(ctx); inv != nil {
		return inv.requestID
	}
	return ""
}

// Platform returns where the invocation runs: "lambda", "fc", "cli", or "" when ctx
// did not come from Main.
func Platform(ctx context.Context) string {
	if inv := current(ctx); inv != nil {
		return inv.platform
	}
	return ""
}

// FCCredentials returns the platform's per-invocation Alibaba role credentials
// (Function Compute fccontext.Credentials) if any: ok is false outside Function
// Compute and when the function has no role.
func FCCredentials(ctx context.Context) (accessKeyID, accessKeySecret, securityToken string, ok bool) {
	inv := current(ctx)
	if inv == nil || inv.platform != PlatformFC {
		return "", "", "", false
	}
	c := inv.fcCreds
	if c.AccessKeyId == "" || c.AccessKeySecret == "" {
		return "", "", "", false
	}
	return c.AccessKeyId, c.AccessKeySecret, c.SecurityToken, true
}

// newID returns a random UUID (version 4) for a command-line invocation.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

package alipop

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

func TestSafeMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3D",
			"Specified signature is not matched with our calculation."},
		{"bad cert -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "bad cert"},
		{`Post "http://127.0.0.1:1/?AccessKeyId=x&Signature=y": dial tcp: connection refused`,
			`Post "http://127.0.0.1:1/?…": dial tcp: connection refused`},
		{"two\n  lines", "two lines"},
		{strings.Repeat("a", 400), strings.Repeat("a", 300) + "…"},
	}
	for _, tt := range tests {
		if got := SafeMessage(tt.in); got != tt.want {
			t.Errorf("SafeMessage(%.40q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestClassification: which answers are throttling, which may pass later, which were answered.
func TestClassification(t *testing.T) {
	server := func(status int, code string) error {
		return sdkerrors.NewServerError(status, fmt.Sprintf(`{"Code":%q,"Message":"m","RequestId":"r"}`, code), "")
	}
	for _, tt := range []struct {
		name                           string
		err                            error
		answered, throttled, retryable bool
	}{
		{"success", nil, true, false, false},
		{"Throttling.User", server(400, "Throttling.User"), true, true, true},
		{"Rejected.Throttling", server(400, "Rejected.Throttling"), true, true, true},
		{"ServiceUnavailable", server(503, "ServiceUnavailable"), true, false, true},
		{"SystemBusy", server(400, "SystemBusy"), true, false, true},
		{"a 5xx", server(502, "Whatever"), true, false, true},
		{"SignatureDoesNotMatch", server(400, "SignatureDoesNotMatch"), true, false, false},
		{"SDK timeout", sdkerrors.NewClientError(sdkerrors.TimeoutErrorCode, "timed out", nil), false, false, true},
		{"SDK unreachable", sdkerrors.NewClientError("SDK.ServerUnreachable", "down", nil), false, false, true},
		{"SDK configuration", sdkerrors.NewClientError("SDK.CanNotResolveEndpoint", "no endpoint", nil), false, false, false},
		{"other", errors.New("x"), false, false, false},
	} {
		if a, th, r := Answered(tt.err), Throttled(tt.err), Retryable(tt.err); a != tt.answered || th != tt.throttled || r != tt.retryable {
			t.Errorf("%s: answered %v throttled %v retryable %v, want %v %v %v", tt.name, a, th, r, tt.answered, tt.throttled, tt.retryable)
		}
	}
}

// TestDescribeDropsTheSignedQuery: a transport error names the call's URL without its query,
// and still unwraps to what it was made from.
func TestDescribeDropsTheSignedQuery(t *testing.T) {
	cause := errors.New("i/o timeout")
	raw := fmt.Errorf("sdk: %w", &url.Error{Op: "Post", URL: "http://127.0.0.1:1/?AccessKeyId=x&Signature=y", Err: cause})
	e, ok := Describe(raw)
	if !ok || e.Code != "Transport" || strings.Contains(e.Error(), "Signature") || !errors.Is(e, cause) {
		t.Fatalf("Describe = %v, %v", e, ok)
	}
	if _, ok := Describe(errors.New("ours")); ok {
		t.Error("Describe took an error that is not the SDK's")
	}
}

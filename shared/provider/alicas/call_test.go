package alicas

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/certrotate/certrotate/shared/provider"
)

type client struct{}

func (client) SetReadTimeout(time.Duration)    {}
func (client) SetConnectTimeout(time.Duration) {}

// TestWrapSortsTheAnswers: busy answers wrap ErrBusy and stay retryable, not-found answers wrap
// ErrNotFound and are permanent, codes compared case-insensitively (NLB writes resources in
// lower case); throttling stays retryable; anything else is permanent.
func TestWrapSortsTheAnswers(t *testing.T) {
	c := &Caller[client]{prod: Product[client]{Name: "alinlb", BusyCodes: []string{"IncorrectStatus.Listener"}, NotFoundCodes: []string{"ResourceNotFound.Listener"}}}
	server := func(status int, code string) error {
		return sdkerrors.NewServerError(status, fmt.Sprintf(`{"Code":%q,"Message":"m","RequestId":"r"}`, code), "")
	}
	for _, tt := range []struct {
		code           string
		busy, notFound bool
		permanent      bool
		status         int
	}{
		{"IncorrectStatus.listener", true, false, false, 409},
		{"ResourceNotFound.listener", false, true, true, 404},
		{"Throttling.User", false, false, false, 400},
		{"Rejected.Throttling", false, false, false, 400},
		{"QuotaExceeded.AdditionalCertificatesNum", false, false, true, 400},
	} {
		err := c.wrap("Act", server(tt.status, tt.code))
		if errors.Is(err, ErrBusy) != tt.busy || errors.Is(err, ErrNotFound) != tt.notFound || provider.IsPermanent(err) != tt.permanent {
			t.Errorf("%s: %v: busy %v, not found %v, permanent %v", tt.code, err, errors.Is(err, ErrBusy), errors.Is(err, ErrNotFound), provider.IsPermanent(err))
		}
		if !strings.HasPrefix(err.Error(), "alinlb: Act: ") || !strings.Contains(err.Error(), tt.code) {
			t.Errorf("%s: message %q", tt.code, err)
		}
	}
}

// TestWrapDropsTheSignedURLOfATimedOutCall: a call cut by the deadline keeps errors.Is but
// never prints the signed URL.
func TestWrapDropsTheSignedURLOfATimedOutCall(t *testing.T) {
	c := &Caller[client]{prod: Product[client]{Name: "alialb"}}
	err := c.wrap("Act", &url.Error{Op: "Post", URL: "https://alb.example/?AccessKeyId=k&Signature=s", Err: context.DeadlineExceeded})
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Signature") || provider.IsPermanent(err) {
		t.Fatalf("wrap = %v (permanent %v)", err, provider.IsPermanent(err))
	}
}

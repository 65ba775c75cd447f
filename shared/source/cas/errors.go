package cas

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alipop"
)

// Error is a CAS or SDK error reduced to what is safe to log and report.
type Error struct {
	Code      string // CAS error code (e.g. "NotFound", "SignatureDoesNotMatch") or SDK client code
	Message   string
	RequestID string
	Status    int // HTTP status; 0 when no answer was received
}

func (e *Error) Error() string {
	s := e.Code
	if e.Status != 0 {
		s = fmt.Sprintf("%d %s", e.Status, e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// notFoundCodes are the answers for an id CAS does not hold: "NotFound" is what
// terraform-provider-alicloud expects from GetUserCertificateDetail.
var notFoundCodes = map[string]bool{"NotFound": true, "InvalidCertId.NotFound": true}

// fetchError sanitises the last error of Fetch and marks it Permanent unless retrying later
// (or with more time) could help.
func fetchError(id int64, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cas: certificate %d: %w", id, err)
	}
	again := alipop.Retryable(err)
	var se *sdkerrors.ServerError
	var ce *sdkerrors.ClientError
	switch {
	case errors.As(err, &se):
		msg := alipop.SafeMessage(se.Message())
		if strings.HasPrefix(se.Recommend(), "InvalidAccessKeySecret") { // the SDK saw the same string to sign
			msg += " (the AccessKeySecret is wrong)"
		}
		err = &Error{Code: se.ErrorCode(), Message: msg, RequestID: se.RequestId(), Status: se.HttpStatus()}
	case errors.As(err, &ce):
		err = &Error{Code: ce.ErrorCode(), Message: alipop.SafeMessage(ce.Message())}
	default:
		err = errors.New(alipop.SafeMessage(err.Error()))
	}
	var e *Error
	if errors.As(err, &e) && notFoundCodes[e.Code] {
		return provider.Permanent(fmt.Errorf("cas: certificate %d not found: %w", id, err))
	}
	err = fmt.Errorf("cas: certificate %d: %w", id, err)
	if again {
		return err
	}
	return provider.Permanent(err)
}

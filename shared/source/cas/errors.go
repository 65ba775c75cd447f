package cas

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/certrotate/certrotate/shared/provider"
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

// retryable reports whether a raw SDK error may pass on a later attempt: throttling, a 5xx,
// a timeout or a transport failure.
func retryable(err error) bool {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return se.HttpStatus() >= 500 || strings.HasPrefix(code, "Throttling") || code == "Rejected.Throttling" ||
			code == "ServiceUnavailable" || code == "SystemBusy" || code == "InternalError" || code == "UnknownError"
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		return ce.ErrorCode() == sdkerrors.TimeoutErrorCode || ce.ErrorCode() == "SDK.ServerUnreachable"
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// fetchError sanitises the last error of Fetch and marks it Permanent unless retrying later
// (or with more time) could help.
func fetchError(id int64, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cas: certificate %d: %w", id, err)
	}
	again := retryable(err)
	var se *sdkerrors.ServerError
	var ce *sdkerrors.ClientError
	switch {
	case errors.As(err, &se):
		msg := clean(se.Message())
		if strings.HasPrefix(se.Recommend(), "InvalidAccessKeySecret") { // the SDK saw the same string to sign
			msg += " (the AccessKeySecret is wrong)"
		}
		err = &Error{Code: se.ErrorCode(), Message: msg, RequestID: se.RequestId(), Status: se.HttpStatus()}
	case errors.As(err, &ce):
		err = &Error{Code: ce.ErrorCode(), Message: clean(ce.Message())}
	default:
		err = errors.New(clean(err.Error()))
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

// queryString matches the query of a URL quoted in a transport error (it holds the signature).
var queryString = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\?[^\s"]*`) }) // compiled on first use, not at start

// clean keeps what is safe of a message: no echoed string-to-sign (every parameter of the
// request), no PEM text, no URL query; bounded length, one line.
func clean(m string) string {
	lower := strings.ToLower(m)
	for _, marker := range []string{"server string to sign", "string to sign", "stringtosign", "-----begin"} {
		if i := strings.Index(lower, marker); i >= 0 {
			m, lower = m[:i], lower[:i]
		}
	}
	m = strings.Join(strings.Fields(queryString().ReplaceAllString(m, "?…")), " ")
	if len(m) > 300 {
		m = m[:300] + "…"
	}
	return m
}

package alislb

import (
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// retryableCodes are SLB error codes that may pass on a later attempt.
var retryableCodes = map[string]bool{
	"Throttling": true, "Throttling.User": true, "Throttling.Api": true, "Rejected.Throttling": true,
	"ServiceUnavailable": true, "SystemBusy": true, "OperationConflict": true, "InternalError": true,
	"UnknownError": true, "OperationFailed.LoadBalancerStatusInvalid": true,
}

// retryable reports whether err is throttling, a 5xx, a network error or a timeout.
func retryable(err error) bool {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return se.HttpStatus() >= 500 || retryableCodes[se.ErrorCode()] || strings.HasPrefix(se.ErrorCode(), "IncorrectStatus")
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		// Timeouts and transport failures; not configuration errors such as an unknown endpoint.
		return ce.ErrorCode() == sdkerrors.TimeoutErrorCode || ce.ErrorCode() == "SDK.ServerUnreachable"
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// apiError is an SLB error stripped to what is safe to log and report.
type apiError struct {
	Code, Message, RequestID string
	Status                   int
	err                      error
}

func (e *apiError) Error() string {
	s := e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

func (e *apiError) Unwrap() error { return e.err }

// ErrorCode returns the SLB error code of err, or "".
func ErrorCode(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func describe(err error) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &apiError{Code: se.ErrorCode(), Message: safeMessage(se.Message()), RequestID: se.RequestId(), Status: se.HttpStatus(), err: err}
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		return &apiError{Code: ce.ErrorCode(), Message: safeMessage(ce.Message()), err: err}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL of an RPC call carries every parameter and the signature: never show it.
		return &apiError{Code: "Transport", Message: safeMessage(ue.Op + " " + ue.URL + ": " + ue.Err.Error()), err: err}
	}
	return err
}

// query matches the query string of a URL in a message.
var query = regexp.MustCompile(`\?[A-Za-z0-9_.-]+=[^\s"']*`)

// safeMessage drops an echoed string-to-sign (which holds every parameter, the private key
// included), URL query strings (the same), and anything PEM-like, and bounds the length.
func safeMessage(m string) string {
	m = query.ReplaceAllString(m, "?…")
	lower := strings.ToLower(m)
	for _, cut := range []string{"string to sign", "stringtosign", "-----begin"} {
		if i := strings.Index(lower, cut); i >= 0 {
			m, lower = strings.TrimSpace(m[:i]), lower[:i]
		}
	}
	if len(m) > 300 {
		m = m[:300] + "…"
	}
	return strings.Join(strings.Fields(m), " ")
}

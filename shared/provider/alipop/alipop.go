// Package alipop reads the answers of Alibaba Cloud's POP (RPC) APIs the same way for every
// caller (SLB, ALB, NLB, Certificate Management Service): whether an attempt was answered,
// whether the answer is throttling, whether a later attempt may pass, and what of an error is
// safe to log and report. It imports only the SDK core's error types.
package alipop

import (
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// Code is the error code of the service's answer in err, or "" when err holds none.
func Code(err error) string {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return ""
}

// Answered reports whether an attempt that returned err got an answer from the service: a
// success or an error it sent, not a timeout or a network failure.
func Answered(err error) bool {
	var se *sdkerrors.ServerError
	return err == nil || errors.As(err, &se)
}

// Throttled reports whether err is the service's answer that the caller is throttled: the
// Throttling* codes (Throttling, Throttling.User, Throttling.Api: POP common error codes) and
// Rejected.Throttling. ServiceUnavailable and the other 5xx are not: they say nothing about the
// call rate.
func Throttled(err error) bool {
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		return false
	}
	code := se.ErrorCode()
	return strings.HasPrefix(code, "Throttling") || code == "Rejected.Throttling"
}

// Retryable reports whether a later attempt may pass: throttling, a 5xx, the POP common codes
// of a passing fault (ServiceUnavailable, SystemBusy, InternalError, UnknownError), or no
// answer at all (Unanswered). A caller adds its service's own codes to this.
func Retryable(err error) bool {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		c := se.ErrorCode()
		return se.HttpStatus() >= 500 || Throttled(err) || c == "ServiceUnavailable" || c == "SystemBusy" || c == "InternalError" || c == "UnknownError"
	}
	return Unanswered(err)
}

// Unanswered reports whether err is a timeout or a transport failure: the SDK's timeout and
// unreachable-server client errors, or a network error. Configuration errors of the SDK (an
// unknown endpoint, say) are not.
func Unanswered(err error) bool {
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		return ce.ErrorCode() == sdkerrors.TimeoutErrorCode || ce.ErrorCode() == "SDK.ServerUnreachable"
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// Error is a service or SDK error reduced to what is safe to log and report. It unwraps to the
// error it was made from, which is never printed.
type Error struct {
	Code, Message, RequestID string
	Status                   int // HTTP status; 0 when no answer was received
	err                      error
}

func (e *Error) Error() string {
	s := e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.err }

// Describe reduces an SDK error (a service's answer, an SDK client error, a transport error)
// to an *Error; false for any other error.
func Describe(err error) (*Error, bool) {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return &Error{Code: se.ErrorCode(), Message: SafeMessage(se.Message()), RequestID: se.RequestId(), Status: se.HttpStatus(), err: err}, true
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		return &Error{Code: ce.ErrorCode(), Message: SafeMessage(ce.Message()), err: err}, true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL of an RPC call carries every parameter and the signature: SafeMessage drops
		// its query.
		return &Error{Code: "Transport", Message: SafeMessage(ue.Op + " " + ue.URL + ": " + ue.Err.Error()), err: err}, true
	}
	return nil, false
}

// query matches the query of a URL in a message (a signed call's carries every parameter and
// the signature).
var query = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\?[^\s"']*`) }) // compiled on first use, not at start

// SafeMessage keeps what is safe of a message: no echoed string-to-sign (every parameter of the
// request, a private key included), no PEM text, no URL query; one line, bounded length.
func SafeMessage(m string) string {
	lower := strings.ToLower(m)
	for _, cut := range []string{"server string to sign", "string to sign", "stringtosign", "-----begin"} {
		if i := strings.Index(lower, cut); i >= 0 {
			m, lower = m[:i], lower[:i]
		}
	}
	m = strings.Join(strings.Fields(query().ReplaceAllString(m, "?…")), " ")
	if len(m) > 300 {
		m = m[:300] + "…"
	}
	return m
}

package alislb

import (
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// retryableCodes are SLB error codes that may pass on a later attempt.
var retryableCodes = map[string]bool{
	"Throttling": true, "Throttling.User": true, "Throttling.Api": true, "Rejected.Throttling": true,
	"ServiceUnavailable": true, "SystemBusy": true, "OperationConflict": true, "InternalError": true,
	"UnknownError": true, "OperationFailed.LoadBalancerStatusInvalid": true,
}

// busyCodes are the answers of a load balancer still applying a previous write. They are waited
// out with a longer backoff than throttling (busy.go), up to the invocation's deadline.
// Sources: CLB common error codes (docs mirror github.com/AlibabaCloudDocs/slb, "Common error
// codes.md": 400 ServiceIsConfiguring, 400 OperationBusy, 409 BackendServer.configuring,
// 409 ServiceIsStopping, 400 ProcessingSameRequest); terraform-provider-alicloud alicloud/errors.go
// SlbIsBusy, resource_alicloud_slb_domain_extension.go (BackendServer.configuring,
// DomainExtensionProcessing, retried for 3 minutes) and resource_alicloud_slb_listener.go
// (OperationFailed.ListenerStatusNotSupport on SetLoadBalancer*ListenerAttribute, 5 minutes).
var busyCodes = map[string]bool{
	"ServiceIsConfiguring": true, "OperationBusy": true, "BackendServer.configuring": true,
	"DomainExtensionProcessing": true, "ServiceIsStopping": true, "ProcessingSameRequest": true,
	"OperationFailed.ListenerStatusNotSupport": true,
}

// busy reports whether err is a load balancer's "still applying the previous write" answer.
func busy(err error) bool {
	if code := ErrorCode(err); code != "" {
		return busyCodes[code]
	}
	var se *sdkerrors.ServerError
	return errors.As(err, &se) && busyCodes[se.ErrorCode()]
}

// transient reports whether a later attempt may pass: retryable now, or once the load balancer
// is done configuring.
func transient(err error) bool { return retryable(err) || busy(err) }

// ErrNotRSA is wrapped by the error Deploy returns for a certificate whose key is not RSA:
// Alibaba CLB takes RSA certificates only ("CLB supports RSA certificates only. ECDSA (Elliptic
// Curve) certificates are not supported", https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/certificate-requirements-and-certificate-format-conversion).
var ErrNotRSA = errors.New("CLB (Alibaba SLB) accepts RSA certificates only")

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
var query = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\?[A-Za-z0-9_.-]+=[^\s"']*`) }) // compiled on first use, not at start

// safeMessage drops an echoed string-to-sign (which holds every parameter, the private key
// included), URL query strings (the same), and anything PEM-like, and bounds the length.
func safeMessage(m string) string {
	m = query().ReplaceAllString(m, "?…")
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

package huaweielb

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"

	"github.com/certrotate/certrotate/shared/provider"
)

// retryableCodes are error codes that may pass on a later attempt, whatever their status.
var retryableCodes = map[string]bool{
	"APIGW.0308": true, // API Gateway flow control
	"APIGW.0309": true,
	"ELB.8903":   true, // "system busy"
}

// retryable reports whether err is throttling, a 5xx, a network error or one call's timeout.
func retryable(err error) bool {
	if provider.IsPermanent(err) || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, errCallTimeout) {
		return true
	}
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		return sre.StatusCode == http.StatusTooManyRequests || sre.StatusCode >= 500 || retryableCodes[sre.ErrorCode]
	}
	var (
		ce *sdkerr.ConnectionError
		te *sdkerr.RequestTimeoutError
	)
	if errors.As(err, &ce) || errors.As(err, &te) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false // the caller's deadline, not one call's
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		invalid          x509.CertificateInvalidError
		hostname         x509.HostnameError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &invalid) || errors.As(err, &hostname) {
		return false // a TLS misconfiguration does not heal
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue)
}

// answered reports whether an attempt that returned err got an answer from ELB (or the API
// Gateway in front of it): a success or an error it sent, not a timeout or a network failure.
func answered(err error) bool {
	var sre *sdkerr.ServiceResponseError
	return err == nil || errors.As(err, &sre)
}

// throttled reports whether err is the answer that the caller is throttled: HTTP 429, or the API
// Gateway's flow-control code APIGW.0308 ("The throttling threshold has been reached"), whatever
// its status. A 5xx or ELB.8903 ("system busy") is not: it says nothing about the call rate.
func throttled(err error) bool {
	var sre *sdkerr.ServiceResponseError
	return errors.As(err, &sre) && (sre.StatusCode == http.StatusTooManyRequests || sre.ErrorCode == "APIGW.0308")
}

// apiError is an ELB error stripped to what is safe to log and report.
type apiError struct {
	Code, Message, RequestID string
	Status                   int
	err                      error
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

func (e *apiError) Unwrap() error { return e.err }

// ErrorCode returns the ELB error code of err (e.g. "ELB.1011"), or "".
func ErrorCode(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// StatusCode returns the HTTP status ELB answered with err, or 0.
func StatusCode(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func describe(err error) error {
	var sre *sdkerr.ServiceResponseError
	if errors.As(err, &sre) {
		return &apiError{Code: sre.ErrorCode, Message: safeMessage(sre.ErrorMessage), RequestID: sre.RequestId, Status: sre.StatusCode, err: err}
	}
	return err
}

// safeMessage drops anything PEM-like or echoing the request body, and bounds the length. When
// ELB's answer is not in its usual shape, the SDK hands over the raw body as the message.
func safeMessage(m string) string {
	lower := strings.ToLower(m)
	for _, cut := range []string{"-----begin", "private_key", "\"certificate\"", "privatekey"} {
		if i := strings.Index(lower, cut); i >= 0 {
			m, lower = strings.TrimSpace(m[:i]), lower[:i]
		}
	}
	if len(m) > 300 {
		m = m[:300] + "…"
	}
	return strings.Join(strings.Fields(m), " ")
}

// wrap prefixes err with the provider and action, marking it permanent unless it is retryable
// or the context ended.
func wrap(action string, err error) error {
	if err == nil {
		return nil
	}
	if provider.IsPermanent(err) {
		return fmt.Errorf("huaweielb: %s: %w", action, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("huaweielb: %s: %w", action, err)
	}
	e := fmt.Errorf("huaweielb: %s: %w", action, describe(err))
	if retryable(err) {
		return e
	}
	return provider.Permanent(e)
}

package alislb

import (
	"errors"
	"strings"

	"github.com/certrotate/certrotate/shared/provider/alipop"
)

// retryableCodes are SLB error codes that may pass on a later attempt, beyond the POP answers
// every Alibaba service retries (package alipop: throttling, 5xx, ServiceUnavailable, …).
var retryableCodes = map[string]bool{"OperationConflict": true, "OperationFailed.LoadBalancerStatusInvalid": true}

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
	return busyCodes[alipop.Code(err)]
}

// transient reports whether a later attempt may pass: retryable now, or once the load balancer
// is done configuring.
func transient(err error) bool { return retryable(err) || busy(err) }

// ErrNotRSA is wrapped by the error Deploy returns for a certificate whose key is not RSA:
// Alibaba CLB takes RSA certificates only ("CLB supports RSA certificates only. ECDSA (Elliptic
// Curve) certificates are not supported", https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/certificate-requirements-and-certificate-format-conversion).
var ErrNotRSA = errors.New("CLB (Alibaba SLB) accepts RSA certificates only")

// retryable reports whether err is throttling, a 5xx, a network error or a timeout (package
// alipop), or one of SLB's own passing answers: retryableCodes and the IncorrectStatus* codes.
func retryable(err error) bool {
	c := alipop.Code(err)
	return alipop.Retryable(err) || retryableCodes[c] || strings.HasPrefix(c, "IncorrectStatus")
}

// ErrorCode returns the SLB error code of err, or "".
func ErrorCode(err error) string {
	var ae *alipop.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// describe reduces an SDK error to what is safe to log and report (alipop.Describe); any other
// error is returned as it is.
func describe(err error) error {
	if e, ok := alipop.Describe(err); ok {
		return e
	}
	return err
}

package slbfake

import (
	"fmt"
	"net/http"
)

// APIError is an error answered in the POP gateway's shape
// {"RequestId","HostId","Code","Message","Recommend"} with HTTP status Status.
// The Go API (AddServerCertificate, …) returns the same values, so tests can check Code.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("slbfake: %s: %s", e.Code, e.Message) }

func apiErr(status int, code, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}

// Error catalogue. The comment after each says where the code comes from:
// [verified] seen from the real cloud (cloud-apis.md §1.4), [doc] vendor or terraform sources,
// [guess] our choice where no source was found.

// errMissing answers a missing required parameter: Missing<Param>, "<Param> is mandatory for this action."
// [doc: MissingSecurityToken in the STS FAQ, "ListenerId is mandatory for this action" in an ALB issue]
func errMissing(param string) *APIError {
	return apiErr(http.StatusBadRequest, "Missing"+param, param+" is mandatory for this action.")
}

func errInvalidParam(msg string) *APIError { // [doc: CLB common error codes table]
	return apiErr(http.StatusBadRequest, "InvalidParameter", msg)
}

var (
	errUnsupportedFormat = func(f string) *APIError { // [guess] the emulator only speaks JSON
		return apiErr(http.StatusBadRequest, "InvalidParameter.Format", "fakecloud answers Format=JSON only, got "+f+".")
	}
	errInvalidVersion = func(v string) *APIError { // [guess]
		return apiErr(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid: "+v+".")
	}
	errActionNotFound = func() *APIError { // [doc: POP common]
		return apiErr(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	errSignatureMethod = func() *APIError { // [guess]
		return apiErr(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not valid, use HMAC-SHA1.")
	}
	errSignatureVersion = func() *APIError { // [guess]
		return apiErr(http.StatusBadRequest, "InvalidSignatureVersion", "Specified signature version is not valid, use 1.0.")
	}
	errTimestampFormat = func() *APIError { // [doc: POP common]
		return apiErr(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	errTimestampExpired = func() *APIError { // [doc: cloud-apis.md §1.4]
		return apiErr(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	errAccessKeyNotFound = func() *APIError { // [doc: cloud-apis.md §1.4]
		return apiErr(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	errSignature = func(sts string) *APIError { // [verified: cloud-apis.md §1.4]
		return apiErr(http.StatusBadRequest, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:"+sts)
	}
	errNonceUsed = func() *APIError { // [doc: cloud-apis.md §1.4]
		return apiErr(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	errTokenMismatch = func() *APIError { // [guess] code from the brief, status 400
		return apiErr(http.StatusBadRequest, "InvalidSecurityToken.Mismatch", "Specified SecurityToken mismatch with the AccessKey.")
	}
	errTokenMalformed = func() *APIError { // [doc: code in cloud-apis.md §1.4; status 400 guessed]
		return apiErr(http.StatusBadRequest, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
	}
	errRegionNotFound = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusNotFound, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")
	}
	errThrottled = func() *APIError { // [doc: brief; cloud-apis.md §1.4]
		return apiErr(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
	}
	errUnavailable = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	}

	errLBNotFound = func() *APIError { // [doc: terraform; status 404 as for the other *.NotFound codes in the table]
		return apiErr(http.StatusNotFound, "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist.")
	}
	errListenerNotFound = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusNotFound, "ListenerNotFound", "You have not created a listener for the specified port of the load balancer.")
	}
	errNotHTTPS = func() *APIError { // [doc: CLB common error codes table, terraform]
		return apiErr(http.StatusBadRequest, "UnsupportedOperationonfixedprotocalport", "The operation is not supported by the protocol of the specified port.")
	}
	errCertNotFound = func() *APIError { // [doc: code from terraform; status 400 guessed]
		return apiErr(http.StatusBadRequest, "ServerCertificateId.NotFound", "The specified ServerCertificateId does not exist.")
	}
	errCertRefered = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusBadRequest, "CertificateAndPrivateKeyIsRefered", "Certificate and PrivateKey Is Refered.")
	}
	errCertKeyMismatch = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusBadRequest, "CertificateNotMatchPrivateKey", "Certificate and key does not match.")
	}
	errKeyEncrypted = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusBadRequest, "PrivateKeyEncryption", "Key has Encrypted .")
	}
	errCertFormat = func(detail string) *APIError { // [doc: message from the table; the detail is ours]
		return errInvalidParam("The specified parameter ServerCertificate format is error. (fakecloud: " + detail + ")")
	}
	errKeyFormat = func(detail string) *APIError { // [doc: message from the table; the detail is ours]
		return errInvalidParam("The specified parameter key format is error. (fakecloud: " + detail + ")")
	}
	errCertOrKeyEmpty = func() *APIError { // [doc: CLB common error codes table]
		return errInvalidParam("The specified parameter ServerCertificate or Key is empty.")
	}
	errCertIDEmpty = func() *APIError { // [doc: CLB common error codes table]
		return errInvalidParam("The specified parameter ServerCertificateId is empty.")
	}
	errCertQuota = func(n int) *APIError { // [doc: code/message from the table; used for slb_quota_certs_num by our choice]
		return apiErr(http.StatusBadRequest, "OverQuota", fmt.Sprintf("The Total is over the quota. (fakecloud: at most %d server certificates per region)", n))
	}
	errExtQuota = func(n int) *APIError { // [guess: same code as the certificate quota]
		return apiErr(http.StatusBadRequest, "OverQuota", fmt.Sprintf("The Total is over the quota. (fakecloud: at most %d domain extensions per listener)", n))
	}
	errExtNotFound = func() *APIError { // [doc: terraform InvalidDomainExtensionIdNotFound]
		return apiErr(http.StatusBadRequest, "InvalidParameter.DomainExtensionId", "The specified DomainExtensionId does not exist.")
	}
	errPort = func() *APIError { // [doc: CLB common error codes table]
		return errInvalidParam("The specified port is not valid.")
	}
)

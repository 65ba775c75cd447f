package popgateway

import (
	"fmt"
	"net/http"
)

// APIError is an error answered in the POP gateway's shape
// {"RequestId","HostId","Code","Message","Recommend"} with HTTP status Status.
// The services' Go seeding APIs return the same values, so tests can check Code.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// NewError returns an APIError.
func NewError(status int, code, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}

// Error catalogue of the gateway. The comment after each says where the code comes from:
// [verified] seen from the real cloud (the SignatureDoesNotMatch answer quoted in
// aliyun/ack-set-context#7), [doc] vendor or terraform sources,
// [guess] our choice where no source was found.

// Missing answers a missing required parameter: Missing<Param>, "<Param> is mandatory for this action."
// [doc: MissingSecurityToken in the STS FAQ, "ListenerId is mandatory for this action" in an ALB issue]
func Missing(param string) *APIError {
	return NewError(http.StatusBadRequest, "Missing"+param, param+" is mandatory for this action.")
}

// InvalidParameter answers a malformed parameter. [doc: CLB common error codes table]
func InvalidParameter(msg string) *APIError {
	return NewError(http.StatusBadRequest, "InvalidParameter", msg)
}

var (
	errUnsupportedFormat = func(f string) *APIError { // [guess] the emulator only speaks JSON
		return NewError(http.StatusBadRequest, "InvalidParameter.Format", "fakecloud answers Format=JSON only, got "+f+".")
	}
	errInvalidVersion = func(v string) *APIError { // [guess]
		return NewError(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid: "+v+".")
	}
	errActionNotFound = func() *APIError { // [doc: POP common]
		return NewError(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	errSignatureMethod = func() *APIError { // [guess]
		return NewError(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not valid, use HMAC-SHA1.")
	}
	errSignatureVersion = func() *APIError { // [guess]
		return NewError(http.StatusBadRequest, "InvalidSignatureVersion", "Specified signature version is not valid, use 1.0.")
	}
	errTimestampFormat = func() *APIError { // [doc: POP common]
		return NewError(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	errTimestampExpired = func() *APIError { // [doc, unverified: POP common error codes]
		return NewError(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	errAccessKeyNotFound = func() *APIError { // [doc, unverified: POP common error codes]
		return NewError(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	errSignature = func(sts string) *APIError { // [verified: aliyun/ack-set-context#7; alibaba-cloud-sdk-go sdk/errors/signature_does_not_match_wrapper.go reads what follows "server string to sign is:"]
		return NewError(http.StatusBadRequest, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:"+sts)
	}
	errNonceUsed = func() *APIError { // [doc, unverified: POP common error codes]
		return NewError(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	errTokenMismatch = func() *APIError { // [guess] status 400
		return NewError(http.StatusBadRequest, "InvalidSecurityToken.Mismatch", "Specified SecurityToken mismatch with the AccessKey.")
	}
	errTokenMalformed = func() *APIError { // [doc, unverified: POP common error codes; status 400 guessed]
		return NewError(http.StatusBadRequest, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
	}
	errThrottled = func() *APIError { // [doc, unverified: POP common error codes]
		return NewError(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
	}
	errUnavailable = func() *APIError { // [doc: CLB common error codes table]
		return NewError(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	}
)

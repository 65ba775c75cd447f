package elbfake

import (
	"fmt"
	"net/http"
)

// APIError is an error answered in Huawei Cloud's shape {"error_code","error_msg","request_id"}
// with HTTP status Status. The Go seeding API returns the same values, so tests can check Code.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

func apiErr(status int, code, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}

// Error codes the emulator answers. The comment after each says where it comes from:
// [doc] the vendor's error code page (https://support.huaweicloud.com/intl/en-us/api-elb/ErrorCode.html),
// SDK issue threads (APIGW.0301: jeessy2/ddns-go#844, huaweicloud/huaweicloud-sdk-python#13) or the vendor API
// pages; [guess] our choice where no source was found — the real cloud may use another code.
// The provider should key its logic on the HTTP status first and treat codes as detail.
const (
	// CodeAuth is API Gateway's authentication failure (unknown AK, bad signature, stale date,
	// missing headers or token). [doc: APIGW.0301 for unknown AK and bad signature; the
	// other causes answered with it are a guess]
	CodeAuth = "APIGW.0301"
	// CodeAPINotFound answers a path or method that is not an ELB v3 API. [doc: APIG's
	// "API not found" code, from memory — unverified]
	CodeAPINotFound = "APIGW.0101"
	// CodeThrottled answers injected throttling, HTTP 429. [guess: APIG's flow-control code, from memory]
	CodeThrottled = "APIGW.0308"
	// CodeInternal answers an injected server error, HTTP 500. [guess]
	CodeInternal = "ELB.1000"
	// CodeBadRequest answers a malformed JSON body or a field of the wrong type. [doc: ELB.1001
	// "Request parameters invalid."]
	CodeBadRequest = "ELB.1001"
	// CodeInvalidInput answers a well-formed body with a bad value: unknown attribute, too
	// long, bad enum, bad domain, bad paging parameter, invalid listener references.
	// [doc: ELB.8902 "Unrecognized attribute(s) ..." seen in terraform-provider-huaweicloud#3400;
	// its use for the other validation failures is a guess]
	CodeInvalidInput = "ELB.8902"
	// CodeInvalidCert answers a PEM that does not parse, a chain over 11 certificates, or a
	// key that does not match the certificate. [doc: ELB.1011 "Invalid private key or
	// certificate content."]
	CodeInvalidCert = "ELB.1011"
	// CodeCertIDLength answers a certificate id in the path that is not 32 characters.
	// [doc: ELB.5020 "The certificate ID must be 32 characters."]
	CodeCertIDLength = "ELB.5020"
	// CodeLBNotFound answers an unknown load balancer id, HTTP 404. [doc: ELB.1003 LB not
	// exist; the status is a guess]
	CodeLBNotFound = "ELB.1003"
	// CodeNotFound answers an unknown certificate or listener id, HTTP 404. [guess]
	CodeNotFound = "ELB.8904"
	// CodeCertInUse answers deleting a certificate still referenced by a listener, HTTP 409.
	// [doc: 409 Conflict per the DeleteCertificate page; the code is a guess]
	CodeCertInUse = "ELB.8907"
	// CodeSNIDomainConflict answers an UpdateCertificate that would leave an SNI certificate
	// without a domain, or duplicate a domain among a listener's SNI certificates, HTTP 409. [guess]
	CodeSNIDomainConflict = "ELB.8908"
	// CodeQuota answers creating a certificate over the quota (120 per project), HTTP 409. [guess:
	// ELB v3 descends from Neutron LBaaS, whose OverQuota is 409; message from the vendor docs]
	CodeQuota = "ELB.8905"
	// CodeForbidden answers, with HTTP 403, a principal scoped to enterprise projects that lists
	// without enterprise_project_id, or acts in a project it holds no grant in (see eps.go).
	// [guess: the code and message; the 403 follows from IAM authorisation, the conditions from
	// the hw-sdk model comments cited in eps.go]
	CodeForbidden = "ELB.0403"
	// CodeKeyAlgorithm answers binding a non-RSA certificate to a QUIC listener, HTTP 400.
	// [doc: "QUIC监听器仅支持RSA证书", hw-sdk model_update_listener_option.go SniContainerRefs;
	// the code is a guess, and applying it to the default certificate too is the stricter reading]
	CodeKeyAlgorithm = "ELB.8902"
)

var (
	errAuth = func(msg string) *APIError {
		return apiErr(http.StatusUnauthorized, CodeAuth, "Incorrect IAM authentication information: "+msg)
	}
	errAPINotFound = func() *APIError {
		return apiErr(http.StatusNotFound, CodeAPINotFound, "The API does not exist or has not been published in the environment.")
	}
	errThrottled = func() *APIError {
		return apiErr(http.StatusTooManyRequests, CodeThrottled, "The throttling threshold has been reached.")
	}
	errInternal = func() *APIError {
		return apiErr(http.StatusInternalServerError, CodeInternal, "Internal server error.")
	}
	errBadRequest = func(detail string) *APIError {
		return apiErr(http.StatusBadRequest, CodeBadRequest, "Request parameters invalid. ("+detail+")")
	}
	errInvalid = func(format string, a ...any) *APIError {
		return apiErr(http.StatusBadRequest, CodeInvalidInput, fmt.Sprintf(format, a...))
	}
	errInvalidCert = func(detail string) *APIError {
		return apiErr(http.StatusBadRequest, CodeInvalidCert, "Invalid private key or certificate content. (fakecloud: "+detail+")")
	}
	errCertIDLength = func() *APIError {
		return apiErr(http.StatusBadRequest, CodeCertIDLength, "The certificate ID must be 32 characters.")
	}
	errLBNotFound = func(id string) *APIError {
		return apiErr(http.StatusNotFound, CodeLBNotFound, "Loadbalancer "+id+" does not exist.")
	}
	errCertNotFound = func(id string) *APIError {
		return apiErr(http.StatusNotFound, CodeNotFound, "Certificate "+id+" could not be found.")
	}
	errListenerNotFound = func(id string) *APIError {
		return apiErr(http.StatusNotFound, CodeNotFound, "Listener "+id+" could not be found.")
	}
	errCertInUse = func(id, listener string) *APIError {
		return apiErr(http.StatusConflict, CodeCertInUse, "Certificate "+id+" is in use by listener "+listener+" and cannot be deleted.")
	}
	errSNIDomain = func(msg string) *APIError {
		return apiErr(http.StatusConflict, CodeSNIDomainConflict, msg)
	}
	errForbidden = func(action string) *APIError {
		return apiErr(http.StatusForbidden, CodeForbidden, "Policy doesn't allow "+action+" to be performed.")
	}
	errQuota = func(n int) *APIError {
		return apiErr(http.StatusConflict, CodeQuota, fmt.Sprintf("The certificate quantity exceeds the quota. (fakecloud: at most %d per project)", n))
	}
)

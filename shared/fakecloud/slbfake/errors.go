package slbfake

import (
	"fmt"
	"net/http"

	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// APIError is an error answered in the POP gateway's shape; the Go API (AddServerCertificate, …)
// returns the same values, so tests can check Code.
type APIError = popgateway.APIError

var apiErr = popgateway.NewError

// Error catalogue of SLB itself (the gateway's is in popgateway). The comment after each says
// where the code comes from: [verified] seen from the real cloud,
// [doc] vendor or terraform sources, [guess] our choice where no source was found.

var (
	errInvalidParam = popgateway.InvalidParameter

	errRegionNotFound = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusNotFound, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")
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
	errCertNotFound = func() *APIError { // [verified: a real answer "StatusCode: 404 Code: ServerCertificateId.NotFound" from slb.cn-beijing.aliyuncs.com, certimate issue #841]
		return apiErr(http.StatusNotFound, "ServerCertificateId.NotFound", "The specified ServerCertificateId does not exist.")
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
	// Busy answers: a write to a load balancer still applying the previous one (see busy.go).
	// Codes, statuses and messages from the CLB common error codes table (docs mirror
	// github.com/AlibabaCloudDocs/slb, "Common error codes.md") and terraform-provider-alicloud
	// (alicloud/errors.go SlbIsBusy; resource_alicloud_slb_domain_extension.go retries
	// BackendServer.configuring and DomainExtensionProcessing; PR #5740 "Fixes the
	// ServiceIsConfiguring error").
	errServiceIsConfiguring = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusBadRequest, "ServiceIsConfiguring", "A previous configuration is pending; please try again later.")
	}
	errOperationBusy = func() *APIError { // [doc: CLB common error codes table]
		return apiErr(http.StatusBadRequest, "OperationBusy", "A previous operation is pending.")
	}
	errBackendConfiguring = func() *APIError { // [doc: CLB common error codes table, 409]
		return apiErr(http.StatusConflict, "BackendServer.configuring", "A previous configuration of the load balancer is pending; please try again later.")
	}
	errDomainExtensionProcessing = func() *APIError { // [doc: code from terraform; status and message guessed]
		return apiErr(http.StatusBadRequest, "DomainExtensionProcessing", "The domain extension is being processed; please try again later.")
	}
	errPort = func() *APIError { // [doc: CLB common error codes table]
		return errInvalidParam("The specified port is not valid.")
	}
)

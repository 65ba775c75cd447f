package casfake

import (
	"net/http"

	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// APIError is an error answered in the POP gateway's shape; the Go seeding API returns the
// same values, so tests can check Code.
type APIError = popgateway.APIError

// Error catalogue of CAS itself (the gateway's is in popgateway). The comment after each says
// where the code comes from: [doc] vendor, terraform or issue sources, [guess] our choice.
var (
	errInvalidParam = popgateway.InvalidParameter

	// [doc: terraform-provider-alicloud service_alicloud_ssl_certificates_service_v2.go treats
	// "NotFound" from GetUserCertificateDetail as a deleted certificate; status and message guessed]
	errCertNotFound = func() *APIError {
		return popgateway.NewError(http.StatusNotFound, "NotFound", "The certificate does not exist.")
	}
	// [doc: aliyun/aliyun-cli#376, "createUserCertificate certificate format error"; status guessed]
	errCertFormat = func(detail string) *APIError {
		return popgateway.NewError(http.StatusBadRequest, "-1008", "createUserCertificate certificate format error. (fakecloud: "+detail+")")
	}
	errKeyFormat = func(detail string) *APIError { // [guess: the same code as a certificate format error]
		return popgateway.NewError(http.StatusBadRequest, "-1008", "createUserCertificate private key format error. (fakecloud: "+detail+")")
	}
	errKeyMismatch = func() *APIError { // [guess]
		return popgateway.NewError(http.StatusBadRequest, "CertKeyNotMatch", "The certificate and the private key do not match.")
	}
	errNameRepeat = func() *APIError { // [guess: NameRepeat, unverified]
		return popgateway.NewError(http.StatusBadRequest, "NameRepeat", "The certificate name already exists.")
	}
	errName = func() *APIError { // [doc: terraform validates names to 1-64 characters; code guessed]
		return errInvalidParam("The specified parameter Name is not valid. (fakecloud: 1-64 characters)")
	}
	errSM2Upload = func() *APIError { // [guess] the emulator cannot parse SM2 certificates
		return errInvalidParam("fakecloud: SM2 dual certificates (SignCert, EncryptCert, …) cannot be uploaded through the API; seed them with AddSM2Certificate.")
	}
)

package casfake

import (
	"net/http"
	"strconv"

	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// InUse reports whether CAS certificate id (the bare CAS id) is bound to a cloud resource. The
// composed emulator sets it to ask ALB and NLB; nil means nothing uses any certificate.
type InUse func(id int64) bool

// SetInUse sets the check DeleteUserCertificate makes before it deletes. It is called without
// s's lock held, so the check may lock other services.
func (s *Service) SetInUse(f InUse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inUse = f
}

// errInUse answers the deletion of a certificate a load balancer still serves. [guess, stricter:
// the CAS console refuses to delete a certificate deployed to a cloud resource, but no public
// source gives the API's code or status; AWS ACM's DeleteCertificate answers ResourceInUse in
// the same case (docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html)]
func errInUse() *APIError {
	return popgateway.NewError(http.StatusBadRequest, "CertificateInUse",
		"The certificate is associated with cloud resources and cannot be deleted. (fakecloud)")
}

// deleteUserCertificate deletes a certificate nothing uses. An unknown id is NotFound, as
// GetUserCertificateDetail answers it. [doc: https://help.aliyun.com/zh/ssl-certificate/developer-reference/api-cas-2020-04-07-deleteusercertificate
// (CertId required, answers RequestId)]
func (s *Service) deleteUserCertificate(r *popgateway.Request) (any, *APIError) {
	id, err := strconv.ParseInt(r.Get("CertId"), 10, 64)
	if err != nil {
		return nil, errInvalidParam("The specified parameter CertId is not valid.")
	}
	s.mu.Lock()
	_, ok := s.certs[id]
	inUse := s.inUse
	s.mu.Unlock()
	if !ok {
		return nil, errCertNotFound()
	}
	if inUse != nil && inUse(id) {
		return nil, errInUse()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.certs[id]; !ok {
		return nil, errCertNotFound()
	}
	delete(s.certs, id)
	return struct{ RequestId string }{r.RequestID}, nil
}

// Exists reports whether CAS holds certificate id, for the load balancers that refuse unknown ids.
func (s *Service) Exists(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.certs[id]
	return ok
}

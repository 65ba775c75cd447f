// Package casfake emulates the Alibaba Cloud Certificate Management Service (CAS) 2020-04-07
// RPC API for the real SDK, behind the same POP gateway checks as slbfake.
package casfake

import (
	"net/http"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// Version is the CAS API version this package answers.
const Version = "2020-04-07"

// firstID is the id of the first certificate; CAS ids are plain integers (e.g. 6055048).
const firstID int64 = 12345678

// Service is the emulated CAS: one certificate store per emulator, whatever the RegionId
// (CAS is served from cas.aliyuncs.com for the mainland regions). It is an http.Handler and
// safe for concurrent use.
type Service struct {
	now     func() time.Time
	gateway *popgateway.Gateway

	mu     sync.Mutex
	nextID int64
	certs  map[int64]*certificate
	inUse  InUse
}

var _ http.Handler = (*Service)(nil)

// New returns an empty CAS. now defaults to time.Now; it drives timestamp checks and expiry.
func New(keys *fakecore.Keyring, log *fakecore.Log, faults *fakecore.Faults, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{now: now, nextID: firstID, certs: map[int64]*certificate{}}
	locked := func(run func(*Service, *popgateway.Request) (any, *APIError)) func(*popgateway.Request) (any, *APIError) {
		return func(r *popgateway.Request) (any, *APIError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return run(s, r)
		}
	}
	s.gateway = popgateway.New(popgateway.Config{
		Service: "cas", Product: "cas", HostID: "cas.aliyuncs.com", Version: Version,
		Redact: []string{"Key", "SignPrivateKey", "EncryptPrivateKey"}, Seed: 20200407,
		Keys: keys, Log: log, Faults: faults, Now: now,
	}, map[string]popgateway.Action{
		"GetUserCertificateDetail": {Required: []string{"CertId"}, Run: locked((*Service).getUserCertificateDetail)},
		"ListUserCertificateOrder": {Run: locked((*Service).listUserCertificateOrder)},
		"UploadUserCertificate":    {Mutating: true, Required: []string{"Name"}, Run: locked((*Service).uploadUserCertificate)},
		"DeleteUserCertificate":    {Mutating: true, Required: []string{"CertId"}, Run: s.deleteUserCertificate}, // locks itself
	})
	return s
}

// ServeHTTP answers one RPC call behind the POP gateway checks and records it in the call log
// (parameters only, private keys redacted; responses are never logged).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.gateway.ServeHTTP(w, r) }

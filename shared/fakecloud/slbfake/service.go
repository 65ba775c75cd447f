// Package slbfake emulates the Alibaba Cloud SLB (CLB) 2014-05-15 RPC API for the real SDK:
// it verifies signature v1, answers POP-style errors and keeps region-scoped state.
package slbfake

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// Version is the SLB API version this package answers.
const Version = "2014-05-15"

const timestampLayout = popgateway.TimestampLayout

// Service is the emulated SLB. It is an http.Handler and safe for concurrent use.
type Service struct {
	now     func() time.Time
	gateway *popgateway.Gateway

	mu        sync.Mutex
	rng       *rand.Rand
	seq       int
	certs     map[string]*serverCert
	lbs       map[string]*loadBalancer
	exts      map[string]*domainExtension
	certQuota int
	extQuota  int
	busy      *fakecore.Configuring // load balancers applying a write (busy.go)
}

var _ http.Handler = (*Service)(nil)

// New returns an empty SLB. now defaults to time.Now; it drives timestamp checks and create times.
func New(keys *fakecore.Keyring, log *fakecore.Log, faults *fakecore.Faults, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{
		now:       now,
		rng:       rand.New(rand.NewPCG(20140515, 2)),
		certs:     map[string]*serverCert{},
		lbs:       map[string]*loadBalancer{},
		exts:      map[string]*domainExtension{},
		certQuota: DefaultCertificateQuota,
		extQuota:  DefaultDomainExtensionQuota,
		busy:      &fakecore.Configuring{},
	}
	acts := make(map[string]popgateway.Action, len(actions))
	for name, a := range actions {
		acts[name] = popgateway.Action{Mutating: a.mutating, Required: a.required, RegionOptional: regionOptional[name], Run: s.runner(a.run)}
	}
	s.gateway = popgateway.New(popgateway.Config{
		Service: "slb", Product: "Slb", HostID: "slb.aliyuncs.com", Version: Version,
		RegionRequired: true, Redact: []string{"PrivateKey"}, Seed: 20140515,
		Keys: keys, Log: log, Faults: faults, Now: now,
	}, acts)
	return s
}

// ServeHTTP answers one RPC call behind the POP gateway checks and records it in the call log.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.gateway.ServeHTTP(w, r) }

// runner runs an action with s.mu held, in a region that must exist.
func (s *Service) runner(run func(*Service, request) (any, *APIError)) func(*popgateway.Request) (any, *APIError) {
	return func(r *popgateway.Request) (any, *APIError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Region == "" { // only actions in regionOptional get here without one
			r.Region = defaultRegion
		}
		if !s.regionKnown(r.Region) {
			return nil, errRegionNotFound()
		}
		return run(s, request{r})
	}
}

// request is one authenticated call being served.
type request struct{ *popgateway.Request }

// intParam parses an optional integer parameter; ok is false when it is absent.
func (r request) intParam(name string) (int, bool, *APIError) {
	n, ok, e := r.Int(name)
	return int(n), ok, e
}

func (r request) port() (int, *APIError) {
	n, _, e := r.intParam("ListenerPort")
	if e != nil || n < 1 || n > 65535 {
		return 0, errPort()
	}
	return n, nil
}

// Package lbcerts is the listener-certificate state that the emulated Alibaba ALB and NLB share:
// listeners with a default certificate and additional (SNI) certificates taken from CAS by id
// "<CertId>-<cas region>", written asynchronously (fakecore.Jobs), within a per-listener quota.
// It also holds the API conventions both follow (paging, ClientToken idempotent writes, DryRun,
// answering the state's errors from a product's catalogue); albfake and nlbfake map their own
// parameters, answers and error codes onto it.
package lbcerts

import (
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// DefaultQuota is how many additional certificates one listener takes: "同一ALB支持的扩展证书上限为
// 25个" (https://help.aliyun.com/document_detail/472245.html; the ALB quota page gives 25 for
// Standard instances, https://www.alibabacloud.com/help/doc-detail/198636.htm). The emulator
// counts per listener, the stricter reading for a load balancer with one HTTPS listener.
const DefaultQuota = 25

// CASRegions are the regions a CAS certificate id may carry as its suffix: CAS serves mainland
// China from cn-hangzhou and other accounts from ap-southeast-1.
var CASRegions = []string{"cn-hangzhou", "ap-southeast-1"}

// Certificate statuses as ListListenerCertificates shows them ("Diassociating" is the vendor's
// spelling: https://help.aliyun.com/document_detail/214354.html).
const (
	Associating   = "Associating"
	Associated    = "Associated"
	Dissociating  = "Diassociating"
	StatusRunning = "Running"
	StatusConfig  = "Configuring"
)

// Errors the state answers; each service maps them onto its own codes.
var (
	ErrListenerNotFound  = errors.New("listener not found")
	ErrBusy              = errors.New("listener is configuring")
	ErrUnknownCert       = errors.New("certificate not found")
	ErrQuota             = errors.New("additional certificate quota exceeded")
	ErrNotAssociated     = errors.New("certificate not associated")
	ErrAlreadyAssociated = errors.New("certificate already associated")
	ErrProtocol          = errors.New("listener protocol takes no certificate")
	ErrOneDefault        = errors.New("exactly one default certificate")
)

// Cert is one certificate on a listener.
type Cert struct {
	ID     string
	Status string
}

// Listener is one listener and its certificates.
type Listener struct {
	ID, Region, LoadBalancerID, Protocol string
	Port                                 int
	Default                              string // certificate id; "" for a listener without TLS
	Additional                           []Cert
}

// Config configures a Store.
type Config struct {
	// TLS are the protocols whose listeners take certificates (ALB: HTTPS, QUIC; NLB: TCPSSL).
	TLS []string
	// Known reports whether CAS holds the bare CAS id.
	Known func(casID int64) bool
	// Quota is the additional certificates per listener; 0 means DefaultQuota.
	Quota int
	Jobs  *fakecore.Jobs
	Now   func() time.Time
}

// Store holds the listeners of one emulated product. It is safe for concurrent use.
type Store struct {
	cfg       Config
	mu        sync.Mutex
	listeners map[string]*Listener // region + "/" + id
}

// New returns an empty store.
func New(cfg Config) *Store {
	if cfg.Quota <= 0 {
		cfg.Quota = DefaultQuota
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{cfg: cfg, listeners: map[string]*Listener{}}
}

// Jobs returns the store's job table (for its window; read jobs with Job, which settles them
// under the store's lock).
func (s *Store) Jobs() *fakecore.Jobs { return s.cfg.Jobs }

// Job returns job id as the status APIs show it, settling what is due.
func (s *Store) Job(id string) (fakecore.JobState, bool) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Jobs.Get(id, now)
}

func key(region, id string) string { return region + "/" + id }

// CASID parses "<CertId>-<cas region>" into the bare CAS id. A bare number, a stripped or foreign
// region suffix and anything else is refused: the id ALB and NLB take carries the CAS region
// (https://help.aliyun.com/document_detail/214354.html example "1234****-cn-hangzhou"; certimate-go/certimate#1283
// is the failure of stripping it).
func CASID(certID string) (int64, bool) {
	num, region, ok := strings.Cut(certID, "-")
	if !ok || !slices.Contains(CASRegions, region) {
		return 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	return id, err == nil && id > 0
}

// Add seeds a listener; certificate ids are checked like the API's. It replaces one with the same id.
func (s *Store) Add(l Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.Default != "" && !s.known(l.Default) {
		return ErrUnknownCert
	}
	for i := range l.Additional {
		if !s.known(l.Additional[i].ID) {
			return ErrUnknownCert
		}
		l.Additional[i].Status = Associated
	}
	cp := l
	cp.Additional = slices.Clone(l.Additional)
	s.listeners[key(l.Region, l.ID)] = &cp
	return nil
}

func (s *Store) known(certID string) bool {
	id, ok := CASID(certID)
	return ok && (s.cfg.Known == nil || s.cfg.Known(id))
}

// View is a listener as a read shows it.
type View struct {
	Listener
	Status string // Running or Configuring
}

// Get returns listener id of region.
func (s *Store) Get(region, id string) (View, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Jobs.Settle(now)
	l, ok := s.listeners[key(region, id)]
	if !ok {
		return View{}, ErrListenerNotFound
	}
	return s.view(l, now), nil
}

func (s *Store) view(l *Listener, now time.Time) View {
	v := View{Listener: *l, Status: StatusRunning}
	v.Additional = slices.Clone(l.Additional)
	if s.cfg.Jobs.Busy(key(l.Region, l.ID), now) {
		v.Status = StatusConfig
	}
	return v
}

// List returns the listeners of region, by load balancer and port, optionally only those of
// loadBalancers and ids and of protocol.
func (s *Store) List(region string, loadBalancers, ids []string, protocol string) []View {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Jobs.Settle(now)
	var out []View
	for _, l := range s.listeners {
		if l.Region != region || len(loadBalancers) > 0 && !slices.Contains(loadBalancers, l.LoadBalancerID) ||
			len(ids) > 0 && !slices.Contains(ids, l.ID) || protocol != "" && !strings.EqualFold(protocol, l.Protocol) {
			continue
		}
		out = append(out, s.view(l, now))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].LoadBalancerID != out[j].LoadBalancerID {
			return out[i].LoadBalancerID < out[j].LoadBalancerID
		}
		return out[i].Port < out[j].Port || out[i].Port == out[j].Port && out[i].ID < out[j].ID
	})
	return out
}

// writable finds listener id and checks that it takes a write now.
func (s *Store) writable(region, id string, now time.Time) (*Listener, error) {
	l, ok := s.listeners[key(region, id)]
	if !ok {
		return nil, ErrListenerNotFound
	}
	if !slices.ContainsFunc(s.cfg.TLS, func(p string) bool { return strings.EqualFold(p, l.Protocol) }) {
		return nil, ErrProtocol
	}
	if s.cfg.Jobs.Busy(key(region, id), now) {
		return nil, ErrBusy
	}
	return l, nil
}

// write runs one asynchronous write on listener id, under the lock: check refuses it (and
// nothing changes), start shows it at once, finish applies it when the job is done. dryRun
// checks everything and changes nothing.
func (s *Store) write(region, id, api string, dryRun bool, check func(*Listener) error, start, finish func(*Listener)) (string, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.writable(region, id, now)
	if err != nil {
		return "", err
	}
	if err := check(l); err != nil {
		return "", err
	}
	if dryRun {
		return "", nil
	}
	start(l)
	return s.cfg.Jobs.Start(key(region, id), api, now, func() { finish(l) }), nil
}

// has reports whether certID is an additional certificate of l.
func (l *Listener) has(certID string) bool {
	return slices.ContainsFunc(l.Additional, func(a Cert) bool { return a.ID == certID })
}

// mark sets the status of the additional certificates certIDs.
func (l *Listener) mark(certIDs []string, status string) {
	for i := range l.Additional {
		if slices.Contains(certIDs, l.Additional[i].ID) {
			l.Additional[i].Status = status
		}
	}
}

// SetDefault replaces the default certificate of listener id; the change takes effect when the
// returned job finishes. dryRun checks everything and changes nothing.
func (s *Store) SetDefault(region, id, certID, api string, dryRun bool) (string, error) {
	return s.write(region, id, api, dryRun, func(*Listener) error {
		if !s.known(certID) {
			return ErrUnknownCert
		}
		return nil
	}, func(*Listener) {}, func(l *Listener) { l.Default = certID })
}

// Associate adds additional certificates to listener id, Associating until the job finishes.
func (s *Store) Associate(region, id string, certIDs []string, api string, dryRun bool) (string, error) {
	return s.write(region, id, api, dryRun, func(l *Listener) error {
		for i, c := range certIDs {
			switch {
			case !s.known(c):
				return ErrUnknownCert
			case l.has(c) || slices.Contains(certIDs[:i], c):
				// [guess, stricter: the documents do not say whether an associated certificate may be
				// associated again; refusing it keeps a client from counting on it]
				return ErrAlreadyAssociated
			}
		}
		if len(l.Additional)+len(certIDs) > s.cfg.Quota {
			return ErrQuota
		}
		return nil
	}, func(l *Listener) {
		for _, c := range certIDs {
			l.Additional = append(l.Additional, Cert{ID: c, Status: Associating})
		}
	}, func(l *Listener) { l.mark(certIDs, Associated) })
}

// Dissociate removes additional certificates from listener id, Diassociating until the job
// finishes. An id not associated is refused, whole. [guess, stricter]
func (s *Store) Dissociate(region, id string, certIDs []string, api string, dryRun bool) (string, error) {
	return s.write(region, id, api, dryRun, func(l *Listener) error {
		for _, c := range certIDs {
			if !l.has(c) {
				return ErrNotAssociated
			}
		}
		return nil
	}, func(l *Listener) { l.mark(certIDs, Dissociating) }, func(l *Listener) {
		l.Additional = slices.DeleteFunc(l.Additional, func(a Cert) bool { return slices.Contains(certIDs, a.ID) })
	})
}

// Uses reports whether some listener serves (or is being given) the bare CAS id, as default or
// additional certificate.
func (s *Store) Uses(casID int64) bool {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Jobs.Settle(now)
	for _, l := range s.listeners {
		if id, ok := CASID(l.Default); ok && id == casID {
			return true
		}
		for _, a := range l.Additional {
			if id, ok := CASID(a.ID); ok && id == casID {
				return true
			}
		}
	}
	return false
}

// Listeners returns every listener (settled at now), for assertions and the state snapshot.
func (s *Store) Listeners() []Listener {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Jobs.Settle(now)
	var out []Listener
	for _, l := range s.listeners {
		cp := *l
		cp.Additional = slices.Clone(l.Additional)
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i].Region, out[i].ID) < key(out[j].Region, out[j].ID) })
	return out
}

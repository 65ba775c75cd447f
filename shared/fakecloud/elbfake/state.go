package elbfake

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// LoadBalancer is the emulator's view of one load balancer.
type LoadBalancer struct {
	ID, Name            string
	EnterpriseProjectID string // "0" when empty
}

// Listener is the emulator's view of one listener; the TLS fields matter for the protocols
// that carry certificates (see isTLS).
type Listener struct {
	ID, Name, LoadBalancerID, Protocol string
	EnterpriseProjectID                string // its load balancer's when empty, else "0"
	Port                               int
	DefaultTLSContainerRef             string
	SNIContainerRefs                   []string
	SNIMatchAlgo                       string // "wildcard" (default) or "longest_suffix"
}

// Certificate is the emulator's view of one certificate. PrivateKey is kept for assertions in
// Go tests only: the API never echoes it and the call log never records it.
type Certificate struct {
	ID, Name, Type, Domain, Certificate, PrivateKey, Fingerprint string
	Created, Updated                                             time.Time

	Description             string
	CommonName              string    // of the leaf, filled by the emulator
	SubjectAlternativeNames []string  // DNS names of the leaf, filled by the emulator
	ExpireTime              time.Time // NotAfter of the leaf, filled by the emulator
	KeyAlgorithm            string    // "RSA" or "ECC", of the leaf, filled by the emulator
	EnterpriseProjectID     string    // "0" when empty
}

type certificate struct {
	seq     int
	project string
	Certificate
}

type loadBalancer struct {
	seq     int
	project string
	created time.Time
	LoadBalancer
}

type listener struct {
	seq              int
	project          string
	description      string
	created, updated time.Time
	Listener
}

func (c *certificate) view() Certificate {
	v := c.Certificate
	v.SubjectAlternativeNames = slices.Clone(c.SubjectAlternativeNames)
	return v
}

func (l *listener) view() Listener {
	v := l.Listener
	v.SNIContainerRefs = slices.Clone(l.SNIContainerRefs)
	return v
}

// isTLS reports whether a listener protocol terminates TLS and so needs a default certificate:
// HTTPS (dedicated), TERMINATED_HTTPS (shared), and the dedicated TLS and QUIC listeners
// ("当监听器协议为HTTPS、TLS或QUIC时，该字段必传", hw-sdk model_create_listener_option.go
// DefaultTlsContainerRef; SNI on TLS listeners: support.huaweicloud.com/usermanual-elb/elb_ug_jt_0021.html).
func isTLS(protocol string) bool {
	switch protocol {
	case "HTTPS", "TERMINATED_HTTPS", "TLS", "QUIC":
		return true
	}
	return false
}

// --- lookups; the caller holds s.mu -------------------------------------------------------

func (s *Service) certIn(project, id string) *certificate {
	if c := s.certs[id]; c != nil && c.project == project {
		return c
	}
	return nil
}

func (s *Service) listenerIn(project, id string) *listener {
	if l := s.listeners[id]; l != nil && l.project == project {
		return l
	}
	return nil
}

func (s *Service) lbIn(project, id string) *loadBalancer {
	if lb := s.lbs[id]; lb != nil && lb.project == project {
		return lb
	}
	return nil
}

func (s *Service) sortedCerts(project string) []*certificate {
	var out []*certificate
	for _, c := range s.certs {
		if c.project == project {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (s *Service) sortedListeners(project string) []*listener {
	var out []*listener
	for _, l := range s.listeners {
		if l.project == project {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (s *Service) sortedLBs(project string) []*loadBalancer {
	var out []*loadBalancer
	for _, lb := range s.lbs {
		if lb.project == project {
			out = append(out, lb)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// users returns the listeners that reference certificate id as default or SNI certificate.
func (s *Service) users(project, id string) (asDefault, asSNI []*listener) {
	for _, l := range s.sortedListeners(project) {
		if l.DefaultTLSContainerRef == id {
			asDefault = append(asDefault, l)
		}
		if slices.Contains(l.SNIContainerRefs, id) {
			asSNI = append(asSNI, l)
		}
	}
	return asDefault, asSNI
}

func (s *Service) projectsLocked() []string {
	set := map[string]bool{}
	for _, c := range s.certs {
		set[c.project] = true
	}
	for _, lb := range s.lbs {
		set[lb.project] = true
	}
	for _, l := range s.listeners {
		set[l.project] = true
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// --- ids ----------------------------------------------------------------------------------

func (s *Service) hexID() string {
	for {
		id := fmt.Sprintf("%016x%016x", s.rng.Uint64(), s.rng.Uint64())
		if s.certs[id] == nil {
			return id
		}
	}
}

func (s *Service) uuid() string {
	for {
		a, b := s.rng.Uint64(), s.rng.Uint64()
		id := fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0x0fff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
		if s.lbs[id] == nil && s.listeners[id] == nil {
			return id
		}
	}
}

func validCertID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// --- mutations shared by the API and the Go seeding API; the caller holds s.mu ---------------

type certInput struct {
	id, name, description, typ, domain, certPEM, keyPEM string
	ep                                                  string // enterprise project; "" is "0"
	created                                             time.Time
}

func (s *Service) createCertLocked(project string, in certInput) (*certificate, *APIError) {
	switch in.typ {
	case "":
		in.typ = "server"
	case "server", "client":
	case "server_sm":
		return nil, errInvalid("Invalid input for type: fakecloud does not emulate server_sm (SM dual) certificates.")
	default:
		return nil, errInvalid("Invalid input for type: %q, must be server, client or server_sm.", in.typ)
	}
	if len(in.name) > maxNameLength || len(in.description) > maxNameLength {
		return nil, errInvalid("Invalid input for name or description: at most %d characters.", maxNameLength)
	}
	if in.typ == "server" && strings.TrimSpace(in.keyPEM) == "" {
		return nil, errInvalid("Invalid input for private_key: a server certificate needs a private key.")
	}
	if _, e := splitDomains(in.domain); e != nil {
		return nil, e
	}
	keyToMatch := in.keyPEM
	if in.typ == "client" && in.keyPEM != "" {
		if _, e := parseKeyPEM(in.keyPEM); e != nil {
			return nil, e
		}
		keyToMatch = ""
	}
	pc, e := checkPair(in.certPEM, keyToMatch)
	if e != nil {
		return nil, e
	}
	if len(s.sortedCerts(project)) >= s.certQuota {
		return nil, errQuota(s.certQuota)
	}
	if in.id == "" {
		in.id = s.hexID()
	} else if !validCertID(in.id) || s.certs[in.id] != nil {
		return nil, errInvalid("Invalid input for id: %q must be 32 lower-case letters and digits, unused.", in.id)
	}
	now := s.now().UTC().Truncate(time.Second)
	if in.created.IsZero() {
		in.created = now
	}
	if in.ep == "" {
		in.ep = DefaultEnterpriseProject
	}
	s.seq++
	c := &certificate{seq: s.seq, project: project, Certificate: Certificate{
		ID: in.id, Name: in.name, Type: in.typ, Domain: in.domain, Description: in.description,
		Certificate: in.certPEM, PrivateKey: in.keyPEM, Created: in.created.UTC(), Updated: in.created.UTC(),
		EnterpriseProjectID: in.ep,
	}}
	c.setLeaf(pc)
	s.certs[c.ID] = c
	return c, nil
}

func (c *certificate) setLeaf(pc *parsedCert) {
	c.Fingerprint = Fingerprint(pc.leaf.Raw)
	c.CommonName = pc.leaf.Subject.CommonName
	c.SubjectAlternativeNames = slices.Clone(pc.leaf.DNSNames)
	c.ExpireTime = pc.leaf.NotAfter.UTC()
	c.KeyAlgorithm = keyAlgorithm(pc.leaf)
}

// --- Go API for tests and seeding ---------------------------------------------------------

// SetCertificateQuota changes the number of certificates each project may hold (n > 0).
func (s *Service) SetCertificateQuota(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > 0 {
		s.certQuota = n
	}
}

// AddLoadBalancer adds (or renames) a load balancer in project and returns its id, a UUID
// generated when lb.ID is empty.
func (s *Service) AddLoadBalancer(project string, lb LoadBalancer) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lb.ID == "" {
		lb.ID = s.uuid()
	}
	if lb.EnterpriseProjectID == "" {
		lb.EnterpriseProjectID = DefaultEnterpriseProject
	}
	s.eps[lb.EnterpriseProjectID] = true
	if old := s.lbs[lb.ID]; old != nil {
		old.Name, old.EnterpriseProjectID = lb.Name, lb.EnterpriseProjectID
		return lb.ID
	}
	s.seq++
	s.lbs[lb.ID] = &loadBalancer{seq: s.seq, project: project, created: s.now().UTC().Truncate(time.Second), LoadBalancer: lb}
	return lb.ID
}

// AddListener adds (or replaces) a listener in project and returns its id, a UUID generated
// when l.ID is empty. It is trusted seeding: references are not checked. Protocol is
// upper-cased; SNIMatchAlgo defaults to "wildcard".
func (s *Service) AddListener(project string, l Listener) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.ID == "" {
		l.ID = s.uuid()
	}
	l.Protocol = strings.ToUpper(l.Protocol)
	if lb := s.lbs[l.LoadBalancerID]; l.EnterpriseProjectID == "" && lb != nil {
		l.EnterpriseProjectID = lb.EnterpriseProjectID
	}
	if l.EnterpriseProjectID == "" {
		l.EnterpriseProjectID = DefaultEnterpriseProject
	}
	s.eps[l.EnterpriseProjectID] = true
	if l.SNIMatchAlgo == "" {
		l.SNIMatchAlgo = "wildcard"
	}
	l.SNIContainerRefs = slices.Clone(l.SNIContainerRefs)
	if l.SNIContainerRefs == nil {
		l.SNIContainerRefs = []string{}
	}
	now := s.now().UTC().Truncate(time.Second)
	s.seq++
	s.listeners[l.ID] = &listener{seq: s.seq, project: project, created: now, updated: now, Listener: l}
	return l.ID
}

// AddCertificate stores a certificate in project with the same validation and quota as
// CreateCertificate (type defaults to server, which needs a matching key), fills Fingerprint,
// CommonName, SubjectAlternativeNames, ExpireTime and KeyAlgorithm, makes its
// EnterpriseProjectID (default "0") a known enterprise project, and returns its id (generated when c.ID
// is empty; a given ID must be 32 lower-case letters and digits). c.Created defaults to now.
func (s *Service) AddCertificate(project string, c Certificate) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cert, e := s.createCertLocked(project, certInput{
		id: c.ID, name: c.Name, description: c.Description, typ: c.Type, domain: c.Domain,
		certPEM: c.Certificate, keyPEM: c.PrivateKey, created: c.Created, ep: c.EnterpriseProjectID,
	})
	if e != nil {
		return "", e
	}
	s.eps[cert.EnterpriseProjectID] = true
	if !c.Updated.IsZero() {
		cert.Updated = c.Updated.UTC()
	}
	return cert.ID, nil
}

// Certificate returns one certificate of project.
func (s *Service) Certificate(project, id string) (Certificate, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.certIn(project, id); c != nil {
		return c.view(), true
	}
	return Certificate{}, false
}

// Certificates returns the certificates of project, oldest first.
func (s *Service) Certificates(project string) []Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Certificate
	for _, c := range s.sortedCerts(project) {
		out = append(out, c.view())
	}
	return out
}

// Listener returns one listener of project.
func (s *Service) Listener(project, id string) (Listener, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.listenerIn(project, id); l != nil {
		return l.view(), true
	}
	return Listener{}, false
}

// Listeners returns the listeners of project, oldest first.
func (s *Service) Listeners(project string) []Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Listener
	for _, l := range s.sortedListeners(project) {
		out = append(out, l.view())
	}
	return out
}

// LoadBalancers returns the load balancers of project, oldest first.
func (s *Service) LoadBalancers(project string) []LoadBalancer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LoadBalancer
	for _, lb := range s.sortedLBs(project) {
		out = append(out, lb.LoadBalancer)
	}
	return out
}

// References returns how many listener slots (default or SNI) use certificate id in project.
func (s *Service) References(project, id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, sni := s.users(project, id)
	return len(d) + len(sni)
}

// Projects returns the projects that hold any state, sorted.
func (s *Service) Projects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.projectsLocked()
}

// Project is one project's whole state, taken at one instant.
type Project struct {
	ID            string
	LoadBalancers []LoadBalancer
	Listeners     []Listener
	Certificates  []Certificate
	References    map[string]int // certificate id → listener slots (default or SNI) using it
}

// State returns every project that holds state, sorted, consistently. Certificates carry no
// PrivateKey here: the state is meant to be shown.
func (s *Service) State() []Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Project
	for _, p := range s.projectsLocked() {
		pr := Project{ID: p, References: map[string]int{}}
		for _, lb := range s.sortedLBs(p) {
			pr.LoadBalancers = append(pr.LoadBalancers, lb.LoadBalancer)
		}
		for _, l := range s.sortedListeners(p) {
			pr.Listeners = append(pr.Listeners, l.view())
		}
		for _, c := range s.sortedCerts(p) {
			v := c.view()
			v.PrivateKey = ""
			pr.Certificates = append(pr.Certificates, v)
			d, sni := s.users(p, c.ID)
			pr.References[c.ID] = len(d) + len(sni)
		}
		out = append(out, pr)
	}
	return out
}

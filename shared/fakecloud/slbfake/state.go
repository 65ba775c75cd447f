package slbfake

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Defaults that model SLB quotas.
const (
	// DefaultCertificateQuota is slb_quota_certs_num: server certificates per region.
	DefaultCertificateQuota = 100
	// DefaultDomainExtensionQuota is slb_quota_domain_extensions_num: domain extensions per HTTPS listener.
	DefaultDomainExtensionQuota = 3
)

// knownRegions are the regions SLB answers in; a region that holds seeded state is known too.
var knownRegions = map[string]bool{}

func init() {
	for _, r := range strings.Fields(`cn-qingdao cn-beijing cn-zhangjiakou cn-huhehaote cn-wulanchabu
		cn-hangzhou cn-shanghai cn-nanjing cn-fuzhou cn-wuhan-lr cn-shenzhen cn-heyuan cn-guangzhou
		cn-chengdu cn-hongkong ap-southeast-1 ap-southeast-3 ap-southeast-5 ap-southeast-6
		ap-southeast-7 ap-northeast-1 ap-northeast-2 ap-south-1 us-east-1 us-west-1 eu-west-1
		eu-central-1 me-east-1 me-central-1`) {
		knownRegions[r] = true
	}
}

type serverCert struct {
	seq                   int
	id, name, region      string
	fingerprint, cn       string
	sans                  []string
	notBefore, notAfter   time.Time
	created               time.Time
	algorithm             string
	keyLength             int
	resourceGroup         string
	tags                  [][2]string
	chainPEM, keyPEM      []byte
	isAliCloudCertificate bool
}

type loadBalancer struct {
	seq                       int
	id, name, region, address string
	created                   time.Time
	listeners                 map[int]*listener
}

type listener struct {
	port            int
	protocol        string // "http", "https", "tcp", "udp"
	certID          string // https only
	backendPort     int
	bandwidth       int
	description     string
	enableHTTP2     string
	tlsCipherPolicy string
}

type domainExtension struct {
	seq            int
	id, lbID       string
	port           int
	domain, certID string
}

// ServerCertificate is the emulator's view of one server certificate.
type ServerCertificate struct {
	ID                  string
	Name                string
	Region              string
	Fingerprint         string // SHA-1 of the leaf DER, lower-case colon hex
	CommonName          string
	DNSNames            []string
	NotBefore           time.Time
	ExpireTime          time.Time
	CreateTime          time.Time
	EncryptionAlgorithm string // "RSA" or "ECC"
	KeyLength           int
	ChainPEM            []byte // the certificates as uploaded, leaf first (never the key)
}

// LoadBalancer is the emulator's view of one load balancer and its listeners, by port.
type LoadBalancer struct {
	ID, Name, Region, Address string
	Listeners                 []Listener
}

// Listener is one listener; ServerCertificateID and DomainExtensions are set for HTTPS only.
type Listener struct {
	Port                int
	Protocol            string
	ServerCertificateID string
	DomainExtensions    []DomainExtension
}

// DomainExtension is an SNI certificate on an HTTPS listener.
type DomainExtension struct {
	ID                  string
	LoadBalancerID      string
	Port                int
	Domain              string
	ServerCertificateID string
}

func (c *serverCert) view() ServerCertificate {
	return ServerCertificate{
		ID: c.id, Name: c.name, Region: c.region, Fingerprint: c.fingerprint, CommonName: c.cn,
		DNSNames: slices.Clone(c.sans), NotBefore: c.notBefore, ExpireTime: c.notAfter,
		CreateTime: c.created, EncryptionAlgorithm: c.algorithm, KeyLength: c.keyLength,
		ChainPEM: slices.Clone(c.chainPEM),
	}
}

// --- lookups; the caller holds s.mu -------------------------------------------------------

func (s *Service) certIn(region, id string) *serverCert {
	if c := s.certs[id]; c != nil && c.region == region {
		return c
	}
	return nil
}

func (s *Service) lbIn(region, id string) *loadBalancer {
	if lb := s.lbs[id]; lb != nil && lb.region == region {
		return lb
	}
	return nil
}

func (s *Service) extIn(region, id string) *domainExtension {
	if e := s.exts[id]; e != nil {
		if lb := s.lbs[e.lbID]; lb != nil && lb.region == region {
			return e
		}
	}
	return nil
}

// httpsListener finds an HTTPS listener or answers the error SLB gives.
func (s *Service) httpsListener(region, lbID string, port int) (*loadBalancer, *listener, *APIError) {
	lb := s.lbIn(region, lbID)
	if lb == nil {
		return nil, nil, errLBNotFound()
	}
	l := lb.listeners[port]
	if l == nil {
		return nil, nil, errListenerNotFound()
	}
	if l.protocol != "https" {
		return nil, nil, errNotHTTPS()
	}
	return lb, l, nil
}

func (s *Service) sortedCerts(region string) []*serverCert {
	var out []*serverCert
	for _, c := range s.certs {
		if c.region == region {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (s *Service) sortedLBs(region string) []*loadBalancer {
	var out []*loadBalancer
	for _, lb := range s.lbs {
		if lb.region == region {
			out = append(out, lb)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func sortedPorts(lb *loadBalancer) []int {
	ports := make([]int, 0, len(lb.listeners))
	for p := range lb.listeners {
		ports = append(ports, p)
	}
	sort.Ints(ports)
	return ports
}

func (s *Service) extsOf(lbID string, port int) []*domainExtension {
	var out []*domainExtension
	for _, e := range s.exts {
		if e.lbID == lbID && e.port == port {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// references counts the listeners and domain extensions that use certificate id.
func (s *Service) references(id string) int {
	n := 0
	for _, lb := range s.lbs {
		for _, l := range lb.listeners {
			if l.certID == id {
				n++
			}
		}
	}
	for _, e := range s.exts {
		if e.certID == id {
			n++
		}
	}
	return n
}

func (s *Service) regionKnown(region string) bool {
	if knownRegions[region] {
		return true
	}
	for _, lb := range s.lbs {
		if lb.region == region {
			return true
		}
	}
	for _, c := range s.certs {
		if c.region == region {
			return true
		}
	}
	return false
}

// --- mutations shared by the API and the Go seeding API; the caller holds s.mu ---------------

type uploadInput struct {
	region, name, certPEM, keyPEM, resourceGroup string
	tags                                         [][2]string
}

func (s *Service) uploadLocked(in uploadInput) (*serverCert, *APIError) {
	if in.name != "" {
		if e := validName(in.name); e != nil {
			return nil, e
		}
	}
	p, e := parseUpload(in.certPEM, in.keyPEM)
	if e != nil {
		return nil, e
	}
	if len(s.sortedCerts(in.region)) >= s.certQuota {
		return nil, errCertQuota(s.certQuota)
	}
	now := s.now().UTC().Truncate(time.Second)
	leaf := p.chain[0]
	var chain []byte
	for _, c := range p.chain {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	s.seq++
	c := &serverCert{
		seq:           s.seq,
		id:            s.newCertID(now),
		name:          in.name,
		region:        in.region,
		fingerprint:   fingerprint(leaf.Raw),
		cn:            leaf.Subject.CommonName,
		sans:          slices.Clone(leaf.DNSNames),
		notBefore:     leaf.NotBefore.UTC(),
		notAfter:      leaf.NotAfter.UTC(),
		created:       now,
		algorithm:     p.algorithm,
		keyLength:     p.keyLength,
		resourceGroup: in.resourceGroup,
		tags:          in.tags,
		chainPEM:      chain,
		keyPEM:        []byte(in.keyPEM),
	}
	if c.resourceGroup == "" {
		c.resourceGroup = defaultResourceGroup
	}
	s.certs[c.id] = c
	return c, nil
}

const (
	defaultResourceGroup = "rg-acfmfakecloud0001"
	accountUID           = "1231579085529123"
)

// newCertID makes an id in SLB's style: <account>_<hex ms>_<digits>_<digits>.
func (s *Service) newCertID(now time.Time) string {
	for {
		id := fmt.Sprintf("%s_%x_%d_%d", accountUID, now.UnixMilli(), 1000000000+s.rng.IntN(999999999), 100000000+s.rng.IntN(899999999))
		if s.certs[id] == nil {
			return id
		}
	}
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func (s *Service) randomID(prefix string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[s.rng.IntN(len(idAlphabet))]
	}
	return prefix + string(b)
}

// domainRule accepts a host name or a wildcard "*.host".
var domainRule = regexp.MustCompile(`^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)

func (s *Service) createExtLocked(region, lbID string, port int, domain, certID string) (*domainExtension, *APIError) {
	lb, _, e := s.httpsListener(region, lbID, port)
	if e != nil {
		return nil, e
	}
	if !domainRule.MatchString(domain) {
		return nil, errInvalidParam("The specified parameter Domain is not valid.")
	}
	if s.certIn(region, certID) == nil {
		return nil, errCertNotFound()
	}
	existing := s.extsOf(lb.id, port)
	for _, x := range existing {
		if strings.EqualFold(x.domain, domain) {
			return nil, errInvalidParam("The specified domain already exists on this listener.") // [guess]
		}
	}
	if len(existing) >= s.extQuota {
		return nil, errExtQuota(s.extQuota)
	}
	s.seq++
	x := &domainExtension{seq: s.seq, lbID: lb.id, port: port, domain: strings.ToLower(domain), certID: certID}
	for x.id == "" || s.exts[x.id] != nil {
		x.id = s.randomID("de-", 13)
	}
	s.exts[x.id] = x
	return x, nil
}

// --- Go API for tests and seeding ---------------------------------------------------------

// SetQuotas changes the per-region server certificate quota and the per-listener domain
// extension quota (0 keeps the current value).
func (s *Service) SetQuotas(certificates, domainExtensions int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if certificates > 0 {
		s.certQuota = certificates
	}
	if domainExtensions > 0 {
		s.extQuota = domainExtensions
	}
}

// AddLoadBalancer creates a load balancer with the given id in region.
func (s *Service) AddLoadBalancer(region, id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if region == "" || id == "" {
		return &APIError{Status: http.StatusBadRequest, Code: "InvalidParameter", Message: "region and id are required"}
	}
	if s.lbs[id] != nil {
		return &APIError{Status: http.StatusBadRequest, Code: "InvalidParameter", Message: "load balancer " + id + " already exists"}
	}
	s.seq++
	s.lbs[id] = &loadBalancer{
		seq: s.seq, id: id, name: name, region: region,
		address:   fmt.Sprintf("198.51.100.%d", 10+len(s.lbs)%240),
		created:   s.now().UTC().Truncate(time.Second),
		listeners: map[int]*listener{},
	}
	return nil
}

// AddListener adds a listener (protocol http, https, tcp or udp) to a load balancer; certID is
// required for https, must be in the load balancer's region, and must be empty otherwise.
func (s *Service) AddListener(lbID string, port int, protocol, certID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	lb := s.lbs[lbID]
	if lb == nil {
		return errLBNotFound()
	}
	if port < 1 || port > 65535 {
		return errPort()
	}
	if lb.listeners[port] != nil {
		return &APIError{Status: http.StatusBadRequest, Code: "ListenerAlreadyExists", Message: "A listener with the specified port already exists"}
	}
	protocol = strings.ToLower(protocol)
	switch protocol {
	case "https":
		if s.certIn(lb.region, certID) == nil {
			return errCertNotFound()
		}
	case "http", "tcp", "udp":
		if certID != "" {
			return errInvalidParam("only https listeners have a server certificate")
		}
	default:
		return errInvalidParam("The specified protocol is not valid.")
	}
	lb.listeners[port] = &listener{port: port, protocol: protocol, certID: certID, backendPort: 80, bandwidth: -1,
		enableHTTP2: "on", tlsCipherPolicy: "tls_cipher_policy_1_0"}
	return nil
}

// AddDomainExtension adds an SNI domain extension to an HTTPS listener and returns its id.
func (s *Service) AddDomainExtension(lbID string, port int, domain, certID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lb := s.lbs[lbID]
	if lb == nil {
		return "", errLBNotFound()
	}
	x, e := s.createExtLocked(lb.region, lbID, port, domain, certID)
	if e != nil {
		return "", e
	}
	return x.id, nil
}

// AddServerCertificate uploads a certificate chain and key with the same validation and quota
// as UploadServerCertificate.
func (s *Service) AddServerCertificate(region, name string, certPEM, keyPEM []byte) (ServerCertificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.uploadLocked(uploadInput{region: region, name: name, certPEM: string(certPEM), keyPEM: string(keyPEM)})
	if e != nil {
		return ServerCertificate{}, e
	}
	return c.view(), nil
}

// ListenerCertificate returns the default certificate id of an HTTPS listener.
func (s *Service) ListenerCertificate(lbID string, port int) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lb := s.lbs[lbID]; lb != nil {
		if l := lb.listeners[port]; l != nil && l.protocol == "https" {
			return l.certID, true
		}
	}
	return "", false
}

// DomainExtensionCertificate returns the certificate id of a domain extension.
func (s *Service) DomainExtensionCertificate(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x := s.exts[id]; x != nil {
		return x.certID, true
	}
	return "", false
}

// ServerCertificates returns the server certificates of region, oldest first.
func (s *Service) ServerCertificates(region string) []ServerCertificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ServerCertificate
	for _, c := range s.sortedCerts(region) {
		out = append(out, c.view())
	}
	return out
}

// ServerCertificateByID returns one server certificate, whatever its region.
func (s *Service) ServerCertificateByID(id string) (ServerCertificate, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.certs[id]; c != nil {
		return c.view(), true
	}
	return ServerCertificate{}, false
}

// References returns how many listeners and domain extensions use certificate id.
func (s *Service) References(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.references(id)
}

// LoadBalancers returns the load balancers of region, oldest first, listeners by port.
func (s *Service) LoadBalancers(region string) []LoadBalancer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lbViews(region)
}

func (s *Service) lbViews(region string) []LoadBalancer {
	var out []LoadBalancer
	for _, lb := range s.sortedLBs(region) {
		v := LoadBalancer{ID: lb.id, Name: lb.name, Region: lb.region, Address: lb.address}
		for _, p := range sortedPorts(lb) {
			l := lb.listeners[p]
			lv := Listener{Port: p, Protocol: l.protocol, ServerCertificateID: l.certID}
			for _, x := range s.extsOf(lb.id, p) {
				lv.DomainExtensions = append(lv.DomainExtensions, DomainExtension{
					ID: x.id, LoadBalancerID: x.lbID, Port: x.port, Domain: x.domain, ServerCertificateID: x.certID})
			}
			v.Listeners = append(v.Listeners, lv)
		}
		out = append(out, v)
	}
	return out
}

// Region is one region's whole state, taken at one instant.
type Region struct {
	Region        string
	LoadBalancers []LoadBalancer
	Certificates  []ServerCertificate
	References    map[string]int // certificate id → listeners and domain extensions using it
}

// State returns every region that holds load balancers or certificates, sorted, consistently.
func (s *Service) State() []Region {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Region
	for _, region := range s.regionsLocked() {
		r := Region{Region: region, LoadBalancers: s.lbViews(region), References: map[string]int{}}
		for _, c := range s.sortedCerts(region) {
			r.Certificates = append(r.Certificates, c.view())
			r.References[c.id] = s.references(c.id)
		}
		out = append(out, r)
	}
	return out
}

// Regions returns the regions that hold load balancers or certificates, sorted.
func (s *Service) Regions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.regionsLocked()
}

func (s *Service) regionsLocked() []string {
	set := map[string]bool{}
	for _, lb := range s.lbs {
		set[lb.region] = true
	}
	for _, c := range s.certs {
		set[c.region] = true
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

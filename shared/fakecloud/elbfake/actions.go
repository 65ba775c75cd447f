package elbfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// timeLayout is ELB's yyyy-MM-dd'T'HH:mm:ss'Z'.
const timeLayout = "2006-01-02T15:04:05Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// --- JSON shapes (field names are the wire names the SDK models decode) ---------------------

type certificateJSON struct {
	AdminStateUp            bool     `json:"admin_state_up"`
	Certificate             string   `json:"certificate"`
	Description             string   `json:"description"`
	Domain                  string   `json:"domain"`
	ID                      string   `json:"id"`
	Name                    string   `json:"name"`
	PrivateKey              string   `json:"private_key"` // always "": private key echo is off
	Type                    string   `json:"type"`
	CreatedAt               string   `json:"created_at"`
	UpdatedAt               string   `json:"updated_at"`
	ExpireTime              string   `json:"expire_time"`
	ProjectID               string   `json:"project_id"`
	CommonName              string   `json:"common_name"`
	Fingerprint             string   `json:"fingerprint"`
	SubjectAlternativeNames []string `json:"subject_alternative_names"`
	Source                  string   `json:"source"`
	ProtectionStatus        string   `json:"protection_status"`
	ProtectionReason        string   `json:"protection_reason"`
	EnterpriseProjectID     string   `json:"enterprise_project_id"`
}

func (c *certificate) json() certificateJSON {
	sans := slices.Clone(c.SubjectAlternativeNames)
	if sans == nil {
		sans = []string{}
	}
	return certificateJSON{
		AdminStateUp: true, Certificate: c.Certificate.Certificate, Description: c.Description, Domain: c.Domain,
		ID: c.ID, Name: c.Name, Type: c.Type, CreatedAt: ts(c.Created), UpdatedAt: ts(c.Updated),
		ExpireTime: ts(c.ExpireTime), ProjectID: c.project, CommonName: c.CommonName,
		Fingerprint: c.Fingerprint, SubjectAlternativeNames: sans, ProtectionStatus: "nonProtection",
		EnterpriseProjectID: c.EnterpriseProjectID,
	}
}

type idRef struct {
	ID string `json:"id"`
}

type listenerJSON struct {
	AdminStateUp              bool     `json:"admin_state_up"`
	ClientCaTLSContainerRef   string   `json:"client_ca_tls_container_ref"`
	ConnectionLimit           int      `json:"connection_limit"`
	CreatedAt                 string   `json:"created_at"`
	DefaultPoolID             string   `json:"default_pool_id"`
	DefaultTLSContainerRef    string   `json:"default_tls_container_ref"`
	Description               string   `json:"description"`
	HTTP2Enable               bool     `json:"http2_enable"`
	ID                        string   `json:"id"`
	InsertHeaders             struct{} `json:"insert_headers"`
	Loadbalancers             []idRef  `json:"loadbalancers"`
	Name                      string   `json:"name"`
	ProjectID                 string   `json:"project_id"`
	EnterpriseProjectID       string   `json:"enterprise_project_id"`
	Protocol                  string   `json:"protocol"`
	ProtocolPort              int      `json:"protocol_port"`
	SNIContainerRefs          []string `json:"sni_container_refs"`
	SNIMatchAlgo              string   `json:"sni_match_algo"`
	Tags                      []string `json:"tags"`
	UpdatedAt                 string   `json:"updated_at"`
	TLSCiphersPolicy          string   `json:"tls_ciphers_policy"`
	SecurityPolicyID          string   `json:"security_policy_id"`
	EnableMemberRetry         bool     `json:"enable_member_retry"`
	KeepaliveTimeout          int      `json:"keepalive_timeout"`
	ClientTimeout             int      `json:"client_timeout"`
	MemberTimeout             int      `json:"member_timeout"`
	TransparentClientIPEnable bool     `json:"transparent_client_ip_enable"`
	ProtectionStatus          string   `json:"protection_status"`
}

func (l *listener) json() listenerJSON {
	v := listenerJSON{
		AdminStateUp: true, ConnectionLimit: -1, CreatedAt: ts(l.created), UpdatedAt: ts(l.updated),
		DefaultTLSContainerRef: l.DefaultTLSContainerRef, Description: l.description, ID: l.ID,
		Loadbalancers: []idRef{}, Name: l.Name, ProjectID: l.project, EnterpriseProjectID: l.EnterpriseProjectID,
		Protocol: l.Protocol, ProtocolPort: l.Port, SNIContainerRefs: slices.Clone(l.SNIContainerRefs),
		SNIMatchAlgo: l.SNIMatchAlgo, Tags: []string{}, EnableMemberRetry: true,
		KeepaliveTimeout: 60, ClientTimeout: 60, MemberTimeout: 60, TransparentClientIPEnable: true,
		ProtectionStatus: "nonProtection",
	}
	if l.LoadBalancerID != "" {
		v.Loadbalancers = []idRef{{ID: l.LoadBalancerID}}
	}
	if v.SNIContainerRefs == nil {
		v.SNIContainerRefs = []string{}
	}
	if isTLS(l.Protocol) {
		v.TLSCiphersPolicy = "tls-1-2"
		v.HTTP2Enable = l.Protocol == "HTTPS" || l.Protocol == "TERMINATED_HTTPS" // HTTPS only (model_create_listener_option.go Http2Enable)
	}
	return v
}

type loadBalancerJSON struct {
	ID                   string   `json:"id"`
	Name                 string   `json:"name"`
	Description          string   `json:"description"`
	ProvisioningStatus   string   `json:"provisioning_status"`
	OperatingStatus      string   `json:"operating_status"`
	AdminStateUp         bool     `json:"admin_state_up"`
	Provider             string   `json:"provider"`
	Pools                []idRef  `json:"pools"`
	Listeners            []idRef  `json:"listeners"`
	ProjectID            string   `json:"project_id"`
	Tags                 []string `json:"tags"`
	CreatedAt            string   `json:"created_at"`
	UpdatedAt            string   `json:"updated_at"`
	Guaranteed           bool     `json:"guaranteed"`
	AvailabilityZoneList []string `json:"availability_zone_list"`
	EnterpriseProjectID  string   `json:"enterprise_project_id"`
}

func (s *Service) lbJSON(lb *loadBalancer) loadBalancerJSON {
	v := loadBalancerJSON{
		ID: lb.ID, Name: lb.Name, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE", AdminStateUp: true,
		Provider: "vlb", Pools: []idRef{}, Listeners: []idRef{}, ProjectID: lb.project, Tags: []string{},
		CreatedAt: ts(lb.created), UpdatedAt: ts(lb.created), Guaranteed: true,
		AvailabilityZoneList: []string{}, EnterpriseProjectID: lb.EnterpriseProjectID,
	}
	for _, l := range s.sortedListeners(lb.project) {
		if l.LoadBalancerID == lb.ID {
			v.Listeners = append(v.Listeners, idRef{ID: l.ID})
		}
	}
	return v
}

type pageInfo struct {
	PreviousMarker string  `json:"previous_marker"`
	NextMarker     *string `json:"next_marker,omitempty"`
	CurrentCount   int     `json:"current_count"`
}

// --- paging -------------------------------------------------------------------------------

const maxLimit = 2000

// paginate applies ELB's marker/limit/page_reverse to ids, which are filtered and in list
// order; position(id) gives any existing id's place in the unfiltered order (ok false: no such
// id). marker and page_reverse only take effect with limit, as the API documents. [guess: the
// list order is creation order, oldest first; next_marker is present only when more records follow]
func paginate(q map[string][]string, ids []string, position func(string) (int, bool)) ([]string, pageInfo, *APIError) {
	limitStr, hasLimit := first(q, "limit")
	limit := maxLimit
	if hasLimit {
		n, err := strconv.Atoi(limitStr)
		if err != nil || n < 0 || n > maxLimit {
			return nil, pageInfo{}, errInvalid("Invalid input for limit: %q, must be an integer in 0..%d.", limitStr, maxLimit)
		}
		if n > 0 { // [guess] limit=0 means the default, as in Neutron
			limit = n
		}
	}
	reverse := false
	if v, ok := first(q, "page_reverse"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, pageInfo{}, errInvalid("Invalid input for page_reverse: %q, must be true or false.", v)
		}
		reverse = b && hasLimit
	}
	start, end := 0, len(ids)
	if marker, ok := first(q, "marker"); ok && hasLimit {
		mpos, exists := position(marker)
		if !exists {
			return nil, pageInfo{}, errInvalid("Invalid input for marker: %q is not an existing id.", marker)
		}
		if reverse {
			end = 0
			for end < len(ids) {
				p, _ := position(ids[end])
				if p >= mpos {
					break
				}
				end++
			}
		} else {
			for start < len(ids) {
				p, _ := position(ids[start])
				if p > mpos {
					break
				}
				start++
			}
		}
	}
	if reverse {
		start = max(end-limit, 0)
	} else {
		end = min(start+limit, len(ids))
	}
	page := ids[start:end]
	info := pageInfo{CurrentCount: len(page)}
	if len(page) > 0 {
		info.PreviousMarker = page[0]
		if end < len(ids) {
			last := page[len(page)-1]
			info.NextMarker = &last
		}
	}
	return page, info, nil
}

func first(q map[string][]string, k string) (string, bool) {
	if v := q[k]; len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// matches reports whether a filter (repeated query values) admits value; no filter admits all.
func matches(q map[string][]string, k, value string, fold bool) bool {
	vals, ok := q[k]
	if !ok {
		return true
	}
	for _, v := range vals {
		if v == value || fold && strings.EqualFold(v, value) {
			return true
		}
	}
	return false
}

// --- certificates -------------------------------------------------------------------------

type createCertificateBody struct {
	Certificate *struct {
		AdminStateUp        optional[bool]   `json:"admin_state_up"`
		Certificate         optional[string] `json:"certificate"`
		Description         optional[string] `json:"description"`
		Domain              optional[string] `json:"domain"`
		Name                optional[string] `json:"name"`
		PrivateKey          optional[string] `json:"private_key"`
		ProjectID           optional[string] `json:"project_id"`
		Type                optional[string] `json:"type"`
		EnterpriseProjectID optional[string] `json:"enterprise_project_id"`
		EncCertificate      optional[string] `json:"enc_certificate"`
		EncPrivateKey       optional[string] `json:"enc_private_key"`
		ScmCertificateID    optional[string] `json:"scm_certificate_id"`
		Source              optional[string] `json:"source"`
		ProtectionStatus    optional[string] `json:"protection_status"`
		ProtectionReason    optional[string] `json:"protection_reason"`
	} `json:"certificate"`
}

type certificateResponse struct {
	RequestID   string          `json:"request_id"`
	Certificate certificateJSON `json:"certificate"`
}

func (s *Service) createCertificate(r *request) (int, any, *APIError) {
	var b createCertificateBody
	if e := decodeBody(r.body, &b); e != nil {
		return 0, nil, e
	}
	o := b.Certificate
	if o == nil {
		return 0, nil, errBadRequest("the body must be {\"certificate\": {...}}")
	}
	ep, e := s.createScope(r, o.EnterpriseProjectID.Set, o.EnterpriseProjectID.Null, o.EnterpriseProjectID.Val)
	if e != nil {
		return 0, nil, e
	}
	c, e := s.createCertLocked(r.project, certInput{
		name: o.Name.Val, description: o.Description.Val, typ: o.Type.Val, domain: o.Domain.Val,
		certPEM: o.Certificate.Val, keyPEM: o.PrivateKey.Val, ep: ep,
	})
	if e != nil {
		return 0, nil, e
	}
	return http.StatusCreated, certificateResponse{RequestID: r.requestID, Certificate: c.json()}, nil
}

func (s *Service) certOr404(r *request, action string) (*certificate, *APIError) {
	if !validCertID(r.id) {
		return nil, errCertIDLength()
	}
	c := s.certIn(r.project, r.id)
	if c == nil {
		return nil, errCertNotFound(r.id)
	}
	if e := s.authorize(r, action, c.EnterpriseProjectID); e != nil {
		return nil, e
	}
	return c, nil
}

func (s *Service) showCertificate(r *request) (int, any, *APIError) {
	c, e := s.certOr404(r, "elb:certificates:get")
	if e != nil {
		return 0, nil, e
	}
	return http.StatusOK, certificateResponse{RequestID: r.requestID, Certificate: c.json()}, nil
}

type listCertificatesResponse struct {
	RequestID    string            `json:"request_id"`
	PageInfo     pageInfo          `json:"page_info"`
	Certificates []certificateJSON `json:"certificates"`
}

// listCertificates answers ListCertificates. Filters take repeated values as alternatives and
// match exactly. The fingerprint filter's format is undocumented (hw-sdk
// model_list_certificates_request.go says only "证书的指纹"); terraform-provider-huaweicloud's
// acceptance test feeds back the exact value the API returned and expects a hit
// (huaweicloud/services/acceptance/elb/data_source_huaweicloud_elb_certificates_test.go), so
// the emulator matches it exactly, case included: the stricter reading.
func (s *Service) listCertificates(r *request) (int, any, *APIError) {
	q := r.query
	inScope, e := s.listScope(r, "elb:certificates:list")
	if e != nil {
		return 0, nil, e
	}
	var ids []string
	for _, c := range s.sortedCerts(r.project) {
		domains, _ := splitDomains(c.Domain)
		domainOK := true
		if want, ok := q["domain"]; ok {
			domainOK = slices.Contains(want, c.Domain)
			for _, d := range domains {
				domainOK = domainOK || slices.Contains(want, d)
			}
		}
		if domainOK && matches(q, "id", c.ID, false) && matches(q, "name", c.Name, false) &&
			matches(q, "description", c.Description, false) && matches(q, "type", c.Type, false) &&
			matches(q, "common_name", c.CommonName, false) && matches(q, "fingerprint", c.Fingerprint, false) && inScope(c.EnterpriseProjectID) {
			ids = append(ids, c.ID)
		}
	}
	page, info, e := paginate(q, ids, func(id string) (int, bool) {
		if c := s.certIn(r.project, id); c != nil {
			return c.seq, true
		}
		return 0, false
	})
	if e != nil {
		return 0, nil, e
	}
	out := listCertificatesResponse{RequestID: r.requestID, PageInfo: info, Certificates: []certificateJSON{}}
	for _, id := range page {
		out.Certificates = append(out.Certificates, s.certs[id].json())
	}
	return http.StatusOK, out, nil
}

type updateCertificateBody struct {
	Certificate *struct {
		Certificate      optional[string] `json:"certificate"`
		Description      optional[string] `json:"description"`
		Name             optional[string] `json:"name"`
		PrivateKey       optional[string] `json:"private_key"`
		Domain           optional[string] `json:"domain"`
		EncCertificate   optional[string] `json:"enc_certificate"`
		EncPrivateKey    optional[string] `json:"enc_private_key"`
		ScmCertificateID optional[string] `json:"scm_certificate_id"`
		Source           optional[string] `json:"source"`
		ProtectionStatus optional[string] `json:"protection_status"`
		ProtectionReason optional[string] `json:"protection_reason"`
	} `json:"certificate"`
}

func (s *Service) updateCertificate(r *request) (int, any, *APIError) {
	c, e := s.certOr404(r, "elb:certificates:put")
	if e != nil {
		return 0, nil, e
	}
	var b updateCertificateBody
	if e := decodeBody(r.body, &b); e != nil {
		return 0, nil, e
	}
	o := b.Certificate
	if o == nil {
		return 0, nil, errBadRequest("the body must be {\"certificate\": {...}}")
	}
	next := c.Certificate
	if o.Name.Set {
		next.Name = o.Name.Val
	}
	if o.Description.Set {
		next.Description = o.Description.Val
	}
	if len(next.Name) > maxNameLength || len(next.Description) > maxNameLength {
		return 0, nil, errInvalid("Invalid input for name or description: at most %d characters.", maxNameLength)
	}
	if o.Certificate.Set {
		if o.Certificate.Null || strings.TrimSpace(o.Certificate.Val) == "" {
			return 0, nil, errInvalid("Invalid input for certificate: it cannot be emptied.")
		}
		next.Certificate = o.Certificate.Val
	}
	if o.PrivateKey.Set {
		if c.Type == "server" && (o.PrivateKey.Null || strings.TrimSpace(o.PrivateKey.Val) == "") {
			return 0, nil, errInvalid("Invalid input for private_key: a server certificate needs a private key.")
		}
		next.PrivateKey = o.PrivateKey.Val
	}
	var pc *parsedCert
	if o.Certificate.Set || o.PrivateKey.Set {
		key := next.PrivateKey
		if c.Type == "client" {
			if key != "" {
				if _, e := parseKeyPEM(key); e != nil {
					return 0, nil, e
				}
			}
			key = ""
		}
		if pc, e = checkPair(next.Certificate, key); e != nil {
			return 0, nil, e
		}
	}
	if o.Domain.Set {
		next.Domain = o.Domain.Val
		if _, e := splitDomains(next.Domain); e != nil {
			return 0, nil, e
		}
		if e := s.checkSNIDomainChange(c, next.Domain); e != nil {
			return 0, nil, e
		}
	}
	c.Certificate = next
	if pc != nil {
		c.setLeaf(pc)
	}
	c.Updated = s.now().UTC().Truncate(time.Second)
	return http.StatusOK, certificateResponse{RequestID: r.requestID, Certificate: c.json()}, nil
}

// checkSNIDomainChange refuses a domain change that would leave an SNI certificate without a
// domain or repeat a domain among one listener's SNI certificates.
func (s *Service) checkSNIDomainChange(c *certificate, domain string) *APIError {
	_, sni := s.users(c.project, c.ID)
	if len(sni) == 0 {
		return nil
	}
	if domain == "" {
		return errSNIDomain("Certificate " + c.ID + " is used as an SNI certificate by listener " + sni[0].ID + " and must keep a domain.")
	}
	for _, l := range sni {
		if _, e := s.sniDomains(l.project, l.SNIContainerRefs, map[string]string{c.ID: domain}); e != nil {
			return errSNIDomain("Listener " + l.ID + ": " + e.Message)
		}
	}
	return nil
}

// sniDomains checks SNI certificate refs (existing, server, with a domain, at most 200 domains
// in total), with override replacing some certificates' domains. A domain may be on one ECC and
// one RSA certificate, never on two of the same key algorithm: "A domain name can be used by
// both an ECC certificate and an RSA certificate ... the ECC certificate is displayed
// preferentially" (support.huaweicloud.com/usermanual-elb/elb_ug_jt_0021.html), while the API
// says the domains of a listener's SNI certificates must not repeat ("列表对应的所有SNI证书的域名
// 不允许存在重复", hw-sdk model_update_listener_option.go SniContainerRefs).
func (s *Service) sniDomains(project string, refs []string, override map[string]string) (int, *APIError) {
	seen := map[string]string{} // domain + "/" + key algorithm → certificate id
	total := 0
	for _, id := range refs {
		c := s.certIn(project, id)
		if c == nil {
			return 0, errCertNotFound(id)
		}
		if c.Type != "server" {
			return 0, errInvalid("Invalid input for sni_container_refs: certificate %s is of type %s, SNI certificates must be server certificates.", id, c.Type)
		}
		domain := c.Domain
		if d, ok := override[id]; ok {
			domain = d
		}
		names, _ := splitDomains(domain)
		if len(names) == 0 {
			return 0, errInvalid("Invalid input for sni_container_refs: certificate %s has no domain; SNI certificates need one.", id)
		}
		for _, n := range names {
			k := n + "/" + c.KeyAlgorithm
			if other, dup := seen[k]; dup && other != id {
				return 0, errInvalid("Invalid input for sni_container_refs: domain %s is on both %s certificate %s and %s; one ECC and one RSA certificate may share a domain, not two %s ones.",
					n, c.KeyAlgorithm, other, id, c.KeyAlgorithm)
			}
			seen[k] = id
		}
		total += len(names)
	}
	if total > maxSNIDomains {
		return 0, errInvalid("Invalid input for sni_container_refs: %d domains in total, at most %d.", total, maxSNIDomains)
	}
	return total, nil
}

func (s *Service) deleteCertificate(r *request) (int, any, *APIError) {
	c, e := s.certOr404(r, "elb:certificates:delete")
	if e != nil {
		return 0, nil, e
	}
	asDefault, asSNI := s.users(r.project, c.ID)
	if users := append(asDefault, asSNI...); len(users) > 0 {
		return 0, nil, errCertInUse(c.ID, users[0].ID)
	}
	delete(s.certs, c.ID)
	return http.StatusNoContent, nil, nil
}

// --- listeners ----------------------------------------------------------------------------

type listenerResponse struct {
	RequestID string       `json:"request_id"`
	Listener  listenerJSON `json:"listener"`
}

func (s *Service) showListener(r *request) (int, any, *APIError) {
	l := s.listenerIn(r.project, r.id)
	if l == nil {
		return 0, nil, errListenerNotFound(r.id)
	}
	if e := s.authorize(r, "elb:listeners:get", l.EnterpriseProjectID); e != nil {
		return 0, nil, e
	}
	return http.StatusOK, listenerResponse{RequestID: r.requestID, Listener: l.json()}, nil
}

type listListenersResponse struct {
	RequestID string         `json:"request_id"`
	PageInfo  pageInfo       `json:"page_info"`
	Listeners []listenerJSON `json:"listeners"`
}

// listListeners answers ListListeners. Every filter takes repeated values as alternatives
// ("支持多值查询，查询条件格式：id=xxx&id=xxx", and the same for loadbalancer_id, protocol,
// protocol_port, default_tls_container_ref, name and description: hw-sdk
// model_list_listeners_request.go; support.huaweicloud.com/intl/en-us/api-elb/ListListeners.html,
// Table 2) and matches exactly; an id naming no listener of the project selects nothing. Paging
// is marker/limit/page_reverse as for certificates (limit 0..2000, default 2000; marker and
// page_reverse only with limit, marker an existing id: same page, Table 2), applied after the
// filters. enterprise_project_id scopes the list as listScope says.
func (s *Service) listListeners(r *request) (int, any, *APIError) {
	q := r.query
	inScope, e := s.listScope(r, "elb:listeners:list")
	if e != nil {
		return 0, nil, e
	}
	var ids []string
	for _, l := range s.sortedListeners(r.project) {
		if inScope(l.EnterpriseProjectID) && matches(q, "id", l.ID, false) && matches(q, "loadbalancer_id", l.LoadBalancerID, false) &&
			matches(q, "protocol", l.Protocol, false) && matches(q, "protocol_port", strconv.Itoa(l.Port), false) &&
			matches(q, "default_tls_container_ref", l.DefaultTLSContainerRef, false) &&
			matches(q, "name", l.Name, false) && matches(q, "description", l.description, false) {
			ids = append(ids, l.ID)
		}
	}
	page, info, e := paginate(q, ids, func(id string) (int, bool) {
		if l := s.listenerIn(r.project, id); l != nil {
			return l.seq, true
		}
		return 0, false
	})
	if e != nil {
		return 0, nil, e
	}
	out := listListenersResponse{RequestID: r.requestID, PageInfo: info, Listeners: []listenerJSON{}}
	for _, id := range page {
		out.Listeners = append(out.Listeners, s.listeners[id].json())
	}
	return http.StatusOK, out, nil
}

type updateListenerBody struct {
	Listener *struct {
		AdminStateUp              optional[bool]            `json:"admin_state_up"`
		ClientCaTLSContainerRef   optional[string]          `json:"client_ca_tls_container_ref"`
		DefaultPoolID             optional[string]          `json:"default_pool_id"`
		DefaultTLSContainerRef    optional[string]          `json:"default_tls_container_ref"`
		Description               optional[string]          `json:"description"`
		HTTP2Enable               optional[bool]            `json:"http2_enable"`
		InsertHeaders             optional[json.RawMessage] `json:"insert_headers"`
		Name                      optional[string]          `json:"name"`
		SNIContainerRefs          optional[[]string]        `json:"sni_container_refs"`
		SNIMatchAlgo              optional[string]          `json:"sni_match_algo"`
		TLSCiphersPolicy          optional[string]          `json:"tls_ciphers_policy"`
		SecurityPolicyID          optional[string]          `json:"security_policy_id"`
		EnableMemberRetry         optional[bool]            `json:"enable_member_retry"`
		MemberTimeout             optional[int32]           `json:"member_timeout"`
		ClientTimeout             optional[int32]           `json:"client_timeout"`
		KeepaliveTimeout          optional[int32]           `json:"keepalive_timeout"`
		Ipgroup                   optional[json.RawMessage] `json:"ipgroup"`
		TransparentClientIPEnable optional[bool]            `json:"transparent_client_ip_enable"`
		ProxyProtocolEnable       optional[bool]            `json:"proxy_protocol_enable"`
		EnhanceL7policyEnable     optional[bool]            `json:"enhance_l7policy_enable"`
		QuicConfig                optional[json.RawMessage] `json:"quic_config"`
		ProtectionStatus          optional[string]          `json:"protection_status"`
		ProtectionReason          optional[string]          `json:"protection_reason"`
		GzipEnable                optional[bool]            `json:"gzip_enable"`
		SslEarlyDataEnable        optional[bool]            `json:"ssl_early_data_enable"`
		Cps                       optional[int32]           `json:"cps"`
		Connection                optional[int32]           `json:"connection"`
		Nat64Enable               optional[bool]            `json:"nat64_enable"`
	} `json:"listener"`
}

func (s *Service) updateListener(r *request) (int, any, *APIError) {
	l := s.listenerIn(r.project, r.id)
	if l == nil {
		return 0, nil, errListenerNotFound(r.id)
	}
	if e := s.authorize(r, "elb:listeners:put", l.EnterpriseProjectID); e != nil {
		return 0, nil, e
	}
	var b updateListenerBody
	if e := decodeBody(r.body, &b); e != nil {
		return 0, nil, e
	}
	o := b.Listener
	if o == nil {
		return 0, nil, errBadRequest("the body must be {\"listener\": {...}}")
	}
	next := l.view()
	desc := l.description
	if o.Name.Set {
		next.Name = o.Name.Val
	}
	if o.Description.Set {
		desc = o.Description.Val
	}
	tlsChange := o.DefaultTLSContainerRef.Set || o.SNIContainerRefs.Set || o.SNIMatchAlgo.Set
	if tlsChange && !isTLS(l.Protocol) {
		return 0, nil, errInvalid("Invalid input for listener: a %s listener takes no certificates or SNI settings.", l.Protocol)
	}
	if o.DefaultTLSContainerRef.Set {
		next.DefaultTLSContainerRef = o.DefaultTLSContainerRef.Val
		if next.DefaultTLSContainerRef == "" {
			return 0, nil, errInvalid("Invalid input for default_tls_container_ref: a %s listener must keep a default certificate.", l.Protocol)
		}
		c := s.certIn(r.project, next.DefaultTLSContainerRef)
		if c == nil {
			return 0, nil, errCertNotFound(next.DefaultTLSContainerRef)
		}
		if c.Type != "server" {
			return 0, nil, errInvalid("Invalid input for default_tls_container_ref: certificate %s is of type %s, must be server.", c.ID, c.Type)
		}
		if e := quicRSA(l, c); e != nil {
			return 0, nil, e
		}
	}
	if o.SNIContainerRefs.Set {
		refs := o.SNIContainerRefs.Val
		if refs == nil {
			refs = []string{}
		}
		for i, id := range refs {
			if slices.Contains(refs[:i], id) {
				return 0, nil, errInvalid("Invalid input for sni_container_refs: certificate %s is listed twice.", id)
			}
		}
		if _, e := s.sniDomains(r.project, refs, nil); e != nil {
			return 0, nil, e
		}
		for _, id := range refs {
			if e := quicRSA(l, s.certIn(r.project, id)); e != nil {
				return 0, nil, e
			}
		}
		next.SNIContainerRefs = slices.Clone(refs)
	}
	if o.SNIMatchAlgo.Set {
		if v := o.SNIMatchAlgo.Val; v != "wildcard" && v != "longest_suffix" {
			return 0, nil, errInvalid("Invalid input for sni_match_algo: %q, must be wildcard or longest_suffix.", v)
		}
		next.SNIMatchAlgo = o.SNIMatchAlgo.Val
	}
	if isTLS(l.Protocol) && next.DefaultTLSContainerRef == "" {
		return 0, nil, errInvalid("Invalid input for default_tls_container_ref: a %s listener must have a default certificate.", l.Protocol)
	}
	l.Listener = next
	l.description = desc
	l.updated = s.now().UTC().Truncate(time.Second)
	return http.StatusOK, listenerResponse{RequestID: r.requestID, Listener: l.json()}, nil
}

// --- load balancers -----------------------------------------------------------------------

type loadBalancerResponse struct {
	RequestID    string           `json:"request_id"`
	Loadbalancer loadBalancerJSON `json:"loadbalancer"`
}

func (s *Service) showLoadBalancer(r *request) (int, any, *APIError) {
	lb := s.lbIn(r.project, r.id)
	if lb == nil {
		return 0, nil, errLBNotFound(r.id)
	}
	if e := s.authorize(r, "elb:loadbalancers:get", lb.EnterpriseProjectID); e != nil {
		return 0, nil, e
	}
	return http.StatusOK, loadBalancerResponse{RequestID: r.requestID, Loadbalancer: s.lbJSON(lb)}, nil
}

type listLoadBalancersResponse struct {
	RequestID     string             `json:"request_id"`
	PageInfo      pageInfo           `json:"page_info"`
	Loadbalancers []loadBalancerJSON `json:"loadbalancers"`
}

func (s *Service) listLoadBalancers(r *request) (int, any, *APIError) {
	inScope, e := s.listScope(r, "elb:loadbalancers:list")
	if e != nil {
		return 0, nil, e
	}
	var ids []string
	for _, lb := range s.sortedLBs(r.project) {
		if inScope(lb.EnterpriseProjectID) && matches(r.query, "id", lb.ID, false) && matches(r.query, "name", lb.Name, false) {
			ids = append(ids, lb.ID)
		}
	}
	page, info, e := paginate(r.query, ids, func(id string) (int, bool) {
		if lb := s.lbIn(r.project, id); lb != nil {
			return lb.seq, true
		}
		return 0, false
	})
	if e != nil {
		return 0, nil, e
	}
	out := listLoadBalancersResponse{RequestID: r.requestID, PageInfo: info, Loadbalancers: []loadBalancerJSON{}}
	for _, id := range page {
		out.Loadbalancers = append(out.Loadbalancers, s.lbJSON(s.lbs[id]))
	}
	return http.StatusOK, out, nil
}

// quicRSA refuses a certificate other than RSA on a QUIC listener: "QUIC监听器仅支持RSA证书"
// (hw-sdk model_update_listener_option.go SniContainerRefs). The source says it of SNI
// certificates; the emulator applies it to the default certificate too, the stricter reading.
func quicRSA(l *listener, c *certificate) *APIError {
	if l.Protocol == "QUIC" && c != nil && c.KeyAlgorithm != "RSA" {
		return apiErr(http.StatusBadRequest, CodeKeyAlgorithm, "Invalid input for listener: QUIC listeners take RSA certificates only; certificate "+c.ID+" is "+c.KeyAlgorithm+".")
	}
	return nil
}

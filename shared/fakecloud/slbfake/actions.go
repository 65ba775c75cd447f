package slbfake

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

type action struct {
	mutating bool
	required []string // business parameters that must be present (RegionId is checked for all)
	run      func(s *Service, r request) (any, *APIError)
}

// actions is the API surface; every handler runs with s.mu held.
var actions map[string]action

func init() {
	actions = map[string]action{
		"UploadServerCertificate":                    {true, nil, (*Service).uploadServerCertificate},
		"DescribeServerCertificates":                 {false, nil, (*Service).describeServerCertificates},
		"DeleteServerCertificate":                    {true, []string{"ServerCertificateId"}, (*Service).deleteServerCertificate},
		"SetServerCertificateName":                   {true, []string{"ServerCertificateId", "ServerCertificateName"}, (*Service).setServerCertificateName},
		"DescribeLoadBalancers":                      {false, nil, (*Service).describeLoadBalancers},
		"DescribeLoadBalancerAttribute":              {false, []string{"LoadBalancerId"}, (*Service).describeLoadBalancerAttribute},
		"DescribeLoadBalancerListeners":              {false, nil, (*Service).describeLoadBalancerListeners},
		"DescribeLoadBalancerHTTPSListenerAttribute": {false, []string{"LoadBalancerId", "ListenerPort"}, (*Service).describeHTTPSListener},
		"SetLoadBalancerHTTPSListenerAttribute":      {true, []string{"LoadBalancerId", "ListenerPort"}, (*Service).setHTTPSListener},
		"DescribeDomainExtensions":                   {false, []string{"LoadBalancerId", "ListenerPort"}, (*Service).describeDomainExtensions},
		"DescribeDomainExtensionAttribute":           {false, []string{"DomainExtensionId"}, (*Service).describeDomainExtensionAttribute},
		"SetDomainExtensionAttribute":                {true, []string{"DomainExtensionId"}, (*Service).setDomainExtensionAttribute},
		"CreateDomainExtension":                      {true, []string{"LoadBalancerId", "ListenerPort", "Domain", "ServerCertificateId"}, (*Service).createDomainExtension},
		"DeleteDomainExtension":                      {true, []string{"DomainExtensionId"}, (*Service).deleteDomainExtension},
	}
}

// regionOptional are the actions whose API reference marks RegionId optional: DescribeServerCertificates
// ("RegionId | String | 否", docs mirror github.com/AlibabaCloudDocs/slb, cn.zh-CN/API参考/服务器证书/
// DescribeServerCertificates.md). Every other action keeps it required, as its current reference
// and Tea SDK model say (the stricter reading where a page is silent).
var regionOptional = map[string]bool{"DescribeServerCertificates": true}

// defaultRegion is the region an action without RegionId serves: the home region of the central
// endpoint slb.aliyuncs.com, to which the SDK's endpoint map sends most regions. [guess] The real
// gateway's choice is not documented.
const defaultRegion = "cn-hangzhou"

// --- JSON shapes (field names are the wire names the SDK structs decode) --------------------

type requestOnly struct{ RequestId string }

type sansJSON struct{ SubjectAlternativeName []string }

type tagJSON struct{ TagKey, TagValue string }

type tagsJSON struct{ Tag []tagJSON }

type serverCertificateJSON struct {
	ServerCertificateId     string
	ServerCertificateName   string
	Fingerprint             string
	CommonName              string
	SubjectAlternativeNames sansJSON
	ExpireTime              string
	ExpireTimeStamp         int64
	CreateTime              string
	CreateTimeStamp         int64
	RegionId                string
	RegionIdAlias           string
	ResourceGroupId         string
	IsAliCloudCertificate   int
	EncryptionAlgorithm     string
	EncryptionKeyLength     int
	Tags                    tagsJSON
}

type uploadJSON struct {
	RequestId               string
	ServerCertificateId     string
	ServerCertificateName   string
	Fingerprint             string
	CommonName              string
	SubjectAlternativeNames sansJSON
	ExpireTime              string
	ExpireTimeStamp         int64
	CreateTime              string
	CreateTimeStamp         int64
	RegionId                string
	RegionIdAlias           string
	ResourceGroupId         string
	IsAliCloudCertificate   int
}

// listenerCertJSON is one entry of a listener's ServerCertificates list.
type listenerCertJSON struct {
	CertificateId       string
	BindingType         string
	EncryptionAlgorithm string
	StandardType        string
}

type certificateJSON struct{ CertificateId, EncryptionAlgorithm string }

type domainExtensionJSON struct {
	DomainExtensionId   string
	Domain              string
	ServerCertificateId string
	Certificates        struct{ Certificate []certificateJSON }
	ServerCertificates  struct{ ServerCertificate []listenerCertJSON }
}

func timeStr(t time.Time) string { return t.UTC().Format(timestampLayout) }

func (c *serverCert) json() serverCertificateJSON {
	v := serverCertificateJSON{
		ServerCertificateId: c.id, ServerCertificateName: c.name, Fingerprint: c.fingerprint,
		CommonName: c.cn, SubjectAlternativeNames: sansJSON{SubjectAlternativeName: slices.Clone(c.sans)},
		ExpireTime: timeStr(c.notAfter), ExpireTimeStamp: c.notAfter.UnixMilli(),
		CreateTime: timeStr(c.created), CreateTimeStamp: c.created.UnixMilli(),
		RegionId: c.region, RegionIdAlias: c.region, ResourceGroupId: c.resourceGroup,
		EncryptionAlgorithm: c.algorithm, EncryptionKeyLength: c.keyLength,
		Tags: tagsJSON{Tag: []tagJSON{}},
	}
	if v.SubjectAlternativeNames.SubjectAlternativeName == nil {
		v.SubjectAlternativeNames.SubjectAlternativeName = []string{}
	}
	for _, t := range c.tags {
		v.Tags.Tag = append(v.Tags.Tag, tagJSON{TagKey: t[0], TagValue: t[1]})
	}
	return v
}

func (s *Service) listenerCerts(region, certID string) []listenerCertJSON {
	out := []listenerCertJSON{}
	if c := s.certIn(region, certID); c != nil {
		out = append(out, listenerCertJSON{CertificateId: c.id, BindingType: "Server", EncryptionAlgorithm: c.algorithm, StandardType: "International"})
	}
	return out
}

func (s *Service) extJSON(region string, x *domainExtension) domainExtensionJSON {
	v := domainExtensionJSON{DomainExtensionId: x.id, Domain: x.domain, ServerCertificateId: x.certID}
	v.ServerCertificates.ServerCertificate = s.listenerCerts(region, x.certID)
	v.Certificates.Certificate = []certificateJSON{}
	for _, c := range v.ServerCertificates.ServerCertificate {
		v.Certificates.Certificate = append(v.Certificates.Certificate, certificateJSON{CertificateId: c.CertificateId, EncryptionAlgorithm: c.EncryptionAlgorithm})
	}
	return v
}

// repeatedTags reads Tag.N.Key / Tag.N.Value.
func repeatedTags(p map[string]string) [][2]string {
	var out [][2]string
	for i := 1; ; i++ {
		k, ok := p[fmt.Sprintf("Tag.%d.Key", i)]
		if !ok {
			return out
		}
		out = append(out, [2]string{k, p[fmt.Sprintf("Tag.%d.Value", i)]})
	}
}

// --- server certificates -----------------------------------------------------------------

func (s *Service) uploadServerCertificate(r request) (any, *APIError) {
	if r.Get("AliCloudCertificateId") != "" {
		return nil, errInvalidParam("The specified parameter AliCloudCertificateId is not Support. (fakecloud: CAS certificates are not emulated; upload PEMs)")
	}
	c, e := s.uploadLocked(uploadInput{
		region: r.Region, name: r.Get("ServerCertificateName"),
		certPEM: r.Get("ServerCertificate"), keyPEM: r.Get("PrivateKey"),
		resourceGroup: r.Get("ResourceGroupId"), tags: repeatedTags(r.Params),
	})
	if e != nil {
		return nil, e
	}
	j := c.json()
	return uploadJSON{
		RequestId: r.RequestID, ServerCertificateId: j.ServerCertificateId, ServerCertificateName: j.ServerCertificateName,
		Fingerprint: j.Fingerprint, CommonName: j.CommonName, SubjectAlternativeNames: j.SubjectAlternativeNames,
		ExpireTime: j.ExpireTime, ExpireTimeStamp: j.ExpireTimeStamp, CreateTime: j.CreateTime, CreateTimeStamp: j.CreateTimeStamp,
		RegionId: j.RegionId, RegionIdAlias: j.RegionIdAlias, ResourceGroupId: j.ResourceGroupId,
	}, nil
}

func (s *Service) describeServerCertificates(r request) (any, *APIError) {
	type resp struct {
		RequestId          string
		ServerCertificates struct{ ServerCertificate []serverCertificateJSON }
	}
	out := resp{RequestId: r.RequestID}
	out.ServerCertificates.ServerCertificate = []serverCertificateJSON{}
	id, rg, tags := r.Get("ServerCertificateId"), r.Get("ResourceGroupId"), repeatedTags(r.Params)
	for _, c := range s.sortedCerts(r.Region) {
		if id != "" && c.id != id || rg != "" && c.resourceGroup != rg || !hasTags(c.tags, tags) {
			continue
		}
		out.ServerCertificates.ServerCertificate = append(out.ServerCertificates.ServerCertificate, c.json())
	}
	return out, nil
}

func hasTags(have, want [][2]string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func (s *Service) deleteServerCertificate(r request) (any, *APIError) {
	c := s.certIn(r.Region, r.Get("ServerCertificateId"))
	if c == nil {
		return nil, errCertNotFound()
	}
	if s.references(c.id) > 0 {
		return nil, errCertRefered()
	}
	delete(s.certs, c.id)
	return requestOnly{r.RequestID}, nil
}

func (s *Service) setServerCertificateName(r request) (any, *APIError) {
	c := s.certIn(r.Region, r.Get("ServerCertificateId"))
	if c == nil {
		return nil, errCertNotFound()
	}
	if e := validName(r.Get("ServerCertificateName")); e != nil {
		return nil, e
	}
	c.name = r.Get("ServerCertificateName")
	return requestOnly{r.RequestID}, nil
}

// --- load balancers and listeners ---------------------------------------------------------

func (s *Service) describeLoadBalancers(r request) (any, *APIError) {
	type lbJSON struct {
		LoadBalancerId, LoadBalancerName, Address, AddressType, AddressIPVersion string
		NetworkType, LoadBalancerStatus, BusinessStatus, RegionId, RegionIdAlias string
		CreateTime                                                               string
		CreateTimeStamp                                                          int64
		PayType, InternetChargeType, LoadBalancerSpec, MasterZoneId, SlaveZoneId string
		ResourceGroupId                                                          string
		Bandwidth                                                                int
	}
	type resp struct {
		RequestId                        string
		PageNumber, PageSize, TotalCount int
		LoadBalancers                    struct{ LoadBalancer []lbJSON }
	}
	page, ok, e := r.intParam("PageNumber")
	if e != nil {
		return nil, e
	}
	if !ok {
		page = 1
	}
	size, ok, e := r.intParam("PageSize")
	if e != nil {
		return nil, e
	}
	if !ok {
		size = 10
	}
	if page < 1 {
		return nil, errInvalidParam("The specified parameter PageNumber is not valid.")
	}
	if size < 1 || size > 100 {
		return nil, errInvalidParam("The specified parameter PageSize is not valid.")
	}
	var ids map[string]bool
	if v := r.Get("LoadBalancerId"); v != "" {
		ids = map[string]bool{}
		for _, id := range strings.Split(v, ",") {
			ids[strings.TrimSpace(id)] = true
		}
	}
	var all []lbJSON
	for _, lb := range s.sortedLBs(r.Region) {
		if ids != nil && !ids[lb.id] ||
			r.Get("LoadBalancerName") != "" && r.Get("LoadBalancerName") != lb.name ||
			r.Get("Address") != "" && r.Get("Address") != lb.address {
			continue
		}
		all = append(all, lbJSON{
			LoadBalancerId: lb.id, LoadBalancerName: lb.name, Address: lb.address, AddressType: "internet",
			AddressIPVersion: "ipv4", NetworkType: "classic", LoadBalancerStatus: "active", BusinessStatus: "Normal",
			RegionId: lb.region, RegionIdAlias: lb.region,
			CreateTime: lb.created.Format("2006-01-02T15:04Z"), CreateTimeStamp: lb.created.UnixMilli(),
			PayType: "PayOnDemand", InternetChargeType: "paybytraffic", LoadBalancerSpec: "slb.s2.small",
			MasterZoneId: lb.region + "-b", SlaveZoneId: lb.region + "-c", ResourceGroupId: defaultResourceGroup, Bandwidth: 5120,
		})
	}
	out := resp{RequestId: r.RequestID, PageNumber: page, PageSize: size, TotalCount: len(all)}
	out.LoadBalancers.LoadBalancer = []lbJSON{}
	if start := (page - 1) * size; start < len(all) {
		out.LoadBalancers.LoadBalancer = all[start:min(start+size, len(all))]
	}
	return out, nil
}

// describeLoadBalancerAttribute answers DescribeLoadBalancerAttribute with the fields the v1 SDK's
// DescribeLoadBalancerAttributeResponse and the API reference list (docs mirror
// github.com/AlibabaCloudDocs/slb, DescribeLoadBalancerAttribute.md): the instance, its listener
// ports and their protocols (in both historic spellings, ListenerPortsAndProtocal and
// ListenerPortsAndProtocol) and its backend servers (none are emulated).
func (s *Service) describeLoadBalancerAttribute(r request) (any, *APIError) {
	type portProtocal struct {
		ListenerPort     int
		ListenerProtocal string
	}
	type portProtocol struct {
		ListenerPort     int
		ListenerProtocol string
		ListenerForward  string
		Description      string
		ForwardPort      int
	}
	type resp struct {
		RequestId, LoadBalancerId, LoadBalancerName, Address, AddressType, AddressIPVersion string
		NetworkType, LoadBalancerStatus, BusinessStatus, RegionId, RegionIdAlias            string
		CreateTime                                                                          string
		CreateTimeStamp                                                                     int64
		PayType, InternetChargeType, LoadBalancerSpec, MasterZoneId, SlaveZoneId            string
		ResourceGroupId, DeleteProtection, ModificationProtectionStatus                     string
		Bandwidth                                                                           int
		ListenerPorts                                                                       struct{ ListenerPort []int }
		ListenerPortsAndProtocal                                                            struct{ ListenerPortAndProtocal []portProtocal }
		ListenerPortsAndProtocol                                                            struct{ ListenerPortAndProtocol []portProtocol }
		BackendServers                                                                      struct{ BackendServer []struct{} }
		Tags                                                                                tagsJSON
	}
	lb := s.lbIn(r.Region, r.Get("LoadBalancerId"))
	if lb == nil {
		return nil, errLBNotFound()
	}
	out := resp{
		RequestId: r.RequestID, LoadBalancerId: lb.id, LoadBalancerName: lb.name, Address: lb.address,
		AddressType: "internet", AddressIPVersion: "ipv4", NetworkType: "classic", LoadBalancerStatus: "active",
		BusinessStatus: "Normal", RegionId: lb.region, RegionIdAlias: lb.region,
		CreateTime: lb.created.Format("2006-01-02T15:04Z"), CreateTimeStamp: lb.created.UnixMilli(),
		PayType: "PayOnDemand", InternetChargeType: "paybytraffic", LoadBalancerSpec: "slb.s2.small",
		MasterZoneId: lb.region + "-b", SlaveZoneId: lb.region + "-c", ResourceGroupId: defaultResourceGroup,
		DeleteProtection: "off", ModificationProtectionStatus: "NonProtection", Bandwidth: 5120,
	}
	out.ListenerPorts.ListenerPort = []int{}
	out.ListenerPortsAndProtocal.ListenerPortAndProtocal = []portProtocal{}
	out.ListenerPortsAndProtocol.ListenerPortAndProtocol = []portProtocol{}
	out.BackendServers.BackendServer = []struct{}{}
	out.Tags.Tag = []tagJSON{}
	for _, p := range sortedPorts(lb) {
		l := lb.listeners[p]
		out.ListenerPorts.ListenerPort = append(out.ListenerPorts.ListenerPort, p)
		out.ListenerPortsAndProtocal.ListenerPortAndProtocal = append(out.ListenerPortsAndProtocal.ListenerPortAndProtocal,
			portProtocal{ListenerPort: p, ListenerProtocal: l.protocol})
		out.ListenerPortsAndProtocol.ListenerPortAndProtocol = append(out.ListenerPortsAndProtocol.ListenerPortAndProtocol,
			portProtocol{ListenerPort: p, ListenerProtocol: l.protocol, Description: l.description})
	}
	return out, nil
}

// httpsConfigJSON is HTTPSListenerConfig in DescribeLoadBalancerListeners; its ServerCertificates
// is a plain array, unlike the other SLB responses.
type httpsConfigJSON struct {
	ServerCertificateId string
	CACertificateId     string
	EnableHttp2         string
	TLSCipherPolicy     string
	StickySession       string
	HealthCheck         string
	XForwardedFor       string
	Gzip                string
	IdleTimeout         int
	RequestTimeout      int
	ServerCertificates  []listenerCertJSON
}

type httpConfigJSON struct {
	StickySession, HealthCheck, XForwardedFor, Gzip string
	IdleTimeout, RequestTimeout                     int
}

type listenerJSON struct {
	LoadBalancerId      string
	ListenerPort        int
	ListenerProtocol    string
	Status              string
	Scheduler           string
	Bandwidth           int
	BackendServerPort   int
	Description         string
	AclIds              []string
	HTTPSListenerConfig *httpsConfigJSON `json:",omitempty"`
	HTTPListenerConfig  *httpConfigJSON  `json:",omitempty"`
}

// nextToken encodes a listing offset as an opaque token.
func nextToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("fakecloud-listeners:" + strconv.Itoa(offset)))
}

func parseNextToken(t string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return 0, false
	}
	v, ok := strings.CutPrefix(string(b), "fakecloud-listeners:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}

func (s *Service) describeLoadBalancerListeners(r request) (any, *APIError) {
	type resp struct {
		RequestId  string
		NextToken  string
		TotalCount int
		MaxResults int
		Listeners  []listenerJSON
	}
	maxResults, ok, e := r.intParam("MaxResults")
	if e != nil {
		return nil, e
	}
	if !ok {
		maxResults = 20
	}
	if maxResults < 1 || maxResults > 100 {
		return nil, errInvalidParam("The specified parameter MaxResults is not valid.")
	}
	offset := 0
	if t := r.Get("NextToken"); t != "" {
		if offset, ok = parseNextToken(t); !ok {
			return nil, errInvalidParam("The specified parameter NextToken is not valid.")
		}
	}
	var ids map[string]bool
	for i := 1; ; i++ {
		id, ok := r.Params[fmt.Sprintf("LoadBalancerId.%d", i)]
		if !ok {
			break
		}
		if ids == nil {
			ids = map[string]bool{}
		}
		ids[id] = true
	}
	proto := strings.ToLower(r.Get("ListenerProtocol"))
	if proto != "" && !slices.Contains([]string{"http", "https", "tcp", "udp"}, proto) {
		return nil, errInvalidParam("The specified parameter ListenerProtocol is not valid.")
	}
	port, portSet, e := r.intParam("ListenerPort")
	if e != nil {
		return nil, e
	}

	var all []listenerJSON
	for _, lb := range s.sortedLBs(r.Region) {
		if ids != nil && !ids[lb.id] {
			continue
		}
		for _, p := range sortedPorts(lb) {
			l := lb.listeners[p]
			if proto != "" && l.protocol != proto || portSet && p != port {
				continue
			}
			j := listenerJSON{
				LoadBalancerId: lb.id, ListenerPort: p, ListenerProtocol: l.protocol, Status: "running",
				Scheduler: "wrr", Bandwidth: l.bandwidth, BackendServerPort: l.backendPort,
				Description: l.description, AclIds: []string{},
			}
			switch l.protocol {
			case "https":
				j.HTTPSListenerConfig = &httpsConfigJSON{
					ServerCertificateId: l.certID, EnableHttp2: l.enableHTTP2, TLSCipherPolicy: l.tlsCipherPolicy,
					StickySession: "off", HealthCheck: "on", XForwardedFor: "on", Gzip: "on", IdleTimeout: 15, RequestTimeout: 60,
					ServerCertificates: s.listenerCerts(r.Region, l.certID),
				}
			case "http":
				j.HTTPListenerConfig = &httpConfigJSON{StickySession: "off", HealthCheck: "on", XForwardedFor: "on", Gzip: "on", IdleTimeout: 15, RequestTimeout: 60}
			}
			all = append(all, j)
		}
	}
	out := resp{RequestId: r.RequestID, TotalCount: len(all), MaxResults: maxResults, Listeners: []listenerJSON{}}
	if offset < len(all) {
		end := min(offset+maxResults, len(all))
		out.Listeners = all[offset:end]
		if end < len(all) {
			out.NextToken = nextToken(end)
		}
	}
	return out, nil
}

func (s *Service) describeHTTPSListener(r request) (any, *APIError) {
	type resp struct {
		RequestId           string
		LoadBalancerId      string
		ListenerPort        int
		BackendServerPort   int
		Bandwidth           int
		Status              string
		Scheduler           string
		Description         string
		ServerCertificateId string
		CACertificateId     string
		EnableHttp2         string
		TLSCipherPolicy     string
		StickySession       string
		HealthCheck         string
		XForwardedFor       string
		Gzip                string
		IdleTimeout         int
		RequestTimeout      int
		DomainExtensions    struct{ DomainExtension []domainExtensionJSON }
		ServerCertificates  struct{ ServerCertificate []listenerCertJSON }
	}
	port, e := r.port()
	if e != nil {
		return nil, e
	}
	lb, l, e := s.httpsListener(r.Region, r.Get("LoadBalancerId"), port)
	if e != nil {
		return nil, e
	}
	out := resp{
		RequestId: r.RequestID, LoadBalancerId: lb.id, ListenerPort: port, BackendServerPort: l.backendPort,
		Bandwidth: l.bandwidth, Status: "running", Scheduler: "wrr", Description: l.description,
		ServerCertificateId: l.certID, EnableHttp2: l.enableHTTP2, TLSCipherPolicy: l.tlsCipherPolicy,
		StickySession: "off", HealthCheck: "on", XForwardedFor: "on", Gzip: "on", IdleTimeout: 15, RequestTimeout: 60,
	}
	out.DomainExtensions.DomainExtension = []domainExtensionJSON{}
	for _, x := range s.extsOf(lb.id, port) {
		out.DomainExtensions.DomainExtension = append(out.DomainExtensions.DomainExtension, s.extJSON(r.Region, x))
	}
	out.ServerCertificates.ServerCertificate = s.listenerCerts(r.Region, l.certID)
	return out, nil
}

func (s *Service) setHTTPSListener(r request) (any, *APIError) {
	port, e := r.port()
	if e != nil {
		return nil, e
	}
	lb, l, e := s.httpsListener(r.Region, r.Get("LoadBalancerId"), port)
	if e != nil {
		return nil, e
	}
	if e := s.lbBusy(lb.id, writeListener, listenerPart(port)); e != nil {
		return nil, e
	}
	if _, dual := r.Params["ServerCertificate.1.CertificateId"]; dual {
		return nil, errInvalidParam("The specified parameter ServerCertificate is not Support. (fakecloud: the dual-certificate form is not emulated; use ServerCertificateId)")
	}
	certID := r.Get("ServerCertificateId")
	if certID != "" && s.certIn(r.Region, certID) == nil {
		return nil, errCertNotFound()
	}
	bw, bwSet, e := r.intParam("Bandwidth")
	if e != nil {
		return nil, e
	}
	if bwSet && bw != -1 && (bw < 1 || bw > 5120) {
		return nil, errInvalidParam("The specified bandwidth is not valid.")
	}
	for _, onOff := range []string{"EnableHttp2", "StickySession", "HealthCheck", "XForwardedFor", "Gzip"} {
		if v := r.Get(onOff); v != "" && v != "on" && v != "off" {
			return nil, errInvalidParam("The specified parameter " + onOff + " is not valid.")
		}
	}
	// Validation done: apply everything at once.
	if certID != "" {
		l.certID = certID
	}
	if bwSet {
		l.bandwidth = bw
	}
	if v := r.Get("EnableHttp2"); v != "" {
		l.enableHTTP2 = v
	}
	if v := r.Get("TLSCipherPolicy"); v != "" {
		l.tlsCipherPolicy = v
	}
	if v, ok := r.Params["Description"]; ok {
		l.description = v
	}
	s.lbWritten(lb.id, listenerPart(port))
	return requestOnly{r.RequestID}, nil
}

// --- domain extensions ----------------------------------------------------------------------

func (s *Service) describeDomainExtensions(r request) (any, *APIError) {
	type resp struct {
		RequestId        string
		DomainExtensions struct{ DomainExtension []domainExtensionJSON }
	}
	port, e := r.port()
	if e != nil {
		return nil, e
	}
	lb, _, e := s.httpsListener(r.Region, r.Get("LoadBalancerId"), port)
	if e != nil {
		return nil, e
	}
	out := resp{RequestId: r.RequestID}
	out.DomainExtensions.DomainExtension = []domainExtensionJSON{}
	for _, x := range s.extsOf(lb.id, port) {
		if id := r.Get("DomainExtensionId"); id != "" && id != x.id {
			continue
		}
		out.DomainExtensions.DomainExtension = append(out.DomainExtensions.DomainExtension, s.extJSON(r.Region, x))
	}
	return out, nil
}

func (s *Service) describeDomainExtensionAttribute(r request) (any, *APIError) {
	type resp struct {
		RequestId           string
		DomainExtensionId   string
		Domain              string
		LoadBalancerId      string
		ListenerPort        int
		ServerCertificateId string
		Certificates        struct{ Certificate []certificateJSON }
		ServerCertificates  struct{ ServerCertificate []listenerCertJSON }
	}
	x := s.extIn(r.Region, r.Get("DomainExtensionId"))
	if x == nil {
		return nil, errExtNotFound()
	}
	j := s.extJSON(r.Region, x)
	out := resp{RequestId: r.RequestID, DomainExtensionId: x.id, Domain: x.domain, LoadBalancerId: x.lbID,
		ListenerPort: x.port, ServerCertificateId: x.certID}
	out.Certificates.Certificate = j.Certificates.Certificate
	out.ServerCertificates.ServerCertificate = j.ServerCertificates.ServerCertificate
	return out, nil
}

func (s *Service) setDomainExtensionAttribute(r request) (any, *APIError) {
	x := s.extIn(r.Region, r.Get("DomainExtensionId"))
	if x == nil {
		return nil, errExtNotFound()
	}
	if e := s.lbBusy(x.lbID, writeExtension, extPart(x.id)); e != nil {
		return nil, e
	}
	if _, dual := r.Params["ServerCertificate.1.CertificateId"]; dual {
		return nil, errInvalidParam("The specified parameter ServerCertificate is not Support. (fakecloud: the dual-certificate form is not emulated; use ServerCertificateId)")
	}
	certID := r.Get("ServerCertificateId")
	if certID == "" {
		return nil, errCertIDEmpty()
	}
	if s.certIn(r.Region, certID) == nil {
		return nil, errCertNotFound()
	}
	x.certID = certID
	s.lbWritten(x.lbID, extPart(x.id))
	return requestOnly{r.RequestID}, nil
}

func (s *Service) createDomainExtension(r request) (any, *APIError) {
	type resp struct {
		RequestId         string
		DomainExtensionId string
		ListenerPort      int
	}
	port, e := r.port()
	if e != nil {
		return nil, e
	}
	if lb := s.lbIn(r.Region, r.Get("LoadBalancerId")); lb != nil {
		if e := s.lbBusy(lb.id, writeOther, ""); e != nil {
			return nil, e
		}
	}
	x, e := s.createExtLocked(r.Region, r.Get("LoadBalancerId"), port, r.Get("Domain"), r.Get("ServerCertificateId"))
	if e != nil {
		return nil, e
	}
	s.lbWritten(x.lbID, extPart(x.id))
	return resp{RequestId: r.RequestID, DomainExtensionId: x.id, ListenerPort: x.port}, nil
}

func (s *Service) deleteDomainExtension(r request) (any, *APIError) {
	x := s.extIn(r.Region, r.Get("DomainExtensionId"))
	if x == nil {
		return nil, errExtNotFound()
	}
	if e := s.lbBusy(x.lbID, writeOther, ""); e != nil {
		return nil, e
	}
	delete(s.exts, x.id)
	s.lbWritten(x.lbID, extPart(x.id))
	return requestOnly{r.RequestID}, nil
}

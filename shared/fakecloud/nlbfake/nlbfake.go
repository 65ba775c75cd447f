// Package nlbfake emulates the Alibaba Cloud NLB 2022-04-30 RPC API calls that rotate a TCPSSL
// listener's certificates, for the real SDK client (services/nlb), behind the POP gateway. Its
// write and certificate-list actions take their parameters in a form-encoded body, as the SDK
// sends them (position:"Body" in services/nlb/update_listener_attribute.go and siblings).
package nlbfake

import (
	"net/http"
	"slices"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// Version is the NLB API version this package answers.
const Version = "2022-04-30"

// APIError is an error in the POP gateway's shape.
type APIError = popgateway.APIError

// Service is the emulated NLB. It is an http.Handler and safe for concurrent use.
type Service struct {
	*lbcerts.Service // ServeHTTP, Store, SetJobWindow
	now              func() time.Time
}

var _ http.Handler = (*Service)(nil)

// New returns an empty NLB whose listeners take the CAS certificates known reports.
func New(keys *fakecore.Keyring, log *fakecore.Log, faults *fakecore.Faults, now func() time.Time, known func(casID int64) bool) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{now: now}
	// Only TCPSSL listeners take certificates
	// (https://help.aliyun.com/zh/slb/api-updatelistenerattribute-nlb: CertificateIds "仅 TCPSSL").
	s.Service = lbcerts.NewService(lbcerts.Config{TLS: []string{"TCPSSL"}, Known: known, Jobs: fakecore.NewJobs(""), Now: now}, catalogue,
		func(requestID, job string) any { return jobAnswer{requestID, true, job} })
	body := func(run func(*popgateway.Request) (any, *APIError)) func(*popgateway.Request) (any, *APIError) {
		return func(r *popgateway.Request) (any, *APIError) {
			for k := range r.InQuery {
				if !popgateway.IsCommon(k) {
					// [src: the SDK sends these in the body; guess, stricter: the service reads
					// the body only, so a parameter in the query is not seen]
					return nil, popgateway.InvalidParameter("fakecloud: NLB takes " + k + " in the form body, not in the query.")
				}
			}
			return run(r)
		}
	}
	s.Gateway = popgateway.New(popgateway.Config{
		Service: "nlb", Product: "Nlb", HostID: "nlb.aliyuncs.com", Version: Version, RegionRequired: true, Seed: 20220430,
		Keys: keys, Log: log, Faults: faults, Now: now,
	}, map[string]popgateway.Action{
		"ListListeners":                                  {Run: s.listListeners},
		"GetListenerAttribute":                           {Required: []string{"ListenerId"}, Run: s.getListenerAttribute},
		"GetJobStatus":                                   {Required: []string{"JobId"}, Run: s.getJobStatus},
		"ListListenerCertificates":                       {Required: []string{"ListenerId"}, Run: body(s.listListenerCertificates)},
		"UpdateListenerAttribute":                        {Mutating: true, Required: []string{"ListenerId"}, Run: body(s.updateListenerAttribute)},
		"AssociateAdditionalCertificatesWithListener":    {Mutating: true, Required: []string{"ListenerId"}, Run: body(s.associate)},
		"DisassociateAdditionalCertificatesWithListener": {Mutating: true, Required: []string{"ListenerId"}, Run: body(s.disassociate)},
	})
	return s
}

// Error catalogue. NLB names resources in lower case in its codes (its API reference error
// tables, e.g. ResourceNotFound.listener); statuses are guessed.
var (
	errListenerNotFound = func() *APIError { // [doc: NLB API reference error table]
		return popgateway.NewError(http.StatusNotFound, "ResourceNotFound.listener", "The specified resource listener is not found.")
	}
	// [doc: ALB/NLB listeners refuse writes while configuring, terraform-provider-alicloud retries
	// IncorrectStatus.Listener and ResourceInConfiguring.Listener (#4796, #9021); NLB's own code guessed]
	errBusy = func() *APIError {
		return popgateway.NewError(http.StatusConflict, "IncorrectStatus.listener", "The status of listener is incorrect, the listener is Configuring.")
	}
	errCertNotFound = func() *APIError { // [guess]
		return popgateway.NewError(http.StatusNotFound, "ResourceNotFound.certificate", "The specified resource certificate is not found.")
	}
	errQuota = func() *APIError { // [guess: the ALB quota, 25 per listener]
		return popgateway.NewError(http.StatusBadRequest, "QuotaExceeded.AdditionalCertificatesNum", "The quota of additional certificates of the listener is exceeded.")
	}
	errAlready = func() *APIError { // [guess]
		return popgateway.NewError(http.StatusBadRequest, "ResourceAlreadyAssociated.certificate", "The certificate is already associated with the listener.")
	}
	errNotAssociated = func() *APIError { // [guess]
		return popgateway.NewError(http.StatusBadRequest, "ResourceNotAssociated.certificate", "The certificate is not associated with the listener.")
	}
	errProtocol = func() *APIError { // [doc: CertificateIds applies to TCPSSL listeners only; code guessed]
		return popgateway.NewError(http.StatusBadRequest, "OperationDenied.ListenerProtocolNotSupport", "Only TCPSSL listeners take certificates.")
	}
	errJobNotFound = func() *APIError { // [guess]
		return popgateway.NewError(http.StatusNotFound, "ResourceNotFound.job", "The specified job is not found.")
	}
)

var catalogue = lbcerts.Errors{ListenerNotFound: errListenerNotFound, Busy: errBusy, CertNotFound: errCertNotFound,
	Quota: errQuota, AlreadyAssociated: errAlready, NotAssociated: errNotAssociated, Protocol: errProtocol}

// --- answers: field names of the SDK structs in services/nlb -------------------------------

type listenerJSON struct {
	LoadBalancerId   string
	ListenerId       string
	ListenerProtocol string
	ListenerPort     int
	ListenerStatus   string
	RegionId         string
	CertificateIds   []string
}

type certJSON struct {
	CertificateId   string
	IsDefault       bool
	Status          string
	CertificateType string
}

func defaults(l lbcerts.View) []string {
	if l.Default == "" {
		return []string{}
	}
	return []string{l.Default}
}

func (s *Service) listListeners(r *popgateway.Request) (any, *APIError) {
	offset, size, e := lbcerts.Page(r)
	if e != nil {
		return nil, e
	}
	var all []listenerJSON
	for _, l := range s.Store().List(r.Region, r.Repeated("LoadBalancerIds", ""), r.Repeated("ListenerIds", ""), r.Get("ListenerProtocol")) {
		all = append(all, listenerJSON{LoadBalancerId: l.LoadBalancerID, ListenerId: l.ID, ListenerProtocol: l.Protocol,
			ListenerPort: l.Port, ListenerStatus: l.Status, RegionId: l.Region, CertificateIds: defaults(l)})
	}
	items, next := lbcerts.Window(all, offset, size)
	return struct {
		RequestId  string
		Success    bool
		TotalCount int
		NextToken  string
		MaxResults int
		Listeners  []listenerJSON
	}{r.RequestID, true, len(all), next, size, items}, nil
}

func (s *Service) getListenerAttribute(r *popgateway.Request) (any, *APIError) {
	l, err := s.Store().Get(r.Region, r.Get("ListenerId"))
	if err != nil {
		return nil, catalogue.Answer(err)
	}
	return struct {
		RequestId        string
		Success          bool
		RegionId         string
		LoadBalancerId   string
		ListenerId       string
		ListenerProtocol string
		ListenerPort     int
		ListenerStatus   string
		CertificateIds   []string
	}{r.RequestID, true, l.Region, l.LoadBalancerID, l.ID, l.Protocol, l.Port, l.Status, defaults(l)}, nil
}

// listListenerCertificates answers the server certificates of a listener with their status
// (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-listlistenercertificates).
func (s *Service) listListenerCertificates(r *popgateway.Request) (any, *APIError) {
	typ := r.Get("CertType")
	if typ != "" && typ != "Server" && typ != "Ca" {
		return nil, popgateway.InvalidParameter("The specified parameter CertType is not valid.")
	}
	offset, size, e := lbcerts.Page(r)
	if e != nil {
		return nil, e
	}
	l, err := s.Store().Get(r.Region, r.Get("ListenerId"))
	if err != nil {
		return nil, catalogue.Answer(err)
	}
	var all []certJSON
	if typ != "Ca" {
		if l.Default != "" {
			all = append(all, certJSON{CertificateId: l.Default, IsDefault: true, Status: lbcerts.Associated, CertificateType: "Server"})
		}
		for _, a := range l.Additional {
			all = append(all, certJSON{CertificateId: a.ID, Status: a.Status, CertificateType: "Server"})
		}
	}
	items, next := lbcerts.Window(all, offset, size)
	ids := []string{}
	for _, c := range items {
		ids = append(ids, c.CertificateId)
	}
	return struct {
		RequestId      string
		Success        bool
		TotalCount     int
		NextToken      string
		MaxResults     int
		CertificateIds []string
		Certificates   []certJSON
	}{r.RequestID, true, len(all), next, size, ids, items}, nil
}

// getJobStatus answers Processing until the job is done, then Succeeded
// (https://alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-getjobstatus).
func (s *Service) getJobStatus(r *popgateway.Request) (any, *APIError) {
	j, ok := s.Store().Job(r.Get("JobId"))
	if !ok {
		return nil, errJobNotFound()
	}
	st := "Processing"
	if j.Done {
		st = "Succeeded"
	}
	return struct {
		RequestId string
		Success   bool
		Status    string
	}{r.RequestID, true, st}, nil
}

type jobAnswer struct {
	RequestId string
	Success   bool
	JobId     string
}

// updateListenerAttribute replaces the default certificate: "目前仅支持添加 1 个服务器证书"
// (https://help.aliyun.com/zh/slb/api-updatelistenerattribute-nlb). Other attributes are not
// modelled and refused. [guess, stricter]
func (s *Service) updateListenerAttribute(r *popgateway.Request) (any, *APIError) {
	for k := range r.Params {
		if _, _, isCert := cut(k, "CertificateIds."); isCert || slices.Contains([]string{"ListenerId", "ClientToken", "DryRun"}, k) || popgateway.IsCommon(k) {
			continue
		}
		return nil, popgateway.InvalidParameter("fakecloud: UpdateListenerAttribute models certificates only, not " + k + ".")
	}
	ids := r.Repeated("CertificateIds", "")
	if len(ids) != 1 || ids[0] == "" {
		return nil, popgateway.InvalidParameter("The specified parameter CertificateIds is not valid: exactly one server certificate.")
	}
	return s.Service.SetDefault(r, "UpdateListenerAttribute", ids[0])
}

func cut(s, prefix string) (string, string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return prefix, s[len(prefix):], true
	}
	return "", "", false
}

func additional(r *popgateway.Request) ([]string, *APIError) {
	ids := r.Repeated("AdditionalCertificateIds", "")
	if len(ids) == 0 || slices.Contains(ids, "") {
		return nil, popgateway.Missing("AdditionalCertificateIds")
	}
	return ids, nil
}

func (s *Service) associate(r *popgateway.Request) (any, *APIError) {
	ids, e := additional(r)
	if e != nil {
		return nil, e
	}
	return s.Service.Associate(r, "AssociateAdditionalCertificatesWithListener", ids)
}

func (s *Service) disassociate(r *popgateway.Request) (any, *APIError) {
	ids, e := additional(r)
	if e != nil {
		return nil, e
	}
	return s.Service.Dissociate(r, "DisassociateAdditionalCertificatesWithListener", ids)
}

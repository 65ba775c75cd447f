// Package albfake emulates the Alibaba Cloud ALB 2020-06-16 RPC API calls that rotate a
// listener's certificates, for the real SDK client (services/alb), behind the POP gateway.
// Listener certificates come from CAS by id "<CertId>-<cas region>" (package lbcerts); writes
// are asynchronous jobs (fakecore.Jobs) that ListAsynJobs reports.
package albfake

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// Version is the ALB API version this package answers.
const Version = "2020-06-16"

// APIError is an error in the POP gateway's shape.
type APIError = popgateway.APIError

// Service is the emulated ALB. It is an http.Handler and safe for concurrent use.
type Service struct {
	*lbcerts.Service // ServeHTTP, Store, SetJobWindow
	now              func() time.Time
}

var _ http.Handler = (*Service)(nil)

// New returns an empty ALB whose listeners take the CAS certificates known reports.
func New(keys *fakecore.Keyring, log *fakecore.Log, faults *fakecore.Faults, now func() time.Time, known func(casID int64) bool) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{now: now}
	// ALB listeners that terminate TLS: HTTPS and QUIC
	// (https://www.alibabacloud.com/help/en/slb/application-load-balancer/developer-reference/api-alb-2020-06-16-updatelistenerattribute).
	s.Service = lbcerts.NewService(lbcerts.Config{TLS: []string{"HTTPS", "QUIC"}, Known: known, Jobs: fakecore.NewJobs(""), Now: now}, catalogue,
		func(requestID, job string) any { return jobAnswer{job, requestID} })
	s.Gateway = popgateway.New(popgateway.Config{
		Service: "alb", Product: "Alb", HostID: "alb.aliyuncs.com", Version: Version, RegionRequired: true, Seed: 20200616,
		Keys: keys, Log: log, Faults: faults, Now: now,
	}, map[string]popgateway.Action{
		"ListListeners":                                {Run: s.listListeners},
		"GetListenerAttribute":                         {Required: []string{"ListenerId"}, Run: s.getListenerAttribute},
		"ListListenerCertificates":                     {Required: []string{"ListenerId"}, Run: s.listListenerCertificates},
		"ListAsynJobs":                                 {Run: s.listAsynJobs},
		"UpdateListenerAttribute":                      {Mutating: true, Required: []string{"ListenerId"}, Run: s.updateListenerAttribute},
		"AssociateAdditionalCertificatesWithListener":  {Mutating: true, Required: []string{"ListenerId"}, Run: s.associate},
		"DissociateAdditionalCertificatesFromListener": {Mutating: true, Required: []string{"ListenerId"}, Run: s.dissociate},
	})
	return s
}

// Error catalogue. [doc] a vendor, terraform or issue source; [guess] our choice, the stricter one.
var (
	// [doc: terraform-provider-alicloud alicloud/service_alicloud_alb.go treats ResourceNotFound.Listener
	// as a deleted listener; status guessed]
	errListenerNotFound = func() *APIError {
		return popgateway.NewError(http.StatusNotFound, "ResourceNotFound.Listener", "The specified resource Listener is not found.")
	}
	// [doc: terraform-provider-alicloud retries IncorrectStatus.Listener after certificate writes
	// (aliyun/terraform-provider-alicloud#4796, #9021); status guessed]
	errBusy = func() *APIError {
		return popgateway.NewError(http.StatusConflict, "IncorrectStatus.Listener", "The status of Listener is incorrect, the listener is Configuring.")
	}
	errCertNotFound = func() *APIError { // [guess: refusing an unknown or region-less id, certimate-go/certimate#1283]
		return popgateway.NewError(http.StatusNotFound, "ResourceNotFound.Certificate", "The specified resource Certificate is not found.")
	}
	errQuota = func() *APIError { // [doc: 25 additional certificates, help.aliyun.com/document_detail/472245.html; code guessed]
		return popgateway.NewError(http.StatusBadRequest, "QuotaExceeded.ListenerAdditionalCertificatesNum", "The quota of additional certificates of the listener is exceeded.")
	}
	errAlready = func() *APIError { // [guess]
		return popgateway.NewError(http.StatusBadRequest, "ResourceAlreadyAssociated.Certificate", "The certificate is already associated with the listener.")
	}
	errNotAssociated = func() *APIError { // [guess]
		return popgateway.NewError(http.StatusBadRequest, "ResourceNotAssociated.Certificate", "The certificate is not associated with the listener.")
	}
	errProtocol = func() *APIError { // [guess]
		return popgateway.NewError(http.StatusBadRequest, "OperationDenied.ListenerProtocolNotSupport", "Only HTTPS and QUIC listeners take certificates.")
	}
)

var catalogue = lbcerts.Errors{ListenerNotFound: errListenerNotFound, Busy: errBusy, CertNotFound: errCertNotFound,
	Quota: errQuota, AlreadyAssociated: errAlready, NotAssociated: errNotAssociated, Protocol: errProtocol}

// --- answers: field names of the SDK structs in services/alb -------------------------------

type certJSON struct {
	IsDefault     bool
	CertificateId string
	Status        string
}

type certModelJSON struct {
	CertificateId   string
	IsDefault       bool
	Status          string
	CertificateType string
}

type listenerJSON struct {
	ListenerId       string
	ListenerPort     int
	ListenerProtocol string
	ListenerStatus   string
	LoadBalancerId   string
}

type jobJSON struct {
	ApiName      string
	CreateTime   int64
	ErrorCode    string
	ErrorMessage string
	Id           string
	ModifyTime   int64
	OperateType  string
	ResourceId   string
	ResourceType string
	Status       string
}

func (s *Service) listListeners(r *popgateway.Request) (any, *APIError) {
	offset, size, e := lbcerts.Page(r)
	if e != nil {
		return nil, e
	}
	var all []listenerJSON
	for _, l := range s.Store().List(r.Region, r.Repeated("LoadBalancerIds", ""), r.Repeated("ListenerIds", ""), r.Get("ListenerProtocol")) {
		all = append(all, listenerJSON{ListenerId: l.ID, ListenerPort: l.Port, ListenerProtocol: l.Protocol, ListenerStatus: l.Status, LoadBalancerId: l.LoadBalancerID})
	}
	items, next := lbcerts.Window(all, offset, size)
	return struct {
		MaxResults int
		NextToken  string
		RequestId  string
		TotalCount int
		Listeners  []listenerJSON
	}{size, next, r.RequestID, len(all), items}, nil
}

// getListenerAttribute answers the listener with its status and its default certificate.
func (s *Service) getListenerAttribute(r *popgateway.Request) (any, *APIError) {
	l, err := s.Store().Get(r.Region, r.Get("ListenerId"))
	if err != nil {
		return nil, catalogue.Answer(err)
	}
	certsOut := []certJSON{}
	if l.Default != "" {
		certsOut = append(certsOut, certJSON{IsDefault: true, CertificateId: l.Default, Status: lbcerts.Associated})
	}
	return struct {
		ListenerId       string
		ListenerPort     int
		ListenerProtocol string
		ListenerStatus   string
		LoadBalancerId   string
		RequestId        string
		Certificates     []certJSON
	}{l.ID, l.Port, l.Protocol, l.Status, l.LoadBalancerID, r.RequestID, certsOut}, nil
}

// listListenerCertificates answers the default and additional server certificates of a
// listener (https://help.aliyun.com/document_detail/214354.html): CertificateType Server or Ca
// (no CA certificates here), CertificateIds filters.
func (s *Service) listListenerCertificates(r *popgateway.Request) (any, *APIError) {
	typ := r.Get("CertificateType")
	if typ != "" && typ != "Server" && typ != "Ca" {
		return nil, popgateway.InvalidParameter("The specified parameter CertificateType is not valid.")
	}
	offset, size, e := lbcerts.Page(r)
	if e != nil {
		return nil, e
	}
	l, err := s.Store().Get(r.Region, r.Get("ListenerId"))
	if err != nil {
		return nil, catalogue.Answer(err)
	}
	filter := r.Repeated("CertificateIds", "")
	var all []certModelJSON
	if typ != "Ca" {
		if l.Default != "" {
			all = append(all, certModelJSON{CertificateId: l.Default, IsDefault: true, Status: lbcerts.Associated, CertificateType: "Server"})
		}
		for _, a := range l.Additional {
			all = append(all, certModelJSON{CertificateId: a.ID, Status: a.Status, CertificateType: "Server"})
		}
	}
	if len(filter) > 0 {
		all = slices.DeleteFunc(all, func(c certModelJSON) bool { return !slices.Contains(filter, c.CertificateId) })
	}
	items, next := lbcerts.Window(all, offset, size)
	return struct {
		MaxResults   int
		NextToken    string
		RequestId    string
		TotalCount   int
		Certificates []certModelJSON
	}{size, next, r.RequestID, len(all), items}, nil
}

// listAsynJobs answers the jobs named by JobIds (or of ResourceIds): Processing until a job is
// done, then Succeeded (https://www.alibabacloud.com/help/en/slb/application-load-balancer/developer-reference/api-alb-2020-06-16-listasynjobs).
func (s *Service) listAsynJobs(r *popgateway.Request) (any, *APIError) {
	ids := r.Repeated("JobIds", "")
	if len(ids) == 0 {
		// [guess, stricter: the emulator keeps no job history beyond what it was asked for by id]
		return nil, popgateway.Missing("JobIds")
	}
	now := s.now()
	out := []jobJSON{}
	for _, id := range ids {
		j, ok := s.Store().Job(id)
		if !ok {
			continue
		}
		st := "Processing"
		if j.Done {
			st = "Succeeded"
		}
		_, res, _ := strings.Cut(j.Resource, "/")
		out = append(out, jobJSON{ApiName: j.API, CreateTime: j.Created.UnixMilli(), Id: j.ID, ModifyTime: now.UnixMilli(),
			OperateType: "Update", ResourceId: res, ResourceType: "listener", Status: st})
	}
	return struct {
		MaxResults int64
		NextToken  string
		RequestId  string
		TotalCount int64
		Jobs       []jobJSON
	}{int64(len(out)), "", r.RequestID, int64(len(out)), out}, nil
}

type jobAnswer struct {
	JobId     string
	RequestId string
}

// updateListenerAttribute replaces the default certificate: Certificates holds exactly one
// (https://www.alibabacloud.com/help/en/doc-detail/214356.html). Other attributes are not modelled
// and refused. [guess, stricter]
func (s *Service) updateListenerAttribute(r *popgateway.Request) (any, *APIError) {
	for k := range r.Params {
		if strings.HasPrefix(k, "Certificates.") || slices.Contains([]string{"ListenerId", "ClientToken", "DryRun", "RegionId"}, k) || popgateway.IsCommon(k) {
			continue
		}
		return nil, popgateway.InvalidParameter("fakecloud: UpdateListenerAttribute models certificates only, not " + k + ".")
	}
	ids := r.Repeated("Certificates", "CertificateId")
	if len(ids) != 1 || ids[0] == "" {
		return nil, popgateway.InvalidParameter("The specified parameter Certificates is not valid: exactly one default certificate.")
	}
	return s.Service.SetDefault(r, "UpdateListenerAttribute", ids[0])
}

func certificatesParam(r *popgateway.Request) ([]string, *APIError) {
	ids := r.Repeated("Certificates", "CertificateId")
	if len(ids) == 0 || slices.Contains(ids, "") {
		return nil, popgateway.Missing("Certificates")
	}
	return ids, nil
}

func (s *Service) associate(r *popgateway.Request) (any, *APIError) {
	ids, e := certificatesParam(r)
	if e != nil {
		return nil, e
	}
	return s.Service.Associate(r, "AssociateAdditionalCertificatesWithListener", ids)
}

func (s *Service) dissociate(r *popgateway.Request) (any, *APIError) {
	ids, e := certificatesParam(r)
	if e != nil {
		return nil, e
	}
	return s.Service.Dissociate(r, "DissociateAdditionalCertificatesFromListener", ids)
}

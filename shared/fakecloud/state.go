package fakecloud

import (
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
)

// State is a JSON-able snapshot of the emulated SLB: per region, load balancers with their
// listeners and SNI domain extensions, and every server certificate with how many bind it;
// of the certificates stored in CAS; and of the emulated Huawei ELB, per project.
type State struct {
	Regions         []RegionState         `json:"regions"`
	CASCertificates []CASCertificateState `json:"cas_certificates,omitempty"`
	HuaweiProjects  []HuaweiProjectState  `json:"huawei_projects,omitempty"`
	ALBListeners    []LBListenerState     `json:"alb_listeners,omitempty"`
	NLBListeners    []LBListenerState     `json:"nlb_listeners,omitempty"`
}

// HuaweiProjectState is one project of the emulated Huawei ELB.
type HuaweiProjectState struct {
	Project       string                    `json:"project"`
	LoadBalancers []HuaweiLoadBalancerState `json:"load_balancers"`
	Certificates  []HuaweiCertificateState  `json:"certificates"`
}

// HuaweiLoadBalancerState is one ELB load balancer with its listeners.
type HuaweiLoadBalancerState struct {
	ID        string                `json:"id"`
	Name      string                `json:"name,omitempty"`
	Listeners []HuaweiListenerState `json:"listeners"`
}

// HuaweiListenerState is one ELB listener; Certificate and SNICertificates are set for HTTPS ones.
type HuaweiListenerState struct {
	ID              string           `json:"id"`
	Name            string           `json:"name,omitempty"`
	Port            int              `json:"port"`
	Protocol        string           `json:"protocol"`
	Certificate     *CertificateRef  `json:"certificate,omitempty"`
	SNICertificates []CertificateRef `json:"sni_certificates,omitempty"`
}

// HuaweiCertificateState is one ELB certificate of a project.
type HuaweiCertificateState struct {
	CertificateRef
	Type    string `json:"type"`
	Domain  string `json:"domain"`
	BoundBy int    `json:"bound_by"` // listener slots (default or SNI) using it
}

// CASCertificateState is one certificate stored in CAS.
type CASCertificateState struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	CommonName  string    `json:"common_name,omitempty"`
	Names       []string  `json:"names"`
	Fingerprint string    `json:"fingerprint"` // SHA-1, upper-case hex as CAS shows it
	ExpireTime  time.Time `json:"expire_time"`
	HasKey      bool      `json:"has_key"`
}

// RegionState is one region of a State.
type RegionState struct {
	Region        string              `json:"region"`
	LoadBalancers []LoadBalancerState `json:"load_balancers"`
	Certificates  []CertificateState  `json:"certificates"`
}

// LoadBalancerState is one load balancer of a State.
type LoadBalancerState struct {
	ID        string          `json:"id"`
	Name      string          `json:"name,omitempty"`
	Address   string          `json:"address"`
	Listeners []ListenerState `json:"listeners"`
}

// ListenerState is one listener; Certificate and Extensions are set for HTTPS listeners.
type ListenerState struct {
	Port        int              `json:"port"`
	Protocol    string           `json:"protocol"`
	Certificate *CertificateRef  `json:"certificate,omitempty"`
	Extensions  []ExtensionState `json:"extensions,omitempty"`
}

// ExtensionState is an SNI domain extension of an HTTPS listener.
type ExtensionState struct {
	ID          string          `json:"id"`
	Domain      string          `json:"domain"`
	Certificate *CertificateRef `json:"certificate,omitempty"`
}

// CertificateRef describes the server certificate bound somewhere.
type CertificateRef struct {
	ID          string    `json:"id"`
	Name        string    `json:"name,omitempty"`
	Fingerprint string    `json:"fingerprint"`
	Names       []string  `json:"names"`
	ExpireTime  time.Time `json:"expire_time"`
}

// CertificateState is one server certificate of a region.
type CertificateState struct {
	CertificateRef
	CommonName string `json:"common_name"`
	BoundBy    int    `json:"bound_by"` // listeners and domain extensions using it
}

// Snapshot returns the current state, taken at one instant.
func (c *Cloud) Snapshot() State {
	st := State{Regions: []RegionState{}}
	for _, region := range c.slb.State() {
		rs := RegionState{Region: region.Region, LoadBalancers: []LoadBalancerState{}, Certificates: []CertificateState{}}
		certs := map[string]CertificateRef{}
		for _, sc := range region.Certificates {
			names := sc.DNSNames
			if len(names) == 0 && sc.CommonName != "" {
				names = []string{sc.CommonName}
			}
			if names == nil {
				names = []string{}
			}
			ref := CertificateRef{ID: sc.ID, Name: sc.Name, Fingerprint: sc.Fingerprint, Names: names, ExpireTime: sc.ExpireTime}
			certs[sc.ID] = ref
			rs.Certificates = append(rs.Certificates, CertificateState{
				CertificateRef: ref, CommonName: sc.CommonName, BoundBy: region.References[sc.ID]})
		}
		refOf := func(id string) *CertificateRef {
			if ref, ok := certs[id]; ok {
				return &ref
			}
			return nil
		}
		for _, lb := range region.LoadBalancers {
			ls := LoadBalancerState{ID: lb.ID, Name: lb.Name, Address: lb.Address, Listeners: []ListenerState{}}
			for _, l := range lb.Listeners {
				lst := ListenerState{Port: l.Port, Protocol: l.Protocol, Certificate: refOf(l.ServerCertificateID)}
				for _, x := range l.DomainExtensions {
					lst.Extensions = append(lst.Extensions, ExtensionState{ID: x.ID, Domain: x.Domain, Certificate: refOf(x.ServerCertificateID)})
				}
				ls.Listeners = append(ls.Listeners, lst)
			}
			rs.LoadBalancers = append(rs.LoadBalancers, ls)
		}
		st.Regions = append(st.Regions, rs)
	}
	for _, cc := range c.cas.Certificates() {
		names := cc.SANs
		if names == nil {
			names = []string{}
		}
		st.CASCertificates = append(st.CASCertificates, CASCertificateState{ID: cc.ID, Name: cc.Name,
			CommonName: cc.CommonName, Names: names, Fingerprint: cc.Fingerprint, ExpireTime: cc.NotAfter, HasKey: cc.HasKey})
	}
	for _, p := range c.elb.State() {
		st.HuaweiProjects = append(st.HuaweiProjects, huaweiProjectState(p))
	}
	st.ALBListeners, st.NLBListeners = lbListenerStates(c.alb.Store().Listeners()), lbListenerStates(c.nlb.Store().Listeners())
	return st
}

func huaweiProjectState(p elbfake.Project) HuaweiProjectState {
	ps := HuaweiProjectState{Project: p.ID, LoadBalancers: []HuaweiLoadBalancerState{}, Certificates: []HuaweiCertificateState{}}
	certs := map[string]CertificateRef{}
	for _, hc := range p.Certificates {
		names := hc.SubjectAlternativeNames
		if len(names) == 0 && hc.CommonName != "" {
			names = []string{hc.CommonName}
		}
		if names == nil {
			names = []string{}
		}
		ref := CertificateRef{ID: hc.ID, Name: hc.Name, Fingerprint: hc.Fingerprint, Names: names, ExpireTime: hc.ExpireTime}
		certs[hc.ID] = ref
		ps.Certificates = append(ps.Certificates, HuaweiCertificateState{CertificateRef: ref, Type: hc.Type, Domain: hc.Domain, BoundBy: p.References[hc.ID]})
	}
	lbIndex := map[string]int{}
	for _, lb := range p.LoadBalancers {
		lbIndex[lb.ID] = len(ps.LoadBalancers)
		ps.LoadBalancers = append(ps.LoadBalancers, HuaweiLoadBalancerState{ID: lb.ID, Name: lb.Name, Listeners: []HuaweiListenerState{}})
	}
	for _, l := range p.Listeners {
		ls := HuaweiListenerState{ID: l.ID, Name: l.Name, Port: l.Port, Protocol: l.Protocol}
		if ref, ok := certs[l.DefaultTLSContainerRef]; ok {
			ls.Certificate = &ref
		}
		for _, id := range l.SNIContainerRefs {
			if ref, ok := certs[id]; ok {
				ls.SNICertificates = append(ls.SNICertificates, ref)
			}
		}
		i, ok := lbIndex[l.LoadBalancerID]
		if !ok { // a listener seeded without a known load balancer
			i = len(ps.LoadBalancers)
			lbIndex[l.LoadBalancerID] = i
			ps.LoadBalancers = append(ps.LoadBalancers, HuaweiLoadBalancerState{ID: l.LoadBalancerID, Listeners: []HuaweiListenerState{}})
		}
		ps.LoadBalancers[i].Listeners = append(ps.LoadBalancers[i].Listeners, ls)
	}
	return ps
}

package fakecloud

import (
	"time"
)

// State is a JSON-able snapshot of the emulated SLB: per region, load balancers with their
// listeners and SNI domain extensions, and every server certificate with how many bind it;
// and of the certificates stored in CAS.
type State struct {
	Regions         []RegionState         `json:"regions"`
	CASCertificates []CASCertificateState `json:"cas_certificates,omitempty"`
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
	return st
}

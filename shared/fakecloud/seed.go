package fakecloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// Seed is initial emulator state, JSON-able so `fakecloud serve --seed FILE.json` can load it:
//
//	{"regions":[{"region":"cn-hangzhou",
//	   "certificates":[{"ref":"old","name":"example-old","cert_file":"old/fullchain.pem","key_file":"old/privkey.pem"}],
//	   "load_balancers":[{"id":"lb-web","name":"web","listeners":[
//	     {"port":443,"protocol":"https","certificate":"old","extensions":[{"domain":"api.example.com","certificate":"old"}]},
//	     {"port":80,"protocol":"http"}]}]}],
//	 "cas_certificates":[{"name":"example-cas","cert_file":"new/fullchain.pem","key_file":"new/privkey.pem"}],
//	 "huawei_projects":[{"project":"0a1b2c3d4e5f67890a1b2c3d4e5f6789",
//	   "certificates":[{"ref":"old","name":"example-old","domain":"example.com","cert_file":"old/fullchain.pem","key_file":"old/privkey.pem"}],
//	   "load_balancers":[{"id":"7d3e0c52-1c5b-4e0b-9a57-2f6b1f3c9a01","name":"web","listeners":[
//	     {"id":"…","port":443,"protocol":"TERMINATED_HTTPS","certificate":"old","sni_certificates":["old"]}]}]}],
//	 "buckets":[{"store":"oss","bucket":"certs","objects":[{"key":"site/fullchain.pem","file":"old/fullchain.pem"}]}]}
//
// Relative file paths are resolved against BaseDir (LoadSeedFile sets it to the file's directory).
type Seed struct {
	Regions         []SeedRegion        `json:"regions"`
	CASCertificates []SeedCertificate   `json:"cas_certificates,omitempty"` // by name; ref is not used
	HuaweiProjects  []SeedHuaweiProject `json:"huawei_projects,omitempty"`
	// HuaweiScopedKeys are ELB access keys whose rights are granted per enterprise project.
	HuaweiScopedKeys []SeedHuaweiScopedKey `json:"huawei_scoped_keys,omitempty"`
	Buckets          []SeedBucket          `json:"buckets,omitempty"`
	ALBListeners     []SeedLBListener      `json:"alb_listeners,omitempty"` // certificates: cas_certificates names
	NLBListeners     []SeedLBListener      `json:"nlb_listeners,omitempty"`
	BaseDir          string                `json:"-"`
}

// SeedHuaweiProject is the Huawei ELB state of one project.
type SeedHuaweiProject struct {
	Project       string                   `json:"project"`
	Certificates  []SeedHuaweiCertificate  `json:"certificates,omitempty"`
	LoadBalancers []SeedHuaweiLoadBalancer `json:"load_balancers,omitempty"`
}

// SeedHuaweiCertificate is an ELB server certificate; Domain is needed to serve as an SNI certificate.
type SeedHuaweiCertificate struct {
	SeedCertificate
	Domain              string `json:"domain,omitempty"`                // comma-separated, as the ELB API takes it
	EnterpriseProjectID string `json:"enterprise_project_id,omitempty"` // default "0"
}

// SeedHuaweiScopedKey is an access key whose ELB rights are granted only in EnterpriseProjects:
// it must name one of them on every certificate list and create (elbfake/eps.go).
type SeedHuaweiScopedKey struct {
	AccessKeyID        string   `json:"access_key_id"`
	AccessKeySecret    string   `json:"access_key_secret"`
	EnterpriseProjects []string `json:"enterprise_projects"`
}

// SeedHuaweiLoadBalancer is an ELB load balancer with its listeners; an empty ID is generated.
type SeedHuaweiLoadBalancer struct {
	ID                  string               `json:"id,omitempty"`
	Name                string               `json:"name,omitempty"`
	EnterpriseProjectID string               `json:"enterprise_project_id,omitempty"` // default "0"; its listeners' too
	Listeners           []SeedHuaweiListener `json:"listeners,omitempty"`
}

// SeedHuaweiListener is an ELB listener; HTTPS, TERMINATED_HTTPS, TLS and QUIC ones need Certificate
// (a SeedHuaweiCertificate ref). An empty ID is generated.
type SeedHuaweiListener struct {
	ID              string   `json:"id,omitempty"`
	Name            string   `json:"name,omitempty"`
	Port            int      `json:"port"`
	Protocol        string   `json:"protocol"` // HTTPS, TERMINATED_HTTPS, TLS, QUIC, HTTP, TCP, UDP
	Certificate     string   `json:"certificate,omitempty"`
	SNICertificates []string `json:"sni_certificates,omitempty"`
}

// SeedRegion is the SLB state of one region.
type SeedRegion struct {
	Region        string             `json:"region"`
	Certificates  []SeedCertificate  `json:"certificates,omitempty"`
	LoadBalancers []SeedLoadBalancer `json:"load_balancers,omitempty"`
}

// SeedCertificate is a server certificate, as inline PEM or files. Listeners refer to it by Ref
// (default: Name). It goes through the same validation as UploadServerCertificate (SLB) or
// UploadUserCertificate (CAS).
type SeedCertificate struct {
	Ref      string `json:"ref,omitempty"`
	Name     string `json:"name,omitempty"`
	CertFile string `json:"cert_file,omitempty"` // leaf first, then intermediates
	KeyFile  string `json:"key_file,omitempty"`
	CertPEM  string `json:"cert_pem,omitempty"`
	KeyPEM   string `json:"key_pem,omitempty"`
}

// SeedLoadBalancer is a load balancer with its listeners.
type SeedLoadBalancer struct {
	ID        string         `json:"id"`
	Name      string         `json:"name,omitempty"`
	Listeners []SeedListener `json:"listeners,omitempty"`
}

// SeedListener is a listener; HTTPS listeners need Certificate (a SeedCertificate ref).
type SeedListener struct {
	Port        int             `json:"port"`
	Protocol    string          `json:"protocol"` // http, https, tcp, udp
	Certificate string          `json:"certificate,omitempty"`
	Extensions  []SeedExtension `json:"extensions,omitempty"`
}

// SeedExtension is an SNI domain extension of an HTTPS listener.
type SeedExtension struct {
	Domain      string `json:"domain"`
	Certificate string `json:"certificate"`
}

// SeedBucket is an OSS or S3 bucket, possibly with objects.
type SeedBucket struct {
	Store   string       `json:"store"` // "oss" or "s3"
	Bucket  string       `json:"bucket"`
	Objects []SeedObject `json:"objects,omitempty"`
}

// SeedObject is an object, from a file or inline content.
type SeedObject struct {
	Key     string `json:"key"`
	File    string `json:"file,omitempty"`
	Content string `json:"content,omitempty"`
}

// LoadSeedFile reads a Seed from a JSON file; relative paths in it are resolved against the file's directory.
func LoadSeedFile(path string) (Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("fakecloud: seed: %w", err)
	}
	var s Seed
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Seed{}, fmt.Errorf("fakecloud: seed %s: %w", path, err)
	}
	s.BaseDir = filepath.Dir(path)
	return s, nil
}

func (s Seed) read(file string) ([]byte, error) {
	if !filepath.IsAbs(file) && s.BaseDir != "" {
		file = filepath.Join(s.BaseDir, file)
	}
	return os.ReadFile(file)
}

// onePEMSourceEach reports whether the certificate and the key each come from exactly one of inline PEM or a file.
func (c SeedCertificate) onePEMSourceEach() bool {
	return (c.CertPEM == "") != (c.CertFile == "") && (c.KeyPEM == "") != (c.KeyFile == "")
}

// pems returns a certificate's PEMs, reading files where given.
func (s Seed) pems(c SeedCertificate) (certPEM, keyPEM []byte, err error) {
	certPEM, keyPEM = []byte(c.CertPEM), []byte(c.KeyPEM)
	if c.CertFile != "" {
		if certPEM, err = s.read(c.CertFile); err != nil {
			return nil, nil, err
		}
	}
	if c.KeyFile != "" {
		if keyPEM, err = s.read(c.KeyFile); err != nil {
			return nil, nil, err
		}
	}
	return certPEM, keyPEM, nil
}

// validate reports every structural problem at once, before anything is applied.
func (s Seed) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	lbIDs := map[string]bool{}
	for i, r := range s.Regions {
		where := fmt.Sprintf("regions[%d]", i)
		if r.Region == "" {
			bad("%s: region is required", where)
		}
		refs := map[string]bool{}
		for j, c := range r.Certificates {
			cw := fmt.Sprintf("%s.certificates[%d]", where, j)
			ref := c.Ref
			if ref == "" {
				ref = c.Name
			}
			switch {
			case ref == "":
				bad("%s: ref or name is required", cw)
			case refs[ref]:
				bad("%s: duplicate ref %q", cw, ref)
			}
			refs[ref] = true
			if !c.onePEMSourceEach() {
				bad("%s: give exactly one of cert_pem/cert_file and one of key_pem/key_file", cw)
			}
		}
		for j, lb := range r.LoadBalancers {
			lw := fmt.Sprintf("%s.load_balancers[%d]", where, j)
			if lb.ID == "" {
				bad("%s: id is required", lw)
			} else if lbIDs[lb.ID] {
				bad("%s: duplicate id %q", lw, lb.ID)
			}
			lbIDs[lb.ID] = true
			ports := map[int]bool{}
			for k, l := range lb.Listeners {
				lsw := fmt.Sprintf("%s.listeners[%d]", lw, k)
				if l.Port < 1 || l.Port > 65535 || ports[l.Port] {
					bad("%s: port %d is invalid or repeated", lsw, l.Port)
				}
				ports[l.Port] = true
				switch strings.ToLower(l.Protocol) {
				case "https":
					if !refs[l.Certificate] {
						bad("%s: certificate %q is not a certificate ref of region %s", lsw, l.Certificate, r.Region)
					}
				case "http", "tcp", "udp":
					if l.Certificate != "" || len(l.Extensions) > 0 {
						bad("%s: only https listeners take a certificate or extensions", lsw)
					}
				default:
					bad("%s: protocol %q must be http, https, tcp or udp", lsw, l.Protocol)
				}
				for m, x := range l.Extensions {
					if x.Domain == "" || !refs[x.Certificate] {
						bad("%s.extensions[%d]: domain and a certificate ref of region %s are required", lsw, m, r.Region)
					}
				}
			}
		}
	}
	casNames := map[string]bool{}
	for i, c := range s.CASCertificates {
		if c.Name == "" || casNames[c.Name] {
			bad("cas_certificates[%d]: name is required and unique", i)
		}
		casNames[c.Name] = true
		if !c.onePEMSourceEach() {
			bad("cas_certificates[%d]: give exactly one of cert_pem/cert_file and one of key_pem/key_file", i)
		}
	}
	for i, p := range s.HuaweiProjects {
		where := fmt.Sprintf("huawei_projects[%d]", i)
		if p.Project == "" {
			bad("%s: project is required", where)
		}
		refs, hasDomain := map[string]bool{}, map[string]bool{}
		for j, c := range p.Certificates {
			ref := c.Ref
			if ref == "" {
				ref = c.Name
			}
			if ref == "" || refs[ref] {
				bad("%s.certificates[%d]: ref or name is required and unique", where, j)
			}
			refs[ref], hasDomain[ref] = true, c.Domain != ""
			if !c.onePEMSourceEach() {
				bad("%s.certificates[%d]: give exactly one of cert_pem/cert_file and one of key_pem/key_file", where, j)
			}
		}
		for j, lb := range p.LoadBalancers {
			for k, l := range lb.Listeners {
				lw := fmt.Sprintf("%s.load_balancers[%d].listeners[%d]", where, j, k)
				if l.Port < 1 || l.Port > 65535 {
					bad("%s: port %d is invalid", lw, l.Port)
				}
				switch strings.ToUpper(l.Protocol) {
				case "HTTPS", "TERMINATED_HTTPS", "TLS", "QUIC":
					if !refs[l.Certificate] {
						bad("%s: certificate %q is not a certificate ref of project %s", lw, l.Certificate, p.Project)
					}
					for _, ref := range l.SNICertificates {
						if !hasDomain[ref] {
							bad("%s: SNI certificate %q must be a certificate ref with a domain", lw, ref)
						}
					}
				case "HTTP", "TCP", "UDP":
					if l.Certificate != "" || len(l.SNICertificates) > 0 {
						bad("%s: only HTTPS, TERMINATED_HTTPS, TLS and QUIC listeners take certificates", lw)
					}
				default:
					bad("%s: protocol %q must be HTTPS, TERMINATED_HTTPS, TLS, QUIC, HTTP, TCP or UDP", lw, l.Protocol)
				}
			}
		}
	}
	for i, k := range s.HuaweiScopedKeys {
		if k.AccessKeyID == "" || k.AccessKeySecret == "" || len(k.EnterpriseProjects) == 0 {
			bad("huawei_scoped_keys[%d]: access_key_id, access_key_secret and enterprise_projects are required", i)
		}
	}
	for i, b := range s.Buckets {
		if b.Store != "oss" && b.Store != "s3" || b.Bucket == "" {
			bad("buckets[%d]: store must be oss or s3 and bucket is required", i)
		}
		for j, o := range b.Objects {
			if o.Key == "" || o.File != "" && o.Content != "" {
				bad("buckets[%d].objects[%d]: key is required, and at most one of file/content", i, j)
			}
		}
	}
	return errors.Join(errs...)
}

// Seed adds the state s describes. It checks s first and reports every structural problem at
// once; certificates then go through the same validation as UploadServerCertificate.
func (c *Cloud) Seed(s Seed) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("fakecloud: seed: %w", err)
	}
	for _, r := range s.Regions {
		ids := map[string]string{} // ref → certificate id
		for _, sc := range r.Certificates {
			ref := sc.Ref
			if ref == "" {
				ref = sc.Name
			}
			certPEM, keyPEM, err := s.pems(sc)
			if err != nil {
				return fmt.Errorf("fakecloud: seed: certificate %q: %w", ref, err)
			}
			cert, err := c.slb.AddServerCertificate(r.Region, sc.Name, certPEM, keyPEM)
			if err != nil {
				return fmt.Errorf("fakecloud: seed: certificate %q: %w", ref, err)
			}
			ids[ref] = cert.ID
		}
		for _, lb := range r.LoadBalancers {
			if err := c.slb.AddLoadBalancer(r.Region, lb.ID, lb.Name); err != nil {
				return fmt.Errorf("fakecloud: seed: load balancer %s: %w", lb.ID, err)
			}
			for _, l := range lb.Listeners {
				if err := c.slb.AddListener(lb.ID, l.Port, l.Protocol, ids[l.Certificate]); err != nil {
					return fmt.Errorf("fakecloud: seed: %s:%d: %w", lb.ID, l.Port, err)
				}
				for _, x := range l.Extensions {
					if _, err := c.slb.AddDomainExtension(lb.ID, l.Port, x.Domain, ids[x.Certificate]); err != nil {
						return fmt.Errorf("fakecloud: seed: %s:%d %s: %w", lb.ID, l.Port, x.Domain, err)
					}
				}
			}
		}
	}
	casIDs := map[string]int64{}
	for _, sc := range s.CASCertificates {
		certPEM, keyPEM, err := s.pems(sc)
		if err == nil {
			casIDs[sc.Name], err = c.cas.AddCertificate(sc.Name, certPEM, keyPEM)
		}
		if err != nil {
			return fmt.Errorf("fakecloud: seed: CAS certificate %q: %w", sc.Name, err)
		}
	}
	if err := c.seedLB(s, casIDs); err != nil {
		return fmt.Errorf("fakecloud: seed: %w", err)
	}
	for _, p := range s.HuaweiProjects {
		if err := c.seedHuawei(s, p); err != nil {
			return fmt.Errorf("fakecloud: seed: huawei project %s: %w", p.Project, err)
		}
	}
	for _, k := range s.HuaweiScopedKeys {
		c.keys.Add(fakecore.Credential{AccessKeyID: k.AccessKeyID, AccessKeySecret: k.AccessKeySecret})
		c.elb.ScopeAccessKey(k.AccessKeyID, k.EnterpriseProjects...)
	}
	for _, b := range s.Buckets {
		c.objects.CreateBucket(b.Store, b.Bucket)
		for _, o := range b.Objects {
			body := []byte(o.Content)
			if o.File != "" {
				var err error
				if body, err = s.read(o.File); err != nil {
					return fmt.Errorf("fakecloud: seed: object %s/%s: %w", b.Bucket, o.Key, err)
				}
			}
			c.objects.Put(b.Store, b.Bucket, o.Key, body)
		}
	}
	return nil
}

// seedHuawei adds one Huawei project; certificates go through CreateCertificate's validation.
func (c *Cloud) seedHuawei(s Seed, p SeedHuaweiProject) error {
	ids := map[string]string{} // ref → certificate id
	for _, sc := range p.Certificates {
		ref := sc.Ref
		if ref == "" {
			ref = sc.Name
		}
		certPEM, keyPEM, err := s.pems(sc.SeedCertificate)
		if err == nil {
			ids[ref], err = c.elb.AddCertificate(p.Project, elbfake.Certificate{Name: sc.Name, Domain: sc.Domain,
				Certificate: string(certPEM), PrivateKey: string(keyPEM), EnterpriseProjectID: sc.EnterpriseProjectID})
		}
		if err != nil {
			return fmt.Errorf("certificate %q: %w", ref, err)
		}
	}
	for _, lb := range p.LoadBalancers {
		lbID := c.elb.AddLoadBalancer(p.Project, elbfake.LoadBalancer{ID: lb.ID, Name: lb.Name, EnterpriseProjectID: lb.EnterpriseProjectID})
		for _, l := range lb.Listeners {
			var sni []string
			for _, ref := range l.SNICertificates {
				sni = append(sni, ids[ref])
			}
			c.elb.AddListener(p.Project, elbfake.Listener{ID: l.ID, Name: l.Name, LoadBalancerID: lbID, Protocol: l.Protocol,
				Port: l.Port, DefaultTLSContainerRef: ids[l.Certificate], SNIContainerRefs: sni})
		}
	}
	return nil
}

// Demo scenario names.
const (
	DemoRegion = "cn-hangzhou"
	DemoBucket = "certs"
	// DemoHuaweiProject is the Huawei project of the demo scenario.
	DemoHuaweiProject = "0a1b2c3d4e5f67890a1b2c3d4e5f6789"
	// DemoHuaweiLoadBalancer and DemoHuaweiListener are the demo ELB load balancer and its
	// TERMINATED_HTTPS listener.
	DemoHuaweiLoadBalancer = "7d3e0c52-1c5b-4e0b-9a57-2f6b1f3c9a01"
	DemoHuaweiListener     = "3f9a1c2e-8b4d-4e6f-a0b1-c2d3e4f5a6b7"
	// DemoALBListener is the demo ALB HTTPS listener (load balancer DemoALB, region DemoRegion).
	DemoALBListener = "lsn-demoweb443"
	DemoALB         = "alb-demo-web"
)

// DemoSeed is the `make demo` scenario, with RSA certificates (as Alibaba CLB takes) generated
// relative to now:
//   - region cn-hangzhou; bucket "certs" in OSS and in S3, both empty;
//   - lb-demo-web: HTTPS 443 with an old certificate for example.com and www.example.com
//     expiring in 5 days, and an SNI extension api.example.com with an old certificate for
//     api.example.com expiring in 5 days;
//   - lb-demo-shop: HTTPS 443 with the same old example.com certificate, HTTPS 8443 with a
//     certificate for shop.other.org (unrelated names) expiring in 20 days (the audit flags it), and HTTP 80;
//   - "not-ours": a server certificate someone else uploaded, bound nowhere;
//   - Huawei project DemoHuaweiProject: load balancer DemoHuaweiLoadBalancer ("demo-web") with
//     the TERMINATED_HTTPS 443 listener DemoHuaweiListener serving the same old example.com
//     certificate (domain "example.com,www.example.com") and, as SNI, the old api.example.com
//     one; plus "not-ours" there too, bound nowhere;
//   - ALB DemoALB in DemoRegion: HTTPS 443 listener DemoALBListener serving, from CAS, the old
//     example.com certificate as default and the old api.example.com one as additional.
func DemoSeed(now time.Time) (Seed, error) {
	type spec struct {
		ref, name string
		names     []string
		from, to  time.Time
	}
	specs := []spec{
		{"example-old", "example-com-legacy", []string{"example.com", "www.example.com"}, now.AddDate(0, 0, -85), now.AddDate(0, 0, 5)},
		{"api-old", "api-example-com-legacy", []string{"api.example.com"}, now.AddDate(0, 0, -85), now.AddDate(0, 0, 5)},
		{"shop", "shop-other-org", []string{"shop.other.org"}, now.AddDate(0, 0, -70), now.AddDate(0, 0, 20)},
		{"not-ours", "not-ours", []string{"intranet.example.net"}, now.AddDate(0, 0, -10), now.AddDate(0, 0, 355)},
	}
	region := SeedRegion{Region: DemoRegion}
	for _, sp := range specs {
		// CLB takes RSA certificates with PKCS#1 keys only (slbfake/certs.go).
		is, err := certstest.New(certstest.Options{DNSNames: sp.names, NotBefore: sp.from, NotAfter: sp.to,
			KeyType: certstest.RSA2048, KeyFormat: "pkcs1"})
		if err != nil {
			return Seed{}, fmt.Errorf("fakecloud: demo seed: %w", err)
		}
		region.Certificates = append(region.Certificates, SeedCertificate{
			Ref: sp.ref, Name: sp.name, CertPEM: string(is.FullchainPEM), KeyPEM: string(is.KeyPEM)})
	}
	region.LoadBalancers = []SeedLoadBalancer{
		{ID: "lb-demo-web", Name: "demo-web", Listeners: []SeedListener{
			{Port: 443, Protocol: "https", Certificate: "example-old",
				Extensions: []SeedExtension{{Domain: "api.example.com", Certificate: "api-old"}}},
		}},
		{ID: "lb-demo-shop", Name: "demo-shop", Listeners: []SeedListener{
			{Port: 443, Protocol: "https", Certificate: "example-old"},
			{Port: 8443, Protocol: "https", Certificate: "shop"},
			{Port: 80, Protocol: "http"},
		}},
	}
	huawei := SeedHuaweiProject{Project: DemoHuaweiProject}
	for _, sc := range region.Certificates {
		if sc.Ref == "shop" {
			continue
		}
		huawei.Certificates = append(huawei.Certificates, SeedHuaweiCertificate{SeedCertificate: sc,
			Domain: map[string]string{"example-old": "example.com,www.example.com", "api-old": "api.example.com"}[sc.Ref]})
	}
	huawei.LoadBalancers = []SeedHuaweiLoadBalancer{{ID: DemoHuaweiLoadBalancer, Name: "demo-web", Listeners: []SeedHuaweiListener{
		{ID: DemoHuaweiListener, Name: "demo-web-https", Port: 443, Protocol: "TERMINATED_HTTPS", Certificate: "example-old",
			SNICertificates: []string{"api-old"}},
	}}}
	// ALB serves certificates from CAS: the same old certificates, uploaded there by hand, on an
	// HTTPS listener as its default and one additional certificate.
	var cas []SeedCertificate
	for _, sc := range region.Certificates {
		if sc.Ref == "example-old" || sc.Ref == "api-old" {
			cas = append(cas, SeedCertificate{Name: sc.Name + "-cas", CertPEM: sc.CertPEM, KeyPEM: sc.KeyPEM})
		}
	}
	albListeners := []SeedLBListener{{ID: DemoALBListener, Region: DemoRegion, LoadBalancerID: DemoALB, Protocol: "HTTPS", Port: 443,
		Certificate: "example-com-legacy-cas", Additional: []string{"api-example-com-legacy-cas"}}}
	return Seed{
		CASCertificates: cas,
		ALBListeners:    albListeners,
		Regions:         []SeedRegion{region},
		HuaweiProjects:  []SeedHuaweiProject{huawei},
		Buckets:         []SeedBucket{{Store: "oss", Bucket: DemoBucket}, {Store: "s3", Bucket: DemoBucket}},
	}, nil
}

package fakecloud_test

import (
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
)

// Enterprise projects, scoped keys and TLS/QUIC listeners can be seeded.
func TestSeedHuaweiEnterpriseProjectsAndLayer4Listeners(t *testing.T) {
	const ep = "2d8f6d3e-1b7c-4a3e-9c61-5f0e8b7a6c21"
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"v.example.com"}, KeyType: certstest.RSA2048})
	cert := fakecloud.SeedCertificate{Ref: "c", CertPEM: string(is.FullchainPEM), KeyPEM: string(is.KeyPEM)}
	for _, tc := range []struct {
		name string
		seed fakecloud.Seed
		want string // "" accepted, else part of the error
	}{
		{"scoped key without projects", fakecloud.Seed{HuaweiScopedKeys: []fakecloud.SeedHuaweiScopedKey{{AccessKeyID: "k", AccessKeySecret: "s"}}},
			"huawei_scoped_keys[0]: access_key_id, access_key_secret and enterprise_projects are required"},
		{"TLS, QUIC and a scoped key", fakecloud.Seed{
			HuaweiScopedKeys: []fakecloud.SeedHuaweiScopedKey{{AccessKeyID: "SCOPED", AccessKeySecret: "s", EnterpriseProjects: []string{ep}}},
			HuaweiProjects: []fakecloud.SeedHuaweiProject{{Project: "p1",
				Certificates: []fakecloud.SeedHuaweiCertificate{{SeedCertificate: cert, Domain: "v.example.com", EnterpriseProjectID: ep}},
				LoadBalancers: []fakecloud.SeedHuaweiLoadBalancer{{Name: "lb", EnterpriseProjectID: ep, Listeners: []fakecloud.SeedHuaweiListener{
					{Port: 443, Protocol: "TLS", Certificate: "c", SNICertificates: []string{"c"}},
					{Port: 8443, Protocol: "QUIC", Certificate: "c"}}}},
			}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakecloud.New()
			err := c.Seed(tc.seed)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want it to say %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Keys().Lookup("SCOPED"); !ok {
				t.Error("the scoped key is not in the keyring")
			}
			ls := c.ELB().Listeners("p1")
			if len(ls) != 2 || ls[0].EnterpriseProjectID != ep || ls[1].Protocol != "QUIC" || ls[1].DefaultTLSContainerRef == "" {
				t.Fatalf("listeners %+v", ls)
			}
			if cs := c.ELB().Certificates("p1"); len(cs) != 1 || cs[0].EnterpriseProjectID != ep {
				t.Fatalf("certificates %+v", cs)
			}
		})
	}
}

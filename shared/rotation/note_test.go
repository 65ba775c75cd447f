package rotation_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/rotation"
)

// A provider's note (here: Huawei ELB keeping the other key algorithm's SNI certificate for the
// domain) reaches the target's reason in the report.
func TestProviderNoteReachesTheReport(t *testing.T) {
	const project, domain = "0a1b2c3d4e5f67890a1b2c3d4e5f6789", "www.example.com"
	c, url := fakecloud.Start(t)
	elb := c.ELB()
	add := func(name string, kt certstest.KeyType) string {
		is := certstest.Must(t, certstest.Options{DNSNames: []string{domain}, KeyType: kt})
		id, err := elb.AddCertificate(project, elbfake.Certificate{Name: name, Domain: domain, Certificate: string(is.FullchainPEM), PrivateKey: string(is.KeyPEM)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	def, rsaOld, eccOld := add("default", certstest.RSA2048), add("rsa", certstest.RSA2048), add("ecc", certstest.ECDSAP256)
	lb := elb.AddLoadBalancer(project, elbfake.LoadBalancer{Name: "web"})
	l := elb.AddListener(project, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: def,
		SNIContainerRefs: []string{rsaOld, eccOld}})
	targets, err := provider.ParseTargets(`[{"provider":"huaweielb","region":"cn-north-4","name":"sni","listener_id":"` + l + `","domain":"` + domain + `"}]`)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Rotate{Targets: targets, ELBEndpoint: url, HuaweiAccessKey: fakecore.DefaultAccessKeyID,
		HuaweiSecretKey: fakecore.DefaultAccessKeySecret, HuaweiProjectID: project, Concurrency: 4, QPS: 1000}
	fresh := certstest.Must(t, certstest.Options{DNSNames: []string{domain}, KeyType: certstest.RSA2048})
	r := rotation.New(rotation.Options{Targets: targets, Concurrency: 4})
	rep := r.Run(context.Background(), inline(fresh), cloud.New(cfg, cloud.Alibaba{}),
		slog.New(slog.NewJSONHandler(leakcheck.Writer(t, string(fresh.KeyPEM)), nil)))
	if len(rep.Targets) != 1 || rep.Targets[0].Status != report.TargetRotated {
		t.Fatalf("report %+v", rep.Targets)
	}
	if reason := rep.Targets[0].Reason; !strings.Contains(reason, "also served by the ECC certificate "+eccOld) {
		t.Fatalf("reason %q does not mention the ECC certificate left in place", reason)
	}
}

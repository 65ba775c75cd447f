package rotation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/report"
)

// TestECDSAFailsCLBAndOtherProvidersGoOn: Alibaba CLB takes RSA certificates only. An ECDSA
// certificate (certbot's and acme.sh's default) fails every alislb place with a permanent error
// that says so and how to issue RSA, without one SLB call that changes anything, while a Huawei
// ELB target in the same run takes it.
func TestECDSAFailsCLBAndOtherProvidersGoOn(t *testing.T) {
	const project = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	w := newWorld(t, `[
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-a","name":"clb-a"},
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-b","listener_port":443,"name":"clb-b"},
		{"provider":"huaweielb","region":"cn-north-4","project_id":"`+project+`","certificate_id":"0123456789abcdef0123456789abcdef","name":"elb"}]`)
	old := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, NotAfter: time.Now().Add(72 * time.Hour)})
	if _, err := w.cloud.ELB().AddCertificate(project, elbfake.Certificate{ID: "0123456789abcdef0123456789abcdef", Name: "elb-old",
		Certificate: string(old.FullchainPEM), PrivateKey: string(old.KeyPEM)}); err != nil {
		t.Fatal(err)
	}
	url := w.cfg.SLBEndpoint
	w.cfg.ELBEndpoint, w.cfg.HuaweiAccessKey, w.cfg.HuaweiSecretKey = url, fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret
	w.cloud.ResetCalls()

	ecdsa := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}}) // certstest's default: ECDSA P-256
	rep := w.run(t, inline(ecdsa), false)

	if rep.Status != report.Partial || rep.Retryable {
		t.Fatalf("status %s retryable %v, want partial and not retryable", rep.Status, rep.Retryable)
	}
	clb := 0
	for _, tr := range rep.Targets {
		switch tr.Provider {
		case "alislb":
			clb++
			msg := tr.Error + " " + tr.Reason
			if tr.Status != "failed" || !strings.Contains(msg, "RSA certificates only") ||
				!strings.Contains(msg, "certbot --key-type rsa") || !strings.Contains(msg, "acme.sh --keylength 2048") {
				t.Errorf("%s: %s %q", tr.Name, tr.Status, msg)
			}
		case "huaweielb":
			if tr.Status != "rotated" {
				t.Errorf("%s: %s %q %q", tr.Name, tr.Status, tr.Reason, tr.Error)
			}
		}
	}
	if clb != 3 { // lb-a's listener and SNI domain, lb-b's listener
		t.Errorf("%d alislb places reported, want 3: %+v", clb, rep.Targets)
	}
	for _, call := range w.cloud.MutatingCalls() {
		if call.Service == "slb" {
			t.Errorf("SLB mutating call %s for an ECDSA certificate", call.Action)
		}
	}
	if got, _ := w.cloud.SLB().ListenerCertificate("lb-b", 443); got != w.oldID {
		t.Errorf("lb-b:443 serves %s, want the old %s", got, w.oldID)
	}
}

package rotation_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/rotation"
)

const lbRegion = "cn-shanghai"

// albWorld seeds, in CAS, certificates uploaded by hand (example.com + www, api.example.com,
// shop.other.org); an ALB listener serving the first as default and the other two as
// additional certificates; an NLB TCPSSL listener serving the first.
type albWorld struct {
	cloud               *fakecloud.Cloud
	cfg                 *config.Rotate
	old, api, shop      string
	albListener, nlbLsn string
}

func newALBWorld(t *testing.T, targets string) *albWorld {
	t.Helper()
	c, url := fakecloud.Start(t)
	add := func(names ...string) string {
		is := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(72 * time.Hour)})
		id, err := c.CAS().AddCertificate("hand-"+strings.ReplaceAll(names[0], ".", "-"), is.FullchainPEM, is.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return strconv.FormatInt(id, 10) + "-cn-hangzhou"
	}
	w := &albWorld{cloud: c, albListener: "lsn-web1", nlbLsn: "lsn-tls1@443"}
	w.old, w.api, w.shop = add("example.com", "www.example.com"), add("api.example.com"), add("shop.other.org")
	if err := c.ALB().Store().Add(lbcerts.Listener{ID: w.albListener, Region: lbRegion, LoadBalancerID: "alb-web", Protocol: "HTTPS", Port: 443,
		Default: w.old, Additional: []lbcerts.Cert{{ID: w.api}, {ID: w.shop}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.NLB().Store().Add(lbcerts.Listener{ID: w.nlbLsn, Region: lbRegion, LoadBalancerID: "nlb-tls", Protocol: "TCPSSL", Port: 443, Default: w.old}); err != nil {
		t.Fatal(err)
	}
	parsed, err := provider.ParseTargets(targets)
	if err != nil {
		t.Fatal(err)
	}
	w.cfg = &config.Rotate{Targets: parsed, ALBEndpoint: url, NLBEndpoint: url, CASEndpoint: url, CASRegion: "cn-hangzhou",
		Deployment: "test", Concurrency: 4, QPS: 1000}
	c.ResetCalls()
	return w
}

func (w *albWorld) run(t *testing.T, opt rotation.Options, is *certstest.Issued) *report.Report {
	t.Helper()
	opt.Targets = w.cfg.Targets
	clouds := cloud.New(w.cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret})
	return rotation.New(opt).Run(context.Background(), inline(is), clouds, slog.New(slog.NewJSONHandler(leakcheck.Writer(t, string(is.KeyPEM)), nil)))
}

func (w *albWorld) listener(t *testing.T, s *lbcerts.Store, id string) lbcerts.Listener {
	t.Helper()
	for _, l := range s.Listeners() {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("no listener %s", id)
	return lbcerts.Listener{}
}

func additionalIDs(l lbcerts.Listener) []string {
	var out []string
	for _, a := range l.Additional {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

const albTargets = `[{"provider":"alialb","region":"cn-shanghai","load_balancer_id":"alb-web","name":"alb"},
	{"provider":"alinlb","region":"cn-shanghai","listener_id":"lsn-tls1@443","name":"nlb"}]`

func TestALBAndNLBRotateDefaultAndAdditionalCertificates(t *testing.T) {
	w := newALBWorld(t, albTargets)
	fresh := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}})
	rep := w.run(t, rotation.Options{KeepPrevious: 0, Concurrency: 4}, fresh)
	if rep.Status != report.Rotated {
		t.Fatalf("status %s (%s): %+v", rep.Status, rep.Error, rep.Targets)
	}
	want := []string{
		"alb/lsn-web1/additional/" + w.api + "=rotated", "alb/lsn-web1/additional/" + w.shop + "=skipped",
		"alb/lsn-web1=rotated", "nlb=rotated",
	}
	if got := statuses(rep); !slices.Equal(got, sorted(want...)) {
		t.Fatalf("targets %v, want %v", got, sorted(want...))
	}
	newID := ""
	for _, tg := range rep.Targets {
		if tg.Status != report.TargetRotated {
			continue
		}
		if newID == "" {
			newID = tg.CertificateID
		}
		if tg.CertificateID != newID || !strings.HasSuffix(newID, "-cn-hangzhou") {
			t.Errorf("%s bound %q, want one id <CertId>-cn-hangzhou for every place", tg.Name, tg.CertificateID)
		}
	}
	alb := w.listener(t, w.cloud.ALB().Store(), w.albListener)
	// Replaced, never accumulated: the api certificate gave way to the new one, shop untouched.
	if alb.Default != newID || !slices.Equal(additionalIDs(alb), sorted(newID, w.shop)) {
		t.Errorf("ALB listener: default %s additional %v; want %s and [%s %s]", alb.Default, additionalIDs(alb), newID, newID, w.shop)
	}
	if nlb := w.listener(t, w.cloud.NLB().Store(), w.nlbLsn); nlb.Default != newID {
		t.Errorf("NLB default %s, want %s", nlb.Default, newID)
	}
	// One upload, named with the deployment; the certificates uploaded by hand are all still there.
	var ours, hand int
	for _, c := range w.cloud.CAS().Certificates() {
		switch {
		case strings.HasPrefix(c.Name, "certrotate-test_"):
			ours++
			if len(c.Name) > 64 {
				t.Errorf("CAS name %q is longer than 64", c.Name)
			}
		case strings.HasPrefix(c.Name, "hand-"):
			hand++
		}
	}
	if ours != 1 || hand != 3 {
		t.Errorf("CAS holds %d of ours and %d uploaded by hand, want 1 and 3", ours, hand)
	}
	// The dissociation named exactly the replaced certificate, by its full id.
	for _, call := range w.cloud.MutatingCalls() {
		if call.Action == "DissociateAdditionalCertificatesFromListener" && call.Params["Certificates.1.CertificateId"] != w.api {
			t.Errorf("dissociated %q, want exactly %s", call.Params["Certificates.1.CertificateId"], w.api)
		}
	}

	// The same event again changes nothing.
	w.cloud.ResetCalls()
	rep = w.run(t, rotation.Options{KeepPrevious: 0, Concurrency: 4}, fresh)
	if rep.Status != report.Unchanged {
		t.Errorf("second run %s, want unchanged: %+v", rep.Status, rep.Targets)
	}
	if m := mutating(w.cloud); len(m) != 0 {
		t.Errorf("second run made mutating calls %v", m)
	}

	// A renewal replaces ours and cleanup deletes the previous (KeepPrevious 0), never a hand-uploaded one.
	renewed := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}, NotAfter: time.Now().Add(200 * 24 * time.Hour)})
	rep = w.run(t, rotation.Options{KeepPrevious: 0, Concurrency: 4}, renewed)
	if rep.Status != report.Rotated {
		t.Fatalf("renewal %s (%s)", rep.Status, rep.Error)
	}
	alb = w.listener(t, w.cloud.ALB().Store(), w.albListener)
	if len(alb.Additional) != 2 || slices.Contains(additionalIDs(alb), newID) || !slices.Contains(additionalIDs(alb), w.shop) {
		t.Errorf("after renewal additional %v", additionalIDs(alb))
	}
	names := map[string]bool{}
	for _, c := range w.cloud.CAS().Certificates() {
		names[c.Name] = true
		if strconv.FormatInt(c.ID, 10)+"-cn-hangzhou" == newID {
			t.Errorf("the previous certificate %s was not cleaned up", newID)
		}
	}
	for _, n := range []string{"hand-example-com", "hand-api-example-com", "hand-shop-other-org"} {
		if !names[n] {
			t.Errorf("cleanup deleted %s, which was uploaded by hand", n)
		}
	}
}

func TestALBRollbackRestoresDefaultAndAdditional(t *testing.T) {
	w := newALBWorld(t, `[{"provider":"alialb","region":"cn-shanghai","load_balancer_id":"alb-web","name":"alb"},
		{"provider":"alinlb","region":"cn-shanghai","listener_id":"lsn-gone@443","name":"gone"}]`)
	fresh := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}})
	rep := w.run(t, rotation.Options{KeepPrevious: 1, Rollback: true, Concurrency: 4}, fresh)
	if rep.Status == report.Rotated || rep.Status == report.Unchanged {
		t.Fatalf("status %s, want a failure", rep.Status)
	}
	alb := w.listener(t, w.cloud.ALB().Store(), w.albListener)
	if alb.Default != w.old || !slices.Equal(additionalIDs(alb), sorted(w.api, w.shop)) {
		t.Errorf("after rollback: default %s additional %v; want %s and [%s %s]", alb.Default, additionalIDs(alb), w.old, w.api, w.shop)
	}
}

func TestALBDryRunMakesNoWrite(t *testing.T) {
	w := newALBWorld(t, albTargets)
	fresh := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}})
	rep := w.run(t, rotation.Options{DryRun: true}, fresh)
	if rep.Status != report.DryRun {
		t.Fatalf("status %s", rep.Status)
	}
	if m := mutating(w.cloud); len(m) != 0 {
		t.Errorf("dry run made mutating calls %v", m)
	}
}

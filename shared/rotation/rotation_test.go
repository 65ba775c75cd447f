package rotation_test

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/rotation"
)

const region = "cn-hangzhou"

type world struct {
	cloud *fakecloud.Cloud
	cfg   *config.Rotate
	fresh *certstest.Issued
	oldID string
}

// newWorld seeds: lb-a:443 (example.com, www.example.com) with SNI api.example.com,
// lb-b:443 (same old cert), lb-b:8443 (shop.other.org).
func newWorld(t *testing.T, targets string) *world {
	t.Helper()
	c, url := fakecloud.Start(t)
	slb := c.SLB()
	add := func(names ...string) string {
		is := seedCert(t, names...)
		sc, err := slb.AddServerCertificate(region, "old-"+strings.ReplaceAll(names[0], ".", "-"), is.FullchainPEM, is.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return sc.ID
	}
	w := &world{cloud: c}
	w.oldID = add("example.com", "www.example.com")
	api, shop := add("api.example.com"), add("shop.other.org")
	for _, err := range []error{
		slb.AddLoadBalancer(region, "lb-a", "web"), slb.AddLoadBalancer(region, "lb-b", "shop"),
		slb.AddListener("lb-a", 443, "https", w.oldID), slb.AddListener("lb-b", 443, "https", w.oldID),
		slb.AddListener("lb-b", 8443, "https", shop),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := slb.AddDomainExtension("lb-a", 443, "api.example.com", api); err != nil {
		t.Fatal(err)
	}
	targets2, err := provider.ParseTargets(targets)
	if err != nil {
		t.Fatal(err)
	}
	w.cfg = &config.Rotate{Targets: targets2, SLBEndpoint: url, OSSEndpoint: url, CASEndpoint: url, Concurrency: 4, QPS: 1000}
	w.fresh = certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	c.ResetCalls()
	return w
}

var (
	seedMu    sync.Mutex
	seedCerts = map[string]*certstest.Issued{}
)

// seedCert is an RSA certificate with a PKCS#1 key (what CLB takes) for names, expiring in 72 h,
// made once per names for the test binary: RSA keys are slow to make, and every world is a
// separate emulator.
func seedCert(t *testing.T, names ...string) *certstest.Issued {
	t.Helper()
	seedMu.Lock()
	defer seedMu.Unlock()
	k := strings.Join(names, ",")
	if seedCerts[k] == nil {
		seedCerts[k] = certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(72 * time.Hour),
			KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	}
	return seedCerts[k]
}

func (w *world) run(t *testing.T, rec event.Record, dryRun bool) *report.Report {
	t.Helper()
	r := rotation.New(rotation.Options{Targets: w.cfg.Targets, DryRun: dryRun, Concurrency: 4})
	clouds := cloud.New(w.cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret})
	return r.Run(context.Background(), rec, clouds, slog.New(slog.NewJSONHandler(leakcheck.Writer(t, string(w.fresh.KeyPEM)), nil)))
}

func inline(is *certstest.Issued, targets ...string) event.Record {
	return event.Record{Kind: event.KindInvoke, Body: &event.Body{Certificate: string(is.FullchainPEM), PrivateKey: string(is.KeyPEM), Targets: targets}}
}

func statuses(rep *report.Report) []string {
	var out []string
	for _, t := range rep.Targets {
		out = append(out, t.Name+"="+t.Status)
	}
	sort.Strings(out)
	return out
}

func mutating(c *fakecloud.Cloud) []string {
	var out []string
	for _, call := range c.MutatingCalls() {
		out = append(out, call.Action)
	}
	sort.Strings(out)
	return out
}

const regionTarget = `[{"provider":"alislb","region":"cn-hangzhou","name":"hz"}]`

func TestRotatesWhatItCoversAndSkipsTheRest(t *testing.T) {
	w := newWorld(t, regionTarget)
	rep := w.run(t, inline(w.fresh), false)
	if rep.Status != report.Rotated {
		t.Fatalf("status %s (%s), want rotated", rep.Status, rep.Error)
	}
	want := []string{"hz/lb-a:443/api.example.com=rotated", "hz/lb-a:443=rotated", "hz/lb-b:443=rotated", "hz/lb-b:8443=skipped"}
	if got := statuses(rep); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("targets %v, want %v", got, want)
	}
	var newID string
	for _, tg := range rep.Targets {
		switch tg.Status {
		case report.TargetRotated:
			if newID == "" {
				newID = tg.CertificateID
			}
			if tg.CertificateID != newID || tg.PreviousCertificateID == "" {
				t.Errorf("%s: certificate %q previous %q", tg.Name, tg.CertificateID, tg.PreviousCertificateID)
			}
		case report.TargetSkipped:
			if !strings.Contains(tg.Reason, "does not cover shop.other.org") {
				t.Errorf("skip reason %q", tg.Reason)
			}
		}
	}
	if got, _ := w.cloud.SLB().ListenerCertificate("lb-b", 8443); got == newID {
		t.Fatal("the listener serving unrelated names was rebound")
	}
	uploads := 0
	for _, a := range mutating(w.cloud) {
		if a == "UploadServerCertificate" {
			uploads++
		}
	}
	if uploads != 1 {
		t.Fatalf("%d uploads, want 1", uploads)
	}
	if rep.Certificate == nil || rep.Certificate.FingerprintSHA256 == "" || rep.Certificate.NotAfter == "" {
		t.Fatalf("report certificate %+v", rep.Certificate)
	}

	// The same event again: everything is already bound, nothing is called that changes anything.
	w.cloud.ResetCalls()
	again := w.run(t, inline(w.fresh), false)
	if again.Status != report.Unchanged {
		t.Fatalf("second run status %s, want unchanged", again.Status)
	}
	if m := mutating(w.cloud); len(m) != 0 {
		t.Fatalf("second run made mutating calls: %v", m)
	}
}

func TestDryRunPlansWithoutMutating(t *testing.T) {
	w := newWorld(t, regionTarget)
	rep := w.run(t, inline(w.fresh), true)
	if rep.Status != report.DryRun {
		t.Fatalf("status %s, want dry_run", rep.Status)
	}
	want := []string{"hz/lb-a:443/api.example.com=would_rotate", "hz/lb-a:443=would_rotate", "hz/lb-b:443=would_rotate", "hz/lb-b:8443=skipped"}
	if got := statuses(rep); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("targets %v, want %v", got, want)
	}
	if m := mutating(w.cloud); len(m) != 0 {
		t.Fatalf("dry run made mutating calls: %v", m)
	}
}

func TestMatchOverridesTheNamesServedNow(t *testing.T) {
	w := newWorld(t, `[
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-b","listener_port":8443,"name":"shop","match":["*.example.com"]},
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-a","listener_port":443,"name":"web","match":["other.example.org"]}]`)
	rep := w.run(t, inline(w.fresh), false)
	want := []string{"shop=rotated", "web=skipped"}
	if got := statuses(rep); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("targets %v, want %v", got, want)
	}
}

func TestTargetsInTheBodyLimitTheRun(t *testing.T) {
	w := newWorld(t, `[
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-a","listener_port":443,"name":"web"},
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-b","listener_port":443,"name":"shop"}]`)
	rep := w.run(t, inline(w.fresh, "shop"), false)
	if got := statuses(rep); strings.Join(got, " ") != "shop=rotated" {
		t.Fatalf("targets %v, want only shop", got)
	}
	w.cloud.ResetCalls()
	bad := w.run(t, inline(w.fresh, "shop", "nope"), false)
	if bad.Status != report.Failed || !bad.BadInput || !strings.Contains(bad.Error, `unknown target "nope"`) || !strings.Contains(bad.Error, `"web"`) {
		t.Fatalf("unknown target: %s bad=%v %q", bad.Status, bad.BadInput, bad.Error)
	}
	if n := len(w.cloud.Calls()); n != 0 {
		t.Fatalf("%d cloud calls for a bad body", n)
	}
}

func TestBadCertificatesTouchNothing(t *testing.T) {
	w := newWorld(t, regionTarget)
	expiring := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}, NotAfter: time.Now().Add(2 * time.Hour)})
	other := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	for name, rec := range map[string]event.Record{
		"expiring in 2h": inline(expiring),
		"wrong key":      {Kind: event.KindInvoke, Body: &event.Body{Certificate: string(w.fresh.FullchainPEM), PrivateKey: string(other.KeyPEM)}},
		"not a pem":      {Kind: event.KindInvoke, Body: &event.Body{Certificate: "hello", PrivateKey: "world"}},
	} {
		t.Run(name, func(t *testing.T) {
			rep := w.run(t, rec, false)
			if rep.Status != report.Failed || !rep.BadInput || rep.Error == "" || rep.Retryable {
				t.Fatalf("status %s bad=%v retry=%v %q", rep.Status, rep.BadInput, rep.Retryable, rep.Error)
			}
			if n := len(w.cloud.Calls()); n != 0 {
				t.Fatalf("%d cloud calls for a bad certificate", n)
			}
		})
	}
}

func TestPartialAndRetryableFailures(t *testing.T) {
	w := newWorld(t, `[
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-a","listener_port":443,"name":"web"},
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-gone","name":"gone"}]`)
	rep := w.run(t, inline(w.fresh), false)
	if rep.Status != report.Partial || rep.Retryable {
		t.Fatalf("status %s retryable %v, want partial and not retryable (a missing load balancer stays missing)", rep.Status, rep.Retryable)
	}
	if got := statuses(rep); strings.Join(got, " ") != "gone=failed web=rotated" {
		t.Fatalf("targets %v", got)
	}

	w2 := newWorld(t, `[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-a","listener_port":443,"name":"web"}]`)
	w2.cloud.Faults().FailNext("SetLoadBalancerHTTPSListenerAttribute", fakecore.ServerError, 100)
	rep = w2.run(t, inline(w2.fresh), false)
	if rep.Status != report.Failed || !rep.Retryable || rep.BadInput {
		t.Fatalf("status %s retryable %v bad %v, want a retryable failure", rep.Status, rep.Retryable, rep.BadInput)
	}
	if got, _ := w2.cloud.SLB().ListenerCertificate("lb-a", 443); got != w2.oldID {
		t.Fatal("the listener lost its certificate after a failed bind")
	}
}

func TestBucketEventsPendingThenRotated(t *testing.T) {
	w := newWorld(t, regionTarget)
	objs := w.cloud.Objects()
	objs.Put("oss", "certs", "live/example.com/fullchain.pem", w.fresh.FullchainPEM)
	rec := event.Record{Kind: event.KindOSS, Object: &event.Object{Store: "oss", Bucket: "certs", Key: "live/example.com/fullchain.pem", Region: region}}
	rep := w.run(t, rec, false)
	if rep.Status != report.Pending || !strings.Contains(rep.Reason, "no private key") {
		t.Fatalf("status %s reason %q, want pending", rep.Status, rep.Reason)
	}
	for _, c := range w.cloud.Calls() {
		if c.Service == "slb" {
			t.Fatalf("a pending run called SLB: %+v", c)
		}
	}
	objs.Put("oss", "certs", "live/example.com/privkey.pem", w.fresh.KeyPEM)
	rec.Object.Key = "live/example.com/privkey.pem"
	rep = w.run(t, rec, false)
	if rep.Status != report.Rotated || rep.Certificate.Name != "example.com" || rep.Source.Kind != "oss" || rep.Source.Bucket != "certs" {
		t.Fatalf("status %s, certificate %+v, source %+v", rep.Status, rep.Certificate, rep.Source)
	}
}

func TestCertificateFromCAS(t *testing.T) {
	w := newWorld(t, regionTarget)
	id, err := w.cloud.CAS().AddCertificate("example-2027", w.fresh.FullchainPEM, w.fresh.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	w.cloud.ResetCalls()
	rep := w.run(t, event.Record{Kind: event.KindCAS, Body: &event.Body{CASCertificateID: id}}, false)
	if rep.Status != report.Rotated || rep.Source.Kind != "cas" || rep.Source.CASID != id {
		t.Fatalf("status %s (%s), source %+v", rep.Status, rep.Error, rep.Source)
	}

	w.cloud.ResetCalls()
	missing := w.run(t, event.Record{Kind: event.KindCAS, Body: &event.Body{CASCertificateID: id + 1000}}, false)
	if missing.Status != report.Failed || !missing.BadInput || missing.Retryable || !strings.Contains(missing.Error, "NotFound") {
		t.Fatalf("unknown CAS id: %s bad=%v retry=%v %q", missing.Status, missing.BadInput, missing.Retryable, missing.Error)
	}
	if m := mutating(w.cloud); len(m) != 0 {
		t.Fatalf("mutating calls for an unknown CAS id: %v", m)
	}
}

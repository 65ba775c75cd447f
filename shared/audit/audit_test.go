package audit_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/audit"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
)

const (
	region  = "cn-hangzhou"
	hwReg   = "cn-north-4"
	project = "0123456789abcdef0123456789abcdef"
)

type world struct {
	cloud *fakecloud.Cloud
	cfg   *config.Rotate
	keys  []string // every private key seeded, for the leak check
}

// newWorld seeds one place of each status:
//
//	SLB lb-ok:443          ok.example.com, 90 days          → ok
//	SLB lb-soon:443        soon.example.com, 10 days        → expiring
//	SLB lb-soon:443 SNI    gone.example.com, expired        → expired
//	SLB lb-old:443         www.example.com, 40 days; the region also holds a 80-day
//	                       certificate for www.example.com  → stale
//	SLB lb-nope (absent)                                     → failed
//	ELB listener default   elb.example.com, 60 days          → ok
//	ELB listener SNI for absent.example.com                  → missing
func newWorld(t *testing.T) *world {
	t.Helper()
	c, url := fakecloud.Start(t)
	w := &world{cloud: c}
	now := time.Now()
	issue := func(after time.Duration, names ...string) *certstest.Issued {
		is := certstest.Must(t, certstest.Options{DNSNames: names, NotBefore: now.Add(-200 * 24 * time.Hour), NotAfter: now.Add(after),
			KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
		w.keys = append(w.keys, string(is.KeyPEM))
		return is
	}
	slb := c.SLB()
	add := func(after time.Duration, names ...string) string {
		is := issue(after, names...)
		sc, err := slb.AddServerCertificate(region, "seed-"+strings.ReplaceAll(names[0], ".", "-"), is.FullchainPEM, is.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return sc.ID
	}
	day := 24 * time.Hour
	okID, soonID, goneID := add(90*day, "ok.example.com"), add(10*day, "soon.example.com"), add(-2*day, "gone.example.com")
	oldID := add(40*day, "www.example.com")
	add(80*day, "www.example.com", "example.com") // uploaded, served nowhere
	for _, err := range []error{
		slb.AddLoadBalancer(region, "lb-ok", "ok"), slb.AddLoadBalancer(region, "lb-soon", "soon"), slb.AddLoadBalancer(region, "lb-old", "old"),
		slb.AddListener("lb-ok", 443, "https", okID), slb.AddListener("lb-soon", 443, "https", soonID),
		slb.AddListener("lb-old", 443, "https", oldID),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := slb.AddDomainExtension("lb-soon", 443, "gone.example.com", goneID); err != nil {
		t.Fatal(err)
	}

	elb := c.ELB()
	is := issue(60*day, "elb.example.com")
	cert, err := elb.AddCertificate(project, elbfake.Certificate{Name: "seed-elb", Certificate: string(is.FullchainPEM), PrivateKey: string(is.KeyPEM)})
	if err != nil {
		t.Fatal(err)
	}
	lb := elb.AddLoadBalancer(project, elbfake.LoadBalancer{Name: "lb"})
	l := elb.AddListener(project, elbfake.Listener{ID: "l1", LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: cert})

	targets, err := provider.ParseTargets(`[
		{"provider":"alislb","region":"cn-hangzhou","name":"hz"},
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-ok","name":"hz-ok"},
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-nope","name":"nope"},
		{"provider":"huaweielb","region":"cn-north-4","listener_id":"` + l + `","name":"elb"},
		{"provider":"huaweielb","region":"cn-north-4","listener_id":"` + l + `","domain":"absent.example.com","name":"elb-sni"}]`)
	if err != nil {
		t.Fatal(err)
	}
	w.cfg = &config.Rotate{Targets: targets, SLBEndpoint: url, ELBEndpoint: url, Concurrency: 4, QPS: 1000,
		HuaweiAccessKey: fakecore.DefaultAccessKeyID, HuaweiSecretKey: fakecore.DefaultAccessKeySecret, HuaweiProjectID: project,
		Deployment: "test"}
	c.ResetCalls()
	return w
}

func (w *world) audit(t *testing.T, days int) *report.Audit {
	t.Helper()
	a := audit.New(audit.Options{Targets: w.cfg.Targets, Days: days, Concurrency: 4})
	clouds := cloud.New(w.cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret})
	log := slog.New(slog.NewJSONHandler(leakcheck.Writer(t, w.keys...), nil))
	return a.Run(context.Background(), clouds, time.Now, log)
}

func TestEveryPlaceStatus(t *testing.T) {
	w := newWorld(t)
	rep := w.audit(t, 30)
	got := map[string]report.Place{}
	for _, p := range rep.Places {
		if _, dup := got[p.Name]; dup {
			t.Errorf("place %s reported twice", p.Name)
		}
		got[p.Name] = p
	}
	for _, tc := range []struct {
		name, status, reason string
		days                 int // expected days_left, or -999 for none
	}{
		{"hz/lb-ok:443", report.PlaceOK, "", 89},
		{"hz/lb-soon:443", report.PlaceExpiring, "9 days left, fewer than 30", 9},
		{"hz/lb-soon:443/gone.example.com", report.PlaceExpired, "expired", -2},
		{"hz/lb-old:443", report.PlaceStale, "a newer certificate", 39},
		{"nope", report.PlaceFailed, "could not be read", -999},
		{"elb", report.PlaceOK, "", 59},
		{"elb-sni", report.PlaceMissing, "serves no certificate", -999},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := got[tc.name]
			if !ok {
				t.Fatalf("no place %s among %v", tc.name, names(rep))
			}
			if p.Status != tc.status || !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("status %s (%q), want %s (%q)", p.Status, p.Reason, tc.status, tc.reason)
			}
			switch {
			case tc.days == -999 && p.DaysLeft != nil:
				t.Errorf("days_left %d, want none", *p.DaysLeft)
			case tc.days != -999 && (p.DaysLeft == nil || *p.DaysLeft != tc.days):
				t.Errorf("days_left %v, want %d", p.DaysLeft, tc.days)
			}
			if tc.days != -999 && (p.CertificateID == "" || p.NotAfter == "" || len(p.DNSNames) == 0 || p.CommonName == "") {
				t.Errorf("the certificate is not described: %+v", p)
			}
		})
	}
	if len(rep.Places) != 7 {
		t.Errorf("%d places, want 7 (hz-ok is the same place as hz/lb-ok:443): %v", len(rep.Places), names(rep))
	}
	if rep.Status != report.AuditAttention || rep.ExitCode() != 1 || rep.Kind != report.KindAudit || rep.Days != 30 {
		t.Errorf("run %s kind %s days %d exit %d, want attention audit 30 exit 1", rep.Status, rep.Kind, rep.Days, rep.ExitCode())
	}
	if rep.Places[0].Status != report.PlaceFailed || rep.Places[len(rep.Places)-1].Status != report.PlaceOK {
		t.Errorf("places are not ordered attention first: %v", names(rep))
	}
}

// TestAuditMakesNoMutatingCall is the zero-mutation rule, on the emulator's own call log.
func TestAuditMakesNoMutatingCall(t *testing.T) {
	w := newWorld(t)
	w.audit(t, 30)
	calls := w.cloud.Calls()
	if len(calls) == 0 {
		t.Fatal("the audit made no call at all")
	}
	for _, c := range w.cloud.MutatingCalls() {
		t.Errorf("mutating call %s", c.Action)
	}
	for _, c := range calls {
		if strings.HasPrefix(c.Action, "Set") || strings.HasPrefix(c.Action, "Create") || strings.HasPrefix(c.Action, "Delete") ||
			strings.HasPrefix(c.Action, "Update") || strings.HasPrefix(c.Action, "Upload") || strings.HasPrefix(c.Action, "Add") {
			t.Errorf("call %s looks mutating", c.Action)
		}
	}
}

func TestAllOKIsOK(t *testing.T) {
	w := newWorld(t)
	targets, _ := provider.ParseTargets(`[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-ok"}]`)
	w.cfg.Targets = targets
	rep := w.audit(t, 30)
	if rep.Status != report.AuditOK || rep.ExitCode() != 0 || len(rep.Places) != 1 {
		t.Fatalf("status %s, %d places, want ok with 1", rep.Status, len(rep.Places))
	}
	// The same place, with a wider window, is expiring.
	if rep := w.audit(t, 120); rep.Status != report.AuditAttention || rep.Places[0].Status != report.PlaceExpiring {
		t.Fatalf("with 120 days: %s / %s, want attention / expiring", rep.Status, rep.Places[0].Status)
	}
}

func TestReportShape(t *testing.T) {
	w := newWorld(t)
	raw, err := json.Marshal(w.audit(t, 30))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"kind", "id", "status", "days", "places", "started_at", "finished_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report has no %q: %s", k, raw)
		}
	}
	for _, k := range w.keys {
		if strings.Contains(string(raw), strings.TrimSpace(k)) {
			t.Fatal("the report holds a private key")
		}
	}
}

func names(rep *report.Audit) []string {
	var out []string
	for _, p := range rep.Places {
		out = append(out, p.Name+"="+p.Status)
	}
	return out
}

package rotation_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/rotation"
)

// runOpt runs one invocation with opt against endpoint (the world's emulator when empty).
func (w *world) runOpt(t *testing.T, ctx context.Context, opt rotation.Options, is *certstest.Issued, endpoint string) *report.Report {
	t.Helper()
	cfg := *w.cfg
	if endpoint != "" {
		cfg.SLBEndpoint = endpoint
	}
	opt.Targets = cfg.Targets
	if opt.Concurrency == 0 {
		opt.Concurrency = 4
	}
	clouds := cloud.New(&cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret})
	rep := rotation.New(opt).Run(ctx, inline(is), clouds, slog.New(slog.NewJSONHandler(leakcheck.Writer(t, string(is.KeyPEM)), nil)))
	if err := json.NewEncoder(leakcheck.Writer(t, string(is.KeyPEM))).Encode(rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// renewal issues a new certificate for the names the world's listeners serve.
func renewal(t *testing.T) *certstest.Issued {
	return certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}})
}

// ours lists the ids of the server certificates the default deployment uploaded (those carrying
// its mark), by fingerprint.
func (w *world) ours() map[string][]string {
	return w.marked(provider.DefaultDeployment)
}

// marked lists the ids of the server certificates carrying deployment dep's mark, by fingerprint.
func (w *world) marked(dep string) map[string][]string {
	out := map[string][]string{}
	for _, sc := range w.cloud.SLB().ServerCertificates(region) {
		if w.cloud.SLB().ServerCertificateTags(sc.ID)[provider.MarkKey] == dep {
			fp := certs.NormalizeFingerprint(sc.Fingerprint)
			out[fp] = append(out[fp], sc.ID)
		}
	}
	return out
}

// served is what each listener and extension of the world serves, by fingerprint.
func (w *world) served(t *testing.T) map[string]string {
	t.Helper()
	slb := w.cloud.SLB()
	fp := func(id string) string {
		sc, ok := slb.ServerCertificateByID(id)
		if !ok {
			t.Fatalf("a listener serves %s, which does not exist", id)
		}
		return certs.NormalizeFingerprint(sc.Fingerprint)
	}
	out := map[string]string{}
	for _, l := range []struct {
		lb   string
		port int
	}{{"lb-a", 443}, {"lb-b", 443}, {"lb-b", 8443}} {
		id, ok := slb.ListenerCertificate(l.lb, l.port)
		if !ok || id == "" {
			t.Fatalf("%s:%d serves no certificate", l.lb, l.port)
		}
		out[l.lb+":"+strconv.Itoa(l.port)] = fp(id)
	}
	for _, lb := range slb.LoadBalancers(region) {
		for _, l := range lb.Listeners {
			for _, x := range l.DomainExtensions {
				out[x.Domain] = fp(x.ServerCertificateID)
			}
		}
	}
	return out
}

func fingerprint(is *certstest.Issued) string {
	return certs.NormalizeFingerprint(certs.FingerprintSHA1(is.Leaf.Raw))
}

func TestCleanupKeepsThePreviousAndNeverAForeignCertificate(t *testing.T) {
	for _, keep := range []int{0, 1, 2} {
		t.Run(string(rune('0'+keep)), func(t *testing.T) {
			w := newWorld(t, regionTarget)
			foreign := len(w.cloud.SLB().ServerCertificates(region)) - len(w.ours())
			var issued []*certstest.Issued
			for range 4 {
				is := renewal(t)
				issued = append(issued, is)
				if rep := w.runOpt(t, context.Background(), rotation.Options{KeepPrevious: keep}, is, ""); rep.Status != report.Rotated {
					t.Fatalf("status %s: %s", rep.Status, rep.Error)
				}
			}
			ours := w.ours()
			if len(ours[fingerprint(issued[3])]) != 1 {
				t.Fatalf("the certificate bound now: %d copies, want 1", len(ours[fingerprint(issued[3])]))
			}
			// The newest unused ones are kept, the previous first.
			for i := range 3 {
				want := 0
				if 2-i < keep {
					want = 1
				}
				if got := len(ours[fingerprint(issued[i])]); got != want {
					t.Errorf("rotation %d's certificate: %d copies left, want %d (keep %d)", i, got, want, keep)
				}
			}
			if got := len(w.cloud.SLB().ServerCertificates(region)) - len(ours); got != foreign {
				t.Errorf("foreign certificates: %d, want %d untouched", got, foreign)
			}
		})
	}
}

func TestManyRotationsStayUnderTheQuota(t *testing.T) {
	w := newWorld(t, regionTarget)
	w.cloud.SLB().SetQuotas(8, 0) // 3 foreign + at most 2 bound + 1 previous fit, with room to spare
	for i := range 40 {
		if rep := w.runOpt(t, context.Background(), rotation.Options{KeepPrevious: 1}, renewal(t), ""); rep.Status != report.Rotated {
			t.Fatalf("rotation %d: %s: %s", i, rep.Status, rep.Error)
		}
	}
	if n := len(w.cloud.SLB().ServerCertificates(region)); n > 5 {
		t.Fatalf("%d certificates in the region after 40 rotations", n)
	}
}

func TestRollbackRestoresWhatTheRunChanged(t *testing.T) {
	w := newWorld(t, regionTarget)
	before := w.served(t)
	// Every listener bind fails (5 attempts each); the SNI extension's bind succeeds, then is undone.
	w.cloud.Faults().FailNext("SetLoadBalancerHTTPSListenerAttribute", fakecore.ServerError, 10)
	rep := w.runOpt(t, context.Background(), rotation.Options{KeepPrevious: 1, Rollback: true, Concurrency: 1}, w.fresh, "")
	if rep.Status != report.Failed || !strings.Contains(rep.Error, "1 rolled back") {
		t.Fatalf("status %s (%s), want failed with one target rolled back", rep.Status, rep.Error)
	}
	got := w.served(t)
	for k, v := range before {
		if got[k] != v {
			t.Errorf("%s serves %s after rollback, want %s", k, got[k], v)
		}
	}
	for _, tg := range rep.Targets {
		if strings.HasSuffix(tg.Name, "api.example.com") && (tg.Status != report.TargetUnchanged || !strings.HasPrefix(tg.Reason, "rolled back")) {
			t.Errorf("%s: %s %q, want unchanged, rolled back", tg.Name, tg.Status, tg.Reason)
		}
	}
	// Nothing is cleaned up after a failed run: the new certificate stays for the retry.
	if len(w.ours()[fingerprint(w.fresh)]) != 1 {
		t.Errorf("the uploaded certificate was not kept for the retry")
	}
}

func TestPartialKeepsSuccesses(t *testing.T) {
	w := newWorld(t, regionTarget)
	w.cloud.Faults().FailNext("SetLoadBalancerHTTPSListenerAttribute", fakecore.ServerError, 5)
	rep := w.runOpt(t, context.Background(), rotation.Options{KeepPrevious: 1, Concurrency: 1}, w.fresh, "")
	if rep.Status != report.Partial {
		t.Fatalf("status %s (%s), want partial", rep.Status, rep.Error)
	}
	if got := w.served(t)["api.example.com"]; got != fingerprint(w.fresh) {
		t.Errorf("the rotated extension was not kept")
	}
}

func TestBindingsAreReadBack(t *testing.T) {
	w := newWorld(t, `[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-a","listener_port":443,"name":"a"}]`)
	// A front that acknowledges the bind without making it, as a lost write would.
	inner := w.cloud.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.ParseForm() == nil && r.Form.Get("Action") == "SetLoadBalancerHTTPSListenerAttribute" {
			rw.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(rw, `{"RequestId":"lost-write"}`)
			return
		}
		inner.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	rep := w.runOpt(t, context.Background(), rotation.Options{KeepPrevious: 1}, w.fresh, srv.URL)
	if rep.Status != report.Failed || len(rep.Targets) != 1 || !strings.Contains(rep.Targets[0].Error, "read back") || !rep.Retryable {
		t.Fatalf("status %s, targets %+v: want a retryable read-back failure", rep.Status, rep.Targets)
	}
}

func TestNoWorkStartsPastTheDeadline(t *testing.T) {
	w := newWorld(t, regionTarget)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	rep := w.runOpt(t, ctx, rotation.Options{KeepPrevious: 1}, w.fresh, "")
	if rep.Status != report.Failed || !rep.Retryable || len(rep.Targets) == 0 {
		t.Fatalf("status %s, retryable %v, targets %+v: want failed, retryable, undone targets listed", rep.Status, rep.Retryable, rep.Targets)
	}
	if m := mutating(w.cloud); len(m) > 0 {
		t.Fatalf("mutating calls past the deadline: %v", m)
	}
}

func TestConcurrentInvocationsConvergeOnOneCertificate(t *testing.T) {
	w := newWorld(t, regionTarget)
	w.cloud.Faults().SetLatency(3 * time.Millisecond)
	for round := range 5 {
		is := renewal(t)
		var wg sync.WaitGroup
		reps := make([]*report.Report, 2)
		for i := range reps {
			wg.Go(func() { reps[i] = w.runOpt(t, context.Background(), rotation.Options{KeepPrevious: 1}, is, "") })
		}
		wg.Wait()
		for _, rep := range reps {
			if rep.Status != report.Rotated && rep.Status != report.Unchanged {
				t.Fatalf("round %d: %s: %s %+v", round, rep.Status, rep.Error, rep.Targets)
			}
		}
		if n := len(w.ours()[fingerprint(is)]); n != 1 {
			t.Fatalf("round %d: %d copies of the certificate, want 1", round, n)
		}
		for k, fp := range w.served(t) {
			if k != "lb-b:8443" && fp != fingerprint(is) { // lb-b:8443 serves another name
				t.Fatalf("round %d: %s serves %s, not the new certificate", round, k, fp)
			}
		}
	}
}

func TestCrashAfterAnyMutatingCallConverges(t *testing.T) {
	// The uninterrupted run: its mutating calls, and the end state every crashed run must reach.
	ref := newWorld(t, regionTarget)
	if rep := ref.runOpt(t, context.Background(), rotation.Options{KeepPrevious: 1}, ref.fresh, ""); rep.Status != report.Rotated {
		t.Fatalf("reference run: %s %s", rep.Status, rep.Error)
	}
	steps := len(ref.cloud.MutatingCalls())
	want := shape(ref.served(t), ref.fresh)
	for n := 1; n <= steps; n++ {
		w := newWorld(t, regionTarget)
		ctx, kill := context.WithCancel(context.Background())
		srv := httptest.NewServer(w.cloud.Crash(n, kill))
		w.runOpt(t, ctx, rotation.Options{KeepPrevious: 1}, w.fresh, srv.URL) // killed: its report is lost
		srv.Close()
		kill()
		rep := w.runOpt(t, context.Background(), rotation.Options{KeepPrevious: 1}, w.fresh, "") // the redelivery
		if rep.Status != report.Rotated && rep.Status != report.Unchanged {
			t.Fatalf("crash after %d: redelivery %s: %s", n, rep.Status, rep.Error)
		}
		if got := shape(w.served(t), w.fresh); got != want {
			t.Errorf("crash after %d of %d mutating calls: end state %s, want %s", n, steps, got, want)
		}
		if copies := len(w.ours()[fingerprint(w.fresh)]); copies != 1 {
			t.Errorf("crash after %d: %d copies of the certificate", n, copies)
		}
	}
}

// shape is the end state with the new certificate's fingerprint named "new".
func shape(served map[string]string, is *certstest.Issued) string {
	var parts []string
	for _, k := range []string{"lb-a:443", "lb-b:443", "api.example.com"} {
		v := served[k]
		if v == fingerprint(is) {
			v = "new"
		} else {
			v = "old"
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

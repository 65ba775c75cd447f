package rotation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/rotation"
)

// runAs runs one invocation as deployment dep with targets (JSON), keeping keep previous.
func (w *world) runAs(t *testing.T, dep, targets string, keep int, is *certstest.Issued) *report.Report {
	t.Helper()
	cfg := *w.cfg
	cfg.Deployment = dep
	var err error
	if cfg.Targets, err = provider.ParseTargets(targets); err != nil {
		t.Fatal(err)
	}
	clouds := cloud.New(&cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret})
	rep := rotation.New(rotation.Options{Targets: cfg.Targets, KeepPrevious: keep, Concurrency: 4}).
		Run(context.Background(), inline(is), clouds, slog.New(slog.NewJSONHandler(leakcheck.Writer(t, string(is.KeyPEM)), nil)))
	if err := json.NewEncoder(leakcheck.Writer(t, string(is.KeyPEM))).Encode(rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestOwnershipIsAMarkNeverAName: two deployments rotate in one region next to a certificate
// named certrotate-… by hand and one marked by a third deployment; each cleanup deletes only
// what carries its own mark.
func TestOwnershipIsAMarkNeverAName(t *testing.T) {
	const (
		prod    = `[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-a","listener_port":443,"name":"prod"}]`
		staging = `[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-b","listener_port":443,"name":"staging"}]`
	)
	w := newWorld(t, regionTarget)
	slb := w.cloud.SLB()
	hand := renewal(t)
	handmade, err := slb.AddServerCertificate(region, "certrotate-example-com-by-hand", hand.FullchainPEM, hand.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	third := renewal(t)
	thirds, err := slb.AddServerCertificate(region, "certrotate-example-com-third", third.FullchainPEM, third.KeyPEM)
	if err == nil {
		err = slb.TagServerCertificate(thirds.ID, provider.MarkKey, "third")
	}
	if err != nil {
		t.Fatal(err)
	}

	// staging keeps one previous; prod keeps none, so an old cleanup by name would take staging's.
	var stagingIssued, prodIssued []*certstest.Issued
	for round := range 3 {
		s, p := renewal(t), renewal(t)
		stagingIssued, prodIssued = append(stagingIssued, s), append(prodIssued, p)
		if rep := w.runAs(t, "staging", staging, 1, s); rep.Status != report.Rotated {
			t.Fatalf("round %d: staging: %s %s", round, rep.Status, rep.Error)
		}
		if rep := w.runAs(t, "prod", prod, 0, p); rep.Status != report.Rotated {
			t.Fatalf("round %d: prod: %s %s", round, rep.Status, rep.Error)
		}
	}
	stagingOwn, prodOwn := w.marked("staging"), w.marked("prod")
	for i, is := range stagingIssued {
		want := 0
		if i >= 1 { // the one bound and the previous one stay
			want = 1
		}
		if got := len(stagingOwn[fingerprint(is)]); got != want {
			t.Errorf("staging's certificate %d: %d copies left, want %d", i, got, want)
		}
	}
	for i, is := range prodIssued {
		want := 0
		if i == 2 {
			want = 1
		}
		if got := len(prodOwn[fingerprint(is)]); got != want {
			t.Errorf("prod's certificate %d: %d copies left, want %d", i, got, want)
		}
	}
	for _, id := range []string{handmade.ID, thirds.ID} {
		if _, ok := slb.ServerCertificateByID(id); !ok {
			t.Errorf("certificate %s, not this deployment's, was deleted", id)
		}
	}
}

// TestDeleteRefusesACertificateWithoutTheMark: Delete is a permanent refusal with no call for a
// certificate named like ours but marked by no one, or by another deployment.
func TestDeleteRefusesACertificateWithoutTheMark(t *testing.T) {
	w := newWorld(t, regionTarget)
	slb := w.cloud.SLB()
	mine := renewal(t)
	unmarked, err := slb.AddServerCertificate(region, "certrotate-unmarked", mine.FullchainPEM, mine.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	other, err := slb.AddServerCertificate(region, "certrotate-other", w.fresh.FullchainPEM, w.fresh.KeyPEM)
	if err == nil {
		err = slb.TagServerCertificate(other.ID, provider.MarkKey, "other")
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg := *w.cfg
	cfg.Deployment = "prod"
	p, err := cloud.New(&cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret}).Provider(provider.AliSLB)
	if err != nil {
		t.Fatal(err)
	}
	cl := p.(provider.Cleaner)
	owned, err := cl.Owned(context.Background(), region)
	if err != nil || len(owned) != 0 {
		t.Fatalf("Owned = %v, %v; want none of the region's certificates", owned, err)
	}
	w.cloud.ResetCalls()
	for _, tc := range []struct{ name, id string }{{"unmarked", unmarked.ID}, {"another deployment's", other.ID}} {
		t.Run(tc.name, func(t *testing.T) {
			err := cl.Delete(context.Background(), region, tc.id)
			if err == nil || !provider.IsPermanent(err) || errors.Is(err, provider.ErrInUse) {
				t.Fatalf("Delete = %v, want a permanent refusal", err)
			}
			if _, ok := slb.ServerCertificateByID(tc.id); !ok {
				t.Fatal("deleted")
			}
		})
	}
	if m := mutating(w.cloud); len(m) > 0 {
		t.Fatalf("mutating calls: %v", m)
	}
}

// TestATimedOutCallEchoesNoSignedURL: an SLB call cut by the invocation's deadline puts no query
// string (AccessKeyId, Signature, SignatureNonce) into the report or the log; leakcheck scans both.
func TestATimedOutCallEchoesNoSignedURL(t *testing.T) {
	w := newWorld(t, `[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-a","listener_port":443,"name":"a"}]`)
	inner := w.cloud.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") == "SetLoadBalancerHTTPSListenerAttribute" {
			<-r.Context().Done() // hangs until the caller gives up
			return
		}
		inner.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var logs bytes.Buffer
	cfg := *w.cfg
	cfg.SLBEndpoint = srv.URL
	clouds := cloud.New(&cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret})
	rep := rotation.New(rotation.Options{Targets: cfg.Targets, KeepPrevious: 1, Reserve: 500 * time.Millisecond}).Run(ctx, inline(w.fresh), clouds,
		slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, leakcheck.Writer(t, string(w.fresh.KeyPEM))), nil)))
	out, _ := json.Marshal(rep)
	if rep.Status != report.Failed || len(rep.Targets) != 1 || rep.Targets[0].Error == "" {
		t.Fatalf("report %s: want the target failed", out)
	}
	for _, leak := range []string{"AccessKeyId=", "Signature=", "SignatureNonce=", fakecore.DefaultAccessKeyID} {
		if strings.Contains(string(out), leak) || strings.Contains(logs.String(), leak) {
			t.Fatalf("%s echoed:\nreport %s\nlog %s", leak, out, logs.String())
		}
	}
}

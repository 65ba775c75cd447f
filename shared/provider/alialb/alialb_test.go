package alialb_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/alb"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alialb"
	"github.com/certrotate/certrotate/shared/provider/alicas"
	"github.com/certrotate/certrotate/shared/provider/alicas/alicastest"
)

func setup(t *testing.T) (*fakecloud.Cloud, string, *alialb.Provider) {
	t.Helper()
	c, url := fakecloud.Start(t)
	return c, url, product.MustOpen(t, alicastest.Config(url)).(*alialb.Provider)
}

func discoverOne(t *testing.T, p provider.Provider, tg provider.Target) provider.Slot {
	t.Helper()
	slots, err := p.Discover(context.Background(), tg)
	if err != nil || len(slots) != 1 {
		t.Fatalf("Discover = %v, %v; want one slot", slots, err)
	}
	return slots[0]
}

// TestWaitsOutAListenerBusyWithAnotherWrite: another client's write keeps the listener
// Configuring; Deploy waits (IncorrectStatus.Listener answered, not fatal) and then binds.
func TestWaitsOutAListenerBusyWithAnotherWrite(t *testing.T) {
	c, url, p := setup(t)
	c.ALB().SetJobWindow(2 * time.Second) // long enough that a loaded machine still meets it
	old := alicastest.AddCAS(t, c, "old", alicastest.Bundle(t, "example.com"))
	other := alicastest.AddCAS(t, c, "other", alicastest.Bundle(t, "other.example.org"))
	lsn := product.Listener(t, c, 1, old)
	slot := discoverOne(t, p, provider.Target{Name: "t", Provider: provider.AliALB, Region: alicastest.Region, ListenerID: lsn})

	// Someone else associates a certificate: the listener is busy for the window.
	sdkc, err := alb.NewClientWithOptions(alicastest.Region, sdk.NewConfig().WithScheme("HTTP"),
		credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret))
	if err != nil {
		t.Fatal(err)
	}
	sdkc.Domain = strings.TrimPrefix(url, "http://")
	req := alb.CreateAssociateAdditionalCertificatesWithListenerRequest()
	req.RegionId, req.ListenerId = alicastest.Region, lsn
	req.Certificates = &[]alb.AssociateAdditionalCertificatesWithListenerCertificates{{CertificateId: other}}
	if _, err := sdkc.AssociateAdditionalCertificatesWithListener(req); err != nil {
		t.Fatal(err)
	}
	fresh := alicastest.Bundle(t, "example.com")
	id, err := p.Deploy(context.Background(), slot, fresh)
	if err != nil {
		t.Fatalf("Deploy on a busy listener: %v", err)
	}
	busy := 0
	for _, call := range c.Calls() {
		if call.Code == "IncorrectStatus.Listener" {
			busy++
		}
	}
	if busy == 0 {
		t.Error("the listener was never busy: the test did not test the wait")
	}
	l := product.Get(t, c, lsn)
	if l.Default != id || len(l.Additional) != 1 || l.Additional[0].ID != other {
		t.Errorf("listener %+v: want default %s and the other client's certificate untouched", l, id)
	}
	// Read back right after Deploy: the job is done, so the listener shows the new default.
	if b, err := p.Bound(context.Background(), slot); err != nil || b.ID != id {
		t.Errorf("Bound = %+v, %v", b, err)
	}
}

// TestBusyPastTheDeadlineIsRetryable: a listener still configuring at the deadline fails the
// slot with a retryable (not permanent) error.
func TestBusyPastTheDeadlineIsRetryable(t *testing.T) {
	c, _, p := setup(t)
	c.ALB().SetJobWindow(5 * time.Second)
	old := alicastest.AddCAS(t, c, "old", alicastest.Bundle(t, "example.com"))
	lsn := product.Listener(t, c, 1, old)
	slot := discoverOne(t, p, provider.Target{Name: "t", Provider: provider.AliALB, Region: alicastest.Region, ListenerID: lsn})
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	_, err := p.Deploy(ctx, slot, alicastest.Bundle(t, "example.com"))
	if err == nil || provider.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Deploy past the deadline = %v (permanent %v), want a retryable deadline error", err, provider.IsPermanent(err))
	}
}

// TestQuotaFullNeverLeavesAGap: a listener with 25 additional certificates refuses the new one;
// the one it would replace stays associated.
func TestQuotaFullNeverLeavesAGap(t *testing.T) {
	c, _, p := setup(t)
	c.ALB().SetJobWindow(0)
	def := alicastest.AddCAS(t, c, "def", alicastest.Bundle(t, "default.example.org"))
	var extra []string
	for i := range lbcerts.DefaultQuota {
		extra = append(extra, alicastest.AddCAS(t, c, fmt.Sprintf("s%d", i), alicastest.Bundle(t, fmt.Sprintf("s%d.example.com", i))))
	}
	lsn := product.Listener(t, c, 1, def, extra...)
	slot := discoverOne(t, p, provider.Target{Name: "t", Provider: provider.AliALB, Region: alicastest.Region, ListenerID: lsn, Domain: "s3.example.com"})
	if slot.Current.ID != extra[3] {
		t.Fatalf("the slot for s3.example.com serves %s, want %s", slot.Current.ID, extra[3])
	}
	_, err := p.Deploy(context.Background(), slot, alicastest.Bundle(t, "s3.example.com"))
	if err == nil || !provider.IsPermanent(err) || !strings.Contains(err.Error(), "QuotaExceeded") {
		t.Fatalf("Deploy on a full listener = %v, want a permanent quota error", err)
	}
	if l := product.Get(t, c, lsn); len(l.Additional) != lbcerts.DefaultQuota || l.Additional[3].ID != extra[3] {
		t.Errorf("the listener changed: %d additional", len(l.Additional))
	}
}

// TestDomainWithoutACertificateGetsOne: a listener + domain that no additional certificate
// serves yet gets the new one associated, nothing dissociated; rollback removes it again.
func TestDomainWithoutACertificateGetsOne(t *testing.T) {
	c, _, p := setup(t)
	def := alicastest.AddCAS(t, c, "def", alicastest.Bundle(t, "example.com"))
	keep := alicastest.AddCAS(t, c, "keep", alicastest.Bundle(t, "keep.example.org"))
	lsn := product.Listener(t, c, 1, def, keep)
	slot := discoverOne(t, p, provider.Target{Name: "t", Provider: provider.AliALB, Region: alicastest.Region, ListenerID: lsn, Domain: "new.example.net"})
	if slot.Current.ID != "" {
		t.Fatalf("Current = %+v, want none", slot.Current)
	}
	id, err := p.Deploy(context.Background(), slot, alicastest.Bundle(t, "new.example.net"))
	if err != nil {
		t.Fatal(err)
	}
	if l := product.Get(t, c, lsn); len(l.Additional) != 2 || l.Additional[0].ID != keep || l.Additional[1].ID != id {
		t.Errorf("additional %+v", l.Additional)
	}
	if err := p.Rebind(context.Background(), slot, ""); err != nil {
		t.Fatal(err)
	}
	if l := product.Get(t, c, lsn); len(l.Additional) != 1 || l.Additional[0].ID != keep {
		t.Errorf("after rollback additional %+v", l.Additional)
	}
}

// TestLoadBalancerTargetFindsEveryPlace: a load balancer target yields every HTTPS and QUIC
// listener's default and each additional certificate; HTTP listeners are left out.
func TestLoadBalancerTargetFindsEveryPlace(t *testing.T) {
	c, _, p := setup(t)
	a := alicastest.AddCAS(t, c, "a", alicastest.Bundle(t, "a.example.com"))
	b := alicastest.AddCAS(t, c, "b", alicastest.Bundle(t, "b.example.com"))
	for _, l := range []lbcerts.Listener{
		{ID: "lsn-https", Region: alicastest.Region, LoadBalancerID: "alb-x", Protocol: "HTTPS", Port: 443, Default: a, Additional: []lbcerts.Cert{{ID: b}}},
		{ID: "lsn-quic", Region: alicastest.Region, LoadBalancerID: "alb-x", Protocol: "QUIC", Port: 443, Default: b},
		{ID: "lsn-http", Region: alicastest.Region, LoadBalancerID: "alb-x", Protocol: "HTTP", Port: 80},
		{ID: "lsn-elsewhere", Region: alicastest.Region, LoadBalancerID: "alb-y", Protocol: "HTTPS", Port: 443, Default: a},
	} {
		if err := c.ALB().Store().Add(l); err != nil {
			t.Fatal(err)
		}
	}
	slots, err := p.Discover(context.Background(), provider.Target{Name: "lb", Provider: provider.AliALB, Region: alicastest.Region, LoadBalancerID: "alb-x"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range slots {
		got = append(got, s.Name+"="+s.Current.ID)
		if s.Current.ID != "" && len(s.Current.Names) == 0 {
			t.Errorf("%s: names unknown", s.Name)
		}
	}
	want := []string{"lb/lsn-https=" + a, "lb/lsn-https/additional/" + b + "=" + b, "lb/lsn-quic=" + b}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("slots %v, want %v", got, want)
	}
}

// TestCASNames: names carry the deployment, fit CAS's 64 characters and differ per certificate.
func TestCASNames(t *testing.T) {
	long := strings.Repeat("d", 32)
	b := alicastest.Bundle(t, strings.Repeat("x", 50)+".example.com")
	for _, dep := range []string{"test", long} {
		n := alicas.Name(dep, b)
		if !strings.HasPrefix(n, provider.NamePrefix+dep+"_") || len(n) > 64 || len(n) < 1 {
			t.Errorf("Name(%q) = %q (%d)", dep, n, len(n))
		}
		fp := b.FingerprintSHA256()[:8]
		if !strings.Contains(n, fp) {
			t.Errorf("Name(%q) = %q lacks the fingerprint", dep, n)
		}
	}
	if alicas.Name("test", b) == alicas.Name("test", alicastest.Bundle(t, "other.example.com")) {
		t.Error("two certificates share a name")
	}
}

// TestDeleteRefusesOtherDeployments: a certificate named by another deployment, or a lookalike,
// is never deleted.
func TestDeleteRefusesOtherDeployments(t *testing.T) {
	c, _, p := setup(t)
	b := alicastest.Bundle(t, "x.example.com")
	for _, name := range []string{alicas.Name("test-other", b), "certrotate-test-x", "certrotate-" + "testing_x"} {
		id := alicastest.AddCAS(t, c, name, alicastest.Bundle(t, "y.example.com"))
		c.ResetCalls()
		err := p.Delete(context.Background(), alicastest.Region, id)
		if err == nil || !provider.IsPermanent(err) {
			t.Errorf("Delete of %q = %v, want a permanent refusal", name, err)
		}
		for _, call := range c.MutatingCalls() {
			t.Errorf("%q: mutating call %s", name, call.Action)
		}
	}
}

// TestExpiredCertificateNamesAreKnown: a listener still serving an expired CAS certificate is
// described with its names (CAS lists expired certificates only when asked).
func TestExpiredCertificateNamesAreKnown(t *testing.T) {
	c, _, p := setup(t)
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"expired.example.com"}, NotBefore: time.Now().AddDate(-1, 0, 0), NotAfter: time.Now().AddDate(0, 0, -1)})
	id, err := c.CAS().AddCertificate("expired", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	bind := strconv.FormatInt(id, 10) + "-" + alicastest.CASRegion
	lsn := product.Listener(t, c, 1, bind)
	slot := discoverOne(t, p, provider.Target{Name: "t", Provider: provider.AliALB, Region: alicastest.Region, ListenerID: lsn})
	if slot.Current.ID != bind || len(slot.Current.Names) != 1 || slot.Current.Names[0] != "expired.example.com" || slot.Current.Fingerprint == "" {
		t.Errorf("Current = %+v", slot.Current)
	}
}

// TestHangingALBEndsByTheDeadline: an ALB that never answers fails Discover with the deadline's
// error, retryable, quoting no URL.
func TestHangingALBEndsByTheDeadline(t *testing.T) {
	c, _, p := setup(t)
	old := alicastest.AddCAS(t, c, "old", alicastest.Bundle(t, "example.com"))
	lsn := product.Listener(t, c, 1, old)
	c.Faults().SetHang("alb")
	defer c.Faults().SetHang()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := p.Discover(ctx, provider.Target{Name: "t", Provider: provider.AliALB, Region: alicastest.Region, ListenerID: lsn})
	if err == nil || provider.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Signature") {
		t.Fatalf("Discover on a hanging ALB = %v", err)
	}
}

package alislb

import (
	"context"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
)

// slotsOf discovers the whole region.
func slotsOf(t *testing.T, p *Provider) map[string]provider.Slot {
	t.Helper()
	slots, err := p.Discover(context.Background(), provider.Target{Name: "all", Region: testRegion})
	must(t, err)
	out := map[string]provider.Slot{}
	for _, s := range slots {
		out[s.Name] = s
	}
	return out
}

// TestBoundAllReadsEveryPlaceBackInFewCalls: after the bindings, one DescribeLoadBalancerListeners
// for both load balancers, one DescribeDomainExtensions for the listener with an SNI domain, and
// the region's certificates once more (the run uploaded); each place reads back as the new
// certificate, described by the cloud's fingerprint.
func TestBoundAllReadsEveryPlaceBackInFewCalls(t *testing.T) {
	w := newWorld(t)
	p := w.provider(t)
	all := slotsOf(t, p)
	var slots []provider.Slot
	for _, name := range []string{"all/lb-a:443", "all/lb-a:443/api.example.com", "all/lb-b:443"} {
		s, ok := all[name]
		if !ok {
			t.Fatalf("no slot %s in %v", name, all)
		}
		if _, err := p.Deploy(context.Background(), s, w.fresh); err != nil {
			t.Fatal(err)
		}
		slots = append(slots, s)
	}
	w.cloud.ResetCalls()
	got, errs := p.BoundAll(context.Background(), slots)
	fp := certs.NormalizeFingerprint(w.fresh.FingerprintSHA1())
	for i := range slots {
		if errs[i] != nil || got[i].ID == "" || got[i].Fingerprint != fp || len(got[i].Names) == 0 {
			t.Errorf("%s: %+v, %v; want the new certificate, described", slots[i].Name, got[i], errs[i])
		}
	}
	calls := map[string]int{}
	for _, c := range w.cloud.Calls() {
		calls[c.Action]++
	}
	if len(calls) != 3 || calls["DescribeLoadBalancerListeners"] != 1 || calls["DescribeDomainExtensions"] != 1 || calls["DescribeServerCertificates"] != 1 {
		t.Errorf("read-back calls %v; want one listing of the listeners, of the SNI domains and of the certificates", calls)
	}
}

// TestBoundAllFailsOnlyTheSlotsACallAnswersFor: SNI domains that cannot be read fail the SNI
// slot alone; a place that is not an HTTPS listener (any more) fails with its own error.
func TestBoundAllFailsOnlyTheSlotsACallAnswersFor(t *testing.T) {
	w := newWorld(t)
	p := w.provider(t)
	all := slotsOf(t, p)
	def, sni := all["all/lb-a:443"], all["all/lb-a:443/api.example.com"]
	gone := def
	gone.ListenerPort, gone.Name = 80, "all/lb-a:80" // HTTP: DescribeLoadBalancerListeners(https) does not list it
	w.cloud.Faults().FailNext("DescribeDomainExtensions", fakecore.ServerError, 10)
	got, errs := p.BoundAll(context.Background(), []provider.Slot{def, sni, gone})
	if errs[0] != nil || got[0].ID != w.oldID {
		t.Errorf("default slot: %+v, %v; want %s", got[0], errs[0], w.oldID)
	}
	if errs[1] == nil || provider.IsPermanent(errs[1]) {
		t.Errorf("SNI slot: %v; want the retryable error of DescribeDomainExtensions", errs[1])
	}
	if errs[2] == nil || !strings.Contains(errs[2].Error(), "no longer an HTTPS listener") {
		t.Errorf("HTTP listener: %v; want \"no longer an HTTPS listener\"", errs[2])
	}
}

// TestBoundAllRecognisesAConcurrentCopy: another invocation uploaded its own copy of the same
// certificate and bound it since; the read-back describes that copy (a listing after this run's
// ones) with the same fingerprint, so that the rotation counts the place as rotated.
func TestBoundAllRecognisesAConcurrentCopy(t *testing.T) {
	w := newWorld(t)
	mine, theirs := w.provider(t), w.provider(t)
	other := slotsOf(t, theirs)["all/lb-b:443"] // they list the region before this run uploads
	slot := slotsOf(t, mine)["all/lb-b:443"]
	myCopy, err := mine.Deploy(context.Background(), slot, w.fresh)
	must(t, err)
	theirCopy, err := theirs.Deploy(context.Background(), other, w.fresh) // their listing has no copy: they upload their own
	must(t, err)
	if theirCopy == myCopy {
		t.Fatal("the other invocation reused this run's copy; the test needs two copies")
	}
	got, errs := mine.BoundAll(context.Background(), []provider.Slot{slot})
	if errs[0] != nil || got[0].ID != theirCopy || got[0].Fingerprint != certs.NormalizeFingerprint(w.fresh.FingerprintSHA1()) {
		t.Fatalf("read back %+v, %v; want the other invocation's copy %s with the same fingerprint", got[0], errs[0], theirCopy)
	}
}

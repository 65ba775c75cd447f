package huaweielb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/providertest"
)

// listeners seeds n HTTPS listeners over six load balancers, all serving one old certificate,
// and returns one listener_id target for each.
func listeners(t *testing.T, e *providertest.Env, n int) []provider.Target {
	t.Helper()
	elb := e.Cloud.ELB()
	old := addCertificate(t, e, "old", "", certificate(t, "example.com", "www.example.com"))
	lbs := make([]string, 6)
	for i := range lbs {
		lbs[i] = elb.AddLoadBalancer(testProject, elbfake.LoadBalancer{Name: fmt.Sprintf("lb-%d", i)})
	}
	targets := make([]provider.Target, n)
	for i := range targets {
		l := elb.AddListener(testProject, elbfake.Listener{LoadBalancerID: lbs[i%len(lbs)], Protocol: "HTTPS", Port: 443 + i/len(lbs), DefaultTLSContainerRef: old})
		targets[i] = elbTarget(func(tg *provider.Target) { tg.Name = fmt.Sprintf("l-%03d", i); tg.ListenerID = l })
	}
	e.Cloud.ResetCalls()
	return targets
}

// discoverAll discovers every target at once, as the rotation does.
func discoverAll(t *testing.T, p *Provider, targets []provider.Target) []provider.Slot {
	t.Helper()
	slots := make([]provider.Slot, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Go(func() {
			var got []provider.Slot
			if got, errs[i] = p.Discover(context.Background(), tg); errs[i] == nil {
				slots[i] = got[0]
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return slots
}

// deployAll deploys b to every slot at once and returns the ids bound.
func deployAll(t *testing.T, p *Provider, slots []provider.Slot, b *certs.Bundle) []string {
	t.Helper()
	ids := make([]string, len(slots))
	errs := make([]error, len(slots))
	var wg sync.WaitGroup
	for i, s := range slots {
		wg.Go(func() { ids[i], errs[i] = p.Deploy(context.Background(), s, b) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return ids
}

// perAction counts calls by action.
func perAction(calls []fakecore.Call) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		out[c.Action]++
	}
	return out
}

// callKey is a call as the cloud sees it.
func callKey(c fakecore.Call) string {
	var b strings.Builder
	b.WriteString(c.Action)
	for _, k := range slices.Sorted(maps.Keys(c.Params)) {
		fmt.Fprintf(&b, " %s=%s", k, c.Params[k])
	}
	return b.String()
}

// A rotation of 60 listener targets serving one certificate, through the provider as the
// rotation drives it: every listener is read once at discovery and written once, the
// certificate they serve is read once, and the read-back lists the listeners 50 at a time and
// reads no certificate (the one bound is the one this run uploaded). No listener call repeats.
// A redelivery reads each listener once and the certificate once.
func TestRotationCallsPerListener(t *testing.T) {
	e, _ := start(t)
	const n = 60
	targets := listeners(t, e, n)
	fresh := certificate(t, "example.com", "*.example.com")
	fp := certs.NormalizeFingerprint(fresh.FingerprintSHA1())
	p := mustNew(t, testConfig(e.URL))
	slots := discoverAll(t, p, targets)
	ids := deployAll(t, p, slots, fresh)
	rotation := e.Cloud.Calls()
	e.Cloud.ResetCalls()
	got, errs := p.BoundAll(context.Background(), slots)
	readBack := e.Cloud.Calls()
	for i := range slots {
		if errs[i] != nil || got[i].ID != ids[i] || got[i].Fingerprint != fp {
			t.Fatalf("read back %s: %+v, %v; want %s with fingerprint %s", slots[i].Name, got[i], errs[i], ids[i], fp)
		}
	}
	want := map[string]int{"ShowListener": n, "ShowCertificate": 1, "ListCertificates": 2, "CreateCertificate": 1, "UpdateListener": n}
	if got := perAction(rotation); !maps.Equal(got, want) {
		t.Errorf("rotation calls per action:\n got %v\nwant %v", got, want)
	}
	if got, want := perAction(readBack), map[string]int{"ListListeners": 2}; !maps.Equal(got, want) {
		t.Errorf("read-back calls per action:\n got %v\nwant %v", got, want)
	}
	// ListCertificates looks for this deployment's copies before and after the upload (two
	// identical calls by design); no other call repeats.
	seen := map[string]int{}
	for _, c := range append(rotation, readBack...) {
		if c.Code != "" {
			t.Fatalf("call %s failed: %s", c.Action, c.Code)
		}
		if c.Action != "ListCertificates" {
			seen[callKey(c)]++
		}
	}
	for k, times := range seen {
		if times > 1 {
			t.Errorf("%d times: %s", times, k)
		}
	}

	// A redelivery: a new run finds every listener on the new certificate.
	e.Cloud.ResetCalls()
	again := discoverAll(t, mustNew(t, testConfig(e.URL)), targets)
	for i, s := range again {
		if s.Current.ID != ids[i] || s.Current.Fingerprint != fp {
			t.Fatalf("rediscovered %s: %+v, want %s", s.Name, s.Current, ids[i])
		}
	}
	if got, want := perAction(e.Cloud.Calls()), map[string]int{"ShowListener": n, "ShowCertificate": 1}; !maps.Equal(got, want) {
		t.Errorf("redelivery calls per action:\n got %v\nwant %v", got, want)
	}
}

// BoundAll answers as Bound does, slot by slot: default and SNI slots of one listener, a slot of
// another listener, and an in-place certificate.
func TestBoundAllAnswersAsBound(t *testing.T) {
	e, elb := start(t)
	sni := seedSNI(t, e, certificate(t, "www.example.com"))
	def := elbTarget(func(tg *provider.Target) { tg.Name = "default"; tg.ListenerID = sni.Target.ListenerID })
	other := seedListener(t, e, certificate(t, "api.example.com"))
	inPlace := seedInPlace(t, e, certificate(t, "example.com", "www.example.com"))
	fresh := certificate(t, "example.com", "*.example.com")
	p := mustNew(t, testConfig(e.URL))
	slots := discoverAll(t, p, []provider.Target{sni.Target, def, other.Target, inPlace.Target})
	deployAll(t, p, slots, fresh)
	e.Cloud.ResetCalls()
	got, errs := p.BoundAll(context.Background(), slots)
	if m := mutating(e); len(m) != 0 {
		t.Errorf("BoundAll made mutating calls %v", m)
	}
	if n := perAction(e.Cloud.Calls())["ShowListener"]; n != 0 {
		t.Errorf("BoundAll read %d listeners one by one, want a listing", n)
	}
	for i, s := range slots {
		want, err := mustNew(t, testConfig(e.URL)).Bound(context.Background(), s) // a new run: nothing known
		if err != nil || errs[i] != nil {
			t.Fatalf("%s: Bound %v, BoundAll %v", s.Name, err, errs[i])
		}
		if got[i].ID != want.ID || got[i].Fingerprint != want.Fingerprint || !slices.Equal(got[i].Names, want.Names) {
			t.Errorf("%s: BoundAll %+v, Bound %+v", s.Name, got[i], want)
		}
	}
	if l, _ := elb.Listener(testProject, sni.Target.ListenerID); l.DefaultTLSContainerRef != got[1].ID || !slices.Contains(l.SNIContainerRefs, got[0].ID) {
		t.Errorf("default slot reads %s and SNI slot %s; the listener serves %s and SNI %v", got[1].ID, got[0].ID, l.DefaultTLSContainerRef, l.SNIContainerRefs)
	}
}

// A listener whose binding changed after the run bound it, to another certificate, reads back
// as that certificate, described as ELB has it: one the run never saw is listed.
func TestBoundAllDescribesACertificateTheRunNeverSaw(t *testing.T) {
	e, _ := start(t)
	targets := listeners(t, e, 3)
	fresh := certificate(t, "example.com", "*.example.com")
	p := mustNew(t, testConfig(e.URL))
	slots := discoverAll(t, p, targets)
	deployAll(t, p, slots, fresh)
	// Another invocation's copy of the same certificate, bound since.
	copyID := addCertificate(t, e, "copy", "", fresh)
	other := mustNew(t, testConfig(e.URL))
	if err := other.updateListener(context.Background(), other.scope(testRegion, testProject, ""), targets[1].ListenerID,
		&model.UpdateListenerOption{DefaultTlsContainerRef: &copyID}); err != nil {
		t.Fatal(err)
	}
	e.Cloud.ResetCalls()
	got, errs := p.BoundAll(context.Background(), slots)
	if errs[1] != nil || got[1].ID != copyID || got[1].Fingerprint != certs.NormalizeFingerprint(fresh.FingerprintSHA1()) {
		t.Fatalf("read back %+v, %v; want %s with the new fingerprint", got[1], errs[1], copyID)
	}
	if want := map[string]int{"ListListeners": 1, "ListCertificates": 1}; !maps.Equal(perAction(e.Cloud.Calls()), want) {
		t.Errorf("calls %v, want %v", perAction(e.Cloud.Calls()), want)
	}
}

// Listeners the listing leaves out (one of another enterprise project than the target names) are
// read one by one; when ELB refuses the listing (the policy lacks elb:listeners:list), all are.
func TestBoundAllFallsBackToOneByOne(t *testing.T) {
	t.Run("unlisted", func(t *testing.T) {
		e, elb := start(t)
		const ep = "3c1d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
		elb.AddEnterpriseProject(ep)
		targets := listeners(t, e, 3)
		targets[2].EnterpriseProjectID = ep // the listener is in the default one
		fresh := certificate(t, "example.com", "*.example.com")
		p := mustNew(t, testConfig(e.URL))
		slots := discoverAll(t, p, targets)
		ids := deployAll(t, p, slots, fresh)
		e.Cloud.ResetCalls()
		got, errs := p.BoundAll(context.Background(), slots)
		for i := range slots {
			if errs[i] != nil || got[i].ID != ids[i] {
				t.Fatalf("read back %s: %+v, %v; want %s", slots[i].Name, got[i], errs[i], ids[i])
			}
		}
		if want := map[string]int{"ListListeners": 2, "ShowListener": 1}; !maps.Equal(perAction(e.Cloud.Calls()), want) {
			t.Errorf("calls %v, want %v", perAction(e.Cloud.Calls()), want)
		}
	})
	t.Run("refused", func(t *testing.T) {
		e, elb := start(t)
		targets := listeners(t, e, 3)
		fresh := certificate(t, "example.com", "*.example.com")
		p := mustNew(t, testConfig(e.URL))
		slots := discoverAll(t, p, targets)
		ids := deployAll(t, p, slots, fresh)
		elb.DenyAction(fakecore.DefaultAccessKeyID, "elb:listeners:list")
		e.Cloud.ResetCalls()
		got, errs := p.BoundAll(context.Background(), slots)
		for i := range slots {
			if errs[i] != nil || got[i].ID != ids[i] {
				t.Fatalf("read back %s: %+v, %v; want %s", slots[i].Name, got[i], errs[i], ids[i])
			}
		}
		if want := map[string]int{"ListListeners": 1, "ShowListener": 3}; !maps.Equal(perAction(e.Cloud.Calls()), want) {
			t.Errorf("calls %v, want %v", perAction(e.Cloud.Calls()), want)
		}
	})
}

// Deploy reads a default-certificate slot's listener again when a write of this run reached the
// listener after Discover read it (here an SNI slot of the same listener), and when Discover saw
// it serve the certificate already; otherwise it writes without reading.
func TestDeployReadsTheListenerAgainAfterAWriteOfThisRun(t *testing.T) {
	e, _ := start(t)
	sni := seedSNI(t, e, certificate(t, "www.example.com"))
	def := elbTarget(func(tg *provider.Target) { tg.Name = "default"; tg.ListenerID = sni.Target.ListenerID })
	other := seedListener(t, e, certificate(t, "api.example.com"))
	fresh := certificate(t, "example.com", "*.example.com")
	p := mustNew(t, testConfig(e.URL))
	slots := discoverAll(t, p, []provider.Target{sni.Target, def, other.Target})
	ctx := context.Background()
	count := func(deploy provider.Slot) map[string]int {
		t.Helper()
		e.Cloud.ResetCalls()
		if _, err := p.Deploy(ctx, deploy, fresh); err != nil {
			t.Fatal(err)
		}
		calls := perAction(e.Cloud.Calls())
		delete(calls, "ListCertificates")
		delete(calls, "CreateCertificate")
		return calls
	}
	if got, want := count(slots[2]), map[string]int{"UpdateListener": 1}; !maps.Equal(got, want) {
		t.Errorf("default slot, listener untouched since discovery: %v, want %v", got, want)
	}
	if got, want := count(slots[0]), map[string]int{"ShowListener": 1, "UpdateListener": 1}; !maps.Equal(got, want) {
		t.Errorf("SNI slot: %v, want %v", got, want)
	}
	if got, want := count(slots[1]), map[string]int{"ShowListener": 1, "UpdateListener": 1}; !maps.Equal(got, want) {
		t.Errorf("default slot of the listener the SNI slot wrote: %v, want %v", got, want)
	}
	// The same again: read, found bound, nothing written.
	if got, want := count(slots[2]), map[string]int{"ShowListener": 1}; !maps.Equal(got, want) {
		t.Errorf("default slot deployed again: %v, want %v", got, want)
	}
	// A new run whose discovery found the listener serving the certificate already reads it again.
	q := mustNew(t, testConfig(e.URL))
	again := discoverOne(t, q, other.Target)
	p = q
	if got, want := count(again), map[string]int{"ShowListener": 1}; !maps.Equal(got, want) {
		t.Errorf("default slot found serving the certificate: %v, want %v", got, want)
	}
}

// Package providertest is the conformance suite every provider passes, run against the emulator
// with the provider's real SDK client.
package providertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
)

// Harness adapts one provider and its part of the emulator to the suite.
type Harness struct {
	// Service is the emulator's service name in the call log ("slb", "elb").
	Service string
	// Also are further services whose calls count as the provider's (e.g. "cas" for ALB and NLB,
	// which store certificates in CAS).
	Also []string
	// New returns a provider talking to e's emulator, with retries fast enough for tests
	// (at least 3 attempts). With o.WrongSecret, its secret is one the emulator refuses.
	New func(t *testing.T, e *Env, o Options) provider.Provider
	// Kinds are the kinds of slot the provider serves; the first must not be InPlace.
	Kinds []Kind
	// Missing returns targets naming things that do not exist in e (Discover refuses each
	// with a Permanent error).
	Missing func(t *testing.T, e *Env) []provider.Target
	// Copies returns the ids of the certificates in region whose leaf has the SHA-1 fingerprint
	// fp (as certs.NormalizeFingerprint gives it), read from the emulator.
	Copies func(t *testing.T, e *Env, region, fp string) []string
	// KeyType is the key type of the suite's certificates ("": certstest's default); a cloud that
	// takes RSA only (Alibaba CLB) sets certstest.RSA2048.
	KeyType certstest.KeyType
}

// Kind is one kind of slot and how to make one.
type Kind struct {
	Name string
	// Seed creates, in e, a place serving a new certificate holding b that this project did
	// not upload, and returns the target naming exactly that place.
	Seed func(t *testing.T, e *Env, b *certs.Bundle) Seeded
	// InPlace: Deploy replaces the served certificate's content under the same id; there is
	// nothing to upload, to rebind or to clean up.
	InPlace bool
	// Read is an action Discover makes; Store is the action that stores a certificate
	// (upload or in-place update); Bind the one that binds it ("" when InPlace).
	Read, Store, Bind string
}

// Seeded is a place the harness created.
type Seeded struct {
	Target        provider.Target
	CertificateID string        // the certificate it serves
	Serving       func() string // reads from the emulator the id of the certificate it serves now
}

// Options adjust the provider New builds.
type Options struct {
	WrongSecret bool
}

// Env is one emulator, fresh for each test.
type Env struct {
	Cloud *fakecloud.Cloud
	URL   string
	seq   int
}

// Next returns 1, 2, 3… for harnesses to name what they seed uniquely.
func (e *Env) Next() int {
	e.seq++
	return e.seq
}

// Names the suite's certificates hold: the seeded certificates serve old names, the new
// certificate covers them.
var (
	oldNames = []string{"example.com", "www.example.com"}
	newNames = []string{"example.com", "*.example.com"}
)

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	if len(h.Kinds) == 0 || h.Kinds[0].InPlace {
		t.Fatal("providertest: the harness needs a kind that is not InPlace first")
	}
	for _, k := range h.Kinds {
		t.Run(k.Name, func(t *testing.T) {
			s := &suite{h: h, k: k}
			t.Run("DiscoverDescribesCurrent", s.discoverDescribesCurrent)
			t.Run("DeployBindsAndReadsBack", s.deployBindsAndReadsBack)
			t.Run("RedeployChangesNothing", s.redeployChangesNothing)
			t.Run("UnchangedWhenAlreadyBound", s.unchangedWhenAlreadyBound)
			t.Run("Rebind", s.rebind)
			t.Run("RetriesThrottlingAndServerErrors", s.retries)
			t.Run("ExhaustedRetriesAreNotPermanent", s.exhaustedRetries)
			t.Run("Cancelled", s.cancelled)
			t.Run("ConcurrentInvocationsConverge", s.concurrentInvocations)
		})
	}
	s := &suite{h: h, k: h.Kinds[0]}
	t.Run("MissingTargetsArePermanent", s.missing)
	t.Run("WrongSecretIsPermanentAndLeaksNothing", s.wrongSecret)
	t.Run("UploadsOncePerRegionPerRun", s.uploadsOnce)
	t.Run("OwnedAndDelete", s.ownedAndDelete)
}

type suite struct {
	h Harness
	k Kind
}

// world is a fresh emulator with one seeded slot and a new certificate for it.
type world struct {
	e      *Env
	seeded Seeded
	old    *certs.Bundle
	fresh  *certs.Bundle
	fp     string // the fresh certificate's normalised SHA-1
}

func (s *suite) world(t *testing.T) *world {
	t.Helper()
	e := &Env{}
	e.Cloud, e.URL = fakecloud.Start(t)
	w := &world{e: e, old: s.bundle(t, oldNames), fresh: s.bundle(t, newNames)}
	w.fp = certs.NormalizeFingerprint(w.fresh.FingerprintSHA1())
	w.seeded = s.k.Seed(t, e, w.old)
	e.Cloud.ResetCalls()
	return w
}

var (
	issuedMu sync.Mutex
	issued   = map[string]*certstest.Issued{}
)

// bundle is a certificate for names, made once per key type and names for the test binary (RSA
// keys are slow to make); each world has its own emulator, so sharing them changes nothing.
func (s *suite) bundle(t *testing.T, names []string) *certs.Bundle {
	t.Helper()
	issuedMu.Lock()
	key := string(s.h.KeyType) + " " + strings.Join(names, ",")
	is, ok := issued[key]
	if !ok {
		is = certstest.Must(t, certstest.Options{DNSNames: names, KeyType: s.h.KeyType})
		issued[key] = is
	}
	issuedMu.Unlock()
	b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *suite) provider(t *testing.T, w *world) provider.Provider {
	t.Helper()
	return s.h.New(t, w.e, Options{})
}

// discover resolves the world's target into its one slot.
func (s *suite) discover(t *testing.T, p provider.Provider, w *world) provider.Slot {
	t.Helper()
	slots, err := p.Discover(context.Background(), w.seeded.Target)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if len(slots) != 1 {
		t.Fatalf("Discover: %d slots, want 1", len(slots))
	}
	return slots[0]
}

// calls lists the provider's service's calls (only the mutating ones when asked), in order.
func (s *suite) calls(w *world, mutatingOnly bool) []string {
	var out []string
	for _, c := range w.e.Cloud.Calls() {
		if (c.Service == s.h.Service || slices.Contains(s.h.Also, c.Service)) && (!mutatingOnly || c.Mutating) {
			out = append(out, c.Action)
		}
	}
	return out
}

func count(actions []string, action string) int {
	n := 0
	for _, a := range actions {
		if a == action {
			n++
		}
	}
	return n
}

func sameNames(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(slices.Compact(g), slices.Compact(w))
}

func (s *suite) discoverDescribesCurrent(t *testing.T) {
	w := s.world(t)
	slot := s.discover(t, s.provider(t, w), w)
	cur := slot.Current
	if cur.ID != w.seeded.CertificateID {
		t.Errorf("Current.ID = %q, want %q", cur.ID, w.seeded.CertificateID)
	}
	if want := certs.NormalizeFingerprint(w.old.FingerprintSHA1()); cur.Fingerprint != want {
		t.Errorf("Current.Fingerprint = %q, want %q", cur.Fingerprint, want)
	}
	if !sameNames(cur.Names, oldNames) {
		t.Errorf("Current.Names = %v, want %v", cur.Names, oldNames)
	}
	if slot.Region != w.seeded.Target.Region || slot.Name == "" {
		t.Errorf("slot region %q name %q", slot.Region, slot.Name)
	}
	if m := s.calls(w, true); len(m) != 0 {
		t.Errorf("Discover made mutating calls: %v", m)
	}
}

func (s *suite) deployBindsAndReadsBack(t *testing.T) {
	w := s.world(t)
	p := s.provider(t, w)
	slot := s.discover(t, p, w)
	id, err := p.Deploy(context.Background(), slot, w.fresh)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if s.k.InPlace && id != w.seeded.CertificateID {
		t.Errorf("in-place Deploy returned %q, want the same id %q", id, w.seeded.CertificateID)
	}
	if !s.k.InPlace && id == w.seeded.CertificateID {
		t.Errorf("Deploy returned the old certificate %q", id)
	}
	if got := w.seeded.Serving(); got != id {
		t.Errorf("the emulator says the slot serves %q, want %q", got, id)
	}
	if got := s.h.Copies(t, w.e, slot.Region, w.fp); len(got) != 1 || got[0] != id {
		t.Errorf("certificates holding the new leaf: %v, want [%s]", got, id)
	}
	before := len(w.e.Cloud.MutatingCalls())
	b, err := p.Bound(context.Background(), slot)
	if err != nil {
		t.Fatalf("Bound: %v", err)
	}
	if b.ID != id || b.Fingerprint != w.fp {
		t.Errorf("Bound = %+v, want id %s fingerprint %s", b, id, w.fp)
	}
	for _, n := range newNames {
		if !slices.Contains(b.Names, n) {
			t.Errorf("Bound.Names = %v, missing %s", b.Names, n)
		}
	}
	if after := len(w.e.Cloud.MutatingCalls()); after != before {
		t.Errorf("Bound made %d mutating calls", after-before)
	}
}

func (s *suite) redeployChangesNothing(t *testing.T) {
	w := s.world(t)
	p := s.provider(t, w)
	slot := s.discover(t, p, w)
	id, err := p.Deploy(context.Background(), slot, w.fresh)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	// The same event again, in this run and in a new one (a redelivery).
	for i, q := range []provider.Provider{p, s.provider(t, w)} {
		w.e.Cloud.ResetCalls()
		again, err := q.Deploy(context.Background(), slot, w.fresh)
		if err != nil || again != id {
			t.Fatalf("redeploy %d = %q, %v; want %q", i, again, err, id)
		}
		for _, a := range s.calls(w, true) {
			if a != s.k.Bind || s.k.Bind == "" {
				t.Errorf("redeploy %d made mutating call %s (at most a rebind to the same certificate is allowed)", i, a)
			}
		}
	}
	if got := s.h.Copies(t, w.e, slot.Region, w.fp); len(got) != 1 {
		t.Errorf("%d certificates hold the new leaf after redeploys, want 1", len(got))
	}
	if got := w.seeded.Serving(); got != id {
		t.Errorf("serves %q, want %q", got, id)
	}
}

func (s *suite) unchangedWhenAlreadyBound(t *testing.T) {
	w := s.world(t)
	p := s.provider(t, w)
	id, err := p.Deploy(context.Background(), s.discover(t, p, w), w.fresh)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	// A new run discovers the slot serving the new certificate: the rotation reports it unchanged.
	slot := s.discover(t, s.provider(t, w), w)
	if slot.Current.ID != id || slot.Current.Fingerprint != w.fp {
		t.Errorf("rediscovered Current = %+v, want id %s fingerprint %s", slot.Current, id, w.fp)
	}
}

func (s *suite) rebind(t *testing.T) {
	w := s.world(t)
	p := s.provider(t, w)
	r, ok := p.(provider.Rebinder)
	if !ok {
		t.Fatal("the provider does not implement provider.Rebinder")
	}
	slot := s.discover(t, p, w)
	id, err := p.Deploy(context.Background(), slot, w.fresh)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	w.e.Cloud.ResetCalls()
	err = r.Rebind(context.Background(), slot, slot.Current.ID)
	if s.k.InPlace {
		if err == nil || !provider.IsPermanent(err) {
			t.Fatalf("Rebind of an in-place slot = %v, want a permanent error", err)
		}
		if m := s.calls(w, false); len(m) != 0 {
			t.Errorf("a refused Rebind made calls: %v", m)
		}
		if got := w.seeded.Serving(); got != id {
			t.Errorf("serves %q after a refused Rebind, want %q", got, id)
		}
		return
	}
	if err != nil {
		t.Fatalf("Rebind: %v", err)
	}
	if got := w.seeded.Serving(); got != w.seeded.CertificateID {
		t.Errorf("serves %q after Rebind, want the old %q", got, w.seeded.CertificateID)
	}
	b, err := p.Bound(context.Background(), slot)
	if err != nil || b.ID != w.seeded.CertificateID {
		t.Errorf("Bound after Rebind = %+v, %v; want %s", b, err, w.seeded.CertificateID)
	}
}

func (s *suite) retries(t *testing.T) {
	w := s.world(t)
	f := w.e.Cloud.Faults()
	f.FailNext(s.k.Read, fakecore.Throttle, 1)
	f.FailNext(s.k.Store, fakecore.Throttle, 1)
	if s.k.Bind != "" {
		f.FailNext(s.k.Bind, fakecore.ServerError, 2)
	} else {
		f.FailNext(s.k.Store, fakecore.ServerError, 1)
	}
	p := s.provider(t, w)
	slot := s.discover(t, p, w)
	id, err := p.Deploy(context.Background(), slot, w.fresh)
	if err != nil {
		t.Fatalf("Deploy through throttling and 5xx: %v", err)
	}
	if got := w.seeded.Serving(); got != id {
		t.Errorf("serves %q, want %q", got, id)
	}
	failed := 0
	for _, c := range w.e.Cloud.Calls() {
		if c.Status == 429 || c.Status >= 500 || (c.Code != "" && c.Status == 400 && strings.Contains(strings.ToLower(c.Code), "throttl")) {
			failed++
		}
	}
	if failed < 3 {
		t.Errorf("only %d injected faults seen; the suite's faults did not apply", failed)
	}
	if got := s.h.Copies(t, w.e, slot.Region, w.fp); len(got) != 1 {
		t.Errorf("%d certificates hold the new leaf: a retried store must not leave a duplicate", len(got))
	}
}

func (s *suite) exhaustedRetries(t *testing.T) {
	w := s.world(t)
	w.e.Cloud.Faults().FailNext(s.k.Read, fakecore.Throttle, 100)
	_, err := s.provider(t, w).Discover(context.Background(), w.seeded.Target)
	if err == nil || provider.IsPermanent(err) {
		t.Fatalf("Discover under constant throttling = %v (permanent %v), want a retryable error", err, provider.IsPermanent(err))
	}
	if n := len(s.calls(w, false)); n < 2 || n > 10 {
		t.Errorf("%d attempts; want a few, bounded", n)
	}
}

func (s *suite) cancelled(t *testing.T) {
	w := s.world(t)
	slot := s.discover(t, s.provider(t, w), w)
	// A new provider: one that discovered already may answer Discover from what it learned.
	p := s.provider(t, w)
	w.e.Cloud.ResetCalls()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Discover(ctx, w.seeded.Target); !errors.Is(err, context.Canceled) || provider.IsPermanent(err) {
		t.Errorf("Discover with a cancelled context = %v, want context.Canceled, not permanent", err)
	}
	if _, err := p.Deploy(ctx, slot, w.fresh); !errors.Is(err, context.Canceled) || provider.IsPermanent(err) {
		t.Errorf("Deploy with a cancelled context = %v, want context.Canceled, not permanent", err)
	}
	if _, err := p.Bound(ctx, slot); !errors.Is(err, context.Canceled) {
		t.Errorf("Bound with a cancelled context = %v, want context.Canceled", err)
	}
	if n := len(s.calls(w, false)); n != 0 {
		t.Errorf("%d calls after cancellation", n)
	}
}

// concurrentInvocations runs two invocations (two providers) deploying the same certificate to
// the same slot at once, each call slowed down so that both upload before either lists again
// (the case the Deploy contract converges): they must end on one certificate.
func (s *suite) concurrentInvocations(t *testing.T) {
	w := s.world(t)
	a, b := s.provider(t, w), s.provider(t, w)
	sa, sb := s.discover(t, a, w), s.discover(t, b, w)
	w.e.Cloud.Faults().SetLatency(300 * time.Millisecond) // far more than a loaded machine delays a goroutine
	var (
		wg       sync.WaitGroup
		ids      [2]string
		errs     [2]error
		start    = make(chan struct{})
		invokers = []struct {
			p    provider.Provider
			slot provider.Slot
		}{{a, sa}, {b, sb}}
	)
	for i, inv := range invokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ids[i], errs[i] = inv.p.Deploy(context.Background(), inv.slot, w.fresh)
		}()
	}
	close(start)
	wg.Wait()
	w.e.Cloud.Faults().Clear()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
	}
	// What each invocation's finish does (shared/rotation): list what it owns, move its slot onto
	// the canonical copy when it bound another, and delete the copies nothing serves.
	final := make([]string, len(invokers))
	for i, inv := range invokers {
		c := inv.p.(provider.Cleaner)
		owned, err := c.Owned(context.Background(), sa.Region)
		if err != nil {
			t.Fatalf("invocation %d: Owned: %v", i, err)
		}
		if final[i] = provider.Canonical(owned, w.fp); final[i] == "" {
			final[i] = ids[i] // updated in place: no copy was uploaded
		}
		if final[i] != ids[i] {
			if err := inv.p.(provider.Rebinder).Rebind(context.Background(), inv.slot, final[i]); err != nil {
				t.Fatalf("invocation %d: Rebind onto %s: %v", i, final[i], err)
			}
		}
		for _, o := range owned {
			if o.Fingerprint == w.fp && o.ID != final[i] {
				if err := c.Delete(context.Background(), sa.Region, o.ID); err != nil && !errors.Is(err, provider.ErrInUse) {
					t.Fatalf("invocation %d: Delete %s: %v", i, o.ID, err)
				}
			}
		}
	}
	// The later copy's invocation sees the earlier copy, and the earlier copy is the canonical
	// one: both choose it, whether or not the earlier invocation saw the later copy.
	want := final[0]
	if final[0] != final[1] || want == "" {
		t.Fatalf("the invocations chose %v as the canonical copy (they bound %v)", final, ids)
	}
	if got := w.seeded.Serving(); got != want {
		t.Errorf("serves %q, want %q (ids bound %v, canonical %v)", got, want, ids, final)
	}
	if got := s.h.Copies(t, w.e, sa.Region, w.fp); len(got) != 1 || got[0] != want {
		t.Errorf("certificates holding the new leaf: %v, want only %s", got, want)
	}
}

func (s *suite) missing(t *testing.T) {
	w := s.world(t)
	for _, tg := range s.h.Missing(t, w.e) {
		t.Run(fmt.Sprintf("%+v", tg), func(t *testing.T) {
			_, err := s.provider(t, w).Discover(context.Background(), tg)
			if err == nil || !provider.IsPermanent(err) {
				t.Fatalf("Discover = %v, want a permanent error", err)
			}
		})
	}
	if m := s.calls(w, true); len(m) != 0 {
		t.Errorf("discovering missing targets made mutating calls: %v", m)
	}
}

func (s *suite) wrongSecret(t *testing.T) {
	w := s.world(t)
	p := s.h.New(t, w.e, Options{WrongSecret: true})
	slot := s.discover(t, s.provider(t, w), w)
	w.e.Cloud.ResetCalls()
	_, err := p.Deploy(context.Background(), slot, w.fresh)
	if err == nil || !provider.IsPermanent(err) {
		t.Fatalf("Deploy with a wrong secret = %v, want a permanent error", err)
	}
	msg := err.Error()
	keyLines := strings.Split(strings.TrimSpace(w.fresh.PrivateKeyPEM), "\n")
	for _, leak := range []string{"PRIVATE KEY", keyLines[1], keyLines[len(keyLines)-2], "private_key", "PrivateKey="} {
		if strings.Contains(msg, leak) {
			t.Fatalf("the error leaks %q: %s", leak, msg)
		}
	}
	for _, c := range w.e.Cloud.MutatingCalls() {
		if c.Status < 300 {
			t.Errorf("a call signed with a wrong secret changed state: %+v", c)
		}
	}
}

func (s *suite) uploadsOnce(t *testing.T) {
	w := s.world(t)
	second := s.k.Seed(t, w.e, w.old)
	w.e.Cloud.ResetCalls()
	p := s.provider(t, w)
	var slots []provider.Slot
	for _, tg := range []provider.Target{w.seeded.Target, second.Target} {
		got, err := p.Discover(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		slots = append(slots, got...)
	}
	var wg sync.WaitGroup
	ids := make([]string, len(slots))
	errs := make([]error, len(slots))
	for i, slot := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = p.Deploy(context.Background(), slot, w.fresh)
		}()
	}
	wg.Wait()
	for i := range slots {
		if errs[i] != nil {
			t.Fatalf("Deploy %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("one run deployed %s and %s", ids[0], ids[i])
		}
	}
	if n := count(s.calls(w, true), s.k.Store); n != 1 {
		t.Errorf("%d %s calls in one run, want 1", n, s.k.Store)
	}
	if w.seeded.Serving() != ids[0] || second.Serving() != ids[0] {
		t.Errorf("serving %s and %s, want %s", w.seeded.Serving(), second.Serving(), ids[0])
	}
}

func (s *suite) ownedAndDelete(t *testing.T) {
	w := s.world(t)
	p := s.provider(t, w)
	c, ok := p.(provider.Cleaner)
	if !ok {
		t.Fatal("the provider does not implement provider.Cleaner")
	}
	slot := s.discover(t, p, w)
	id, err := p.Deploy(context.Background(), slot, w.fresh)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	ctx := context.Background()

	// A new run, as the cleanup after a rotation sees it.
	p = s.provider(t, w)
	c = p.(provider.Cleaner)
	slot = s.discover(t, p, w)
	owned, err := c.Owned(ctx, slot.Region)
	if err != nil {
		t.Fatalf("Owned: %v", err)
	}
	if len(owned) != 1 || owned[0].ID != id {
		t.Fatalf("Owned = %+v, want only %s", owned, id)
	}
	if o := owned[0]; o.Fingerprint != w.fp || o.Name == "" || o.Created.IsZero() || !sameNames(o.Names, newNames) {
		t.Errorf("Owned[0] = %+v: want fingerprint %s, a name, a creation time and names %v", o, w.fp, newNames)
	}

	// Ours but in use: the cloud refuses.
	w.e.Cloud.ResetCalls()
	if err := c.Delete(ctx, slot.Region, id); !errors.Is(err, provider.ErrInUse) {
		t.Errorf("Delete of a bound certificate = %v, want provider.ErrInUse", err)
	}
	// Not ours: refused before any mutating call.
	w.e.Cloud.ResetCalls()
	if err := c.Delete(ctx, slot.Region, w.seeded.CertificateID); err == nil || !provider.IsPermanent(err) || errors.Is(err, provider.ErrInUse) {
		t.Errorf("Delete of a foreign certificate = %v, want a permanent refusal", err)
	}
	if m := s.calls(w, true); len(m) != 0 {
		t.Errorf("refusing a foreign certificate made mutating calls: %v", m)
	}
	if w.seeded.Serving() != id {
		t.Fatal("the slot changed")
	}

	// Unbound, ours: deleted; deleting again is fine.
	if err := p.(provider.Rebinder).Rebind(ctx, slot, w.seeded.CertificateID); err != nil {
		t.Fatalf("Rebind: %v", err)
	}
	for i := range 2 {
		if err := c.Delete(ctx, slot.Region, id); err != nil {
			t.Fatalf("Delete %d of an unused certificate: %v", i, err)
		}
	}
	if got := s.h.Copies(t, w.e, slot.Region, w.fp); len(got) != 0 {
		t.Errorf("still there after Delete: %v", got)
	}
	if owned, err := c.Owned(ctx, slot.Region); err != nil || len(owned) != 0 {
		t.Errorf("Owned after Delete = %+v, %v; want none", owned, err)
	}
}

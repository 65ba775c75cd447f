package rotation_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/rotation"
	"github.com/certrotate/certrotate/shared/source"
)

// memCloud is an in-memory load balancer shared by the runs of a test: slots by name, each
// serving a certificate id; a certificate's id is its fingerprint.
type memCloud struct {
	mu     sync.Mutex
	serves map[string]string         // slot name → certificate id
	known  map[string]provider.Bound // certificate id → what it is
	// hold, when set, is called before a Deploy of certificate id to slot; an error fails it.
	hold func(slot, id string) error
}

func (m *memCloud) bound(id string) provider.Bound {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.known[id]
}

type memProvider struct{ m *memCloud }

func (p memProvider) Discover(_ context.Context, t provider.Target) ([]provider.Slot, error) {
	var out []provider.Slot
	for _, name := range []string{"s1", "s2"} {
		p.m.mu.Lock()
		id := p.m.serves[name]
		p.m.mu.Unlock()
		out = append(out, provider.Slot{Target: t, Name: name, Region: "r", Current: p.m.bound(id)})
	}
	return out, nil
}

func (p memProvider) Deploy(_ context.Context, s provider.Slot, b *certs.Bundle) (string, error) {
	id := certs.NormalizeFingerprint(b.FingerprintSHA1())
	if p.m.hold != nil {
		if err := p.m.hold(s.Name, id); err != nil {
			return "", err
		}
	}
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.known[id] = provider.Bound{ID: id, Fingerprint: id, Names: b.DNSNames(), NotAfter: b.Leaf.NotAfter}
	p.m.serves[s.Name] = id
	return id, nil
}

func (p memProvider) Bound(_ context.Context, s provider.Slot) (provider.Bound, error) {
	p.m.mu.Lock()
	id := p.m.serves[s.Name]
	p.m.mu.Unlock()
	return p.m.bound(id), nil
}

func (p memProvider) Rebind(_ context.Context, s provider.Slot, id string) error {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.serves[s.Name] = id
	return nil
}

type memClouds struct{ m *memCloud }

func (c memClouds) Provider(string) (provider.Provider, error) { return memProvider(c), nil }
func (c memClouds) Bucket(context.Context, string, string) (source.Bucket, error) {
	return nil, errors.New("no bucket")
}
func (c memClouds) CAS() (rotation.CertificateStore, error) { return nil, errors.New("no CAS") }

// TestConcurrentRollbackNeverUndoesAnotherRunsBinding: run A binds s1, then waits on s2 while run
// B (a later certificate) binds both slots and finishes; A's s2 then fails and A rolls back. A
// must not put back on s1 what it read before B ran (the expiring certificate): B's binding wins.
func TestConcurrentRollbackNeverUndoesAnotherRunsBinding(t *testing.T) {
	names := []string{"example.com"}
	old := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(72 * time.Hour)})
	a := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(60 * 24 * time.Hour)})
	b := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(90 * 24 * time.Hour)})
	oldID, aID, bID := fingerprint(old), fingerprint(a), fingerprint(b)
	m := &memCloud{serves: map[string]string{"s1": oldID, "s2": oldID},
		known: map[string]provider.Bound{oldID: {ID: oldID, Fingerprint: oldID, Names: names, NotAfter: old.Leaf.NotAfter}}}
	aBoundS1, bDone := make(chan struct{}), make(chan struct{})
	m.hold = func(slot, id string) error {
		if id == aID && slot == "s2" {
			close(aBoundS1) // s1 is deployed first (Concurrency 1)
			<-bDone
			return provider.Permanent(errors.New("listener s2 refused the certificate"))
		}
		return nil
	}
	targets := []provider.Target{{Name: "t", Provider: provider.AliSLB, Region: "r"}}
	run := func(is *certstest.Issued) *report.Report {
		r := rotation.New(rotation.Options{Targets: targets, Rollback: true, Concurrency: 1})
		return r.Run(context.Background(), inline(is), memClouds{m}, slog.New(slog.NewJSONHandler(leakcheck.Writer(t, string(is.KeyPEM)), nil)))
	}
	var repA, repB *report.Report
	var wg sync.WaitGroup
	wg.Go(func() { repA = run(a) })
	wg.Go(func() {
		defer close(bDone)
		<-aBoundS1
		repB = run(b)
	})
	wg.Wait()
	if repB.Status != report.Rotated {
		t.Fatalf("run B: %s %s", repB.Status, repB.Error)
	}
	if repA.Status == report.Rotated {
		t.Fatalf("run A: %s, want a failure", repA.Status)
	}
	for _, slot := range []string{"s1", "s2"} {
		if got := m.serves[slot]; got != bID {
			what := map[string]string{oldID: "the expiring certificate", aID: "run A's"}[got]
			t.Errorf("%s serves %s, want run B's certificate", slot, what)
		}
	}
}

// TestNoDowngrade: a slot never takes a certificate that expires before the one it serves now
// (a late redelivery of an older certificate), unless the body says force.
func TestNoDowngrade(t *testing.T) {
	names := []string{"example.com"}
	newer := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(90 * 24 * time.Hour)})
	older := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(60 * 24 * time.Hour)})
	for _, tc := range []struct {
		name   string
		force  bool
		status string
		serves *certstest.Issued
	}{
		{"refused", false, report.Skipped, newer},
		{"forced", true, report.Rotated, older},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := fingerprint(newer)
			m := &memCloud{serves: map[string]string{"s1": id, "s2": id},
				known: map[string]provider.Bound{id: {ID: id, Fingerprint: id, Names: names, NotAfter: newer.Leaf.NotAfter}}}
			rec := inline(older)
			rec.Body.Force = tc.force
			targets := []provider.Target{{Name: "t", Provider: provider.AliSLB, Region: "r"}}
			rep := rotation.New(rotation.Options{Targets: targets}).Run(context.Background(), rec, memClouds{m},
				slog.New(slog.NewJSONHandler(leakcheck.Writer(t, string(older.KeyPEM)), nil)))
			if rep.Status != tc.status {
				t.Fatalf("status %s (%s), want %s", rep.Status, rep.Error, tc.status)
			}
			for _, tg := range rep.Targets {
				if !tc.force && (tg.Status != report.TargetSkipped || !strings.Contains(tg.Reason, "no downgrade")) {
					t.Errorf("%s: %s %q, want skipped: no downgrade", tg.Name, tg.Status, tg.Reason)
				}
			}
			if got := m.serves["s1"]; got != fingerprint(tc.serves) {
				t.Errorf("s1 serves %s", got)
			}
		})
	}
}

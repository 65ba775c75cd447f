package rotation_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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

// streamProvider is memProvider that hands out its slots one at a time (provider.Streamer) and
// reads them back all at once (provider.Verifier). After the first slot it waits for that slot
// to be deployed before it hands out the second, unless failAfterFirst is set, in which case
// its discovery then fails.
type streamProvider struct {
	memProvider
	failAfterFirst bool
	deployed       chan string

	mu       sync.Mutex
	boundAll [][]string // the slot names of each BoundAll
	bound    int        // Bound calls
}

func (p *streamProvider) DiscoverEach(ctx context.Context, t provider.Target, emit func(provider.Slot)) error {
	slots, err := p.memProvider.Discover(ctx, t)
	if err != nil {
		return err
	}
	emit(slots[0])
	if p.failAfterFirst {
		return errors.New("listing the second listener: connection reset")
	}
	select {
	case <-p.deployed:
	case <-time.After(10 * time.Second): // a guard for a broken build, not a measure of speed
		return errors.New("s1 was not deployed while the discovery went on")
	}
	emit(slots[1])
	return nil
}

func (p *streamProvider) Deploy(ctx context.Context, s provider.Slot, b *certs.Bundle) (string, error) {
	id, err := p.memProvider.Deploy(ctx, s, b)
	p.deployed <- s.Name
	return id, err
}

func (p *streamProvider) Bound(ctx context.Context, s provider.Slot) (provider.Bound, error) {
	p.mu.Lock()
	p.bound++
	p.mu.Unlock()
	return p.memProvider.Bound(ctx, s)
}

func (p *streamProvider) BoundAll(ctx context.Context, slots []provider.Slot) ([]provider.Bound, []error) {
	var names []string
	got, errs := make([]provider.Bound, len(slots)), make([]error, len(slots))
	for i, s := range slots {
		names = append(names, s.Name)
		got[i], errs[i] = p.memProvider.Bound(ctx, s)
	}
	slices.Sort(names)
	p.mu.Lock()
	p.boundAll = append(p.boundAll, names)
	p.mu.Unlock()
	return got, errs
}

type streamClouds struct{ p *streamProvider }

func (c streamClouds) Provider(string) (provider.Provider, error) { return c.p, nil }
func (c streamClouds) Bucket(context.Context, string, string) (source.Bucket, error) {
	return nil, errors.New("no bucket")
}
func (c streamClouds) CAS() (rotation.CertificateStore, error) { return nil, errors.New("no CAS") }

func newStream(t *testing.T) (*streamProvider, *certstest.Issued, *certstest.Issued) {
	names := []string{"example.com"}
	old := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(72 * time.Hour)})
	fresh := certstest.Must(t, certstest.Options{DNSNames: names, NotAfter: time.Now().Add(90 * 24 * time.Hour)})
	oldID := fingerprint(old)
	m := &memCloud{serves: map[string]string{"s1": oldID, "s2": oldID},
		known: map[string]provider.Bound{oldID: {ID: oldID, Fingerprint: oldID, Names: names, NotAfter: old.Leaf.NotAfter}}}
	return &streamProvider{memProvider: memProvider{m}, deployed: make(chan string, 2)}, old, fresh
}

func runStream(t *testing.T, p *streamProvider, fresh *certstest.Issued) *report.Report {
	r := rotation.New(rotation.Options{Targets: []provider.Target{{Name: "t", Provider: provider.AliSLB, Region: "r"}}, Concurrency: 1})
	return r.Run(context.Background(), inline(fresh), streamClouds{p}, slog.New(slog.NewJSONHandler(leakcheck.Writer(t, string(fresh.KeyPEM)), nil)))
}

// TestSlotsAreDeployedWhileDiscoveryGoesOn: the first slot a provider hands out is deployed
// before the provider hands out the next (the provider waits for it), and every binding is read
// back with one BoundAll, never slot by slot.
func TestSlotsAreDeployedWhileDiscoveryGoesOn(t *testing.T) {
	p, _, fresh := newStream(t)
	rep := runStream(t, p, fresh)
	if rep.Status != report.Rotated || len(rep.Targets) != 2 {
		t.Fatalf("%s %s, %d targets: %+v", rep.Status, rep.Error, len(rep.Targets), rep.Targets)
	}
	if len(p.boundAll) != 1 || !slices.Equal(p.boundAll[0], []string{"s1", "s2"}) || p.bound != 0 {
		t.Fatalf("read back with BoundAll %v and %d Bound calls; want one BoundAll of s1 and s2", p.boundAll, p.bound)
	}
}

// TestASlotFoundBeforeDiscoveryFailedIsReported: a slot handed out before its target's discovery
// failed is deployed and reported rotated beside the failed target; the run is partial, and
// retryable, so that a redelivery finishes the target.
func TestASlotFoundBeforeDiscoveryFailedIsReported(t *testing.T) {
	p, _, fresh := newStream(t)
	p.failAfterFirst = true
	rep := runStream(t, p, fresh)
	var rotated, failed []string
	for _, tg := range rep.Targets {
		switch tg.Status {
		case report.TargetRotated:
			rotated = append(rotated, tg.Name)
		case report.TargetFailed:
			failed = append(failed, tg.Name)
		}
	}
	if rep.Status != report.Partial || !rep.Retryable || !slices.Equal(rotated, []string{"s1"}) || !slices.Equal(failed, []string{"t"}) {
		t.Fatalf("%s (retryable %v): rotated %v, failed %v; want partial, retryable, s1 rotated and target t failed", rep.Status, rep.Retryable, rotated, failed)
	}
}

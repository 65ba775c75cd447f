package alislb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/retry"
)

// fleet is an emulator with 110 load balancers (two DescribeLoadBalancers pages) carrying 100
// HTTPS listeners, every tenth with an SNI domain, and an HTTP listener on every load balancer.
type fleet struct {
	cloud *fakecloud.Cloud
	url   string
	fresh *certs.Bundle
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	c, url := fakecloud.Start(t)
	slb := c.SLB()
	old := rsaIssued(t, time.Now().Add(5*24*time.Hour), "example.com", "www.example.com")
	sc, err := slb.AddServerCertificate(testRegion, "old", old.FullchainPEM, old.KeyPEM)
	must(t, err)
	for i := range 110 {
		lb := fmt.Sprintf("lb-%03d", i)
		must(t, slb.AddLoadBalancer(testRegion, lb, lb))
		must(t, slb.AddListener(lb, 80, "http", ""))
	}
	for i := range 100 {
		lb, port := fmt.Sprintf("lb-%03d", i%60), 443+i/60
		must(t, slb.AddListener(lb, port, "https", sc.ID))
		if i%10 == 0 {
			_, err := slb.AddDomainExtension(lb, port, "www.example.com", sc.ID)
			must(t, err)
		}
	}
	is := rsaIssued(t, time.Time{}, "example.com", "*.example.com")
	fresh, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
	must(t, err)
	c.ResetCalls()
	return &fleet{cloud: c, url: url, fresh: fresh}
}

func (f *fleet) provider(t *testing.T, concurrency int) *Provider {
	t.Helper()
	p, err := New(Config{Endpoint: f.url, AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret,
		Concurrency: concurrency, QPS: 1000, Retry: retry.Policy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}})
	must(t, err)
	return p
}

// rotate discovers overlapping targets at once, as rotation does, then deploys every place once,
// and returns the places.
func (f *fleet) rotate(t *testing.T, p *Provider) []provider.Slot {
	t.Helper()
	targets := []provider.Target{
		{Name: "all", Region: testRegion},
		{Name: "all-again", Region: testRegion, Match: []string{"example.com"}},
		{Name: "one-lb", Region: testRegion, LoadBalancerID: "lb-007"},
		{Name: "one-listener", Region: testRegion, LoadBalancerID: "lb-007", ListenerPort: 443},
	}
	found := make([][]provider.Slot, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Go(func() {
			tg.Provider = provider.AliSLB
			found[i], errs[i] = p.Discover(context.Background(), tg)
		})
	}
	wg.Wait()
	must(t, errors.Join(errs...))
	places := map[string]provider.Slot{}
	for _, slots := range found {
		for _, s := range slots {
			places[fmt.Sprintf("%s:%d/%s", s.LoadBalancerID, s.ListenerPort, s.DomainExtensionID)] = s
		}
	}
	if len(places) != 110 {
		t.Fatalf("%d places discovered, want 100 listeners and 10 SNI domains", len(places))
	}
	keys := slices.Sorted(maps.Keys(places))
	must(t, p.parallel(len(keys), func(i int) error {
		_, err := p.Deploy(context.Background(), places[keys[i]], f.fresh)
		return err
	}))
	out := make([]provider.Slot, len(keys))
	for i, k := range keys {
		out[i] = places[k]
	}
	return out
}

// callKey is a call as the cloud sees it, less what changes with every request and the
// parameters named in ignore.
func callKey(c fakecore.Call, ignore ...string) string {
	keys := slices.Sorted(maps.Keys(c.Params))
	var b strings.Builder
	b.WriteString(c.Action)
	for _, k := range keys {
		if k != "Timestamp" && !slices.Contains(ignore, k) {
			fmt.Fprintf(&b, " %s=%s", k, c.Params[k])
		}
	}
	return b.String()
}

func TestRotationMakesNoCallTwice(t *testing.T) {
	f := newFleet(t)
	p := f.provider(t, 8)
	slots := f.rotate(t, p)
	rotation := f.cloud.Calls()
	f.cloud.ResetCalls()
	got, errs := p.BoundAll(context.Background(), slots)
	for i, err := range errs {
		if err != nil || got[i].ID == "" || got[i].Fingerprint != certs.NormalizeFingerprint(f.fresh.FingerprintSHA1()) {
			t.Fatalf("read back %s: %+v, %v; want the new certificate", slots[i].Name, got[i], err)
		}
	}
	readBack := f.cloud.Calls()
	// Discovery and deployment, then the read-back: within each, no call repeats another. The
	// region's certificates are listed at discovery, and again alongside the read-back (after the
	// upload, to see what other invocations uploaded meanwhile).
	for phase, calls := range map[string][]fakecore.Call{"rotation": rotation, "read-back": readBack} {
		seen := map[string]int{}
		for _, c := range calls {
			if c.Code != "" {
				t.Fatalf("%s: call %s failed: %s", phase, c.Action, c.Code)
			}
			seen[callKey(c)]++
		}
		for key, n := range seen {
			if n > 1 {
				t.Errorf("%s: %d times: %s", phase, n, key)
			}
		}
	}
	perAction := map[string]int{}
	for _, c := range rotation {
		perAction[c.Action]++
	}
	for _, c := range readBack {
		perAction["read-back "+c.Action]++
	}
	// 2 DescribeLoadBalancers pages, 11 batches of load balancers (and lb-007 alone), 100
	// listeners' SNI domains; one upload; 110 bindings. Read back: the 60 load balancers serving
	// the listeners, ten a call, the 10 listeners with an SNI domain, and the certificates.
	want := map[string]int{
		"DescribeLoadBalancers": 2, "DescribeLoadBalancerListeners": 12, "DescribeDomainExtensions": 100,
		"DescribeLoadBalancerHTTPSListenerAttribute": 1, "DescribeServerCertificates": 1, "UploadServerCertificate": 1,
		"SetLoadBalancerHTTPSListenerAttribute": 100, "SetDomainExtensionAttribute": 10,
		"read-back DescribeLoadBalancerListeners": 6, "read-back DescribeDomainExtensions": 10, "read-back DescribeServerCertificates": 1,
	}
	if !maps.Equal(perAction, want) {
		t.Errorf("calls per action:\n got %v\nwant %v", perAction, want)
	}
}

func TestConcurrencyChangesNoCall(t *testing.T) {
	calls := map[int][]string{}
	for _, n := range []int{1, 8} {
		f := newFleet(t)
		f.rotate(t, f.provider(t, n))
		for _, c := range f.cloud.Calls() {
			if c.Action != "DescribeServerCertificates" { // their number depends on timing: see above
				calls[n] = append(calls[n], callKey(c, "ServerCertificateId", "ServerCertificate", "ServerCertificateName")) // new in each fleet
			}
		}
		slices.Sort(calls[n])
	}
	if !slices.Equal(calls[1], calls[8]) {
		for i := range min(len(calls[1]), len(calls[8])) {
			if calls[1][i] != calls[8][i] {
				t.Errorf("first difference:\n 1: %s\n 8: %s", calls[1][i], calls[8][i])
				break
			}
		}
		t.Fatalf("concurrency 1 made %d calls, concurrency 8 made %d; want the same calls", len(calls[1]), len(calls[8]))
	}
}

func TestRateLimitWaitStopsAtTheDeadline(t *testing.T) {
	p, err := New(Config{Endpoint: "http://127.0.0.1:1", AccessKeyID: "id", AccessKeySecret: "secret", QPS: 0.001})
	must(t, err)
	r := p.region(testRegion)
	calls := 0
	noop := func(*slb.Client) error { calls++; return nil }
	must(t, p.call(context.Background(), r, "First", noop)) // the bucket's one token
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = p.call(ctx, r, "Second", noop)
	if !errors.Is(err, context.DeadlineExceeded) || provider.IsPermanent(err) || calls != 1 {
		t.Fatalf("second call: %v (permanent %v), %d calls; want a retryable deadline error and no call", err, provider.IsPermanent(err), calls)
	}
}

func TestParallelStopsStartingAfterAnError(t *testing.T) {
	p := &Provider{cfg: Config{Concurrency: 2}}
	var mu sync.Mutex
	started := 0
	boom := errors.New("boom")
	err := p.parallel(100, func(i int) error {
		mu.Lock()
		started++
		mu.Unlock()
		return boom
	})
	if !errors.Is(err, boom) || started > 2 {
		t.Fatalf("err %v after %d starts; want boom after at most 2", err, started)
	}
}

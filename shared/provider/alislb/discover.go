package alislb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/provider"
)

const (
	pageSize      = 100 // DescribeLoadBalancers maximum
	listenerBatch = 10  // load balancer ids per DescribeLoadBalancerListeners call
)

// Discover implements provider.Provider: the slots DiscoverEach emits, ordered by load balancer,
// listener port and domain (the default certificate first).
func (p *Provider) Discover(ctx context.Context, t provider.Target) ([]provider.Slot, error) {
	var (
		mu    sync.Mutex
		slots []provider.Slot
	)
	if err := p.DiscoverEach(ctx, t, func(s provider.Slot) {
		mu.Lock()
		slots = append(slots, s)
		mu.Unlock()
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(slots, func(a, b provider.Slot) int {
		return cmp.Or(strings.Compare(a.LoadBalancerID, b.LoadBalancerID), cmp.Compare(a.ListenerPort, b.ListenerPort), strings.Compare(a.Domain, b.Domain))
	})
	return slots, nil
}

// DiscoverEach implements provider.Streamer. The region's certificate list, which tells what each
// slot serves, is fetched alongside the listeners rather than after them; a listener's default
// certificate slot is emitted as soon as its batch of listeners is listed, before its SNI domains
// are asked for.
func (p *Provider) DiscoverEach(ctx context.Context, t provider.Target, emit func(provider.Slot)) error {
	r := p.region(t.Region)
	listed := make(chan struct{})
	go func() {
		defer close(listed)
		_, _ = p.serverCerts(ctx, r) // its error, if any, is met again below
	}()
	defer func() { <-listed }()
	send := func(s provider.Slot) error {
		var err error
		if s.Current, err = p.bound(ctx, r, s.Current.ID); err != nil {
			return err
		}
		emit(s)
		return nil
	}
	switch {
	case t.ListenerPort != 0:
		return p.discoverListener(ctx, r, t, send)
	case t.LoadBalancerID != "":
		return p.discoverLoadBalancers(ctx, r, t, []string{t.LoadBalancerID}, send)
	}
	ids, err := p.loadBalancerIDs(ctx, r)
	if err != nil {
		return err
	}
	return p.discoverLoadBalancers(ctx, r, t, ids, send)
}

// discoverListener resolves a target naming one listener, and optionally one SNI domain on it.
func (p *Provider) discoverListener(ctx context.Context, r *region, t provider.Target, send func(provider.Slot) error) error {
	key := fmt.Sprintf("DescribeLoadBalancerHTTPSListenerAttribute %s %s:%d", r.id, t.LoadBalancerID, t.ListenerPort)
	resp, err := remember(ctx, &p.reads, key, func() (*slb.DescribeLoadBalancerHTTPSListenerAttributeResponse, error) {
		var resp *slb.DescribeLoadBalancerHTTPSListenerAttributeResponse
		err := p.call(ctx, r, "DescribeLoadBalancerHTTPSListenerAttribute", func(c *slb.Client) error {
			req := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
			req.RegionId = r.id
			req.LoadBalancerId = t.LoadBalancerID
			req.ListenerPort = requests.NewInteger(t.ListenerPort)
			var err error
			resp, err = c.DescribeLoadBalancerHTTPSListenerAttribute(req)
			return err
		})
		return resp, err
	})
	if ErrorCode(err) == codeNotHTTPS {
		return p.notHTTPS(ctx, r, t)
	}
	if err != nil {
		return err
	}
	slot := provider.Slot{Target: t, Name: t.Name, Region: r.id, LoadBalancerID: t.LoadBalancerID, ListenerPort: t.ListenerPort}
	if t.Domain == "" {
		slot.Current.ID = resp.ServerCertificateId
		return send(slot)
	}
	for _, ext := range resp.DomainExtensions.DomainExtension {
		if strings.EqualFold(ext.Domain, t.Domain) {
			slot.Domain, slot.DomainExtensionID, slot.Current.ID = t.Domain, ext.DomainExtensionId, ext.ServerCertificateId
			return send(slot)
		}
	}
	return provider.Permanent(fmt.Errorf("alislb: listener %s:%d has no domain extension for %s: %w",
		t.LoadBalancerID, t.ListenerPort, t.Domain, errTargetMissing))
}

// loadBalancerIDs lists every load balancer of the region, fetching pages after the first in parallel.
func (p *Provider) loadBalancerIDs(ctx context.Context, r *region) ([]string, error) {
	page := func(n int) (*slb.DescribeLoadBalancersResponse, error) {
		key := fmt.Sprintf("DescribeLoadBalancers %s page %d", r.id, n)
		return remember(ctx, &p.reads, key, func() (*slb.DescribeLoadBalancersResponse, error) {
			var resp *slb.DescribeLoadBalancersResponse
			err := p.call(ctx, r, "DescribeLoadBalancers", func(c *slb.Client) error {
				req := slb.CreateDescribeLoadBalancersRequest()
				req.RegionId = r.id
				req.PageNumber = requests.NewInteger(n)
				req.PageSize = requests.NewInteger(pageSize)
				var err error
				resp, err = c.DescribeLoadBalancers(req)
				return err
			})
			return resp, err
		})
	}
	first, err := page(1)
	if err != nil {
		return nil, err
	}
	pages := make([]*slb.DescribeLoadBalancersResponse, (first.TotalCount+pageSize-1)/pageSize)
	if len(pages) == 0 {
		return nil, nil
	}
	pages[0] = first
	if err := p.parallel(len(pages)-1, func(i int) error {
		var err error
		pages[i+1], err = page(i + 2)
		return err
	}); err != nil {
		return nil, err
	}
	var ids []string
	for _, pg := range pages {
		for _, lb := range pg.LoadBalancers.LoadBalancer {
			ids = append(ids, lb.LoadBalancerId)
		}
	}
	return ids, nil
}

// discoverLoadBalancers resolves every HTTPS listener and domain extension of the given load
// balancers. Each batch's listeners are sent, and asked for their domain extensions, as soon as
// the batch is listed, without waiting for the other batches.
func (p *Provider) discoverLoadBalancers(ctx context.Context, r *region, t provider.Target, ids []string, send func(provider.Slot) error) error {
	var batches [][]string
	for len(ids) > 0 {
		n := min(listenerBatch, len(ids))
		batches, ids = append(batches, ids[:n]), ids[n:]
	}
	var listeners atomic.Int64
	if err := p.parallel(len(batches), func(b int) error {
		found, err := p.httpsListeners(ctx, r, batches[b], true)
		if err != nil {
			return err
		}
		listeners.Add(int64(len(found)))
		// Port first, then load balancer: slots found one after another are on different load
		// balancers, so that deploying them in that order does not queue on one load balancer's
		// write lock (busy.go).
		slices.SortStableFunc(found, func(a, b slb.ListenerInDescribeLoadBalancerListeners) int {
			return cmp.Or(cmp.Compare(a.ListenerPort, b.ListenerPort), strings.Compare(a.LoadBalancerId, b.LoadBalancerId))
		})
		return p.parallel(len(found), func(i int) error {
			return p.listenerSlots(ctx, r, t, found[i], send)
		})
	}); err != nil {
		return err
	}
	if t.LoadBalancerID != "" && listeners.Load() == 0 {
		// An unknown load balancer and one without HTTPS listeners look alike here; ask.
		return p.checkLoadBalancer(ctx, r, t.LoadBalancerID)
	}
	return nil
}

// listenerSlots sends the listener's default certificate slot, then one slot per SNI domain.
func (p *Provider) listenerSlots(ctx context.Context, r *region, t provider.Target, l slb.ListenerInDescribeLoadBalancerListeners, send func(provider.Slot) error) error {
	def := provider.Slot{Target: t, Region: r.id, LoadBalancerID: l.LoadBalancerId, ListenerPort: l.ListenerPort,
		Current: provider.Bound{ID: l.HTTPSListenerConfig.ServerCertificateId}}
	def.Name = slotName(t, def)
	if err := send(def); err != nil {
		return err
	}
	exts, err := p.domainExtensions(ctx, r, l.LoadBalancerId, l.ListenerPort)
	if err != nil {
		return err
	}
	for _, e := range exts {
		s := def
		s.Domain, s.DomainExtensionID, s.Current = strings.ToLower(e.Domain), e.DomainExtensionId, provider.Bound{ID: e.ServerCertificateId}
		s.Name = slotName(t, s)
		if err := send(s); err != nil {
			return err
		}
	}
	return nil
}

// httpsListeners lists the HTTPS listeners of lbs, following NextToken (each page needs the
// last). Discovery remembers its pages (memo); a read-back asks afresh.
func (p *Provider) httpsListeners(ctx context.Context, r *region, lbs []string, memo bool) ([]slb.ListenerInDescribeLoadBalancerListeners, error) {
	var out []slb.ListenerInDescribeLoadBalancerListeners
	token := ""
	for {
		page := func() (*slb.DescribeLoadBalancerListenersResponse, error) {
			var resp *slb.DescribeLoadBalancerListenersResponse
			err := p.call(ctx, r, "DescribeLoadBalancerListeners", func(c *slb.Client) error {
				req := slb.CreateDescribeLoadBalancerListenersRequest()
				req.RegionId = r.id
				req.LoadBalancerId = &lbs
				req.ListenerProtocol = "https"
				req.MaxResults = requests.NewInteger(100)
				req.NextToken = token
				var err error
				resp, err = c.DescribeLoadBalancerListeners(req)
				return err
			})
			return resp, err
		}
		var (
			resp *slb.DescribeLoadBalancerListenersResponse
			err  error
		)
		if memo {
			resp, err = remember(ctx, &p.reads, fmt.Sprintf("DescribeLoadBalancerListeners %s %s %q", r.id, strings.Join(lbs, ","), token), page)
		} else {
			resp, err = page()
		}
		if err != nil {
			return nil, err
		}
		for _, l := range resp.Listeners {
			if strings.EqualFold(l.ListenerProtocol, "https") {
				out = append(out, l)
			}
		}
		if resp.NextToken == "" || resp.NextToken == token {
			return out, nil
		}
		token = resp.NextToken
	}
}

func (p *Provider) checkLoadBalancer(ctx context.Context, r *region, id string) error {
	resp, err := remember(ctx, &p.reads, "DescribeLoadBalancers "+r.id+" id "+id, func() (*slb.DescribeLoadBalancersResponse, error) {
		var resp *slb.DescribeLoadBalancersResponse
		err := p.call(ctx, r, "DescribeLoadBalancers", func(c *slb.Client) error {
			req := slb.CreateDescribeLoadBalancersRequest()
			req.RegionId = r.id
			req.LoadBalancerId = id
			var err error
			resp, err = c.DescribeLoadBalancers(req)
			return err
		})
		return resp, err
	})
	if err != nil {
		return err
	}
	if len(resp.LoadBalancers.LoadBalancer) == 0 {
		return provider.Permanent(fmt.Errorf("alislb: load balancer %s in %s: %w", id, r.id, errTargetMissing))
	}
	return nil
}

// domainExtensions lists the SNI domains of a listener once per run (discovery).
func (p *Provider) domainExtensions(ctx context.Context, r *region, lb string, port int) ([]slb.DomainExtension, error) {
	key := fmt.Sprintf("DescribeDomainExtensions %s %s:%d", r.id, lb, port)
	return remember(ctx, &p.reads, key, func() ([]slb.DomainExtension, error) {
		return p.describeDomainExtensions(ctx, r, lb, port)
	})
}

// describeDomainExtensions lists the SNI domains of a listener, each with the certificate it serves.
func (p *Provider) describeDomainExtensions(ctx context.Context, r *region, lb string, port int) ([]slb.DomainExtension, error) {
	var resp *slb.DescribeDomainExtensionsResponse
	err := p.call(ctx, r, "DescribeDomainExtensions", func(c *slb.Client) error {
		req := slb.CreateDescribeDomainExtensionsRequest()
		req.RegionId = r.id
		req.LoadBalancerId = lb
		req.ListenerPort = requests.NewInteger(port)
		var err error
		resp, err = c.DescribeDomainExtensions(req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp.DomainExtensions.DomainExtension, nil
}

// slotName refines the target's name with the listener (and domain) when the target is wider.
func slotName(t provider.Target, s provider.Slot) string {
	name := t.Name
	if t.ListenerPort == 0 {
		if t.LoadBalancerID == "" {
			name += "/" + s.LoadBalancerID
		}
		name += ":" + strconv.Itoa(s.ListenerPort)
	}
	if s.Domain != "" && t.Domain == "" {
		name += "/" + s.Domain
	}
	return name
}

// parallel runs fn(0..n-1) on at most Concurrency goroutines (the client pool bounds the calls in
// flight across all of them) and returns the first error; after it, no further fn starts.
func (p *Provider) parallel(n int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next >= n {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range min(n, p.cfg.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, ok := take(); ok; i, ok = take() {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// memo holds the discovery reads of one run, so that targets sharing a region, a load balancer
// or a listener never make the same call twice. A provider lives for one invocation, so what it
// remembers is as fresh as the run.
type memo struct {
	mu sync.Mutex
	m  map[string]*memoEntry
}

type memoEntry struct {
	done chan struct{}
	v    any
	err  error
}

// remember returns the answer of the read named key, calling fn only if no one has; callers
// asking while the first call is in flight wait for its answer (or for ctx).
func remember[T any](ctx context.Context, m *memo, key string, fn func() (T, error)) (T, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*memoEntry{}
	}
	e, asked := m.m[key]
	if !asked {
		e = &memoEntry{done: make(chan struct{})}
		m.m[key] = e
	}
	m.mu.Unlock()
	if !asked {
		v, err := fn()
		e.v, e.err = v, err
		close(e.done)
		return v, err
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	v, _ := e.v.(T)
	return v, e.err
}

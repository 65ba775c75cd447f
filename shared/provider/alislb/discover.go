package alislb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/provider"
)

const (
	pageSize      = 100 // DescribeLoadBalancers maximum
	listenerBatch = 10  // load balancer ids per DescribeLoadBalancerListeners call
)

// Discover implements provider.Provider.
func (p *Provider) Discover(ctx context.Context, t provider.Target) ([]provider.Slot, error) {
	r := p.region(t.Region)
	var (
		slots []provider.Slot
		err   error
	)
	switch {
	case t.ListenerPort != 0:
		slots, err = p.discoverListener(ctx, r, t)
	case t.LoadBalancerID != "":
		slots, err = p.discoverLoadBalancers(ctx, r, t, []string{t.LoadBalancerID})
	default:
		var ids []string
		if ids, err = p.loadBalancerIDs(ctx, r); err == nil {
			slots, err = p.discoverLoadBalancers(ctx, r, t, ids)
		}
	}
	if err != nil {
		return nil, err
	}
	for i := range slots {
		if slots[i].Current, err = p.bound(ctx, r, slots[i].Current.ID); err != nil {
			return nil, err
		}
	}
	return slots, nil
}

// discoverListener resolves a target naming one listener, and optionally one SNI domain on it.
func (p *Provider) discoverListener(ctx context.Context, r *region, t provider.Target) ([]provider.Slot, error) {
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
	if err != nil {
		return nil, err
	}
	slot := provider.Slot{Target: t, Name: t.Name, Region: r.id, LoadBalancerID: t.LoadBalancerID, ListenerPort: t.ListenerPort}
	if t.Domain == "" {
		slot.Current.ID = resp.ServerCertificateId
		return []provider.Slot{slot}, nil
	}
	for _, ext := range resp.DomainExtensions.DomainExtension {
		if strings.EqualFold(ext.Domain, t.Domain) {
			slot.Domain, slot.DomainExtensionID, slot.Current.ID = t.Domain, ext.DomainExtensionId, ext.ServerCertificateId
			return []provider.Slot{slot}, nil
		}
	}
	return nil, provider.Permanent(fmt.Errorf("alislb: listener %s:%d has no domain extension for %s: %w",
		t.LoadBalancerID, t.ListenerPort, t.Domain, errTargetMissing))
}

// loadBalancerIDs lists every load balancer of the region, fetching pages after the first in parallel.
func (p *Provider) loadBalancerIDs(ctx context.Context, r *region) ([]string, error) {
	page := func(n int) (*slb.DescribeLoadBalancersResponse, error) {
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
	if err := parallel(ctx, len(pages)-1, func(i int) error {
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

// discoverLoadBalancers resolves every HTTPS listener and domain extension of the given load balancers.
func (p *Provider) discoverLoadBalancers(ctx context.Context, r *region, t provider.Target, ids []string) ([]provider.Slot, error) {
	var batches [][]string
	for len(ids) > 0 {
		n := min(listenerBatch, len(ids))
		batches, ids = append(batches, ids[:n]), ids[n:]
	}
	listeners := make([][]slb.ListenerInDescribeLoadBalancerListeners, len(batches))
	if err := parallel(ctx, len(batches), func(i int) error {
		var err error
		listeners[i], err = p.httpsListeners(ctx, r, batches[i])
		return err
	}); err != nil {
		return nil, err
	}
	var flat []slb.ListenerInDescribeLoadBalancerListeners
	for _, ls := range listeners {
		flat = append(flat, ls...)
	}
	if t.LoadBalancerID != "" && len(flat) == 0 {
		// An unknown load balancer and one without HTTPS listeners look alike here; ask.
		if err := p.checkLoadBalancer(ctx, r, t.LoadBalancerID); err != nil {
			return nil, err
		}
	}
	perListener := make([][]provider.Slot, len(flat))
	if err := parallel(ctx, len(flat), func(i int) error {
		l := flat[i]
		def := provider.Slot{Target: t, Region: r.id, LoadBalancerID: l.LoadBalancerId, ListenerPort: l.ListenerPort,
			Current: provider.Bound{ID: l.HTTPSListenerConfig.ServerCertificateId}}
		def.Name = slotName(t, def)
		exts, err := p.domainExtensions(ctx, r, l.LoadBalancerId, l.ListenerPort)
		if err != nil {
			return err
		}
		out := []provider.Slot{def}
		for _, e := range exts {
			s := def
			s.Domain, s.DomainExtensionID, s.Current = strings.ToLower(e.Domain), e.DomainExtensionId, provider.Bound{ID: e.ServerCertificateId}
			s.Name = slotName(t, s)
			out = append(out, s)
		}
		perListener[i] = out
		return nil
	}); err != nil {
		return nil, err
	}
	var slots []provider.Slot
	for _, s := range perListener {
		slots = append(slots, s...)
	}
	return slots, nil
}

func (p *Provider) httpsListeners(ctx context.Context, r *region, lbs []string) ([]slb.ListenerInDescribeLoadBalancerListeners, error) {
	var out []slb.ListenerInDescribeLoadBalancerListeners
	token := ""
	for {
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
	var resp *slb.DescribeLoadBalancersResponse
	err := p.call(ctx, r, "DescribeLoadBalancers", func(c *slb.Client) error {
		req := slb.CreateDescribeLoadBalancersRequest()
		req.RegionId = r.id
		req.LoadBalancerId = id
		var err error
		resp, err = c.DescribeLoadBalancers(req)
		return err
	})
	if err != nil {
		return err
	}
	if len(resp.LoadBalancers.LoadBalancer) == 0 {
		return provider.Permanent(fmt.Errorf("alislb: load balancer %s in %s: %w", id, r.id, errTargetMissing))
	}
	return nil
}

func (p *Provider) domainExtensions(ctx context.Context, r *region, lb string, port int) ([]slb.DomainExtension, error) {
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

// parallel runs fn(0..n-1) concurrently (the client pool bounds the calls in flight) and returns
// the first error.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ctx.Err() != nil {
				return
			}
			if err := fn(i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	return first
}

package huaweielb

import (
	"context"
	"net/http"
	"slices"
	"sync"

	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/provider"
)

// seenListener is what Discover read of a listener that Deploy may rely on without reading it
// again: its protocol, which no update changes (UpdateListenerOption has no protocol field,
// hw-sdk model_update_listener_option.go), and how many writes this run had started on the
// listener before the read.
type seenListener struct {
	protocol   string
	defaultRef string // its default certificate then
	writes     int
}

// writesTo is how many UpdateListener calls this run has started on listener id.
func (p *Provider) writesTo(s *scope, id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes[listenerKey{s.region, s.project, id}]
}

// wrote counts an UpdateListener call on listener id, before it is sent: once started, it may
// land whatever its answer.
func (p *Provider) wrote(s *scope, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes[listenerKey{s.region, s.project, id}]++
}

// saw records what Discover read of listener l, read after writes writes of this run had started.
func (p *Provider) saw(s *scope, l *model.Listener, writes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[listenerKey{s.region, s.project, l.Id}] = seenListener{protocol: l.Protocol, defaultRef: l.DefaultTlsContainerRef, writes: writes}
}

// listenerToWrite is the listener slot's Deploy works on, called under the listener's lock. An
// SNI slot reads it again: sni_container_refs is replaced whole, so the write must start from
// the list as it is now, which another slot of this run may have changed. A default-certificate
// slot's write carries default_tls_container_ref alone (bind), and ELB's update leaves the fields
// it is not sent as they are, so it needs only the protocol (the QUIC check), which Discover read
// and no update changes: when Discover read the listener in this run and no write of this run
// has started on it since, the listener is not read again. Its default_tls_container_ref is then
// left empty (unknown), so that bind writes rather than trust an old read, and saw is the default
// certificate Discover read ("" when the listener was read now): a Deploy of the certificate the
// listener served then reads it again (see Deploy), to write only if it no longer serves it.
func (p *Provider) listenerToWrite(ctx context.Context, s *scope, slot provider.Slot) (l *model.Listener, saw string, err error) {
	if slot.Domain == "" {
		k := listenerKey{s.region, s.project, slot.ListenerID}
		p.mu.Lock()
		seen, ok := p.seen[k]
		fresh := ok && seen.writes == p.writes[k]
		p.mu.Unlock()
		if fresh {
			return &model.Listener{Id: slot.ListenerID, Protocol: seen.protocol}, seen.defaultRef, nil
		}
	}
	l, err = p.showListener(ctx, s, slot.ListenerID)
	return l, "", err
}

// BoundAll implements provider.Verifier: the listeners are read back in ListListeners calls of
// at most idBatch ids each (ELB v3 takes repeated id values: "支持多值查询，查询条件格式：
// id=xxx&id=xxx", hw-sdk model_list_listeners_request.go; support.huaweicloud.com/api-elb/
// ListListeners.html), and the certificates they serve are described as describe does, those
// this run has not seen in one ListCertificates call per idBatch ids. Certificate slots, and a
// listener the listing leaves out (another enterprise project than the target names, or gone),
// are read one by one as Bound does, as are all when ELB refuses the listing (403: the user may
// read listeners but not list them).
func (p *Provider) BoundAll(ctx context.Context, slots []provider.Slot) ([]provider.Bound, []error) {
	got, errs := make([]provider.Bound, len(slots)), make([]error, len(slots))
	var (
		wg     sync.WaitGroup
		order  []*scope
		scoped = map[*scope][]int{}
	)
	for i, slot := range slots {
		s, err := p.slotScope(slot)
		switch {
		case err != nil:
			errs[i] = err
		case slot.CertificateID != "" || slot.ListenerID == "":
			wg.Go(func() { got[i], errs[i] = p.Bound(ctx, slot) })
		default:
			if _, ok := scoped[s]; !ok {
				order = append(order, s)
			}
			scoped[s] = append(scoped[s], i)
		}
	}
	for _, s := range order {
		wg.Go(func() { p.boundListeners(ctx, s, slots, scoped[s], got, errs) })
	}
	wg.Wait()
	return got, errs
}

// boundListeners reads back slots[idx], listener slots of scope s, into got and errs.
func (p *Provider) boundListeners(ctx context.Context, s *scope, slots []provider.Slot, idx []int, got []provider.Bound, errs []error) {
	one := func(is []int) {
		var wg sync.WaitGroup
		for _, i := range is {
			wg.Go(func() { got[i], errs[i] = p.Bound(ctx, slots[i]) })
		}
		wg.Wait()
	}
	var ids []string
	for _, i := range idx {
		if !slices.Contains(ids, slots[i].ListenerID) {
			ids = append(ids, slots[i].ListenerID)
		}
	}
	listeners, err := p.listListeners(ctx, s, ids)
	if StatusCode(err) == http.StatusForbidden {
		one(idx)
		return
	}
	var refs []string
	if err == nil {
		for _, l := range listeners {
			refs = append(refs, l.DefaultTlsContainerRef)
			refs = append(refs, l.SniContainerRefs...)
		}
	}
	var byID map[string]certInfo
	if err == nil {
		byID, err = p.knownMany(ctx, s, refs)
	}
	if err != nil {
		for _, i := range idx {
			errs[i] = err
		}
		return
	}
	var unlisted []int
	for _, i := range idx {
		slot := slots[i]
		l, ok := listeners[slot.ListenerID]
		switch {
		case !ok:
			unlisted = append(unlisted, i)
		case slot.Domain == "":
			got[i] = describeFrom(byID, l.DefaultTlsContainerRef)
		default:
			var exact, wild []certInfo
			for _, id := range l.SniContainerRefs {
				exact, wild = sortCandidate(exact, wild, byID, id, slot.Domain)
			}
			d, _ := p.deployedSNI(s, slot)
			if c := pickHolder(exact, wild, d.algo); c.id != "" {
				got[i] = c.bound(false)
			}
		}
	}
	one(unlisted)
}

// describeFrom is describe's answer for certificate id out of byID, which holds every
// certificate ELB still has among those asked.
func describeFrom(byID map[string]certInfo, id string) provider.Bound {
	if id == "" {
		return provider.Bound{}
	}
	c, ok := byID[id]
	if !ok {
		return provider.Bound{ID: id}
	}
	return c.bound(false)
}

// listListeners reads the listeners ids of scope s, at most idBatch a call, the calls at once;
// a listener the listing does not show is left out.
func (p *Provider) listListeners(ctx context.Context, s *scope, ids []string) (map[string]*model.Listener, error) {
	var (
		mu    sync.Mutex
		out   = map[string]*model.Listener{}
		wg    sync.WaitGroup
		chunk [][]string
	)
	for c := range slices.Chunk(ids, idBatch) {
		chunk = append(chunk, c)
	}
	errs := make([]error, len(chunk))
	for k, c := range chunk {
		wg.Go(func() {
			var marker *string
			for {
				req := &model.ListListenersRequest{Id: ptr(slices.Clone(c)), Limit: ptr(int32(idBatch)), Marker: marker}
				if s.ep != "" {
					// As for certificates: a user whose rights are per enterprise project may list
					// only with it (hw-sdk model_list_listeners_request.go, EnterpriseProjectId).
					req.EnterpriseProjectId = &[]string{s.ep}
				}
				var resp *model.ListListenersResponse
				err := p.call(ctx, s, "ListListeners", func(cl *elb.ElbClient) error {
					var err error
					resp, err = cl.ListListeners(req)
					return err
				})
				if err != nil {
					errs[k] = err
					return
				}
				var page []model.Listener
				if resp.Listeners != nil {
					page = *resp.Listeners
				}
				mu.Lock()
				for _, l := range page {
					if slices.Contains(c, l.Id) {
						out[l.Id] = &l
					}
				}
				mu.Unlock()
				next := ""
				if resp.PageInfo != nil && resp.PageInfo.NextMarker != nil {
					next = *resp.PageInfo.NextMarker
				}
				if len(page) < idBatch || next == "" || (marker != nil && next == *marker) {
					return
				}
				marker = &next
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Package alicas is what the Alibaba ALB and NLB providers share: certificates uploaded once to
// Certificate Management Service (CAS) and bound by "<CertId>-<cas region>", default and
// additional certificates of TLS listeners, asynchronous writes waited out one at a time per
// listener. Each product's package implements API over its own SDK client on a Caller, which
// holds the call plumbing both share (pooled clients, rate limit, retries, error wrapping) over
// the SDK core; this package imports no product's SDK.
package alicas

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/source/cas"
)

// Listener is a TLS listener (ALB HTTPS or QUIC, NLB TCPSSL).
type Listener struct {
	ID, LoadBalancerID, Protocol string
	Port                         int
	Status                       string // Running once a write is applied
}

// Cert is a server certificate on a listener, as ListListenerCertificates shows it.
type Cert struct {
	ID        string
	IsDefault bool
	Status    string // Associating, Associated, Diassociating
}

// Op is a write to a listener's certificates.
type Op int

// The writes.
const (
	SetDefault Op = iota + 1 // UpdateListenerAttribute
	Associate                // AssociateAdditionalCertificatesWithListener
	Dissociate               // Dissociate…FromListener (ALB), Disassociate…WithListener (NLB)
)

func (o Op) String() string {
	return [...]string{"", "set default certificate", "associate additional certificate", "dissociate additional certificate"}[o]
}

// ErrBusy is wrapped by API errors that mean "the listener is still applying a previous write"
// (IncorrectStatus.Listener, ResourceInConfiguring.Listener, …): the write is waited out and tried again.
var ErrBusy = errors.New("listener is configuring")

// ErrNotFound is wrapped by API errors for a listener that does not exist.
var ErrNotFound = errors.New("not found")

// API is one product's listener-certificate calls. Implementations retry throttling, 5xx and
// network errors themselves, mark what retrying cannot fix provider.Permanent, wrap ErrBusy and
// ErrNotFound, and stop when ctx is done.
type API interface {
	// Listeners lists the TLS listeners of loadBalancerID in region ("" = every load balancer).
	Listeners(ctx context.Context, region, loadBalancerID string) ([]Listener, error)
	// Listener describes listener id; protocol tells whether it takes certificates.
	Listener(ctx context.Context, region, id string) (Listener, error)
	// Certificates lists the server certificates of a listener, default and additional.
	Certificates(ctx context.Context, region, listenerID string) ([]Cert, error)
	// Write starts op on a listener with certificate certID and returns the job id. token is the
	// ClientToken, the same for every retry of one write.
	Write(ctx context.Context, region, listenerID string, op Op, certID, token string) (jobID string, err error)
	// Job reports whether a write's job succeeded; a failed job is a provider.Permanent error
	// with what the product says of it.
	Job(ctx context.Context, region, listenerID, jobID string) (done bool, err error)
}

// Config configures a Provider.
type Config struct {
	Name       string // provider name in messages: "alialb", "alinlb"
	TLS        string // the protocols that take certificates, for messages: "HTTPS or QUIC"
	API        API
	CAS        *cas.Client
	Deployment string
	// Poll is the first wait between status reads after a write (it doubles up to 2 s).
	Poll time.Duration
}

// Provider implements provider.Provider, Rebinder and Cleaner over an API and CAS.
type Provider struct {
	cfg Config

	listMu   sync.Mutex
	listed   map[int64]cas.Certificate // CAS certificates by bare id, as last listed
	listOnce bool
	relisted map[int64]bool // ids missing from a listing that were listed again for once

	uploadMu sync.Mutex
	uploaded map[string]string // fingerprint → bound id, in this run

	lockMu sync.Mutex
	locks  map[string]*sync.Mutex // region/listener → one write at a time

	stateMu  sync.Mutex
	replaced map[string]string   // slot key → the certificate this run put there
	seen     map[string][]string // region → listeners discovered this run
	seenSet  map[string]bool
}

var (
	_ provider.Provider = (*Provider)(nil)
	_ provider.Rebinder = (*Provider)(nil)
	_ provider.Cleaner  = (*Provider)(nil)
)

// New returns a provider; it makes no call.
func New(cfg Config) *Provider {
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	return &Provider{cfg: cfg, uploaded: map[string]string{}, locks: map[string]*sync.Mutex{},
		replaced: map[string]string{}, seen: map[string][]string{}, seenSet: map[string]bool{}}
}

// Slot keys.
const (
	keyDefault    = "default"
	keyAdditional = "additional:" // + the id of the additional certificate the slot replaces ("" = a new one)
)

func (p *Provider) errorf(format string, a ...any) error {
	return fmt.Errorf(p.cfg.Name+": "+format, a...)
}

// --- CAS -------------------------------------------------------------------------------------

// BindID is the id a listener takes for CAS certificate id.
func (p *Provider) BindID(id int64) string {
	return strconv.FormatInt(id, 10) + "-" + p.cfg.CAS.Region()
}

// casID is the bare CAS id of a bind id in this provider's CAS region; false for anything else
// (another CAS region, a form we do not know): such ids are compared whole, never parsed further.
func (p *Provider) casID(bindID string) (int64, bool) {
	num, region, ok := strings.Cut(bindID, "-")
	if !ok || region != p.cfg.CAS.Region() {
		return 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	return id, err == nil
}

// list lists CAS afresh and remembers the listing.
func (p *Provider) list(ctx context.Context) (map[int64]cas.Certificate, error) {
	all, err := p.cfg.CAS.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.cfg.Name, err)
	}
	m := make(map[int64]cas.Certificate, len(all))
	for _, c := range all {
		m[c.ID] = c
	}
	p.listMu.Lock()
	p.listed, p.listOnce = m, true
	p.listMu.Unlock()
	return m, nil
}

// known returns the CAS listing, listing once per run.
func (p *Provider) known(ctx context.Context) (map[int64]cas.Certificate, error) {
	p.listMu.Lock()
	m, ok := p.listed, p.listOnce
	p.listMu.Unlock()
	if ok {
		return m, nil
	}
	return p.list(ctx)
}

// describe is the provider.Bound of bind id, with what CAS says about it.
func (p *Provider) describe(ctx context.Context, id string) (provider.Bound, error) {
	if id == "" {
		return provider.Bound{}, nil
	}
	n, ok := p.casID(id)
	if !ok {
		return provider.Bound{ID: id}, nil
	}
	m, err := p.known(ctx)
	if err != nil {
		return provider.Bound{}, err
	}
	c, ok := m[n]
	if !ok {
		p.listMu.Lock()
		stale := p.listOnce && !p.relisted[n]
		if p.relisted == nil {
			p.relisted = map[int64]bool{}
		}
		p.relisted[n] = true
		p.listMu.Unlock()
		if stale { // uploaded since the listing (by this run or another): list again, once per id
			if m, err = p.list(ctx); err != nil {
				return provider.Bound{}, err
			}
			c, ok = m[n]
		}
		if !ok {
			return provider.Bound{ID: id}, nil
		}
	}
	return provider.Bound{ID: id, Fingerprint: c.Fingerprint, Names: c.Names, NotAfter: c.NotAfter}, nil
}

// ownPrefix starts the CAS names of this deployment's certificates. The deployment id holds no
// "_", so the "_" after it ends it: deployment "a" never claims deployment "a-b"'s certificates.
func (p *Provider) ownPrefix() string { return provider.NamePrefix + p.cfg.Deployment + "_" }

func (p *Provider) ours(c cas.Certificate) bool { return strings.HasPrefix(c.Name, p.ownPrefix()) }

// Name is the CAS name this deployment gives b: unique per account and 1–64 characters (CAS's
// rule), the certrotate name with the deployment id, shortened to fit.
func Name(deployment string, b *certs.Bundle) string {
	base := strings.TrimPrefix(provider.CertificateName(b), provider.NamePrefix) // <cn>-<yyyymmdd>-<fp12>
	cn, fp := base, ""
	if i := strings.LastIndex(base, "-"); i > 0 {
		cn, fp = base[:i], base[i+1:]
	}
	date := ""
	if i := strings.LastIndex(cn, "-"); i >= 0 {
		cn, date = cn[:i], cn[i+1:]
	}
	head := provider.NamePrefix + deployment + "_"
	tail := date + "-" + fp
	if room := 64 - len(head) - len(tail) - 1; room > 0 && cn != "" {
		cn = strings.TrimRight(cn[:min(len(cn), room)], "-.")
	} else {
		cn = ""
	}
	if cn != "" {
		return head + cn + "-" + tail
	}
	if over := len(head) + len(tail) - 64; over > 0 {
		tail = tail[:len(tail)-over]
	}
	return head + tail
}

// upload returns the bind id of a CAS certificate holding b: one already there (this
// deployment's first, then the lowest id), or a new upload. Concurrent invocations converge: the
// name is the same for the same certificate and CAS names are unique, so the second upload is
// refused and reuses the first.
func (p *Provider) upload(ctx context.Context, b *certs.Bundle) (string, error) {
	fp := certs.NormalizeFingerprint(b.FingerprintSHA1())
	p.uploadMu.Lock()
	defer p.uploadMu.Unlock()
	if id, ok := p.uploaded[fp]; ok {
		return id, nil
	}
	m, err := p.list(ctx)
	if err != nil {
		return "", err
	}
	if id, ok := p.reusable(m, fp); ok {
		p.uploaded[fp] = p.BindID(id)
		return p.uploaded[fp], nil
	}
	name := Name(p.cfg.Deployment, b)
	n, err := p.cfg.CAS.Upload(ctx, name, b.CertificatePEM, b.PrivateKeyPEM)
	if err != nil && !errors.Is(err, cas.ErrNameTaken) {
		return "", fmt.Errorf("%s: %w", p.cfg.Name, err)
	}
	// Another invocation may have uploaded it meanwhile (our upload was then refused by name),
	// or a retried upload may have landed twice: bind the canonical copy.
	if m, err = p.list(ctx); err != nil {
		return "", err
	}
	id, ok := p.reusable(m, fp)
	if !ok {
		if n == 0 {
			return "", provider.Permanent(p.errorf("CAS refused the name %q, which a certificate with other content holds", name))
		}
		id = n
	}
	for _, c := range m {
		if c.ID != id && c.Fingerprint == fp && p.ours(c) {
			_ = p.cfg.CAS.Delete(ctx, c.ID) // best effort: a copy someone already bound stays
		}
	}
	p.uploaded[fp] = p.BindID(id)
	return p.uploaded[fp], nil
}

// reusable picks, among CAS certificates with fingerprint fp, this deployment's lowest id
// (CAS ids grow, so the earliest), then anyone's lowest id.
func (p *Provider) reusable(m map[int64]cas.Certificate, fp string) (int64, bool) {
	var best *cas.Certificate
	for _, c := range m {
		if c.Fingerprint != fp {
			continue
		}
		if best == nil || p.ours(c) && !p.ours(*best) || p.ours(c) == p.ours(*best) && c.ID < best.ID {
			best = &c
		}
	}
	if best == nil {
		return 0, false
	}
	return best.ID, true
}

// --- listeners -------------------------------------------------------------------------------

func (p *Provider) lock(region, listener string) func() {
	p.lockMu.Lock()
	k := region + "/" + listener
	l, ok := p.locks[k]
	if !ok {
		l = &sync.Mutex{}
		p.locks[k] = l
	}
	p.lockMu.Unlock()
	l.Lock()
	return l.Unlock
}

func (p *Provider) remember(region, listener string) {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	if k := region + "/" + listener; !p.seenSet[k] {
		p.seenSet[k] = true
		p.seen[region] = append(p.seen[region], listener)
	}
}

// write runs op and waits until its job is done and the listener runs again. A listener still
// busy with an earlier write (ours or anyone's) is waited out until ctx ends.
func (p *Provider) write(ctx context.Context, region, listener string, op Op, certID string) error {
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	wait := p.cfg.Poll
	sleep := func() error {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: listener %s: waiting to %s: %w", p.cfg.Name, listener, op, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
		return nil
	}
	var job string
	for {
		var err error
		job, err = p.cfg.API.Write(ctx, region, listener, op, certID, token)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrBusy) {
			// A refusal because a concurrent writer (another invocation) made this very change
			// first ("already associated", "not associated") is moot: read and see.
			if list, lerr := p.cfg.API.Certificates(ctx, region, listener); lerr == nil && applied(list, op, certID) {
				break
			}
			return err
		}
		if err := sleep(); err != nil {
			return err
		}
		// Another writer (a concurrent invocation) may have made this very change meanwhile.
		list, err := p.cfg.API.Certificates(ctx, region, listener)
		if err != nil {
			return err
		}
		if applied(list, op, certID) {
			break // job stays "": wait for the listener only
		}
	}
	wait = p.cfg.Poll
	for {
		done, err := p.settled(ctx, region, listener, job)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if err := sleep(); err != nil {
			return err
		}
	}
}

// settled reports whether a write is done: its job (if any) succeeded and the listener is
// Running again.
func (p *Provider) settled(ctx context.Context, region, listener, job string) (bool, error) {
	if job != "" {
		if done, err := p.cfg.API.Job(ctx, region, listener, job); err != nil || !done {
			return false, err
		}
	}
	l, err := p.cfg.API.Listener(ctx, region, listener)
	if err != nil {
		return false, err
	}
	return strings.EqualFold(l.Status, "Running"), nil
}

// applied reports whether op with certID is already in effect (or being applied) on list.
func applied(list []Cert, op Op, certID string) bool {
	has := slices.ContainsFunc(list, func(c Cert) bool { return c.ID == certID && !c.IsDefault })
	switch op {
	case SetDefault:
		return slices.ContainsFunc(list, func(c Cert) bool { return c.ID == certID && c.IsDefault })
	case Associate:
		return has
	case Dissociate:
		return !has || slices.ContainsFunc(list, func(c Cert) bool { return c.ID == certID && !c.IsDefault && c.Status == "Diassociating" })
	}
	return false
}

func covers(names []string, domain string) bool { return certs.Covers(names, domain) }

// Discover implements provider.Provider.
func (p *Provider) Discover(ctx context.Context, t provider.Target) ([]provider.Slot, error) {
	var listeners []Listener
	switch {
	case t.ListenerID != "":
		l, err := p.cfg.API.Listener(ctx, t.Region, t.ListenerID)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, provider.Permanent(p.errorf("target %s: listener %s not found in %s", t.Name, t.ListenerID, t.Region))
			}
			return nil, err
		}
		if !p.tls(l.Protocol) {
			return nil, provider.Permanent(p.errorf("target %s: listener %s is %s, not %s: it serves no certificate", t.Name, l.ID, l.Protocol, p.cfg.TLS))
		}
		listeners = []Listener{l}
	default:
		var err error
		if listeners, err = p.cfg.API.Listeners(ctx, t.Region, t.LoadBalancerID); err != nil {
			return nil, err
		}
		if t.LoadBalancerID != "" && len(listeners) == 0 {
			return nil, provider.Permanent(p.errorf("target %s: load balancer %s in %s has no %s listener (does it exist?)", t.Name, t.LoadBalancerID, t.Region, p.cfg.TLS))
		}
	}
	var out []provider.Slot
	for _, l := range listeners {
		p.remember(t.Region, l.ID)
		list, err := p.cfg.API.Certificates(ctx, t.Region, l.ID)
		if err != nil {
			return nil, err
		}
		slots, err := p.slots(ctx, t, l, list)
		if err != nil {
			return nil, err
		}
		out = append(out, slots...)
	}
	return out, nil
}

func (p *Provider) tls(protocol string) bool {
	for _, want := range strings.Split(p.cfg.TLS, " or ") {
		if strings.EqualFold(want, protocol) {
			return true
		}
	}
	return false
}

// slots builds a listener's places: with t.Domain, the additional certificate serving it (or a
// new one); with a listener target, its default; with a wider target, the default and every
// additional certificate.
func (p *Provider) slots(ctx context.Context, t provider.Target, l Listener, list []Cert) ([]provider.Slot, error) {
	base := provider.Slot{Target: t, Region: t.Region, LoadBalancerID: l.LoadBalancerID, ListenerID: l.ID}
	name := t.Name
	if t.ListenerID == "" {
		name += "/" + l.ID
	}
	var def string
	var extra []string
	for _, c := range list {
		if c.IsDefault {
			def = c.ID
		} else if c.Status != "Diassociating" && c.Status != "Dissociating" {
			extra = append(extra, c.ID)
		}
	}
	if t.Domain != "" {
		s := base
		s.Name, s.Domain, s.Key = name, t.Domain, keyAdditional
		// The additional certificate that serves the domain: an exact name before a wildcard.
		var exact, wild string
		for _, id := range extra {
			b, err := p.describe(ctx, id)
			if err != nil {
				return nil, err
			}
			switch {
			case exact == "" && slices.Contains(b.Names, t.Domain):
				exact = id
			case wild == "" && covers(b.Names, t.Domain):
				wild = id
			}
		}
		if id := cmpOr(exact, wild); id != "" {
			b, _ := p.describe(ctx, id)
			s.Current, s.Key = b, keyAdditional+id
		}
		return []provider.Slot{s}, nil
	}
	d := base
	d.Name, d.Key = name, keyDefault
	b, err := p.describe(ctx, def)
	if err != nil {
		return nil, err
	}
	d.Current = b
	out := []provider.Slot{d}
	if t.ListenerID != "" {
		return out, nil
	}
	for _, id := range extra {
		s := base
		s.Name, s.Key = name+"/additional/"+id, keyAdditional+id
		if s.Current, err = p.describe(ctx, id); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func slotKey(s provider.Slot) string { return s.Region + "/" + s.ListenerID + "/" + s.Key }

// Deploy implements provider.Provider.
func (p *Provider) Deploy(ctx context.Context, slot provider.Slot, b *certs.Bundle) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", p.cfg.Name, err)
	}
	id, err := p.upload(ctx, b)
	if err != nil {
		return "", err
	}
	return id, p.bind(ctx, slot, id)
}

// bind makes slot serve id: the default replaced in one write; an additional certificate
// associated (unless the listener has it already), then exactly the one it replaces dissociated,
// so the listener never serves the domain from nothing and never keeps both.
func (p *Provider) bind(ctx context.Context, slot provider.Slot, id string) error {
	unlock := p.lock(slot.Region, slot.ListenerID)
	defer unlock()
	list, err := p.cfg.API.Certificates(ctx, slot.Region, slot.ListenerID)
	if err != nil {
		return err
	}
	if slot.Key == keyDefault {
		if slices.ContainsFunc(list, func(c Cert) bool { return c.IsDefault && c.ID == id }) {
			return nil
		}
		return p.write(ctx, slot.Region, slot.ListenerID, SetDefault, id)
	}
	old := p.servedAt(slot)
	has := func(x string) bool {
		return slices.ContainsFunc(list, func(c Cert) bool { return !c.IsDefault && c.ID == x })
	}
	if !has(id) {
		if err := p.write(ctx, slot.Region, slot.ListenerID, Associate, id); err != nil {
			return err
		}
	}
	p.stateMu.Lock()
	p.replaced[slotKey(slot)] = id
	p.stateMu.Unlock()
	if old != "" && old != id && has(old) {
		// Exactly the replaced certificate, by its full id; every other one stays.
		if err := p.write(ctx, slot.Region, slot.ListenerID, Dissociate, old); err != nil {
			return fmt.Errorf("%w (the new certificate %s is associated; %s is still associated beside it)", err, id, old)
		}
	}
	return nil
}

// servedAt is the certificate an additional slot serves as far as this run knows: what the run
// put there last, else what Discover found.
func (p *Provider) servedAt(slot provider.Slot) string {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	if id, ok := p.replaced[slotKey(slot)]; ok {
		return id
	}
	return strings.TrimPrefix(slot.Key, keyAdditional)
}

// Bound implements provider.Provider: it reads the listener's certificates back.
func (p *Provider) Bound(ctx context.Context, slot provider.Slot) (provider.Bound, error) {
	list, err := p.cfg.API.Certificates(ctx, slot.Region, slot.ListenerID)
	if err != nil {
		return provider.Bound{}, err
	}
	if slot.Key == keyDefault {
		for _, c := range list {
			if c.IsDefault {
				return p.describe(ctx, c.ID)
			}
		}
		return provider.Bound{}, nil
	}
	want := p.servedAt(slot)
	for _, c := range list {
		if !c.IsDefault && c.ID == want && c.Status == "Associated" {
			return p.describe(ctx, c.ID)
		}
	}
	return provider.Bound{}, nil
}

// Rebind implements provider.Rebinder.
func (p *Provider) Rebind(ctx context.Context, slot provider.Slot, id string) error {
	if id == "" {
		if slot.Key == keyDefault {
			return provider.Permanent(p.errorf("%s: no certificate to roll back to", slot.Name))
		}
		// The slot had no additional certificate: rolling back dissociates the one this run added.
		unlock := p.lock(slot.Region, slot.ListenerID)
		defer unlock()
		cur := p.servedAt(slot)
		if cur == "" {
			return nil
		}
		if err := p.write(ctx, slot.Region, slot.ListenerID, Dissociate, cur); err != nil {
			return err
		}
		p.stateMu.Lock()
		p.replaced[slotKey(slot)] = ""
		p.stateMu.Unlock()
		return nil
	}
	return p.bind(ctx, slot, id)
}

// Certificates lists every certificate of CAS as a listener would name it ("<CertId>-<CAS
// region>"), with its names and expiry, from the run's listing: what the audit judges a stale
// place by (a newer certificate for the same names that the place does not serve). CAS holds
// them for every region; region only names the place audited. The listing does not say which
// certificates CAS holds without their key: those count too (a person decides). It makes no
// mutating call.
func (p *Provider) Certificates(ctx context.Context, region string) ([]provider.Bound, error) {
	m, err := p.known(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]provider.Bound, 0, len(m))
	for _, c := range m {
		out = append(out, provider.Bound{ID: p.BindID(c.ID), Fingerprint: c.Fingerprint, Names: c.Names, NotAfter: c.NotAfter})
	}
	slices.SortFunc(out, func(a, b provider.Bound) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Owned implements provider.Cleaner: the CAS certificates this deployment uploaded (CAS holds
// them for every region; region only names the place the rotation cleans up).
func (p *Provider) Owned(ctx context.Context, region string) ([]provider.Owned, error) {
	m, err := p.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []provider.Owned
	for _, c := range m {
		if p.ours(c) {
			// CAS lists no upload time: the certificate's start stands in, and the id (CAS ids
			// grow) breaks ties between copies of one certificate.
			out = append(out, provider.Owned{ID: p.BindID(c.ID), Name: c.Name, Fingerprint: c.Fingerprint, Names: c.Names, Created: c.NotBefore})
		}
	}
	slices.SortFunc(out, func(a, b provider.Owned) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Delete implements provider.Cleaner. It refuses a certificate without this deployment's mark,
// and one that a listener this run discovered serves; CAS refuses one any cloud resource uses.
func (p *Provider) Delete(ctx context.Context, region, id string) error {
	n, ok := p.casID(id)
	if !ok {
		return provider.Permanent(p.errorf("refusing to delete certificate %s: not a certificate of CAS region %s", id, p.cfg.CAS.Region()))
	}
	m, err := p.known(ctx)
	if err != nil {
		return err
	}
	c, ok := m[n]
	if !ok {
		if m, err = p.list(ctx); err != nil {
			return err
		}
		if c, ok = m[n]; !ok {
			return nil // already gone
		}
	}
	if !p.ours(c) {
		return provider.Permanent(p.errorf("refusing to delete CAS certificate %s (%q): it does not carry deployment %s's mark", id, c.Name, p.cfg.Deployment))
	}
	p.stateMu.Lock()
	seen := map[string][]string{}
	for r, ls := range p.seen {
		seen[r] = slices.Clone(ls)
	}
	p.stateMu.Unlock()
	for r, ls := range seen {
		for _, l := range ls {
			list, err := p.cfg.API.Certificates(ctx, r, l)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(list, func(x Cert) bool { return x.ID == id }) {
				return fmt.Errorf("%w: %s", provider.ErrInUse, p.errorf("certificate %s is served by listener %s in %s", id, l, r))
			}
		}
	}
	if err := p.cfg.CAS.Delete(ctx, n); err != nil {
		return fmt.Errorf("%s: %w", p.cfg.Name, err)
	}
	return nil
}

package alislb

import (
	"context"
	"crypto/rsa"
	"fmt"
	"math"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/retry"
)

// BusyBackoff paces the attempts of a write that a load balancer refused as busy (busyCodes).
type BusyBackoff struct {
	Base time.Duration // first wait ceiling
	Max  time.Duration // largest wait ceiling
	// Budget bounds the waiting when ctx has no deadline (with a deadline, the deadline does).
	Budget time.Duration
}

// DefaultBusyBackoff waits about a second at first, then up to 8 s between attempts; without a
// deadline it gives up after 5 minutes, as terraform-provider-alicloud does for the same codes.
var DefaultBusyBackoff = BusyBackoff{Base: 750 * time.Millisecond, Max: 8 * time.Second, Budget: 5 * time.Minute}

// acceptable refuses, before any call, a certificate CLB does not take.
func acceptable(b *certs.Bundle) error {
	if _, ok := b.Leaf.PublicKey.(*rsa.PublicKey); ok {
		return nil
	}
	return provider.Permanent(fmt.Errorf("alislb: %w, and this certificate's key is %s; nothing was sent to SLB. "+
		"Issue an RSA certificate for CLB targets (certbot --key-type rsa, acme.sh --keylength 2048)",
		ErrNotRSA, b.Leaf.PublicKeyAlgorithm))
}

// write runs one mutating call on load balancer lbID: never two in flight to one load balancer
// from this provider (real CLB refuses a write while it applies the previous one), and a busy
// answer is waited out with backoff for as long as ctx allows.
func (p *Provider) write(ctx context.Context, r *region, lbID, action string, fn func(*slb.Client) error) error {
	unlock, err := r.lockLB(ctx, lbID)
	if err != nil {
		return fmt.Errorf("alislb: %s: waiting for load balancer %s: %w", action, lbID, err)
	}
	defer unlock()
	bo := p.cfg.Busy
	if bo.Base <= 0 || bo.Max <= 0 {
		bo = DefaultBusyBackoff
	}
	// No cap on attempts: the deadline, else the budget, ends the waiting. The last busy answer
	// is returned as it is: retrying later (the platform's retry) may pass, so it is not Permanent.
	policy := retry.Policy{Attempts: math.MaxInt, Base: bo.Base, Max: bo.Max, Budget: bo.Budget}
	return retry.Do(ctx, policy, busy, func() error { return p.call(ctx, r, action, fn) })
}

// lockLB takes the write lock of load balancer id in r, or fails when ctx ends first.
func (r *region) lockLB(ctx context.Context, id string) (unlock func(), err error) {
	r.lbMu.Lock()
	if r.lbLocks == nil {
		r.lbLocks = map[string]chan struct{}{}
	}
	l, ok := r.lbLocks[id]
	if !ok {
		l = make(chan struct{}, 1)
		r.lbLocks[id] = l
	}
	r.lbMu.Unlock()
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

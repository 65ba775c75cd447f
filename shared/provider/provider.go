// Package provider defines what the rotation needs from a cloud: targets, the places they resolve
// to, and the small interface each cloud's package implements. It imports no cloud SDK.
package provider

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
)

// Provider deploys certificates to one cloud's load balancers. A Provider value serves one run
// (one certificate, one set of credentials) and may cache what it learns during that run.
type Provider interface {
	// Discover resolves t into the concrete places that serve a certificate, each with the
	// certificate it serves now. A target naming something that does not exist is a Permanent
	// error; throttling, 5xx and network errors are returned as they are, to be retried.
	// Discover makes no mutating call.
	Discover(ctx context.Context, t Target) ([]Slot, error)

	// Deploy makes slot serve b and returns the id of the certificate now bound. It uploads b at
	// most once per region per run, reusing a certificate whose fingerprint already matches, so
	// calling it again with the same b (a redelivered event) changes nothing and uploads nothing.
	// When two invocations upload the same certificate at once, they may bind different copies;
	// Owned, asked after an upload, then answers from a listing made after it, which shows every
	// copy created before its own, so that the invocation whose copy is the later one moves its
	// slots onto the canonical copy (Canonical) and deletes its own (rotation's finish).
	// It is safe for concurrent use and stops when ctx is done.
	Deploy(ctx context.Context, slot Slot, b *certs.Bundle) (certificateID string, err error)

	// Bound reads back what slot serves now, to verify a binding. It makes no mutating call.
	Bound(ctx context.Context, slot Slot) (Bound, error)
}

// Rebinder is a Provider that can roll a slot back.
type Rebinder interface {
	// Rebind makes slot serve certificate id again: the rollback of a Deploy, with the id
	// Discover reported as slot.Current.ID. A slot that cannot be rolled back (a certificate
	// updated in place) answers a Permanent error and changes nothing.
	Rebind(ctx context.Context, slot Slot, certificateID string) error
}

// Cleaner is a Provider that can delete the certificates this project uploaded.
type Cleaner interface {
	// Owned lists the certificates this deployment uploaded in region: those carrying its mark
	// (MarkKey = the deployment id), never one recognised by its name alone. region is one that a
	// Discover of this run returned slots in.
	Owned(ctx context.Context, region string) ([]Owned, error)

	// Delete deletes certificate id in region. It refuses, with a Permanent error and no
	// mutating call, a certificate that does not carry this deployment's mark. The cloud refuses one that a
	// listener or SNI domain still serves: Delete then returns an error wrapping ErrInUse.
	Delete(ctx context.Context, region, certificateID string) error
}

// Owned is a certificate this deployment uploaded (it carries the deployment's mark).
type Owned struct {
	ID          string
	Name        string
	Fingerprint string    // SHA-1 of the leaf, as certs.NormalizeFingerprint gives it
	Names       []string  // DNS names it covers (common name and SANs), lower-case
	Created     time.Time // when the cloud created it; zero when unknown
}

// Canonical is, among the certificates owned with fingerprint fp, the one every invocation
// converges on: the earliest created, then the lowest id; "" when there is none.
func Canonical(owned []Owned, fp string) string {
	var best *Owned
	for i, o := range owned {
		if o.Fingerprint == fp && (best == nil || cmp.Or(o.Created.Compare(best.Created), strings.Compare(o.ID, best.ID)) < 0) {
			best = &owned[i]
		}
	}
	if best == nil {
		return ""
	}
	return best.ID
}

// ErrInUse is wrapped by the error Delete returns when the cloud refuses to delete a certificate
// that something still serves.
var ErrInUse = errors.New("certificate is in use")

// Slot is one concrete place that serves a certificate: an SLB listener's default certificate,
// an SLB domain extension, a Huawei ELB certificate or listener.
type Slot struct {
	Target Target // the configured target it came from
	Name   string // name in reports: the target's name, refined with the listener when the target is wider
	Region string

	LoadBalancerID    string // alislb, alialb, alinlb
	ListenerPort      int    // alislb
	Domain            string // SNI domain, when the slot is a domain extension / SNI certificate
	DomainExtensionID string // alislb
	ListenerID        string // huaweielb, alialb, alinlb
	CertificateID     string // huaweielb, certificate updated in place
	// Key is opaque and provider-owned: what the provider needs to find the place again
	// (alialb, alinlb: the default certificate, or which additional certificate it replaces).
	Key string

	Current Bound // what the slot serves now
}

// Bound describes the certificate a slot serves now.
type Bound struct {
	ID          string    // provider's certificate id; empty when the slot serves none
	Fingerprint string    // SHA-1 of the leaf, as certs.NormalizeFingerprint gives it; empty when unknown
	Names       []string  // DNS names it covers (common name and SANs), lower-case
	NotAfter    time.Time // when it expires, as the cloud lists it; zero when unknown
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying will not fix (a target that does not exist, a
// certificate the cloud refuses). Nil stays nil.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Streamer is a Provider that hands out each slot as soon as it knows it, so that the rotation
// can decide on it and start deploying (the upload first) while the rest is still being
// discovered: the upload then overlaps the discovery instead of following it.
type Streamer interface {
	// DiscoverEach resolves t as Discover does and calls emit once for every slot Discover would
	// return, as soon as the slot and what it serves are known. emit may be called from several
	// goroutines at once and never after DiscoverEach returns. On an error, the slots already
	// emitted stand (they exist); the error is Discover's.
	DiscoverEach(ctx context.Context, t Target, emit func(Slot)) error
}

// Verifier is a Provider that reads many slots back in few calls (a listing that returns each
// listener's certificate) instead of one call per slot.
type Verifier interface {
	// BoundAll reads every slot back as Bound does: got[i] and errs[i] answer slots[i]. It makes
	// no mutating call, and what each slot serves is read afresh (never remembered from
	// discovery); the description of a certificate (fingerprint, names) may come from what the
	// cloud said about that id earlier in the run.
	BoundAll(ctx context.Context, slots []Slot) (got []Bound, errs []error)
}

// Package provider defines what the rotation needs from a cloud: targets, the places they resolve
// to, and the small interface each cloud's package implements. It imports no cloud SDK.
package provider

import (
	"context"
	"errors"

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
	// It is safe for concurrent use and stops when ctx is done.
	Deploy(ctx context.Context, slot Slot, b *certs.Bundle) (certificateID string, err error)
}

// Slot is one concrete place that serves a certificate: an SLB listener's default certificate,
// an SLB domain extension, a Huawei ELB certificate or listener.
type Slot struct {
	Target Target // the configured target it came from
	Name   string // name in reports: the target's name, refined with the listener when the target is wider
	Region string

	LoadBalancerID    string // alislb
	ListenerPort      int    // alislb
	Domain            string // SNI domain, when the slot is a domain extension / SNI certificate
	DomainExtensionID string // alislb
	ListenerID        string // huaweielb
	CertificateID     string // huaweielb, certificate updated in place

	Current Bound // what the slot serves now
}

// Bound describes the certificate a slot serves now.
type Bound struct {
	ID          string   // provider's certificate id; empty when the slot serves none
	Fingerprint string   // SHA-1 of the leaf, as certs.NormalizeFingerprint gives it; empty when unknown
	Names       []string // DNS names it covers (common name and SANs), lower-case
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

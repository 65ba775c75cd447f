package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// minRemaining is how long past now the leaf must stay valid for Validate to accept it.
const minRemaining = 24 * time.Hour

// Validate checks the bundle is fit to deploy at now: the key belongs to the
// leaf (else an *Error wrapping ErrKeyMismatch), the leaf's signature algorithm is not
// MD5 or SHA-1 based, each certificate is signed by the next, the leaf is valid now and
// for at least 24 h more, the key is strong enough, the leaf names at least one DNS name
// and no wildcard directly under a public suffix (*.com, *.co.uk) and, if it restricts extended
// key usage, allows TLS server authentication.
// Every error is a *Error.
func (b *Bundle) Validate(now time.Time) error {
	if b == nil || b.Leaf == nil {
		return newError(FieldCertificate, "no certificate")
	}
	if b.Key == nil {
		return newError(FieldPrivateKey, "no private key")
	}
	leaf := b.Leaf

	pub, ok := b.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return &Error{
			Field: FieldPrivateKey,
			Reason: fmt.Sprintf("does not match the certificate (key is %s, certificate %s has %s)",
				keyTypeName(b.Key), describe(leaf), keyTypeName(leaf.PublicKey)),
			err: ErrKeyMismatch,
		}
	}

	if weakSignature(leaf.SignatureAlgorithm) {
		return newError(FieldCertificate, fmt.Sprintf("weak signature algorithm %s; reissue it with SHA-256 or better", leaf.SignatureAlgorithm))
	}

	chain := append([]*x509.Certificate{leaf}, b.Intermediates...)
	for i := 0; i+1 < len(chain); i++ {
		child, parent := chain[i], chain[i+1]
		if err := child.CheckSignatureFrom(parent); err != nil {
			return newError(FieldChain, chainReason(i+1, child, parent, err))
		}
	}

	switch {
	case leaf.NotBefore.After(now):
		return newError(FieldCertificate, "not valid until "+stamp(leaf.NotBefore))
	case !leaf.NotAfter.After(now):
		return newError(FieldCertificate, "expired at "+stamp(leaf.NotAfter))
	case !leaf.NotAfter.After(now.Add(minRemaining)):
		return newError(FieldCertificate, fmt.Sprintf("expires at %s, less than 24 h from now", stamp(leaf.NotAfter)))
	}

	if err := checkStrength(b.Key); err != nil {
		return err
	}

	if len(b.DNSNames()) == 0 {
		return newError(FieldCertificate, "has no DNS name (no subjectAltName DNS entry, and the common name is not a host name)")
	}
	if err := checkPublicSuffix(b); err != nil {
		return err
	}

	if len(leaf.ExtKeyUsage) > 0 || len(leaf.UnknownExtKeyUsage) > 0 {
		ok := false
		for _, u := range leaf.ExtKeyUsage {
			if u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny {
				ok = true
				break
			}
		}
		if !ok {
			return newError(FieldCertificate, "extended key usage does not allow TLS server authentication")
		}
	}
	return nil
}

func chainReason(pos int, child, parent *x509.Certificate, err error) string {
	var insecure x509.InsecureAlgorithmError
	switch {
	case errors.As(err, &insecure):
		return fmt.Sprintf("certificate %d (%s) uses weak signature algorithm %s", pos, describe(child), child.SignatureAlgorithm)
	case !parent.BasicConstraintsValid || !parent.IsCA:
		return fmt.Sprintf("certificate %d (%s) is not signed by certificate %d (%s), which is not a CA; is the chain out of order?",
			pos, describe(child), pos+1, describe(parent))
	}
	return fmt.Sprintf("certificate %d (%s) is not signed by certificate %d (%s); is the chain out of order?",
		pos, describe(child), pos+1, describe(parent))
}

func checkStrength(key crypto.Signer) error {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		bits := k.N.BitLen()
		switch {
		case bits < 2048:
			return newError(FieldCertificate, fmt.Sprintf("RSA key of %d bits is too weak; at least 2048 bits required", bits))
		case bits > 8192:
			return newError(FieldCertificate, fmt.Sprintf("RSA key of %d bits is too large; at most 8192 bits supported", bits))
		}
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return newError(FieldCertificate, fmt.Sprintf("ECDSA curve %s is not supported; use P-256 or P-384", k.Curve.Params().Name))
		}
	default:
		return newError(FieldPrivateKey, "unsupported key type; use RSA or ECDSA")
	}
	return nil
}

func weakSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

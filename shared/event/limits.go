package event

import (
	"fmt"
	"strings"
)

// MaxRecords is the most records one event may hold: an event with more is refused
// whole, before any of them is handled.
const MaxRecords = 100

// checkCount refuses an array of n records at field when n is over MaxRecords.
func checkCount(n int, field string) *Error {
	if n > MaxRecords {
		return &Error{Field: field, Reason: fmt.Sprintf("holds %d records, over the limit of %d in one event; nothing was done", n, MaxRecords)}
	}
	return nil
}

// keyMaterial reports whether s holds PEM text (a certificate or a private key): such text in a
// field meant for a name is never quoted back.
func keyMaterial(s string) bool {
	return strings.Contains(s, "-----BEGIN") || strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, "-----END")
}

// pemInField is the error for a field that holds PEM text: it names the field, never the text.
func pemInField(field string) *Error {
	return &Error{Field: field, Reason: "holds PEM text (certificate or key material), which belongs only in certificate, private_key and chain; it is not repeated here"}
}

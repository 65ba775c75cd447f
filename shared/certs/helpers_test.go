package certs_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
)

// names is the SAN set most tests use.
var names = []string{"www.example.com", "example.com"}

func issue(t testing.TB, opts certstest.Options) *certstest.Issued {
	t.Helper()
	if opts.DNSNames == nil {
		opts.DNSNames = names
	}
	return certstest.Must(t, opts)
}

// messy re-wraps every PEM block's base64 at 76 columns, switches to CRLF and adds
// indentation, trailing spaces, blank lines and text around the blocks, the way
// hand-edited, certbot and acme.sh files look.
func messy(t testing.TB, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\r\n  \r\nsubject=CN = www.example.com\r\nissuer=CN = Some CA\r\n")
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		enc := pem.EncodeToMemory(&pem.Block{Type: b.Type, Headers: b.Headers, Bytes: b.Bytes})
		lines := strings.Split(strings.TrimSpace(string(enc)), "\n")
		body := strings.Join(lines[1:len(lines)-1], "")
		out.WriteString("Bag Attributes\r\n    friendlyName: test\r\n\r\n")
		out.WriteString(" " + lines[0] + "  \r\n")
		for len(body) > 76 {
			out.WriteString(body[:76] + "\t\r\n")
			body = body[76:]
		}
		out.WriteString(body + "\r\n\r\n")
		out.WriteString(lines[len(lines)-1] + "\r\n\r\n\r\n")
	}
	out.WriteString("  trailing text\r\n\r\n")
	return out.Bytes()
}

// selfSigned signs tmpl with key, returning the certificate and a PKCS#8 key as PEM.
func selfSigned(t testing.TB, tmpl *x509.Certificate, key crypto.Signer) (certPEM, keyPEM []byte) {
	t.Helper()
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(42)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// asError checks err is a *certs.Error for field whose message contains want.
func asError(t testing.TB, err error, field, want string) *certs.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s: ...%s...", field, want)
	}
	var ce *certs.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T %q is not a *certs.Error", err, err)
	}
	if ce.Field != field {
		t.Errorf("field %q, want %q (error %q)", ce.Field, field, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if err.Error() != ce.Field+": "+ce.Reason {
		t.Errorf("Error() = %q, want Field: Reason", err)
	}
	return ce
}

// secretLines returns the base64 lines inside the PEM blocks of data that are long
// enough to be recognisable key material.
func secretLines(data []byte) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\n") {
		l = strings.TrimSpace(l)
		if len(l) >= 40 && !strings.HasPrefix(l, "-----") && !strings.Contains(l, ":") && !strings.Contains(l, " ") {
			out = append(out, l)
		}
	}
	return out
}

// checkNoKeyMaterial fails if msg holds a PEM key label or any base64 line of keyPEM.
func checkNoKeyMaterial(t testing.TB, msg string, keyPEM []byte) {
	t.Helper()
	if strings.Contains(msg, "PRIVATE KEY") || strings.Contains(msg, "-----") {
		t.Fatalf("error message holds PEM text: %q", msg)
	}
	for _, l := range secretLines(keyPEM) {
		if strings.Contains(msg, l) {
			t.Fatalf("error message holds a line of the key: %q", msg)
		}
	}
}

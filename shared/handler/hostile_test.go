package handler

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/entry"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/webhook"
)

// privateKeyType builds a PEM private key type at run time, so that no source line holds its armour.
func privateKeyType(prefix string) string { return strings.TrimSpace(prefix+" PRIVATE") + " KEY" }

func pemOf(typ string, der []byte, headers map[string]string) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der}))
}

// inline is a direct-invocation body holding PEMs (and any extra fields).
func inline(cert, key string, extra ...any) []byte {
	m := map[string]any{"certificate": cert, "private_key": key}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	b, _ := json.Marshal(m)
	return b
}

func issue(t *testing.T, o certstest.Options) *certstest.Issued {
	t.Helper()
	if o.DNSNames == nil {
		o.DNSNames = []string{"example.com", "www.example.com"}
	}
	is := certstest.Must(t, o)
	leakcheck.Register(string(is.KeyPEM))
	return is
}

// selfSignedRSA makes an RSA leaf for example.com signed with alg by its own key.
func selfSignedRSA(t *testing.T, alg x509.SignatureAlgorithm) (certPEM []byte, keyPEM string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "example.com"}, DNSNames: []string{"example.com", "www.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour), SignatureAlgorithm: alg,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM = pemOf(privateKeyType("RSA"), x509.MarshalPKCS1PrivateKey(k), nil)
	leakcheck.Register(keyPEM)
	return []byte(pemOf("CERTIFICATE", der, nil)), keyPEM
}

// hostileWant is what a refused input must produce.
type hostileWant struct {
	status string   // report status, or "" for an HTTP answer
	code   int      // HTTP status, for an HTTP answer
	exit   int      // the command line's exit code for the answer
	says   []string // the error (or, without one, the answer) holds each
}

func badReport(says ...string) hostileWant {
	return hostileWant{status: report.Failed, exit: 2, says: says}
}
func badHTTP(code int, says ...string) hostileWant {
	return hostileWant{code: code, exit: 2, says: says}
}

// TestHostileInputs drives bad events, PEMs and webhook requests through the real handler:
// each is answered (over HTTP for a webhook call, else with a failed report) with an error
// naming what was wrong, the invocation does not fail (the platform must not retry bad input),
// and the emulator sees no mutating call.
func TestHostileInputs(t *testing.T) {
	ctx := context.Background()
	type row struct {
		name    string
		webhook bool // the handler has ROTATE_WEBHOOK_SECRET
		payload func(t *testing.T, e *env) []byte
		want    hostileWant
	}
	raw := func(s string) func(*testing.T, *env) []byte {
		return func(*testing.T, *env) []byte { return []byte(s) }
	}
	good := func(e *env) (string, string) { return string(e.fresh.FullchainPEM), string(e.fresh.KeyPEM) }
	withCert := func(f func(t *testing.T, e *env) (cert, key string), extra ...any) func(*testing.T, *env) []byte {
		return func(t *testing.T, e *env) []byte { c, k := f(t, e); return inline(c, k, extra...) }
	}
	// hook sends body signed with the configured secret (or as given) over Function Compute's HTTP trigger.
	hook := func(method string, body func(t *testing.T, e *env) []byte, headers func(t *testing.T, body []byte) map[string]string) func(*testing.T, *env) []byte {
		return func(t *testing.T, e *env) []byte {
			b := body(t, e)
			h := signed(t, b, "msg_"+report.NewID(), time.Now())
			if headers != nil {
				h = headers(t, b)
			}
			return httpEvent(t, "fc", method, h, b, false)
		}
	}
	goodBody := func(_ *testing.T, e *env) []byte { c, k := good(e); return inline(c, k) }
	nested := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)

	rows := []row{
		// Events.
		{"empty event", false, raw(""), badReport("event is empty")},
		{"event is an array", false, raw(`[{"certificate":"x"}]`), badReport("must be a JSON object, not an array")},
		{"truncated JSON", false, raw(`{"certificate":"-----BEGIN CERTIFICATE-----\nMII`), badReport("not valid JSON")},
		{"non-UTF-8 event", false, raw("{\"name\":\"\xff\xfe\",\"cas_certificate_id\":1}"), badReport("not valid UTF-8")},
		{"event over 6 MiB", false, raw(`{"name":"` + strings.Repeat("a", event.MaxEnvelope) + `","cas_certificate_id":1}`), badReport("over the limit")},
		{"body over 1 MiB", false, raw(`{"name":"` + strings.Repeat("a", event.MaxSize) + `","cas_certificate_id":1}`), badReport("over the limit of 1048576 bytes")},
		{"deeply nested JSON", false, raw(`{"targets":` + nested + `,"cas_certificate_id":1}`), badReport("not valid JSON", "exceeded max depth")},
		{"unrecognised shape", false, raw(`{"hello":"world"}`), badReport("unrecognised event", "OSS trigger event", "S3 notification")},
		{"certificate is a number", false, raw(`{"certificate":123,"private_key":"k"}`), badReport("certificate: must be a string, not a number")},
		{"cas id is a string", false, raw(`{"cas_certificate_id":"12345678"}`), badReport("cas_certificate_id: must be a number, not a string")},
		{"cas id negative", false, raw(`{"cas_certificate_id":-5}`), badReport("cas_certificate_id: must be a positive whole number")},
		{"two sources", false, raw(`{"cas_certificate_id":1,"bucket":"b","key":"k/fullchain.pem"}`), badReport("more than one certificate source")},
		{"unknown field", false, raw(`{"cas_certificate_id":1,"password":"x"}`), badReport("password: unknown field")},
		{"NUL in object key", false, raw(`{"bucket":"certs","key":"live/\u0000/privkey.pem","store":"oss"}`), badReport("key: must not contain a NUL character")},
		{"../ in object key", false, raw(`{"bucket":"certs","key":"live/../../etc/privkey.pem","store":"oss"}`), badReport("key: must not contain a .. path segment")},
		{"../ in an OSS event key", false, raw(`{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss","region":"cn-hangzhou","oss":{"bucket":{"name":"certs"},"object":{"key":"a/../b/fullchain.pem"}}}]}`),
			badReport("events[0].oss.object.key", "..")},
		{"encoded ../ in an S3 event key", false, raw(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","awsRegion":"us-east-1","s3":{"bucket":{"name":"certs"},"object":{"key":"a/..%2F..%2Fprivkey.pem"}}}]}`),
			badReport("Records[0].s3.object.key", "..")},
		{"slash in bucket", false, raw(`{"bucket":"a/b","key":"k/fullchain.pem","store":"oss"}`), badReport("bucket: must not contain /")},
		{"unknown store", false, raw(`{"bucket":"certs","key":"k/fullchain.pem","store":"gcs"}`), badReport(`store: "gcs" is not a store`)},
		{"empty targets", false, raw(`{"cas_certificate_id":1,"targets":[]}`), badReport("targets: is empty")},
		{"unknown target name", false, withCert(func(_ *testing.T, e *env) (string, string) { return good(e) }, "targets", []string{"web", "nope"}),
			badReport(`targets: unknown target "nope"`, `configured: "web"`)},

		// PEMs.
		{"truncated certificate", false, withCert(func(_ *testing.T, e *env) (string, string) {
			c, k := good(e)
			return c[:len(c)/3], k
		}), badReport("certificate: PEM block 1 (CERTIFICATE) has no END line")},
		{"certificate over 64 KiB", false, withCert(func(_ *testing.T, e *env) (string, string) {
			c, k := good(e)
			return c + strings.Repeat("# padding\n", 7000), k
		}), badReport("certificate: is too large")},
		{"NUL bytes in the certificate", false, withCert(func(_ *testing.T, e *env) (string, string) {
			c, k := good(e)
			return c[:40] + "\x00\x00" + c[40:], k
		}), badReport("certificate: contains NUL bytes")},
		{"key where the certificate goes", false, withCert(func(_ *testing.T, e *env) (string, string) { c, k := good(e); return k, c }),
			badReport("certificate: holds a private key, not a certificate")},
		{"certificate where the key goes", false, withCert(func(_ *testing.T, e *env) (string, string) { c, _ := good(e); return c, c }),
			badReport("private_key: holds a certificate, not a private key")},
		{"CSR instead of a certificate", false, withCert(func(t *testing.T, e *env) (string, string) {
			k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "example.com"}, DNSNames: []string{"example.com"}}, k)
			if err != nil {
				t.Fatal(err)
			}
			_, key := good(e)
			return pemOf("CERTIFICATE REQUEST", der, nil), key
		}), badReport("certificate: is a certificate signing request")},
		{"public key instead of a private key", false, withCert(func(_ *testing.T, e *env) (string, string) {
			c, _ := good(e)
			return c, pemOf("PUBLIC KEY", e.fresh.Leaf.RawSubjectPublicKeyInfo, nil)
		}), badReport("private_key: holds a public key, not a private key")},
		{"encrypted PKCS#8 key", false, withCert(func(_ *testing.T, e *env) (string, string) {
			c, _ := good(e)
			return c, pemOf(privateKeyType("ENCRYPTED"), bytes.Repeat([]byte{0x30}, 64), nil)
		}), badReport("private_key: is encrypted")},
		{"encrypted PKCS#1 key (Proc-Type)", false, withCert(func(_ *testing.T, e *env) (string, string) {
			c, _ := good(e)
			return c, pemOf(privateKeyType("RSA"), bytes.Repeat([]byte{0x42}, 64), map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"})
		}), badReport("private_key: is encrypted")},
		{"OpenSSH key", false, withCert(func(_ *testing.T, e *env) (string, string) {
			c, _ := good(e)
			return c, pemOf(privateKeyType("OPENSSH"), []byte("openssh-key-v1\x00"), nil)
		}), badReport("private_key: is in OpenSSH format")},
		{"DSA key", false, withCert(func(_ *testing.T, e *env) (string, string) {
			c, _ := good(e)
			return c, pemOf(privateKeyType("DSA"), bytes.Repeat([]byte{0x02}, 32), nil)
		}), badReport("private_key: unsupported key type (DSA)")},
		{"Ed25519 key", false, withCert(func(t *testing.T, e *env) (string, string) {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			key := pemOf(privateKeyType(""), der, nil)
			leakcheck.Register(key)
			c, _ := good(e)
			return c, key
		}), badReport("private_key: unsupported key type (Ed25519)")},
		{"RSA-1024 key", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{KeyType: certstest.RSA1024, KeyFormat: certstest.FormatPKCS1})
			return string(is.FullchainPEM), string(is.KeyPEM)
		}), badReport("RSA key of 1024 bits is too weak")},
		{"SHA-1 signature", false, withCert(func(t *testing.T, e *env) (string, string) {
			c, k := selfSignedRSA(t, x509.SHA1WithRSA)
			return string(c), k
		}), badReport("certificate: weak signature algorithm SHA1-RSA")},
		{"MD5 signature", false, withCert(func(t *testing.T, e *env) (string, string) {
			c, k := selfSignedRSA(t, x509.SHA1WithRSA)
			blk, _ := pem.Decode(c)
			sha1OID := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05} // sha1WithRSAEncryption
			md5OID := append(bytes.Clone(sha1OID[:10]), 0x04)                                   // md5WithRSAEncryption, same length
			if bytes.Count(blk.Bytes, sha1OID) != 2 {
				t.Fatal("cannot find the signature algorithm twice")
			}
			return pemOf("CERTIFICATE", bytes.ReplaceAll(blk.Bytes, sha1OID, md5OID), nil), k
		}), badReport("certificate: weak signature algorithm MD5-RSA")},
		{"12-certificate chain", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{Intermediates: 11})
			return string(is.FullchainPEM), string(is.KeyPEM)
		}), badReport("certificate: has 12 certificates in total; at most 11")},
		{"chain out of order", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{Intermediates: 2})
			var blocks []string
			for rest := is.FullchainPEM; ; {
				var b *pem.Block
				if b, rest = pem.Decode(rest); b == nil {
					break
				}
				blocks = append(blocks, pemOf(b.Type, b.Bytes, nil))
			}
			return blocks[0] + blocks[2] + blocks[1], string(is.KeyPEM)
		}), badReport("chain: certificate 1 (CN=example.com) is not signed by certificate 2")},
		{"CA certificate first", false, withCert(func(t *testing.T, e *env) (string, string) {
			return string(e.fresh.ChainPEM) + string(e.fresh.CertPEM), string(e.fresh.KeyPEM)
		}), badReport("is a CA certificate, not a server certificate")},
		{"expired certificate", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{NotBefore: time.Now().Add(-90 * 24 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
			return string(is.FullchainPEM), string(is.KeyPEM)
		}), badReport("certificate: expired at")},
		{"not yet valid certificate", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{NotBefore: time.Now().Add(48 * time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)})
			return string(is.FullchainPEM), string(is.KeyPEM)
		}), badReport("certificate: not valid until")},
		{"expires within 24 h", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{NotAfter: time.Now().Add(12 * time.Hour)})
			return string(is.FullchainPEM), string(is.KeyPEM)
		}), badReport("less than 24 h from now")},
		{"key of another certificate", false, withCert(func(t *testing.T, e *env) (string, string) {
			other := issue(t, certstest.Options{})
			return string(e.fresh.FullchainPEM), string(other.KeyPEM)
		}), badReport("private_key: does not match the certificate")},
		{"names not covering the target", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{DNSNames: []string{"other.org", "*.other.org"}})
			return string(is.FullchainPEM), string(is.KeyPEM)
		}), hostileWant{status: report.Skipped, exit: 0, says: []string{`"status":"skipped"`, "certificate does not cover example.com, www.example.com"}}},

		{"an older certificate (late redelivery): no downgrade", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{NotAfter: time.Now().Add(36 * time.Hour)}) // the listener's expires in 48 h
			return string(is.FullchainPEM), string(is.KeyPEM)
		}), hostileWant{status: report.Skipped, exit: 0, says: []string{"no downgrade", `"force\": true`}}},
		{"wildcard under a public suffix", false, withCert(func(t *testing.T, e *env) (string, string) {
			is := issue(t, certstest.Options{DNSNames: []string{"*.co.uk", "example.co.uk"}})
			return string(is.FullchainPEM), string(is.KeyPEM)
		}), badReport("*.co.uk", "public suffix")},
		{"private key in name", false, func(t *testing.T, e *env) []byte {
			c, k := good(e)
			return inline(c, k, "name", k)
		}, badReport("name: holds PEM text")},
		{"private key in targets", false, func(t *testing.T, e *env) []byte {
			c, k := good(e)
			return inline(c, k, "targets", []string{k})
		}, badReport("targets[0]: holds PEM text")},
		{"force not a boolean", false, func(t *testing.T, e *env) []byte {
			c, k := good(e)
			return inline(c, k, "force", "yes")
		}, badReport("force: must be true or false")},
		{"101 records", false, raw(`{"Records":[` + strings.TrimSuffix(strings.Repeat(`{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"c/fullchain.pem"}}},`, 101), ",") + `]}`),
			badReport("Records: holds 101 records, over the limit of 100")},

		// Webhook requests.
		{"webhook without a secret configured", false, hook("POST", goodBody, nil), badHTTP(http.StatusUnauthorized, "ROTATE_WEBHOOK_SECRET is not set")},
		{"GET", true, hook("GET", goodBody, nil), badHTTP(http.StatusMethodNotAllowed, "method GET is not allowed")},
		{"PUT", true, hook("put", goodBody, nil), badHTTP(http.StatusMethodNotAllowed, "method PUT is not allowed")},
		{"unsigned", true, hook("POST", goodBody, func(*testing.T, []byte) map[string]string {
			return map[string]string{"Content-Type": "application/json"}
		}),
			badHTTP(http.StatusUnauthorized, "missing webhook-signature header")},
		{"signed with another secret", true, hook("POST", goodBody, func(t *testing.T, b []byte) map[string]string {
			return webhook.Sign([]byte("another secret entirely"), "msg_x", time.Now(), b)
		}), badHTTP(http.StatusUnauthorized, "webhook-signature: no v1 signature matches the body")},
		{"signature of another body", true, hook("POST", goodBody, func(t *testing.T, b []byte) map[string]string {
			return signed(t, append(bytes.Clone(b), ' '), "msg_y", time.Now())
		}), badHTTP(http.StatusUnauthorized, "no v1 signature matches the body")},
		{"GitHub signature wrong", true, hook("POST", goodBody, func(t *testing.T, b []byte) map[string]string {
			return map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("0", 64)}
		}), badHTTP(http.StatusUnauthorized, "x-hub-signature-256 signature alone is not accepted")},
		{"GitHub signature right, but not opted in (a replay with webhook-* stripped)", true, hook("POST", goodBody, func(t *testing.T, b []byte) map[string]string {
			key, _ := webhook.Key(secret)
			return webhook.SignGitHub(key, b)
		}), badHTTP(http.StatusUnauthorized, "not accepted", "ROTATE_WEBHOOK_ACCEPT_GITHUB=true")},
		{"stale timestamp", true, hook("POST", goodBody, func(t *testing.T, b []byte) map[string]string {
			return signed(t, b, "msg_old", time.Now().Add(-301*time.Second))
		}),
			badHTTP(http.StatusUnauthorized, "webhook-timestamp too old")},
		{"timestamp from the future", true, hook("POST", goodBody, func(t *testing.T, b []byte) map[string]string {
			return signed(t, b, "msg_new", time.Now().Add(time.Hour))
		}),
			badHTTP(http.StatusUnauthorized, "webhook-timestamp too new")},
		{"timestamp not a number", true, hook("POST", goodBody, func(t *testing.T, b []byte) map[string]string {
			h := signed(t, b, "msg_ts", time.Now())
			h["Webhook-Timestamp"] = "1e9"
			return h
		}), badHTTP(http.StatusUnauthorized, "webhook-timestamp is not a decimal Unix time")},
		{"body over 1 MiB", true, hook("POST", func(*testing.T, *env) []byte { return []byte(`{"name":"` + strings.Repeat("a", event.MaxSize) + `"}`) }, nil),
			badHTTP(http.StatusRequestEntityTooLarge, "body: larger than 1 MiB")},
		{"signed body of the wrong type", true, hook("POST", func(*testing.T, *env) []byte { return []byte(`{"certificate":["x"],"private_key":"k"}`) }, nil),
			badHTTP(http.StatusBadRequest, "certificate: must be a string, not an array")},
		{"signed body with an unknown target", true, hook("POST", func(t *testing.T, e *env) []byte {
			c, k := good(e)
			return inline(c, k, "targets", []string{"nope"})
		}, nil), hostileWant{code: http.StatusBadRequest, exit: 2, says: []string{`targets: unknown target "nope"`}}},
		{"signed body with a weak key", true, hook("POST", func(t *testing.T, e *env) []byte {
			is := issue(t, certstest.Options{KeyType: certstest.RSA1024})
			return inline(string(is.FullchainPEM), string(is.KeyPEM))
		}, nil), hostileWant{code: http.StatusBadRequest, exit: 2, says: []string{"RSA key of 1024 bits is too weak"}}},
		{"body not base64 though flagged so", true, func(t *testing.T, e *env) []byte {
			var ev map[string]any
			_ = json.Unmarshal(httpEvent(t, "lambda", "POST", signed(t, []byte("{}"), "msg_b64", time.Now()), []byte("{}"), false), &ev)
			ev["body"], ev["isBase64Encoded"] = "this is not base64!", true
			out, _ := json.Marshal(ev)
			return out
		}, badHTTP(http.StatusBadRequest, "body: isBase64Encoded is true but the body is not valid base64")},
		{"replayed webhook id", true, func(t *testing.T, e *env) []byte {
			// The first delivery is accepted (its certificate takes no target, so nothing changes);
			// the second, identical, is a replay.
			is := issue(t, certstest.Options{DNSNames: []string{"other.org"}})
			b := inline(string(is.FullchainPEM), string(is.KeyPEM))
			ev := httpEvent(t, "lambda", "POST", signed(t, b, "msg_replayed", time.Now()), b, true)
			if code, body := e.call(t, ev); code != http.StatusOK || body["status"] != report.Skipped {
				t.Fatalf("first delivery: %d %v", code, body)
			}
			return ev
		}, hostileWant{code: http.StatusOK, exit: 0, says: []string{`"replay":true`, `"webhook_id":"msg_replayed"`}}},
	}
	if len(rows) < 30 {
		t.Fatalf("only %d rows", len(rows))
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.webhook {
				withSecret(t, e)
			}
			payload := tc.payload(t, e)
			answer, err := e.h.Handle(ctx, payload)
			if err != nil {
				t.Fatalf("the invocation failed, so the platform would retry bad input: %v", err)
			}
			out, merr := json.Marshal(answer)
			if merr != nil {
				t.Fatal(merr)
			}
			_, _ = e.tr.Write(append(out, '\n'))
			if got := answer.ExitCode(); got != tc.want.exit {
				t.Errorf("exit code %d, want %d", got, tc.want.exit)
			}
			msg, text := "", string(out)
			switch a := answer.(type) {
			case *entry.HTTPResponse:
				if tc.want.status != "" || a.StatusCode != tc.want.code {
					t.Fatalf("HTTP %d %s, want %+v", a.StatusCode, a.Body, tc.want)
				}
				var body map[string]any
				if a.Headers["Content-Type"] != "application/json" || json.Unmarshal([]byte(a.Body), &body) != nil {
					t.Fatalf("answer is not JSON: %v %q", a.Headers, a.Body)
				}
				msg, _ = body["error"].(string)
				text = a.Body
			case *report.Report:
				if tc.want.code != 0 || a.Status != tc.want.status {
					t.Fatalf("report %s, want %+v", out, tc.want)
				}
				msg = a.Error
			default:
				t.Fatalf("answer %T %s", answer, out)
			}
			if msg == "" {
				msg = text
			}
			for _, s := range tc.want.says {
				if !strings.Contains(msg, s) {
					t.Errorf("answer does not say %q:\n%.600s", s, msg)
				}
			}
			if tc.want.exit != 0 && len(msg) > 2048 {
				t.Errorf("the error is %d bytes: input was echoed", len(msg))
			}
			if calls := e.cloud.MutatingCalls(); len(calls) != 0 {
				t.Fatalf("%d mutating calls, first %s", len(calls), calls[0].Action)
			}
		})
	}
}

// Package leakcheck finds private keys, secrets and signatures in what tests log, answer and report.
//
// A test wires it in with one line where it builds a logger or an output sink:
//
//	log := slog.New(slog.NewJSONHandler(leakcheck.Writer(t, secrets...), nil))
//
// (or io.MultiWriter(buf, leakcheck.Writer(t)) to keep its own copy). At the end of the test what
// was written is scanned, and the test fails on a finding. With CERTROTATE_TRANSCRIPT_DIR set, it
// is also appended to a transcript there, one file per test binary, and `make test` scans the whole
// directory at the end (TestTranscripts, with CERTROTATE_TRANSCRIPT_SCAN naming the directory).
// Secrets passed to Writer or Register are kept only as hashes outside the test process.
package leakcheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// Finding is one place where data holds something it must not. It never holds the secret itself.
type Finding struct {
	Line int    // 1-based line of data
	Kind string // what was found, e.g. "private key armour" or "registered secret"
}

func (f Finding) String() string { return fmt.Sprintf("line %d: %s", f.Line, f.Kind) }

// Kinds of finding.
const (
	KindArmour    = "private key armour (PRIVATE KEY)"
	KindKeyDER    = "base64 DER of a private key"
	KindSecret    = "registered secret or key fragment"
	KindEmulator  = "the emulator's access key secret"
	KindSignature = "request or webhook signature"
	KindQuery     = "query string of a signed request or a credential URL"
)

// signedQueries are query parameters that only a signed request or a credential-bearing URL
// carries: an Alibaba RPC call's AccessKeyId, SignatureNonce and Signature (any length), a
// presigned S3/OSS URL's credential and signature, a robot URL's access_token (no error,
// reason, warning, log line or answer quotes a request's query string).
var signedQueries = regexp.MustCompile(`[?&](?:AccessKeyId|SignatureNonce|Signature|X-Amz-Credential|X-Amz-Signature|x-oss-credential|x-oss-signature|access_token)=[^\s&"'<>\\]+`)

// minNeedle is the shortest secret looked for: shorter ones would match ordinary text.
const minNeedle = 8

// signatures are the forms in which request and webhook signatures travel.
var signatures = []*regexp.Regexp{
	regexp.MustCompile(`Signature=[A-Za-z0-9%+/]{24,}`),                   // SigV4, OSS V4, Alibaba RPC, presigned URLs
	regexp.MustCompile(`(?:^|[^A-Za-z0-9_])sha256=[0-9a-fA-F]{64}`),       // X-Hub-Signature-256
	regexp.MustCompile(`(?:^|[^A-Za-z0-9_])v1,[A-Za-z0-9+/]{43}=`),        // webhook-signature
	regexp.MustCompile(`\bOSS [A-Za-z0-9._-]{8,}:[A-Za-z0-9+/]{27}=`),     // OSS V1 Authorization
	regexp.MustCompile(`(?i)"?authorization"?\s*[:=]\s*"?(?:AWS4|OSS4)-`), // a whole Authorization header
}

// Scan reports every private key armour, base64 DER private key, request or webhook signature,
// the emulator's access key secret, and every one of secrets found in data. A secret holding a
// PEM block is looked for line by line (each base64 line of its body), so that a fragment counts.
func Scan(data []byte, secrets ...string) []Finding {
	return scan(data, needlesOf(secrets))
}

func scan(data []byte, needles []needle) []Finding {
	var found []offsetFinding
	add := func(off int, kind string) { found = append(found, offsetFinding{off, kind}) }

	for off := 0; ; {
		i := bytes.Index(data[off:], []byte("PRIVATE KEY"))
		if i < 0 {
			break
		}
		add(off+i, KindArmour)
		off += i + 1
	}
	for _, r := range base64Runs(data) {
		if derKeyPrefix(data[r[0]:r[1]]) {
			add(r[0], KindKeyDER)
		}
	}
	for _, re := range signatures {
		for _, m := range re.FindAllIndex(data, -1) {
			add(m[0], KindSignature)
		}
	}
	for _, m := range signedQueries.FindAllIndex(data, -1) {
		add(m[0], KindQuery)
	}
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(fakecore.DefaultAccessKeySecret))
		if i < 0 {
			break
		}
		add(off+i, KindEmulator)
		off += i + 1
	}
	for _, off := range findNeedles(data, needles) {
		add(off, KindSecret)
	}
	return toLines(data, found)
}

type offsetFinding struct {
	off  int
	kind string
}

// toLines turns offsets into line numbers, one finding per line and kind, in order.
func toLines(data []byte, found []offsetFinding) []Finding {
	sort.Slice(found, func(i, j int) bool { return found[i].off < found[j].off })
	var out []Finding
	seen := map[Finding]bool{}
	line, pos := 1, 0
	for _, f := range found {
		line += bytes.Count(data[pos:f.off], []byte{'\n'})
		pos = f.off
		fd := Finding{Line: line, Kind: f.kind}
		if !seen[fd] {
			seen[fd] = true
			out = append(out, fd)
		}
	}
	return out
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// base64Runs returns the [start, end) of every maximal run of base64 characters of 16 or more.
func base64Runs(data []byte) [][2]int {
	var runs [][2]int
	for i := 0; i < len(data); {
		if !isBase64(data[i]) {
			i++
			continue
		}
		j := i
		for j < len(data) && isBase64(data[j]) {
			j++
		}
		if j-i >= 16 {
			runs = append(runs, [2]int{i, j})
		}
		i = j
	}
	return runs
}

// derKeyPrefix reports whether run starts with the base64 of a DER private key: a SEQUENCE whose
// first element is the version INTEGER 0 or 1, followed by an INTEGER (PKCS#1), a SEQUENCE
// (PKCS#8) or an OCTET STRING (SEC1). Certificates, public keys and CSRs start otherwise.
func derKeyPrefix(run []byte) bool {
	b, err := base64.StdEncoding.DecodeString(string(run[:16]))
	if err != nil || len(b) < 8 || b[0] != 0x30 {
		return false
	}
	hdr := 0
	switch {
	case b[1] < 0x80:
		hdr = 2
	case b[1] >= 0x81 && b[1] <= 0x83:
		hdr = 2 + int(b[1]-0x80)
	default:
		return false
	}
	if hdr+3 >= len(b) {
		return false
	}
	v := b[hdr:]
	return v[0] == 0x02 && v[1] == 0x01 && (v[2] == 0 || v[2] == 1) && (v[3] == 0x02 || v[3] == 0x30 || v[3] == 0x04)
}

// needle is a secret as a hash: its length, a rolling hash to find candidates, and SHA-256 to confirm.
type needle struct {
	n   int
	rk  uint64
	sum [sha256.Size]byte
}

const rkBase = 1099511628211

func rollingHash(b []byte) uint64 {
	var h uint64
	for _, c := range b {
		h = h*rkBase + uint64(c)
	}
	return h
}

func newNeedle(s string) needle {
	return needle{n: len(s), rk: rollingHash([]byte(s)), sum: sha256.Sum256([]byte(s))}
}

// needlesOf expands secrets into needles: a PEM secret gives one per base64 body line, any other
// secret itself. Secrets shorter than minNeedle are ignored.
func needlesOf(secrets []string) []needle {
	var out []needle
	for _, s := range secrets {
		for _, frag := range fragments(s) {
			out = append(out, newNeedle(frag))
		}
	}
	return out
}

func fragments(s string) []string {
	if !strings.Contains(s, "-----BEGIN") {
		if len(s) < minNeedle {
			return nil
		}
		return []string{s}
	}
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") && !strings.Contains(line, ":") {
			out = append(out, line)
		}
	}
	return out
}

// findNeedles returns the offsets where any needle occurs in data (Rabin–Karp, confirmed by SHA-256).
func findNeedles(data []byte, needles []needle) []int {
	byLen := map[int]map[uint64][]needle{}
	for _, nd := range needles {
		if byLen[nd.n] == nil {
			byLen[nd.n] = map[uint64][]needle{}
		}
		byLen[nd.n][nd.rk] = append(byLen[nd.n][nd.rk], nd)
	}
	var offs []int
	for n, set := range byLen {
		if n > len(data) || n == 0 {
			continue
		}
		var pow uint64 = 1 // rkBase^(n-1)
		for range n - 1 {
			pow *= rkBase
		}
		h := rollingHash(data[:n])
		for i := 0; ; i++ {
			if cands, ok := set[h]; ok {
				sum := sha256.Sum256(data[i : i+n])
				for _, c := range cands {
					if c.sum == sum {
						offs = append(offs, i)
						break
					}
				}
			}
			if i+n >= len(data) {
				break
			}
			h = (h-uint64(data[i])*pow)*rkBase + uint64(data[i+n])
		}
	}
	return offs
}

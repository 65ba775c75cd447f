package leakcheck

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Environment variables: the directory transcripts are appended to during a test run, and the
// directory TestTranscripts scans afterwards.
const (
	EnvTranscriptDir = "CERTROTATE_TRANSCRIPT_DIR"
	EnvScanDir       = "CERTROTATE_TRANSCRIPT_SCAN"
)

// File name suffixes in a transcript directory.
const (
	transcriptExt = ".transcript" // "<test name>\t<line written>" lines
	needlesExt    = ".needles"    // "<length> <rolling hash> <sha256>" lines, one per registered secret fragment
)

// registry holds the needles of every secret registered in this process.
var registry struct {
	sync.Mutex
	seen    map[[32]byte]bool
	needles []needle
}

// Register adds secrets (strings, or PEM keys: each base64 line counts) to those looked for in
// everything any Writer of this process gets, and in the transcripts scanned by TestTranscripts.
// Use it for keys a test generates and secrets it configures.
func Register(secrets ...string) {
	nds := needlesOf(secrets)
	registry.Lock()
	var added []needle
	for _, nd := range nds {
		if registry.seen == nil {
			registry.seen = map[[32]byte]bool{}
		}
		if registry.seen[nd.sum] {
			continue
		}
		registry.seen[nd.sum] = true
		registry.needles = append(registry.needles, nd)
		added = append(added, nd)
	}
	registry.Unlock()
	if s := defaultSink(); s != nil && len(added) > 0 {
		s.addNeedles(added)
	}
}

func registered() []needle {
	registry.Lock()
	defer registry.Unlock()
	return append([]needle(nil), registry.needles...)
}

// Writer returns a writer for what tb logs, answers and reports; it is safe for concurrent use.
// secrets are registered (see Register). When tb ends, what was written is scanned and tb fails
// on a finding; with CERTROTATE_TRANSCRIPT_DIR set it is also appended to this test binary's
// transcript there. Writes after tb ended still go to the transcript.
func Writer(tb testing.TB, secrets ...string) io.Writer {
	tb.Helper()
	Register(secrets...)
	return newWriter(tb, defaultSink())
}

func newWriter(tb testing.TB, s *sink) *writer {
	w := &writer{name: tb.Name(), sink: s}
	tb.Cleanup(func() {
		for _, f := range w.close() {
			tb.Errorf("leakcheck: what %s wrote holds %s (line %d of its output)", w.name, f.Kind, f.Line)
		}
	})
	return w
}

type writer struct {
	name string
	sink *sink // nil: in memory only

	mu     sync.Mutex
	all    bytes.Buffer // everything, for the scan at the end of the test
	line   []byte       // an unfinished line, held back so transcript lines do not interleave
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.all.Write(p)
	}
	if w.sink == nil {
		return len(p), nil
	}
	w.line = append(w.line, p...)
	i := bytes.LastIndexByte(w.line, '\n')
	if i < 0 {
		return len(p), nil
	}
	w.sink.write(w.name, w.line[:i+1])
	w.line = append(w.line[:0], w.line[i+1:]...)
	return len(p), nil
}

// close flushes an unfinished line and scans what was written.
func (w *writer) close() []Finding {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sink != nil && len(w.line) > 0 {
		w.sink.write(w.name, append(w.line, '\n'))
		w.line = nil
	}
	w.closed = true
	data := w.all.Bytes()
	w.all = bytes.Buffer{}
	return scan(data, registered())
}

// sink is one test binary's transcript and needle files in a transcript directory.
type sink struct {
	mu      sync.Mutex
	out     *os.File
	needles *os.File
	err     error // the first write error, reported once on stderr
}

var (
	sinkOnce sync.Once
	theSink  *sink
)

// defaultSink is the sink in CERTROTATE_TRANSCRIPT_DIR, or nil when it is not set.
func defaultSink() *sink {
	sinkOnce.Do(func() {
		dir := os.Getenv(EnvTranscriptDir)
		if dir == "" {
			return
		}
		s, err := openSink(dir, filepath.Base(os.Args[0])+"-"+strconv.Itoa(os.Getpid()))
		if err != nil {
			fmt.Fprintf(os.Stderr, "leakcheck: %v; transcripts are not written\n", err)
			return
		}
		theSink = s
	})
	return theSink
}

func openSink(dir, base string) (*sink, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	out, err := os.OpenFile(filepath.Join(dir, base+transcriptExt), flags, 0o600)
	if err != nil {
		return nil, err
	}
	needles, err := os.OpenFile(filepath.Join(dir, base+needlesExt), flags, 0o600)
	if err != nil {
		out.Close()
		return nil, err
	}
	return &sink{out: out, needles: needles}, nil
}

// write appends complete lines, each prefixed with the test name and a tab.
func (s *sink) write(name string, lines []byte) {
	name = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, name)
	var b bytes.Buffer
	for _, line := range bytes.SplitAfter(lines, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		b.WriteString(name)
		b.WriteByte('\t')
		b.Write(line)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.report(writeAll(s.out, b.Bytes()))
}

func (s *sink) addNeedles(nds []needle) {
	var b bytes.Buffer
	for _, nd := range nds {
		fmt.Fprintf(&b, "%d %016x %s\n", nd.n, nd.rk, hex.EncodeToString(nd.sum[:]))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.report(writeAll(s.needles, b.Bytes()))
}

func (s *sink) report(err error) {
	if err != nil && s.err == nil {
		s.err = err
		fmt.Fprintf(os.Stderr, "leakcheck: writing the transcript: %v\n", err)
	}
}

func writeAll(f *os.File, b []byte) error {
	_, err := f.Write(b)
	return err
}

// readNeedles reads a needles file.
func readNeedles(r io.Reader) ([]needle, error) {
	var out []needle
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		var nd needle
		var sum string
		if _, err := fmt.Sscanf(sc.Text(), "%d %x %s", &nd.n, &nd.rk, &sum); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		b, err := hex.DecodeString(sum)
		if err != nil || len(b) != len(nd.sum) {
			return nil, fmt.Errorf("line %d: bad sha256", n)
		}
		copy(nd.sum[:], b)
		out = append(out, nd)
	}
	return out, sc.Err()
}

// DirFinding is a finding in one transcript of a directory.
type DirFinding struct {
	File string // base name of the transcript
	Test string // the test that wrote the line
	Finding
}

func (f DirFinding) String() string {
	return fmt.Sprintf("%s:%d: %s (written by %s)", f.File, f.Line, f.Kind, f.Test)
}

// ScanDir scans every transcript in dir for the built-in forms and for every secret registered
// by any test binary that wrote there. It returns the number of transcripts scanned.
func ScanDir(dir string) (int, []DirFinding, error) {
	needleFiles, err := filepath.Glob(filepath.Join(dir, "*"+needlesExt))
	if err != nil {
		return 0, nil, err
	}
	var needles []needle
	for _, name := range needleFiles {
		f, err := os.Open(name)
		if err != nil {
			return 0, nil, err
		}
		nds, err := readNeedles(f)
		f.Close()
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		needles = append(needles, nds...)
	}
	transcripts, err := filepath.Glob(filepath.Join(dir, "*"+transcriptExt))
	if err != nil {
		return 0, nil, err
	}
	var out []DirFinding
	for _, name := range transcripts {
		data, err := os.ReadFile(name)
		if err != nil {
			return 0, nil, err
		}
		lines := bytes.Split(data, []byte{'\n'})
		for _, f := range scan(data, needles) {
			test := ""
			if f.Line-1 < len(lines) {
				test, _, _ = strings.Cut(string(lines[f.Line-1]), "\t")
			}
			out = append(out, DirFinding{File: filepath.Base(name), Test: test, Finding: f})
		}
	}
	return len(transcripts), out, nil
}

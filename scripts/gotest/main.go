// Command gotest runs `go test -json` and keeps a person informed: one line per package as it
// finishes, the output of what failed, the progress lines tests log ("progress: …"), a line every
// 20 s while nothing else is printed (what is still compiling or running), and at the end the
// tests that were skipped for a missing tool ("skipped: … needs …", see shared/testtool).
//
// Usage: go run ./scripts/gotest [-label TEXT] -- [go test flags] [packages]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// event is one line of `go test -json` (cmd/test2json), build events included.
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
	Elapsed    float64
}

const module = "github.com/certrotate/certrotate/"

func main() {
	label := flag.String("label", "test", "the word that starts each line")
	every := flag.Duration("every", 20*time.Second, "the longest silence before a line says what is still going on")
	flag.Parse()
	os.Exit(run(*label, *every, flag.Args(), os.Stdout, os.Stderr))
}

func run(label string, every time.Duration, args []string, stdout, stderr io.Writer) int {
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", label, err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", label, err)
		return 1
	}
	r := newReporter(label, stdout)
	done := make(chan struct{})
	go r.heartbeat(every, done)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			r.println(sc.Text()) // not JSON: go test's own message (a flag error, a build failure)
			continue
		}
		r.handle(e)
	}
	err = cmd.Wait()
	close(done)
	r.summary()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintf(stderr, "%s: %v\n", label, err)
		return 1
	}
	return 0
}

type reporter struct {
	label string
	w     io.Writer
	start time.Time

	mu       sync.Mutex
	last     time.Time           // when a line was last printed
	running  map[string]bool     // packages whose tests are running
	output   map[string][]string // output per package, printed if it fails
	testOut  map[string][]string // output per package/test, for the reason of a skip
	passed   int
	failed   []string
	noTests  int
	skipped  []string // "skipped: …" lines, once each
	building map[string]bool
}

func newReporter(label string, w io.Writer) *reporter {
	now := time.Now()
	return &reporter{label: label, w: w, start: now, last: now, running: map[string]bool{},
		output: map[string][]string{}, testOut: map[string][]string{}, building: map[string]bool{}}
}

func short(pkg string) string {
	if pkg+"/" == module {
		return "."
	}
	return strings.TrimPrefix(pkg, module)
}

func (r *reporter) println(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.printLocked(s)
}

func (r *reporter) printLocked(s string) {
	fmt.Fprintln(r.w, s)
	r.last = time.Now()
}

func (r *reporter) handle(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Action {
	case "build-output":
		r.building[e.ImportPath] = true
		r.output[e.ImportPath] = append(r.output[e.ImportPath], strings.TrimRight(e.Output, "\n"))
		return
	case "build-fail":
		for _, l := range r.output[e.ImportPath] {
			r.printLocked(l)
		}
		return
	}
	pkg := e.Package
	if pkg == "" {
		return
	}
	if e.Test != "" {
		key := pkg + " " + e.Test
		switch e.Action {
		case "output":
			line := strings.TrimRight(e.Output, "\n")
			r.output[pkg] = append(r.output[pkg], line)
			r.testOut[key] = append(r.testOut[key], line)
			if i := strings.Index(line, "progress: "); i >= 0 {
				r.printLocked(fmt.Sprintf("%s: %s: %s", r.label, short(pkg), line[i+len("progress: "):]))
			}
		case "skip":
			if short(pkg) == "shared/testtool" { // its own tests skip on purpose, with a tool that does not exist
				delete(r.testOut, key)
				return
			}
			for _, l := range r.testOut[key] {
				if i := strings.Index(l, "skipped: "); i >= 0 {
					msg := strings.TrimSpace(l[i:])
					if !slices.Contains(r.skipped, msg) {
						r.skipped = append(r.skipped, msg)
					}
				}
			}
			delete(r.testOut, key)
		case "pass", "fail":
			delete(r.testOut, key)
		}
		return
	}
	switch e.Action {
	case "start":
		r.running[pkg] = true
	case "output":
		r.output[pkg] = append(r.output[pkg], strings.TrimRight(e.Output, "\n"))
	case "pass":
		delete(r.running, pkg)
		r.passed++
		r.printLocked(fmt.Sprintf("%s: ok    %-44s %6.1fs", r.label, short(pkg), e.Elapsed))
		delete(r.output, pkg)
	case "skip": // no test files
		delete(r.running, pkg)
		r.noTests++
		delete(r.output, pkg)
	case "fail":
		delete(r.running, pkg)
		r.failed = append(r.failed, short(pkg))
		r.printLocked(fmt.Sprintf("%s: FAIL  %s (%.1fs); its output:", r.label, short(pkg), e.Elapsed))
		for _, l := range r.output[pkg] {
			r.printLocked("    " + l)
		}
		delete(r.output, pkg)
	}
}

// heartbeat prints what is going on whenever nothing was printed for every.
func (r *reporter) heartbeat(every time.Duration, done <-chan struct{}) {
	t := time.NewTicker(every / 4)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			r.mu.Lock()
			if now.Sub(r.last) >= every {
				elapsed := now.Sub(r.start).Round(time.Second)
				var names []string
				for p := range r.running {
					names = append(names, short(p))
				}
				slices.Sort(names)
				switch {
				case len(names) == 0 && r.passed+len(r.failed) == 0:
					r.printLocked(fmt.Sprintf("%s: compiling the test binaries (%s so far; a first run compiles the cloud SDKs and takes a few minutes)", r.label, elapsed))
				case len(names) == 0:
					r.printLocked(fmt.Sprintf("%s: %d packages done, compiling the next (%s so far)", r.label, r.passed+len(r.failed), elapsed))
				default:
					if len(names) > 4 {
						names = append(names[:4], fmt.Sprintf("and %d more", len(names)-4))
					}
					r.printLocked(fmt.Sprintf("%s: %d packages done, running %s (%s so far)", r.label, r.passed+len(r.failed), strings.Join(names, ", "), elapsed))
				}
			}
			r.mu.Unlock()
		}
	}
}

func (r *reporter) summary() {
	r.mu.Lock()
	defer r.mu.Unlock()
	elapsed := time.Since(r.start).Round(time.Second)
	line := fmt.Sprintf("%s: %d packages passed", r.label, r.passed)
	if len(r.failed) > 0 {
		line += fmt.Sprintf(", %d FAILED (%s)", len(r.failed), strings.Join(r.failed, ", "))
	}
	r.printLocked(fmt.Sprintf("%s, %d without tests, in %s", line, r.noTests, elapsed))
	for _, s := range r.skipped {
		r.printLocked(s)
	}
}

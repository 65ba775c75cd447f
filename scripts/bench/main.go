// Command bench measures the functions against the goals of issue 15 and the earlier ones: cold
// start, sizes, and rotations of the real rotate binary against the local emulator — how many
// calls, how many dependent round trips, how long with the default settings and how long the same
// calls take one after another — and prints a table, each goal with met / NOT met, and one
// summary line (README, Performance).
//
//	go run ./scripts/bench            # or: make bench
//	go run ./scripts/bench -runs 5 -listeners 1,10 -audit 10 -huawei 10    # a quick look
//
// Cold start is the time from starting the process to its first GET of the runtime API's
// …/invocation/next, for rotate, notify and a hello-world aws-lambda-go function built the same
// way (median of -runs runs each, interleaved).
//
// Rotation runs `rotate invoke --event` on a body event against an emulator in this process that
// answers every call after -latency, with N HTTPS listeners over -lbs load balancers of one
// region (target: the whole region), for each N of -listeners:
//
//   - the default run: no ROTATE_CONCURRENCY, ROTATE_QPS or ROTATE_QPS_MAX in the environment;
//   - the sequential baseline: ROTATE_CONCURRENCY=1, ROTATE_QPS=ROTATE_QPS_MAX=1000 (the
//     configuration's maximum: no rate limit in effect) — the same calls one after another;
//   - at the largest N, the same event again on the rotated state (a redelivery), which must
//     report every place "unchanged".
//
// Every run must end "rotated" with the listeners on the new certificate. Per run the bench
// takes the emulator's call count (parallel_test.go in alislb checks that no call is made twice)
// and its critical path (fakecore.CriticalPath: the longest chain of calls each starting after
// the previous one ended, an upper bound on the dependent round trips). The default run's bound
// is defaultBound (rotation.go). A listener target (lb-00:443, one listener) is run with the
// defaults for its critical path; Huawei ELB runs -huawei listeners (one listener_id target each)
// with the defaults and the sequential baseline; ALB/NLB runs -alb-nlb listeners each with the
// defaults.
//
// Audit runs `rotate audit` once over -audit listeners with ROTATE_QPS=-qps and concurrency 8,
// and checks that it made no mutating call; its bound is max(3 × latency, (calls − 1)/QPS +
// latency). -only-audit runs just that part.
package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const region = "cn-hangzhou"

var (
	runs       = flag.Int("runs", 20, "cold-start runs per binary (the median is reported)")
	latency    = flag.Duration("latency", 50*time.Millisecond, "emulated latency of every API call")
	lbs        = flag.Int("lbs", 50, "load balancers the listeners are spread over")
	sequential = flag.Bool("sequential", true, "also run every rotation as the sequential baseline (concurrency 1, no rate limit)")
	listeners  = flag.String("listeners", "1,10,100,500", "listener counts to rotate (comma-separated; empty: none)")
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	flag.Parse()
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// results is everything one bench run measured; a nil or empty part was not run.
type results struct {
	sizes    map[string][2]int64
	cold     map[string][]time.Duration
	rows     []sizeRow
	listener *measured // the listener target, one listener, defaults
	huawei   *huaweiRow
	albnlb   *measured
	audit    *auditRun
}

func run() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "certrotate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	progress("building rotate, notify and hello (CGO_ENABLED=0 GOOS=linux -tags lambda.norpc -trimpath -ldflags='-s -w')")
	bins, err := build(root, tmp)
	if err != nil {
		return err
	}
	var res results
	if *auditPlaces > 0 {
		progress("audit: %d listeners over %d load balancers", *auditPlaces, *lbs)
		a, err := audit(bins["rotate"], *auditPlaces)
		if err != nil {
			return err
		}
		res.audit = &a
	}
	if *onlyAudit {
		fmt.Printf("bench audit%d_vs_bound=%s\n", *auditPlaces, reportAudit(os.Stdout, res.audit))
		return nil
	}
	counts, err := parseCounts(*listeners)
	if err != nil {
		return err
	}
	names := []string{"hello", "rotate", "notify"}
	res.sizes = map[string][2]int64{}
	for _, n := range names {
		if res.sizes[n], err = sizeOf(bins[n], filepath.Join(tmp, n+".zip")); err != nil {
			return err
		}
	}

	w, err := newWorld(tmp)
	if err != nil {
		return err
	}
	progress("cold start: %d runs of each binary", *runs)
	if res.cold, err = coldStarts(bins, names, coldEnv()); err != nil {
		return err
	}

	rotate := bins["rotate"]
	largest := 0
	if len(counts) > 0 {
		largest = slices.Max(counts)
	}
	for _, n := range counts {
		r := sizeRow{listeners: n}
		what := fmt.Sprintf("rotate (%s, defaults)", plural(n, "listener"))
		progress("%s", what)
		def, again, err := w.slbRotation(what, rotate, n, regionTarget, defaultsEnv, n == largest)
		if err != nil {
			return err
		}
		r.def = def
		if n == largest {
			r.redelivery = &again
		}
		if *sequential {
			what := fmt.Sprintf("rotate (%s, sequential)", plural(n, "listener"))
			progress("%s", what)
			if r.seq, _, err = w.slbRotation(what, rotate, n, regionTarget, sequentialEnv, false); err != nil {
				return err
			}
		}
		res.rows = append(res.rows, r)
	}
	if len(res.rows) > 0 {
		chain := shortestChain(res.rows)
		for i := range res.rows {
			res.rows[i].bound = defaultBound(res.rows[i].def.calls, chain)
		}
	}

	progress("rotate (listener target lb-00:443, defaults)")
	m, _, err := w.slbRotation("rotate (listener target, defaults)", rotate, 1, listenerTarget, defaultsEnv, false)
	if err != nil {
		return err
	}
	res.listener = &m

	if n := *huaweiListeners; n > 0 {
		h := huaweiRow{listeners: n}
		what := fmt.Sprintf("rotate (Huawei ELB, %d listeners, defaults)", n)
		progress("%s", what)
		if h.def, err = w.huaweiRotation(what, rotate, n, defaultsEnv); err != nil {
			return err
		}
		if *sequential {
			what := fmt.Sprintf("rotate (Huawei ELB, %d listeners, sequential)", n)
			progress("%s", what)
			if h.seq, err = w.huaweiRotation(what, rotate, n, sequentialEnv); err != nil {
				return err
			}
		}
		res.huawei = &h
	}

	if n := *lbListeners; n > 0 {
		progress("rotate (%d ALB and %d NLB listeners, defaults)", n, n)
		m, err := w.rotateALBNLB(rotate, n)
		if err != nil {
			return err
		}
		res.albnlb = &m
	}
	report(os.Stdout, res)
	return nil
}

// coldEnv is each binary's environment for the cold start: enough configuration to start.
func coldEnv() map[string][]string {
	return map[string][]string{
		"hello":  nil,
		"notify": {"NOTIFY_SLACK_WEBHOOK=http://127.0.0.1:1/slack"},
		"rotate": append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}, slbEnv("http://127.0.0.1:1", regionTarget)...),
	}
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-listeners: %q is not a positive count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...) }

// moduleRoot is the directory of go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(data, []byte("module github.com/certrotate/certrotate")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the certrotate module")
		}
		dir = parent
	}
}

// build compiles the three programs as the Makefile builds the functions, for this machine's
// architecture so that they can run here.
func build(root, dir string) (map[string]string, error) {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", dir+string(os.PathSeparator),
		"./functions/rotate", "./functions/notify", "./scripts/bench/hello")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	bins := map[string]string{}
	for _, n := range []string{"rotate", "notify", "hello"} {
		bins[n] = filepath.Join(dir, n)
	}
	return bins, nil
}

// sizeOf returns the binary's size and the size of the Lambda zip holding it as "bootstrap"
// (deflate, as scripts/zip makes it).
func sizeOf(bin, zipPath string) ([2]int64, error) {
	fi, err := os.Stat(bin)
	if err != nil {
		return [2]int64{}, err
	}
	f, err := os.Create(zipPath)
	if err != nil {
		return [2]int64{}, err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	dst, err := zw.CreateHeader(h)
	if err != nil {
		return [2]int64{}, err
	}
	src, err := os.Open(bin)
	if err != nil {
		return [2]int64{}, err
	}
	defer src.Close()
	if _, err := io.Copy(dst, src); err != nil {
		return [2]int64{}, err
	}
	if err := zw.Close(); err != nil {
		return [2]int64{}, err
	}
	zi, err := f.Stat()
	if err != nil {
		return [2]int64{}, err
	}
	return [2]int64{fi.Size(), zi.Size()}, nil
}

// --- cold start ---------------------------------------------------------------------------

// pollServer is a Lambda runtime API that only notes when the first GET …/next arrives and
// then holds it until the process is killed.
type pollServer struct {
	addr   string
	polled chan time.Time
}

func newPollServer() (*pollServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &pollServer{addr: ln.Addr().String(), polled: make(chan time.Time, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.polled <- time.Now():
		default:
		}
		<-r.Context().Done()
	})
	go http.Serve(ln, mux) //nolint:errcheck // serves until the program exits
	return s, nil
}

// coldStarts returns, per binary, the cold-start times of *runs runs, interleaved so that
// machine noise spreads evenly.
func coldStarts(bins map[string]string, names []string, env map[string][]string) (map[string][]time.Duration, error) {
	s, err := newPollServer()
	if err != nil {
		return nil, err
	}
	out := map[string][]time.Duration{}
	for i := -1; i < *runs; i++ { // run -1 warms the page cache and is not counted
		for _, n := range names {
			d, err := s.coldStart(bins[n], append(env[n], "AWS_LAMBDA_RUNTIME_API="+s.addr))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			if i >= 0 {
				out[n] = append(out[n], d)
			}
		}
	}
	return out, nil
}

func (s *pollServer) coldStart(bin string, env []string) (time.Duration, error) {
	select {
	case <-s.polled:
	default:
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stderr = env, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var (
		d   time.Duration
		err error
	)
	select {
	case t := <-s.polled:
		d = t.Sub(start)
	case werr := <-exited:
		return 0, fmt.Errorf("exited before polling (%v): %s", werr, stderr.String())
	case <-time.After(10 * time.Second):
		err = errors.New("no poll within 10 s")
	}
	_ = cmd.Process.Kill()
	<-exited
	return d, err
}

// plural is "1 listener", "2 listeners".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Command bench measures cold start, sizes, rotation wall time and peak memory of the two
// functions against the local emulator, and prints a table and one summary line (issue 8).
//
//	go run ./scripts/bench            # or: make bench
//
// Cold start is the time from starting the process to its first GET of the runtime API's
// …/invocation/next, for rotate, notify and a hello-world aws-lambda-go function built the same
// way (median of -runs runs each, interleaved). Rotation runs the real rotate binary on the
// command line against an in-process emulator that answers every call after -latency, with the
// rate limit on (ROTATE_QPS=-qps), once with ROTATE_CONCURRENCY=8 and once with 1.
//
// The lower bound beside each rotation is max(4 × latency, (calls − 1) / QPS + latency): four
// dependent round trips (list load balancers → list listeners → list SNI domains → bind; the
// upload overlaps the listing in the best case), and the time the rate limit needs to let every
// call the run made through (the first call is free, the last one still takes one latency).
// calls is the emulator's count for that run; parallel_test.go in alislb checks that no call is
// made twice, so the count holds no repeats.
//
// Audit runs `rotate audit` once over -audit listeners with the same latency and rate limit, and
// checks that it made no mutating call; its bound is max(3 × latency, (calls − 1)/QPS + latency).
// -only-audit runs just that part.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

const region = "cn-hangzhou"

var (
	runs       = flag.Int("runs", 20, "cold-start runs per binary (the median is reported)")
	qps        = flag.Float64("qps", 100, "ROTATE_QPS for the rotation runs")
	latency    = flag.Duration("latency", 50*time.Millisecond, "emulated latency of every API call")
	lbs        = flag.Int("lbs", 50, "load balancers the listeners are spread over")
	sequential = flag.Bool("sequential", true, "also run every rotation with ROTATE_CONCURRENCY=1")
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
	var au *auditRun
	if *auditPlaces > 0 {
		progress("audit: %d listeners over %d load balancers", *auditPlaces, *lbs)
		a, err := audit(bins["rotate"], *auditPlaces)
		if err != nil {
			return err
		}
		au = &a
	}
	if *onlyAudit {
		fmt.Printf("bench audit%d_vs_bound=%s\n", *auditPlaces, reportAudit(os.Stdout, au))
		return nil
	}
	names := []string{"hello", "rotate", "notify"}
	sizes := map[string][2]int64{}
	for _, n := range names {
		if sizes[n], err = sizeOf(bins[n], filepath.Join(tmp, n+".zip")); err != nil {
			return err
		}
	}

	w, err := newWorld(tmp)
	if err != nil {
		return err
	}
	progress("cold start: %d runs of each binary", *runs)
	cold, err := coldStarts(bins, names, w.coldEnv())
	if err != nil {
		return err
	}

	counts, err := parseCounts(*listeners)
	if err != nil {
		return err
	}
	var rows []row
	for _, n := range counts {
		r := row{listeners: n}
		progress("rotation: %d listeners over %d load balancers, concurrency 8", n, *lbs)
		if r.par, err = w.rotate(bins["rotate"], n, 8); err != nil {
			return err
		}
		if *sequential {
			progress("rotation: %d listeners over %d load balancers, concurrency 1", n, *lbs)
			if r.seq, err = w.rotate(bins["rotate"], n, 1); err != nil {
				return err
			}
		}
		rows = append(rows, r)
	}

	if *lbListeners > 0 {
		progress("rotation: %d ALB and %d NLB listeners", *lbListeners, *lbListeners)
		r, err := w.rotateALBNLB(bins["rotate"], *lbListeners)
		if err != nil {
			return err
		}
		reportALBNLB(os.Stdout, *lbListeners, r)
	}
	report(os.Stdout, sizes, cold, rows, au)
	return nil
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

// --- rotation ------------------------------------------------------------------------------

// world holds what every rotation run shares: the certificates and the event.
type world struct {
	oldCert, oldKey []byte
	event           string // file: a body event with the fresh certificate
}

func newWorld(dir string) (*world, error) {
	old, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, NotAfter: time.Now().Add(5 * 24 * time.Hour), KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	if err != nil {
		return nil, err
	}
	fresh, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "*.example.com"}, KeyType: certstest.RSA2048}) // CLB takes RSA only
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]string{"certificate": string(fresh.FullchainPEM), "private_key": string(fresh.KeyPEM)})
	if err != nil {
		return nil, err
	}
	w := &world{oldCert: old.FullchainPEM, oldKey: old.KeyPEM, event: filepath.Join(dir, "event.json")}
	return w, os.WriteFile(w.event, body, 0o600)
}

// rotateEnv is rotate's environment: every load balancer of the region, the emulator's keys.
func rotateEnv(endpoint string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(),
		`ROTATE_TARGETS=[{"provider":"alislb","region":"` + region + `","name":"all"}]`,
		"ROTATE_SLB_ENDPOINT=" + endpoint,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fakecore.DefaultAccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fakecore.DefaultAccessKeySecret,
	}
}

func (w *world) coldEnv() map[string][]string {
	return map[string][]string{
		"hello":  nil,
		"notify": {"NOTIFY_SLACK_WEBHOOK=http://127.0.0.1:1/slack"},
		"rotate": rotateEnv("http://127.0.0.1:1"),
	}
}

// rotation is one measured run of rotate.
type rotation struct {
	wall     time.Duration
	calls    int
	byAction map[string]int
	rssMB    float64
}

// bound is the lower bound that the latency and the rate limit allow for this run.
func (r rotation) bound() time.Duration {
	byRate := time.Duration(float64(r.calls-1)/(*qps)*float64(time.Second)) + *latency
	return max(4**latency, byRate)
}

// rotate seeds a fresh emulator with n HTTPS listeners over *lbs load balancers, all serving a
// certificate the fresh one replaces, and runs rotate on the event once.
func (w *world) rotate(bin string, n, concurrency int) (rotation, error) {
	cloud := fakecloud.New()
	slb := cloud.SLB()
	sc, err := slb.AddServerCertificate(region, "old", w.oldCert, w.oldKey)
	if err != nil {
		return rotation{}, err
	}
	for i := range *lbs {
		if err := slb.AddLoadBalancer(region, lbName(i), ""); err != nil {
			return rotation{}, err
		}
	}
	for i := range n {
		if err := slb.AddListener(lbName(i), port(i), "https", sc.ID); err != nil {
			return rotation{}, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return rotation{}, err
	}
	srv := &http.Server{Handler: cloud.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // returns when Close is called
	defer srv.Close()
	cloud.Faults().SetLatency(*latency)
	cloud.ResetCalls()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "invoke", "--event", w.event)
	cmd.Env = append(rotateEnv("http://"+ln.Addr().String()),
		fmt.Sprintf("ROTATE_QPS=%g", *qps), fmt.Sprintf("ROTATE_CONCURRENCY=%d", concurrency))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	var rep struct {
		Status  string `json:"status"`
		Error   string `json:"error"`
		Targets []struct {
			Status string `json:"status"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || runErr != nil || rep.Status != "rotated" {
		return rotation{}, fmt.Errorf("rotate (%d listeners, concurrency %d): %v %s\n%s\n%s", n, concurrency, runErr, rep.Error, tail(stdout.String()), tail(stderr.String()))
	}
	rotated := 0
	for _, t := range rep.Targets {
		if t.Status == "rotated" {
			rotated++
		}
	}
	if rotated != n {
		return rotation{}, fmt.Errorf("rotate (%d listeners): %d rotated", n, rotated)
	}
	for i := range n {
		if id, _ := slb.ListenerCertificate(lbName(i), port(i)); id == sc.ID {
			return rotation{}, fmt.Errorf("rotate (%d listeners): %s:%d still serves the old certificate", n, lbName(i), port(i))
		}
	}
	r := rotation{wall: wall, byAction: map[string]int{}}
	for _, c := range cloud.Calls() {
		r.calls++
		r.byAction[c.Action]++
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssMB = float64(ru.Maxrss) * 1024 / 1e6 // Linux reports kilobytes
	}
	return r, nil
}

// Listener i is on load balancer i mod *lbs, port 443 + i / *lbs.
func lbName(i int) string { return fmt.Sprintf("lb-%02d", i%*lbs) }

func port(i int) int { return 443 + i/(*lbs) }

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// --- report --------------------------------------------------------------------------------

type row struct {
	listeners int
	par, seq  rotation
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func secs(d time.Duration) string {
	if d < time.Second {
		return ms(d)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

func report(out io.Writer, sizes map[string][2]int64, cold map[string][]time.Duration, rows []row, au *auditRun) {
	fmt.Fprintf(out, "certrotate bench — %s %s/%s, %d CPUs; MB = 10^6 bytes\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	hello := median(cold["hello"])
	fmt.Fprintf(tw, "binary\tcold start (median of %d)\tvs hello\tmin\tmax\tbinary\tlambda zip\t\n", *runs)
	for _, n := range []string{"hello", "rotate", "notify"} {
		m := median(cold[n])
		fmt.Fprintf(tw, "%s\t%s\t%.2f×\t%s\t%s\t%s\t%s\t\n", n, ms(m), float64(m)/float64(hello),
			ms(slices.Min(cold[n])), ms(slices.Max(cold[n])), mb(sizes[n][0]), mb(sizes[n][1]))
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\nrotation: N HTTPS listeners over %d load balancers, %v per call, ROTATE_QPS=%g\n", *lbs, *latency, *qps)
	fmt.Fprintf(out, "bound = max(4 × %v, (calls − 1)/%g + %v)\n\n", *latency, *qps, *latency)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "listeners\tcalls\tbound\tconcurrency 8\tvs bound\tconcurrency 1\tvs bound\tpeak RSS (8)\t\n")
	var at500 *row
	for i, r := range rows {
		seq, seqRatio := "-", "-"
		if *sequential {
			seq, seqRatio = secs(r.seq.wall), fmt.Sprintf("%.2f", float64(r.seq.wall)/float64(r.seq.bound()))
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%.2f\t%s\t%s\t%.1f MB\t\n", r.listeners, r.par.calls, secs(r.par.bound()),
			secs(r.par.wall), float64(r.par.wall)/float64(r.par.bound()), seq, seqRatio, r.par.rssMB)
		if r.listeners == 500 {
			at500 = &rows[i]
		}
	}
	_ = tw.Flush()
	ratio500, rss500 := "n/a", "n/a"
	if at500 != nil {
		var parts []string
		for _, a := range slices.Sorted(maps.Keys(at500.par.byAction)) {
			parts = append(parts, fmt.Sprintf("%s %d", a, at500.par.byAction[a]))
		}
		fmt.Fprintf(out, "\ncalls at 500 listeners: %s\n", strings.Join(parts, ", "))
		ratio500 = fmt.Sprintf("%.2f", float64(at500.par.wall)/float64(at500.par.bound()))
		rss500 = fmt.Sprintf("%.2f", at500.par.rssMB)
	}
	audit := reportAudit(out, au)
	coldRatio := float64(max(median(cold["rotate"]), median(cold["notify"]))) / float64(hello)
	zipMB := float64(max(sizes["rotate"][1], sizes["notify"][1])) / 1e6
	fmt.Fprintf(out, "\nbench rotate500_vs_bound=%s cold_start_vs_hello=%.2f rss500_mb=%s zip_mb=%.2f audit500_vs_bound=%s\n", ratio500, coldRatio, rss500, zipMB, audit)
}

// Command fakecloud runs the cloud emulator standalone and talks to a running one.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

const usage = `fakecloud: local emulator of Alibaba SLB, OSS and AWS S3 for certrotate.

Usage:
  fakecloud serve  [--addr 127.0.0.1:8086] [--seed demo|FILE.json] [--latency 50ms] [--throttle 0.1] [--errors 0.05] [--hang slb,elb] [--ready-file PATH]
  fakecloud state  [--url URL] [--json]
  fakecloud put    [--url URL] --store oss|s3 --bucket B --key K --file F
  fakecloud mkcert --names a,b[,...] [--days 90] [--key-type ecdsa-p256|ecdsa-p384|rsa2048] --out DIR

Run "fakecloud COMMAND --help" for a command's flags.
Credentials: AccessKeyId ` + fakecore.DefaultAccessKeyID + `, secret ` + fakecore.DefaultAccessKeySecret + ` (they only open this local emulator).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit status: 0 ok, 1 failure, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stderr)
	case "state":
		err = state(args[1:], stdout, stderr)
	case "put":
		err = put(args[1:], stdout, stderr)
	case "mkcert":
		err = mkcert(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "fakecloud: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "fakecloud %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "fakecloud %s: %v\n", args[0], err)
		return 1
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: fakecloud %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	return nil
}

// --- serve ------------------------------------------------------------------------------------

func serve(args []string, stderr io.Writer) error {
	fs := newFlags("serve", "serve [flags]", stderr)
	addr := fs.String("addr", "127.0.0.1:8086", "listen address; loopback only (use port 0 for any free port)")
	seed := fs.String("seed", "", `initial state: "demo" or a seed JSON file`)
	latency := fs.Duration("latency", 0, "latency added to every request")
	throttle := fs.Float64("throttle", 0, "probability (0..1) of answering a throttling error")
	errRate := fs.Float64("errors", 0, "probability (0..1) of answering a 5xx")
	faultSeed := fs.Uint64("fault-seed", 1, "seed of the random fault injection")
	hang := fs.String("hang", "", "comma-separated services whose requests are never answered: "+strings.Join(fakecloud.Services, ","))
	ready := fs.String("ready-file", "", "write the base URL to this file once listening (removed on exit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireLoopback(*addr); err != nil {
		return usageError{err.Error()}
	}

	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cloud := fakecloud.New()
	switch *seed {
	case "":
	case "demo":
		s, err := fakecloud.DemoSeed(time.Now())
		if err != nil {
			return err
		}
		if err := cloud.Seed(s); err != nil {
			return err
		}
	default:
		s, err := fakecloud.LoadSeedFile(*seed)
		if err != nil {
			return err
		}
		if err := cloud.Seed(s); err != nil {
			return err
		}
	}
	faults := fakecloud.FaultConfig{LatencyMS: int(latency.Milliseconds()), ThrottleRate: *throttle, ErrorRate: *errRate, Seed: *faultSeed}
	for _, svc := range strings.Split(*hang, ",") {
		if svc = strings.TrimSpace(svc); svc != "" {
			faults.Hang = append(faults.Hang, svc)
		}
	}
	if err := faults.Apply(cloud.Faults()); err != nil {
		return usageError{err.Error()}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: logRequests(log, cloud.Handler()), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	if *ready != "" {
		if err := writeAtomic(*ready, []byte(base+"\n")); err != nil {
			_ = srv.Close()
			return err
		}
		defer os.Remove(*ready)
	}
	log.Info("fakecloud listening", "url", base, "seed", *seed, "latency", latency.String(),
		"throttle", *throttle, "errors", *errRate, "access_key_id", fakecore.DefaultAccessKeyID)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("fakecloud stopping")
	cloud.Faults().Clear() // releases hung requests, which Shutdown would wait for
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	log.Info("fakecloud stopped")
	return nil
}

// requireLoopback refuses listen addresses that are not on a loopback interface.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q: fakecloud listens on loopback addresses only (127.0.0.1, ::1, localhost)", addr)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fakecloud-ready-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// logRequests logs one line per request: never the query, which holds signatures and PEMs.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		id := ""
		for _, h := range []string{"x-acs-request-id", "x-oss-request-id", "x-amz-request-id"} {
			if id = rec.Header().Get(h); id != "" {
				break
			}
		}
		log.Info("request", "method", r.Method, "path", r.URL.Path, "action", r.URL.Query().Get("Action"),
			"status", rec.status, "request_id", id, "duration_ms", time.Since(start).Milliseconds())
	})
}

// --- state ------------------------------------------------------------------------------------

func state(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("state", "state [--url URL] [--json]", stderr)
	base := fs.String("url", "http://127.0.0.1:8086", "base URL of a running fakecloud")
	asJSON := fs.Bool("json", false, "print the raw JSON snapshot")
	if err := parse(fs, args); err != nil {
		return err
	}
	body, err := adminDo(http.MethodGet, strings.TrimRight(*base, "/")+"/_fake/state", nil)
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var st fakecloud.State
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("decoding state: %w", err)
	}
	printState(stdout, st, time.Now())
	return nil
}

func printState(w io.Writer, st fakecloud.State, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tLOAD BALANCER\tPORT\tSNI DOMAIN\tCERTIFICATE ID\tSHA-1\tNAMES\tEXPIRES")
	for _, r := range st.Regions {
		for _, lb := range r.LoadBalancers {
			for _, l := range lb.Listeners {
				if l.Protocol != "https" {
					fmt.Fprintf(tw, "%s\t%s\t%d\t-\t(%s, no certificate)\t\t\t\n", r.Region, lb.ID, l.Port, l.Protocol)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\tdefault\t%s\n", r.Region, lb.ID, l.Port, certColumns(l.Certificate, now))
				for _, x := range l.Extensions {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Region, lb.ID, l.Port, x.Domain, certColumns(x.Certificate, now))
				}
			}
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tCERTIFICATE ID\tNAME\tSHA-1\tNAMES\tEXPIRES\tBOUND BY")
	for _, r := range st.Regions {
		for _, c := range r.Certificates {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r.Region, c.ID, dash(c.Name), shortFP(c.Fingerprint),
				strings.Join(c.Names, ","), expiry(c.ExpireTime, now), c.BoundBy)
		}
	}
	tw.Flush()
}

func certColumns(c *fakecloud.CertificateRef, now time.Time) string {
	if c == nil {
		return "(missing)\t\t\t"
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s", c.ID, shortFP(c.Fingerprint), strings.Join(c.Names, ","), expiry(c.ExpireTime, now))
}

func shortFP(fp string) string {
	if len(fp) > 11 {
		return fp[:11]
	}
	return fp
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func expiry(t, now time.Time) string {
	days := int(math.Round(t.Sub(now).Hours() / 24))
	rel := fmt.Sprintf("in %dd", days)
	if t.Before(now) {
		rel = fmt.Sprintf("expired %dd ago", -days)
	}
	return t.UTC().Format("2006-01-02") + " (" + rel + ")"
}

// --- put --------------------------------------------------------------------------------------

func put(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("put", "put [--url URL] --store oss|s3 --bucket B --key K --file F", stderr)
	base := fs.String("url", "http://127.0.0.1:8086", "base URL of a running fakecloud")
	store := fs.String("store", "", "oss or s3")
	bucket := fs.String("bucket", "", "bucket name (created if missing)")
	key := fs.String("key", "", "object key")
	file := fs.String("file", "", "file whose content becomes the object")
	if err := parse(fs, args); err != nil {
		return err
	}
	var problems []string
	if *store != "oss" && *store != "s3" {
		problems = append(problems, "--store must be oss or s3")
	}
	for name, v := range map[string]string{"--bucket": *bucket, "--key": *key, "--file": *file} {
		if v == "" {
			problems = append(problems, name+" is required")
		}
	}
	if len(problems) > 0 {
		return usageError{strings.Join(problems, "; ")}
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	segments := strings.Split(*key, "/")
	for i, s := range segments {
		segments[i] = url.PathEscape(s)
	}
	target := strings.TrimRight(*base, "/") + "/_fake/objects/" + *store + "/" + url.PathEscape(*bucket) + "/" + strings.Join(segments, "/")
	if _, err := adminDo(http.MethodPut, target, body); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "put %s://%s/%s (%d bytes)\n", *store, *bucket, *key, len(body))
	return nil
}

func adminDo(method, target string, body []byte) ([]byte, error) {
	req, err := http.NewRequest(method, target, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %s", method, target, resp.Status, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// --- mkcert -----------------------------------------------------------------------------------

func mkcert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mkcert", "mkcert --names a,b[,...] [--days 90] [--key-type ecdsa-p256] --out DIR", stderr)
	names := fs.String("names", "", "comma-separated DNS names; the first is the common name")
	days := fs.Int("days", 90, "validity from now, in days (>= 1)")
	keyType := fs.String("key-type", string(certstest.ECDSAP256), "ecdsa-p256, ecdsa-p384 or rsa2048")
	out := fs.String("out", "", "directory for cert.pem, chain.pem, fullchain.pem, privkey.pem (like certbot)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var dns []string
	for _, n := range strings.Split(*names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			dns = append(dns, n)
		}
	}
	var problems []string
	if len(dns) == 0 {
		problems = append(problems, "--names is required")
	}
	if *days < 1 {
		problems = append(problems, "--days must be >= 1")
	}
	if *out == "" {
		problems = append(problems, "--out is required")
	}
	kt := certstest.KeyType(*keyType)
	switch kt {
	case certstest.ECDSAP256, certstest.ECDSAP384, certstest.RSA2048:
	default:
		problems = append(problems, "--key-type must be ecdsa-p256, ecdsa-p384 or rsa2048")
	}
	if len(problems) > 0 {
		return usageError{strings.Join(problems, "; ")}
	}
	now := time.Now()
	is, err := certstest.New(certstest.Options{DNSNames: dns, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, *days), KeyType: kt})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"cert.pem", is.CertPEM, 0o644},
		{"chain.pem", is.ChainPEM, 0o644},
		{"fullchain.pem", is.FullchainPEM, 0o644},
		{"privkey.pem", is.KeyPEM, 0o600},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*out, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %s/{cert,chain,fullchain,privkey}.pem for %s, expires %s\n",
		*out, strings.Join(dns, ","), is.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return nil
}

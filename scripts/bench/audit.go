package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
)

var (
	auditPlaces = flag.Int("audit", 500, "HTTPS listeners to audit with `rotate audit` (0: no audit run)")
	onlyAudit   = flag.Bool("only-audit", false, "build rotate and run the audit alone (no cold start, no rotation)")
)

// auditRun is one measured `rotate audit`.
type auditRun struct {
	places   int
	wall     time.Duration
	calls    int
	byAction map[string]int
}

// bound is the lower bound the latency and the rate limit allow: three dependent round trips
// (list load balancers → list their listeners → list each listener's SNI domains; the region's
// certificate list overlaps them), and the time the rate limit needs to let every call through.
func (a auditRun) bound() time.Duration {
	byRate := time.Duration(float64(a.calls-1)/(*qps)*float64(time.Second)) + *latency
	return max(3**latency, byRate)
}

// audit seeds a fresh emulator with n HTTPS listeners over *lbs load balancers, all serving one
// valid certificate, and runs `rotate audit` once. An audit never changes anything, so the run
// also checks that the emulator saw no mutating call.
func audit(bin string, n int) (auditRun, error) {
	cert, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1}) // CLB takes PKCS#1 RSA only
	if err != nil {
		return auditRun{}, err
	}
	cloud := fakecloud.New()
	slb := cloud.SLB()
	sc, err := slb.AddServerCertificate(region, "served", cert.FullchainPEM, cert.KeyPEM)
	if err != nil {
		return auditRun{}, err
	}
	for i := range *lbs {
		if err := slb.AddLoadBalancer(region, lbName(i), ""); err != nil {
			return auditRun{}, err
		}
	}
	for i := range n {
		if err := slb.AddListener(lbName(i), port(i), "https", sc.ID); err != nil {
			return auditRun{}, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return auditRun{}, err
	}
	srv := &http.Server{Handler: cloud.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // returns when Close is called
	defer srv.Close()
	cloud.Faults().SetLatency(*latency)
	cloud.ResetCalls()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "audit")
	cmd.Env = append(rotateEnv("http://"+ln.Addr().String()), fmt.Sprintf("ROTATE_QPS=%g", *qps), "ROTATE_CONCURRENCY=8")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	var rep struct {
		Kind, Status string
		Places       []struct{ Status string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || runErr != nil || rep.Kind != "audit" || rep.Status != "ok" || len(rep.Places) != n {
		return auditRun{}, fmt.Errorf("rotate audit (%d listeners): %v, status %s, %d places\n%s\n%s", n, runErr, rep.Status, len(rep.Places), tail(stdout.String()), tail(stderr.String()))
	}
	if m := cloud.MutatingCalls(); len(m) > 0 {
		return auditRun{}, fmt.Errorf("rotate audit made %d mutating calls (%s first)", len(m), m[0].Action)
	}
	a := auditRun{places: n, wall: wall, byAction: map[string]int{}}
	for _, c := range cloud.Calls() {
		a.calls++
		a.byAction[c.Action]++
	}
	return a, nil
}

// reportAudit prints the audit's line and returns its ratio to the bound for the summary.
func reportAudit(out io.Writer, a *auditRun) string {
	if a == nil {
		return "n/a"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(a.byAction)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, a.byAction[k]))
	}
	ratio := float64(a.wall) / float64(a.bound())
	fmt.Fprintf(out, "\naudit: %d HTTPS listeners over %d load balancers, %v per call, ROTATE_QPS=%g, concurrency 8\n", a.places, *lbs, *latency, *qps)
	fmt.Fprintf(out, "bound = max(3 × %v, (calls − 1)/%g + %v) = %s; wall %s = %.2f × bound (goal ≤ 1.20)\n", *latency, *qps, *latency, secs(a.bound()), secs(a.wall), ratio)
	fmt.Fprintf(out, "calls: %s\n", strings.Join(parts, ", "))
	return fmt.Sprintf("%.2f", ratio)
}

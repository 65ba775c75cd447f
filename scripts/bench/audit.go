package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
)

var (
	auditPlaces = flag.Int("audit", 500, "HTTPS listeners to audit with `rotate audit` (0: no audit run)")
	onlyAudit   = flag.Bool("only-audit", false, "build rotate and run the audit alone (no cold start, no rotation)")
	qps         = flag.Float64("qps", 100, "ROTATE_QPS of the audit run (the rotations run with the defaults)")
)

// auditRun is one measured `rotate audit`.
type auditRun struct {
	places int
	measured
}

// bound is the lower bound the latency and the rate limit allow: three dependent round trips
// (list load balancers → list their listeners → list each listener's SNI domains; the region's
// certificate list overlaps them), and the time the rate limit needs to let every call through
// (the bucket's first burst of calls go at once).
func (a auditRun) bound() time.Duration {
	byRate := time.Duration(float64(max(a.calls-burst(*qps), 0))/(*qps)*float64(time.Second)) + *latency
	return max(3**latency, byRate)
}

// audit seeds a fresh emulator with n HTTPS listeners over *lbs load balancers, all serving one
// valid certificate, and runs `rotate audit` once with ROTATE_QPS=-qps and concurrency 8. An
// audit never changes anything, so the run also checks that the emulator saw no mutating call.
func audit(bin string, n int) (auditRun, error) {
	// CLB takes PKCS#1 RSA only.
	cert, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	if err != nil {
		return auditRun{}, err
	}
	cloud, _, err := seedSLB(n, cert.FullchainPEM, cert.KeyPEM)
	if err != nil {
		return auditRun{}, err
	}
	e, err := serve(cloud)
	if err != nil {
		return auditRun{}, err
	}
	defer e.Close()
	what := fmt.Sprintf("rotate audit (%d listeners)", n)
	m, err := e.run(what, bin, []string{"audit"}, append(slbEnv(e.url, regionTarget), fmt.Sprintf("ROTATE_QPS=%g", *qps), "ROTATE_CONCURRENCY=8"))
	if err != nil {
		return auditRun{}, err
	}
	if m.rep.Kind != "audit" || m.rep.Status != "ok" || len(m.rep.Places) != n {
		return auditRun{}, fmt.Errorf("%s: kind %q, status %q, %d places", what, m.rep.Kind, m.rep.Status, len(m.rep.Places))
	}
	if mut := cloud.MutatingCalls(); len(mut) > 0 {
		return auditRun{}, fmt.Errorf("%s made %d mutating calls (%s first)", what, len(mut), mut[0].Action)
	}
	return auditRun{places: n, measured: m}, nil
}

// reportAudit prints the audit's line and returns its ratio to the bound for the summary.
func reportAudit(out io.Writer, a *auditRun) string {
	if a == nil {
		return "n/a"
	}
	ratio := float64(a.wall) / float64(a.bound())
	fmt.Fprintf(out, "\naudit: %d HTTPS listeners over %d load balancers, %v per call, ROTATE_QPS=%g, concurrency 8\n", a.places, *lbs, *latency, *qps)
	fmt.Fprintf(out, "bound = max(3 × %v, (calls − %d)/%g + %v) = %s; wall %s = %.2f × bound (goal ≤ 1.20); critical path %d\n", *latency, burst(*qps), *qps, *latency, secs(a.bound()), secs(a.wall), ratio, a.critical)
	fmt.Fprintf(out, "calls: %s\n", a.actions())
	return fmt.Sprintf("%.2f", ratio)
}

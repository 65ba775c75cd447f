package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
)

// The ALB and NLB rotation: n ALB HTTPS listeners, each with a default and one additional
// certificate, and n NLB TCPSSL listeners, all rotated in one run against the emulator with the
// same latency and the default settings, each write an asynchronous job of -job-window that the
// run waits out.

var (
	lbListeners = flag.Int("alb-nlb", 10, "ALB and NLB listeners (each) to rotate in one run; 0: none")
	jobWindow   = flag.Duration("job-window", 200*time.Millisecond, "emulated duration of every ALB/NLB asynchronous write")
)

const lbRegion = "cn-shanghai"

// rotateALBNLB runs rotate once over n ALB and n NLB listeners and returns the measurement.
func (w *world) rotateALBNLB(bin string, n int) (measured, error) {
	cloud := fakecloud.New()
	casID := func(name string, cert, key []byte) (string, error) {
		id, err := cloud.CAS().AddCertificate(name, cert, key)
		return strconv.FormatInt(id, 10) + "-cn-hangzhou", err
	}
	old, err := casID("old", w.oldCert, w.oldKey)
	if err != nil {
		return measured{}, err
	}
	cloud.ALB().SetJobWindow(*jobWindow)
	cloud.NLB().SetJobWindow(*jobWindow)
	for i := range n {
		if err := cloud.ALB().Store().Add(lbcerts.Listener{ID: fmt.Sprintf("lsn-alb%03d", i), Region: lbRegion, LoadBalancerID: fmt.Sprintf("alb-%02d", i%5),
			Protocol: "HTTPS", Port: 443 + i/5, Default: old, Additional: []lbcerts.Cert{{ID: old}}}); err != nil {
			return measured{}, err
		}
		if err := cloud.NLB().Store().Add(lbcerts.Listener{ID: fmt.Sprintf("lsn-nlb%03d@%d", i, 443+i/5), Region: lbRegion, LoadBalancerID: fmt.Sprintf("nlb-%02d", i%5),
			Protocol: "TCPSSL", Port: 443 + i/5, Default: old}); err != nil {
			return measured{}, err
		}
	}
	e, err := serve(cloud)
	if err != nil {
		return measured{}, err
	}
	defer e.Close()
	what := fmt.Sprintf("rotate (ALB/NLB, %d listeners each)", n)
	m, err := e.run(what, bin, []string{"invoke", "--event", w.event}, append(slbEnv(e.url,
		`[{"provider":"alialb","region":"`+lbRegion+`","name":"alb"},{"provider":"alinlb","region":"`+lbRegion+`","name":"nlb"}]`),
		"ROTATE_ALB_ENDPOINT="+e.url, "ROTATE_NLB_ENDPOINT="+e.url, "ROTATE_CAS_ENDPOINT="+e.url))
	if err != nil {
		return m, err
	}
	if m.rep.Status != "rotated" {
		return m, fmt.Errorf("%s: status %q (%s)", what, m.rep.Status, m.rep.Error)
	}
	for _, l := range append(cloud.ALB().Store().Listeners(), cloud.NLB().Store().Listeners()...) {
		if l.Default == old || len(l.Additional) > 1 {
			return m, fmt.Errorf("%s: listener %s: default %s, %d additional", what, l.ID, l.Default, len(l.Additional))
		}
	}
	return m, nil
}

// reportALBNLB prints the ALB/NLB run: writes on one listener are serial (each waits for its
// job), listeners run in parallel, so the bound is about three jobs plus the reads.
func reportALBNLB(out io.Writer, n int, r measured) {
	fmt.Fprintf(out, "\nALB/NLB: %d ALB listeners (default + 1 additional) and %d NLB listeners, job %v, %v per call, defaults: %s, %d calls, critical path %d\n",
		n, n, *jobWindow, *latency, secs(r.wall), r.calls, r.critical)
}

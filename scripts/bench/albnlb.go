package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
)

// The ALB and NLB rotation: n ALB HTTPS listeners, each with a default and one additional
// certificate, and n NLB TCPSSL listeners, all rotated in one run against the emulator with the
// same latency, each write an asynchronous job of -job-window that the run waits out.

var (
	lbListeners = flag.Int("alb-nlb", 10, "ALB and NLB listeners (each) to rotate in one run; 0: none")
	jobWindow   = flag.Duration("job-window", 200*time.Millisecond, "emulated duration of every ALB/NLB asynchronous write")
)

const lbRegion = "cn-shanghai"

// rotateALBNLB runs rotate once over n ALB and n NLB listeners and returns the wall time and calls.
func (w *world) rotateALBNLB(bin string, n int) (rotation, error) {
	cloud := fakecloud.New()
	casID := func(name string, cert, key []byte) (string, error) {
		id, err := cloud.CAS().AddCertificate(name, cert, key)
		return strconv.FormatInt(id, 10) + "-cn-hangzhou", err
	}
	old, err := casID("old", w.oldCert, w.oldKey)
	if err != nil {
		return rotation{}, err
	}
	cloud.ALB().SetJobWindow(*jobWindow)
	cloud.NLB().SetJobWindow(*jobWindow)
	for i := range n {
		if err := cloud.ALB().Store().Add(lbcerts.Listener{ID: fmt.Sprintf("lsn-alb%03d", i), Region: lbRegion, LoadBalancerID: fmt.Sprintf("alb-%02d", i%5),
			Protocol: "HTTPS", Port: 443 + i/5, Default: old, Additional: []lbcerts.Cert{{ID: old}}}); err != nil {
			return rotation{}, err
		}
		if err := cloud.NLB().Store().Add(lbcerts.Listener{ID: fmt.Sprintf("lsn-nlb%03d@%d", i, 443+i/5), Region: lbRegion, LoadBalancerID: fmt.Sprintf("nlb-%02d", i%5),
			Protocol: "TCPSSL", Port: 443 + i/5, Default: old}); err != nil {
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
	endpoint := "http://" + ln.Addr().String()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "invoke", "--event", w.event)
	cmd.Env = append(rotateEnv(endpoint),
		`ROTATE_TARGETS=[{"provider":"alialb","region":"`+lbRegion+`","name":"alb"},{"provider":"alinlb","region":"`+lbRegion+`","name":"nlb"}]`,
		"ROTATE_ALB_ENDPOINT="+endpoint, "ROTATE_NLB_ENDPOINT="+endpoint, "ROTATE_CAS_ENDPOINT="+endpoint,
		fmt.Sprintf("ROTATE_QPS=%g", *qps), "ROTATE_CONCURRENCY=8")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	var rep struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || runErr != nil || rep.Status != "rotated" {
		return rotation{}, fmt.Errorf("rotate (ALB/NLB, %d listeners each): %v %s\n%s\n%s", n, runErr, rep.Error, tail(stdout.String()), tail(stderr.String()))
	}
	for _, l := range append(cloud.ALB().Store().Listeners(), cloud.NLB().Store().Listeners()...) {
		if l.Default == old || len(l.Additional) > 1 {
			return rotation{}, fmt.Errorf("rotate (ALB/NLB): listener %s: default %s, %d additional", l.ID, l.Default, len(l.Additional))
		}
	}
	r := rotation{wall: wall, byAction: map[string]int{}}
	for _, c := range cloud.Calls() {
		r.calls++
		r.byAction[c.Action]++
	}
	return r, nil
}

// reportALBNLB prints the ALB/NLB run: writes on one listener are serial (each waits for its
// job), listeners run in parallel, so the bound is about three jobs plus the reads.
func reportALBNLB(out io.Writer, n int, r rotation) {
	fmt.Fprintf(out, "ALB/NLB: %d ALB listeners (default + 1 additional) and %d NLB listeners, job %v, %v per call: %s, %d calls\n\n",
		n, n, *jobWindow, *latency, secs(r.wall), r.calls)
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// emulator is a seeded emulator serving on 127.0.0.1, in the bench's process, for one or more
// measured runs of rotate.
type emulator struct {
	cloud *fakecloud.Cloud
	url   string
	srv   *http.Server
}

// serve starts serving cloud (seeded by the caller) with -latency on every call.
func serve(cloud *fakecloud.Cloud) (*emulator, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &emulator{cloud: cloud, url: "http://" + ln.Addr().String(),
		srv: &http.Server{Handler: cloud.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go e.srv.Serve(ln) //nolint:errcheck // returns when Close is called
	cloud.Faults().SetLatency(*latency)
	return e, nil
}

func (e *emulator) Close() { _ = e.srv.Close() }

// measured is one run of the rotate binary against the emulator.
type measured struct {
	wall     time.Duration
	calls    int
	byAction map[string]int
	critical int // fakecore.CriticalPath of the run's calls
	rssMB    float64
	rep      runReport
}

// runReport is what the bench reads of rotate's JSON report (invoke and audit).
type runReport struct {
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Error   string `json:"error"`
	Targets []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"targets"`
	Places []struct {
		Status string `json:"status"`
	} `json:"places"`
}

// perListener is the run's calls per listener (n listeners).
func (m measured) perListener(n int) float64 { return float64(m.calls) / float64(n) }

// actions lists the calls by action, "A 3, B 1", sorted by action.
func (m measured) actions() string {
	var parts []string
	for _, a := range slices.Sorted(maps.Keys(m.byAction)) {
		parts = append(parts, fmt.Sprintf("%s %d", a, m.byAction[a]))
	}
	return strings.Join(parts, ", ")
}

// run empties the call log, runs bin with args and env (plus PATH and HOME) and returns the
// wall time, the emulator's calls, their critical path, the process's peak RSS and its parsed
// report. A run that exits non-zero or prints no JSON report is an error; what the report must
// say is for the caller to check. A progress line goes to stderr every 10 s of a long run.
func (e *emulator) run(what, bin string, args, env []string) (measured, error) {
	e.cloud.ResetCalls()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}, env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	stop := make(chan struct{})
	defer close(stop)
	start := time.Now()
	go func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				progress("  %s: %.0f s, %d calls so far", what, time.Since(start).Seconds(), len(e.cloud.Calls()))
			}
		}
	}()
	runErr := cmd.Run()
	wall := time.Since(start)
	m := measured{wall: wall, byAction: map[string]int{}}
	if err := json.Unmarshal(stdout.Bytes(), &m.rep); err != nil || runErr != nil {
		return measured{}, fmt.Errorf("%s: %v %s\n%s\n%s", what, runErr, m.rep.Error, tail(stdout.String()), tail(stderr.String()))
	}
	calls := e.cloud.Calls()
	for _, c := range calls {
		m.calls++
		m.byAction[c.Action]++
	}
	m.critical = fakecore.CriticalPath(calls)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMB = float64(ru.Maxrss) * 1024 / 1e6 // Linux reports kilobytes
	}
	return m, nil
}

// expect checks that the report's status is want and every target's status too.
func (m measured) expect(what, want string) error {
	if m.rep.Status != want {
		return fmt.Errorf("%s: status %q, want %q (%s)", what, m.rep.Status, want, m.rep.Error)
	}
	for _, t := range m.rep.Targets {
		if t.Status != want {
			return fmt.Errorf("%s: target %s %q, want %q", what, t.Name, t.Status, want)
		}
	}
	return nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// Environments of the rotation runs. The default run sets neither ROTATE_CONCURRENCY nor any
// rate, so it measures what a deployment gets without tuning; the sequential baseline is one
// call at a time with the rate limit at the configuration's maximum, out of the way.
var (
	defaultsEnv   []string
	sequentialEnv = []string{"ROTATE_CONCURRENCY=1", "ROTATE_QPS=1000", "ROTATE_QPS_MAX=1000"}
)

// defaultOf returns the default of the rotate configuration field read from env var name (its
// `default` struct tag), or "" when there is no such field.
func defaultOf(name string) string {
	t := reflect.TypeFor[config.Rotate]()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("envconfig") == name {
			return t.Field(i).Tag.Get("default")
		}
	}
	return ""
}

// defaults are the configuration defaults the default run's bound uses: calls in flight per
// region, the rate the limiter starts at, and the ceiling it may rise to (the start rate when
// the configuration has no ceiling).
func defaults() (concurrency int, qps, qpsMax float64) {
	concurrency, _ = strconv.Atoi(defaultOf("ROTATE_CONCURRENCY"))
	qps, _ = strconv.ParseFloat(defaultOf("ROTATE_QPS"), 64)
	qpsMax, err := strconv.ParseFloat(defaultOf("ROTATE_QPS_MAX"), 64)
	if err != nil {
		qpsMax = qps
	}
	return max(concurrency, 1), qps, max(qps, qpsMax)
}

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// world holds what every rotation run shares: the certificates and the event.
type world struct {
	oldCert, oldKey []byte
	event           string // file: a body event with the fresh certificate
}

func newWorld(dir string) (*world, error) {
	// CLB takes RSA only, and its seeded keys as PKCS#1.
	old, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "www.example.com"}, NotAfter: time.Now().Add(5 * 24 * time.Hour), KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	if err != nil {
		return nil, err
	}
	fresh, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "*.example.com"}, KeyType: certstest.RSA2048})
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

// slbEnv is rotate's environment against the emulator at url: the targets, the emulator's keys.
func slbEnv(url, targets string) []string {
	return []string{
		"ROTATE_TARGETS=" + targets,
		"ROTATE_SLB_ENDPOINT=" + url,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fakecore.DefaultAccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fakecore.DefaultAccessKeySecret,
	}
}

// Targets of the SLB runs: every load balancer of the region, or the one listener lb-00:443.
var (
	regionTarget   = `[{"provider":"alislb","region":"` + region + `","name":"all"}]`
	listenerTarget = `[{"provider":"alislb","region":"` + region + `","name":"one","load_balancer_id":"lb-00","listener_port":443}]`
)

// seedSLB returns an emulator with n HTTPS listeners over *lbs load balancers of the region, all
// serving one certificate (cert, key), and that certificate's id.
func seedSLB(n int, cert, key []byte) (*fakecloud.Cloud, string, error) {
	cloud := fakecloud.New()
	slb := cloud.SLB()
	sc, err := slb.AddServerCertificate(region, "old", cert, key)
	if err != nil {
		return nil, "", err
	}
	for i := range *lbs {
		if err := slb.AddLoadBalancer(region, lbName(i), ""); err != nil {
			return nil, "", err
		}
	}
	for i := range n {
		if err := slb.AddListener(lbName(i), port(i), "https", sc.ID); err != nil {
			return nil, "", err
		}
	}
	return cloud, sc.ID, nil
}

// Listener i is on load balancer i mod *lbs, port 443 + i / *lbs.
func lbName(i int) string { return fmt.Sprintf("lb-%02d", i%*lbs) }

func port(i int) int { return 443 + i/(*lbs) }

// slbRotation seeds n listeners serving the old certificate, runs rotate on the event with
// targets and env, and checks that it rotated every listener. With redeliver, it then runs the
// same event again on the rotated state and checks that every target is unchanged.
func (w *world) slbRotation(what, bin string, n int, targets string, env []string, redeliver bool) (first, again measured, err error) {
	cloud, oldID, err := seedSLB(n, w.oldCert, w.oldKey)
	if err != nil {
		return first, again, err
	}
	e, err := serve(cloud)
	if err != nil {
		return first, again, err
	}
	defer e.Close()
	args := []string{"invoke", "--event", w.event}
	env = append(slbEnv(e.url, targets), env...)
	if first, err = e.run(what, bin, args, env); err != nil {
		return first, again, err
	}
	if err := first.expect(what, "rotated"); err != nil {
		return first, again, err
	}
	if targets == regionTarget && len(first.rep.Targets) != n {
		return first, again, fmt.Errorf("%s: %d places rotated, want %d", what, len(first.rep.Targets), n)
	}
	check := n
	if targets != regionTarget {
		check = 1 // the listener target names listener 0 alone
	}
	for i := range check {
		if id, _ := cloud.SLB().ListenerCertificate(lbName(i), port(i)); id == oldID {
			return first, again, fmt.Errorf("%s: %s:%d still serves the old certificate", what, lbName(i), port(i))
		}
	}
	if !redeliver {
		return first, again, nil
	}
	what += ", redelivered"
	progress("%s", what)
	if again, err = e.run(what, bin, args, env); err != nil {
		return first, again, err
	}
	return first, again, again.expect(what, "unchanged")
}

// sizeRow is the measurement of one listener count.
type sizeRow struct {
	listeners  int
	def, seq   measured
	redelivery *measured // the same event again on the rotated state (the largest size only)
	bound      time.Duration
}

// ratio is the sequential baseline's wall time over the default run's (0: no baseline).
func (r sizeRow) ratio() float64 {
	if r.seq.wall == 0 {
		return 0
	}
	return float64(r.seq.wall) / float64(r.def.wall)
}

// burst is how many calls the rate limiter lets through at once at the start: its bucket holds
// one second's worth at the start rate, at least one (shared/pace).
func burst(qps float64) int { return max(1, int(math.Ceil(qps))) }

// shortestChain is the smallest critical path of the default runs: the one-listener run's
// when it was measured.
func shortestChain(rows []sizeRow) int {
	return slices.MinFunc(rows, func(a, b sizeRow) int { return a.def.critical - b.def.critical }).def.critical
}

// defaultBound is the least wall time the default run could take: the longer of its chain of
// dependent round trips (chain calls, each at least -latency), of the calls spread over the
// default concurrency (at most that many in flight, each at least -latency), and of the time the
// rate limiter needs at its ceiling to let every call through (the first free, the last still
// taking one latency; the bucket starts full, with one second's worth of calls at the start
// rate, which go at once). chain is the critical path of the one-listener run: a run over more
// listeners has the same dependent steps, and its own critical path would count calls that only
// queue behind each other.
func defaultBound(calls, chain int) time.Duration {
	conc, qps0, qpsMax := defaults()
	byChain := time.Duration(chain) * *latency
	byConcurrency := time.Duration((calls+conc-1)/conc) * *latency
	byRate := time.Duration(float64(max(calls-burst(qps0), 0))/qpsMax*float64(time.Second)) + *latency
	return max(byChain, byConcurrency, byRate)
}

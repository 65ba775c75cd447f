// Package soak runs many rotations against the emulator under injected throttling, 5xx, crashes,
// redeliveries and concurrent invocations, and counts every broken promise: a run that does not
// converge, a certificate uploaded twice, a place left without a valid certificate, a foreign
// certificate deleted, key material in a log line or report. Two deployments ("prod" and
// "staging") rotate side by side in one region, next to certificates named certrotate-… by hand
// and marked by a third deployment: none of them may delete a certificate that does not carry
// its own mark (foreign_deleted).
package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alislb"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/retry"
	"github.com/certrotate/certrotate/shared/rotation"
	"github.com/certrotate/certrotate/shared/source"
)

// Options configure a soak.
type Options struct {
	Runs      int     // rotations (events); each is delivered until it converges
	FaultRate float64 // share of calls answered with throttling or 5xx, half each
	CrashRate float64 // share of deliveries killed after a random number of mutating calls
	Seed      uint64
	// Progress, when set, is called after each run with the runs done so far and the total.
	Progress func(done, total int)
	// ConfiguringWindow keeps each load balancer busy this long after every write, as real CLB
	// is (fakecloud.Cloud.SetConfiguringWindow); 0 turns the busy answers off.
	ConfiguringWindow time.Duration
}

// Result counts what happened. Every count but Runs and Converged must be zero.
type Result struct {
	Runs, Converged, Deliveries, Crashes int
	Duplicates, Gaps, ForeignDeleted     int
	KeyLeaks                             int
	Busy                                 int // calls a configuring load balancer refused (waited out)
}

// String is the summary line.
func (r Result) String() string {
	return fmt.Sprintf("soak runs=%d converged=%d duplicates=%d gaps=%d foreign_deleted=%d key_leaks=%d",
		r.Runs, r.Converged, r.Duplicates, r.Gaps, r.ForeignDeleted, r.KeyLeaks)
}

const region = "cn-hangzhou"

var names = []string{"example.com", "*.example.com"}

// Run soaks. It returns an error only when the soak itself cannot run.
func Run(ctx context.Context, opt Options) (Result, error) {
	s, err := newWorld()
	if err != nil {
		return Result{}, err
	}
	defer s.srv.Close()
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed+1))
	s.cloud.Faults().SetRates(opt.FaultRate/2, opt.FaultRate/2, opt.Seed)
	s.cloud.SetConfiguringWindow(opt.ConfiguringWindow)
	res := Result{Runs: opt.Runs}
	currents := map[string]*certstest.Issued{}
	for i := range opt.Runs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		d := deployments[i%len(deployments)]
		current := currents[d.id]
		concurrent := false
		switch p := rng.Float64(); {
		case current == nil || p < 0.7: // a renewal
			if current, err = certstest.New(certstest.Options{DNSNames: names, KeyType: certstest.RSA2048}); err != nil {
				return res, err
			}
		case p < 0.85: // the same event again
		default: // two invocations of a new certificate at once
			if current, err = certstest.New(certstest.Options{DNSNames: names, KeyType: certstest.RSA2048}); err != nil {
				return res, err
			}
			concurrent = true
		}
		currents[d.id] = current
		others := s.othersMarked(d.id)
		converged := true
		if concurrent {
			var wg sync.WaitGroup
			ok := make([]bool, 2)
			for j := range ok {
				wg.Go(func() { ok[j] = s.deliver(ctx, d, current, opt, rand.New(rand.NewPCG(opt.Seed, uint64(i*2+j))), &res) })
			}
			wg.Wait()
			converged = ok[0] && ok[1]
		} else {
			converged = s.deliver(ctx, d, current, opt, rng, &res)
		}
		for _, id := range others { // only their own deployment may delete these
			if _, ok := s.cloud.SLB().ServerCertificateByID(id); !ok {
				res.ForeignDeleted++
			}
		}
		if s.check(d, current, &res) && converged {
			res.Converged++
		}
		s.cloud.ResetCalls()
		if opt.Progress != nil {
			opt.Progress(i+1, opt.Runs)
		}
	}
	return res, nil
}

// deployment is one certrotate deployment of the soak and the load balancers its targets name.
type deployment struct {
	id  string
	lbs []string
}

var deployments = []deployment{{"prod", []string{"lb-0", "lb-1", "lb-2"}}, {"staging", []string{"lb-3", "lb-4"}}}

// othersMarked lists the certificates carrying the mark of a deployment other than id.
func (w *world) othersMarked(id string) []string {
	var out []string
	slb := w.cloud.SLB()
	for _, sc := range slb.ServerCertificates(region) {
		if m := slb.ServerCertificateTags(sc.ID)[provider.MarkKey]; m != "" && m != id {
			out = append(out, sc.ID)
		}
	}
	return out
}

// world is the emulator seeded with load balancers serving an old, foreign certificate.
type world struct {
	cloud   *fakecloud.Cloud
	srv     *httptest.Server
	foreign []string // ids of certificates certrotate did not upload
	// foreignCAS are the CAS certificates certrotate did not upload (alibaba_lb.go).
	foreignCAS []int64
	mu         sync.Mutex
}

func newWorld() (*world, error) {
	c := fakecloud.New()
	w := &world{cloud: c, srv: httptest.NewServer(c.Handler())}
	slb := c.SLB()
	add := func(name string, dns ...string) (string, error) {
		// CLB takes RSA certificates with PKCS#1 keys only.
		is, err := certstest.New(certstest.Options{DNSNames: dns, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
		if err != nil {
			return "", err
		}
		sc, err := slb.AddServerCertificate(region, name, is.FullchainPEM, is.KeyPEM)
		w.foreign = append(w.foreign, sc.ID)
		return sc.ID, err
	}
	old, err := add("manual-example", names...)
	if err != nil {
		return nil, err
	}
	api, _ := add("manual-api", "api.example.com")
	_, _ = add("manual-spare", names...)                   // unbound, same names: never ours to delete
	_, _ = add("certrotate_lookalike", names...)           // close to our prefix, not ours
	_, _ = add("certrotate-example-com-by-hand", names...) // our prefix, uploaded by hand: no mark
	third, err := add("certrotate-example-com-20270101-third", names...)
	if err == nil {
		err = slb.TagServerCertificate(third, provider.MarkKey, "third") // another deployment's
	}
	if err != nil {
		return nil, err
	}
	for i := range 5 {
		lb := fmt.Sprintf("lb-%d", i)
		if err := errors.Join(slb.AddLoadBalancer(region, lb, lb), slb.AddListener(lb, 443, "https", old)); err != nil {
			return nil, err
		}
	}
	if _, err := slb.AddDomainExtension("lb-0", 443, "api.example.com", api); err != nil {
		return nil, err
	}
	if err := w.seedLB(); err != nil {
		return nil, err
	}
	return w, nil
}

// deliver delivers the event until a delivery converges, as the platform retries a failed
// invocation, and reports whether one did.
func (w *world) deliver(ctx context.Context, d deployment, is *certstest.Issued, opt Options, rng *rand.Rand, res *Result) bool {
	for range 20 {
		w.mu.Lock()
		res.Deliveries++
		crash := rng.Float64() < opt.CrashRate
		if crash {
			res.Crashes++
		}
		w.mu.Unlock()
		endpoint := w.srv.URL
		runCtx, kill := context.WithCancel(ctx)
		if crash {
			srv := httptest.NewServer(w.cloud.Crash(1+rng.IntN(6), kill))
			endpoint = srv.URL
			defer srv.Close()
		}
		var logs bytes.Buffer
		rep := w.rotate(runCtx, d, is, endpoint, &logs)
		kill()
		out, _ := json.Marshal(rep)
		leaks := len(leakcheck.Scan(append(logs.Bytes(), out...), string(is.KeyPEM), fakecore.DefaultAccessKeySecret))
		w.mu.Lock()
		res.KeyLeaks += leaks
		w.mu.Unlock()
		if !crash && (rep.Status == report.Rotated || rep.Status == report.Unchanged) {
			return true
		}
	}
	return false
}

func (w *world) rotate(ctx context.Context, d deployment, is *certstest.Issued, endpoint string, logs *bytes.Buffer) *report.Report {
	var targets []provider.Target
	for _, lb := range d.lbs {
		targets = append(targets, provider.Target{Provider: provider.AliSLB, Region: region, LoadBalancerID: lb, Name: d.id + "-" + lb})
	}
	if d.id == lbDeployment {
		targets = append(targets, lbTargets...)
	}
	r := rotation.New(rotation.Options{Targets: targets, Concurrency: 8, KeepPrevious: 1})
	rec := event.Record{Kind: event.KindInvoke, Body: &event.Body{Certificate: string(is.FullchainPEM), PrivateKey: string(is.KeyPEM)}}
	return r.Run(ctx, rec, &clouds{endpoint: endpoint, deployment: d.id, lb: lbProviders{endpoint: endpoint, deployment: d.id}}, slog.New(slog.NewJSONHandler(logs, nil)))
}

// check counts broken promises in the state the emulator holds after a rotation converged.
func (w *world) check(d deployment, is *certstest.Issued, res *Result) (converged bool) {
	slb := w.cloud.SLB()
	fp := certs.NormalizeFingerprint(certs.FingerprintSHA1(is.Leaf.Raw))
	copies := 0
	for _, sc := range slb.ServerCertificates(region) {
		if slb.ServerCertificateTags(sc.ID)[provider.MarkKey] == d.id && certs.NormalizeFingerprint(sc.Fingerprint) == fp {
			copies++
		}
	}
	if copies > 1 {
		res.Duplicates += copies - 1
	}
	kept := w.foreign[:0]
	for _, id := range w.foreign {
		if _, ok := slb.ServerCertificateByID(id); ok {
			kept = append(kept, id)
		} else {
			res.ForeignDeleted++ // counted once: it leaves the list
		}
	}
	w.foreign = kept
	converged = true
	for _, lb := range slb.LoadBalancers(region) {
		mine := slices.Contains(d.lbs, lb.ID)
		for _, l := range lb.Listeners {
			ids := []string{l.ServerCertificateID}
			for _, x := range l.DomainExtensions {
				ids = append(ids, x.ServerCertificateID)
			}
			for k, id := range ids {
				sc, ok := slb.ServerCertificateByID(id)
				if id == "" || !ok {
					res.Gaps++
					converged = false
					continue
				}
				if mine && k == 0 && certs.NormalizeFingerprint(sc.Fingerprint) != fp { // the SNI extension serves other names
					converged = false
				}
			}
		}
	}
	if d.id == lbDeployment && !w.checkLB(d.id, fp, res) {
		converged = false
	}
	for _, call := range w.cloud.Calls() {
		switch call.Code {
		case "ServiceIsConfiguring", "OperationBusy", "BackendServer.configuring", "DomainExtensionProcessing":
			res.Busy++
		}
		for _, v := range call.Params {
			res.KeyLeaks += len(leakcheck.Scan([]byte(v), string(is.KeyPEM)))
		}
	}
	return converged
}

// clouds builds, once per run, the SLB provider with fast retries, so that a soak of many runs
// stays quick.
type clouds struct {
	endpoint   string
	deployment string
	once       sync.Once
	p          *alislb.Provider
	err        error
	lb         lbProviders
}

func (c *clouds) Provider(name string) (provider.Provider, error) {
	if p, ok, err := c.lb.get(name); ok {
		return p, err
	}
	if name != provider.AliSLB {
		return nil, provider.Permanent(fmt.Errorf("soak: provider %q not soaked", name))
	}
	c.once.Do(func() {
		cfg := alislb.NewDefaultConfig()
		cfg.Endpoint, cfg.AccessKeyID, cfg.AccessKeySecret = c.endpoint, fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret
		cfg.Deployment = c.deployment
		cfg.Retry = retry.Policy{Attempts: 6, Base: time.Millisecond, Max: 8 * time.Millisecond}
		cfg.QPS, cfg.Concurrency, cfg.Timeout = 100000, 8, 5*time.Second
		cfg.Busy = alislb.BusyBackoff{Base: 10 * time.Millisecond, Max: 80 * time.Millisecond, Budget: time.Minute}
		c.p, c.err = alislb.New(cfg)
	})
	return c.p, c.err
}

func (*clouds) Bucket(context.Context, string, string) (source.Bucket, error) {
	return nil, errors.New("soak: no buckets")
}

func (*clouds) CAS() (rotation.CertificateStore, error) { return nil, errors.New("soak: no CAS") }

package soak

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alialb"
	"github.com/certrotate/certrotate/shared/provider/alinlb"
	"github.com/certrotate/certrotate/shared/retry"
)

// The ALB and NLB places of the soak, rotated by the "prod" deployment: an ALB listener serving
// the foreign certificate as its default and api.example.com as an additional certificate, an
// NLB TCPSSL listener serving the foreign certificate; their certificates live in CAS, beside
// certificates uploaded by hand and one carrying the "staging" deployment's name.

const (
	lbRegion     = "cn-shanghai"
	albListener  = "lsn-soak1"
	nlbListener  = "lsn-soak2@443"
	lbDeployment = "prod"
)

// lbTargets are the ALB and NLB targets of every soaked rotation.
var lbTargets = []provider.Target{
	{Provider: provider.AliALB, Region: lbRegion, Name: "alb"},
	{Provider: provider.AliNLB, Region: lbRegion, Name: "nlb"},
}

// seedLB adds the ALB and NLB places and the foreign CAS certificates.
func (w *world) seedLB() error {
	add := func(name string, dns ...string) (string, error) {
		is, err := certstest.New(certstest.Options{DNSNames: dns})
		if err != nil {
			return "", err
		}
		id, err := w.cloud.CAS().AddCertificate(name, is.FullchainPEM, is.KeyPEM)
		w.foreignCAS = append(w.foreignCAS, id)
		return strconv.FormatInt(id, 10) + "-cn-hangzhou", err
	}
	old, err := add("manual-example", names...)
	if err != nil {
		return err
	}
	api, err := add("manual-api", "api.example.com")
	if err != nil {
		return err
	}
	if _, err := add("certrotate-prod-lookalike", names...); err != nil { // close to our names, not ours
		return err
	}
	if _, err := add("certrotate-staging_example.com-20270101-0123456789ab", names...); err != nil { // another deployment's
		return err
	}
	// Short jobs keep a soak of many runs quick; the waits are exercised all the same.
	w.cloud.ALB().SetJobWindow(5 * time.Millisecond)
	w.cloud.NLB().SetJobWindow(5 * time.Millisecond)
	if err := w.cloud.ALB().Store().Add(lbcerts.Listener{ID: albListener, Region: lbRegion, LoadBalancerID: "alb-soak", Protocol: "HTTPS", Port: 443,
		Default: old, Additional: []lbcerts.Cert{{ID: api}}}); err != nil {
		return err
	}
	return w.cloud.NLB().Store().Add(lbcerts.Listener{ID: nlbListener, Region: lbRegion, LoadBalancerID: "nlb-soak", Protocol: "TCPSSL", Port: 443, Default: old})
}

// checkLB counts broken promises on the ALB and NLB places and in CAS.
func (w *world) checkLB(deployment, fp string, res *Result) (converged bool) {
	copies, present := 0, map[int64]bool{}
	for _, c := range w.cloud.CAS().Certificates() {
		present[c.ID] = true
		if strings.HasPrefix(c.Name, provider.NamePrefix+deployment+"_") && certs.NormalizeFingerprint(c.Fingerprint) == fp {
			copies++
		}
	}
	if copies > 1 {
		res.Duplicates += copies - 1
	}
	kept := w.foreignCAS[:0]
	for _, id := range w.foreignCAS {
		if present[id] {
			kept = append(kept, id)
		} else {
			res.ForeignDeleted++
		}
	}
	w.foreignCAS = kept
	fingerprint := map[string]string{}
	for _, c := range w.cloud.CAS().Certificates() {
		fingerprint[strconv.FormatInt(c.ID, 10)+"-cn-hangzhou"] = certs.NormalizeFingerprint(c.Fingerprint)
	}
	converged = true
	for _, l := range append(w.cloud.ALB().Store().Listeners(), w.cloud.NLB().Store().Listeners()...) {
		if f, ok := fingerprint[l.Default]; !ok {
			res.Gaps++
			converged = false
		} else if f != fp {
			converged = false
		}
		if l.ID == albListener && len(l.Additional) != 1 { // replaced, never accumulated nor lost
			if len(l.Additional) == 0 {
				res.Gaps++
			} else {
				res.Duplicates += len(l.Additional) - 1
			}
			converged = false
		}
		for _, a := range l.Additional {
			if _, ok := fingerprint[a.ID]; !ok {
				res.Gaps++
				converged = false
			}
		}
	}
	return converged
}

// lbProviders builds the ALB and NLB providers once per run, with fast retries.
type lbProviders struct {
	deployment string
	once       sync.Once
	alb        *alialb.Provider
	nlb        *alinlb.Provider
	albErr     error
	nlbErr     error
	endpoint   string
}

func (l *lbProviders) get(name string) (provider.Provider, bool, error) {
	l.once.Do(func() {
		fast := retry.Policy{Attempts: 6, Base: time.Millisecond, Max: 8 * time.Millisecond}
		a := alialb.NewDefaultConfig()
		a.Endpoint, a.CASEndpoint, a.CASRegion, a.Deployment = l.endpoint, l.endpoint, "cn-hangzhou", l.deployment
		a.AccessKeyID, a.AccessKeySecret = fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret
		a.Retry, a.QPS, a.Timeout, a.Poll = fast, 100000, 5*time.Second, 2*time.Millisecond
		l.alb, l.albErr = alialb.New(a)
		n := alinlb.NewDefaultConfig()
		n.Endpoint, n.CASEndpoint, n.CASRegion, n.Deployment = l.endpoint, l.endpoint, "cn-hangzhou", l.deployment
		n.AccessKeyID, n.AccessKeySecret = fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret
		n.Retry, n.QPS, n.Timeout, n.Poll = fast, 100000, 5*time.Second, 2*time.Millisecond
		l.nlb, l.nlbErr = alinlb.New(n)
	})
	switch name {
	case provider.AliALB:
		return l.alb, true, l.albErr
	case provider.AliNLB:
		return l.nlb, true, l.nlbErr
	}
	return nil, false, nil
}

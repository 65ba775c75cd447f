// Package fakecloud composes the cloud emulators (Alibaba SLB, CAS, OSS, AWS S3, Huawei ELB v3)
// behind one HTTP handler, with one keyring, one call log and one fault injector.
package fakecloud

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/albfake"
	"github.com/certrotate/certrotate/shared/fakecloud/casfake"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/nlbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/objstore"
	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
	"github.com/certrotate/certrotate/shared/fakecloud/slbfake"
)

// Cloud is the composed emulator. It is safe for concurrent use.
type Cloud struct {
	keys    *fakecore.Keyring
	log     *fakecore.Log
	faults  *fakecore.Faults
	now     func() time.Time
	slb     *slbfake.Service
	cas     *casfake.Service
	elb     *elbfake.Service
	alb     *albfake.Service
	nlb     *nlbfake.Service
	objects *objstore.Store

	oss, s3 http.Handler
	elbHTTP http.Handler
	rpc     map[string]http.Handler // Alibaba RPC API version → service
	admin   http.Handler
}

// New returns an empty emulator that accepts fakecore.DefaultAccessKeyID/DefaultAccessKeySecret.
func New() *Cloud {
	c := &Cloud{keys: fakecore.NewKeyring(), log: &fakecore.Log{}, faults: &fakecore.Faults{}, now: time.Now}
	c.slb = slbfake.New(c.keys, c.log, c.faults, c.now)
	c.cas = casfake.New(c.keys, c.log, c.faults, c.now)
	c.elb = elbfake.New(c.keys, c.log, c.faults, c.now)
	c.objects = objstore.New(c.keys, c.log, c.faults, c.now)
	c.oss, c.s3 = c.hang("oss", c.objects.OSS()), c.hang("s3", c.objects.S3())
	c.elbHTTP = c.hang("elb", c.elb)
	c.alb = albfake.New(c.keys, c.log, c.faults, c.now, c.cas.Exists)
	c.nlb = nlbfake.New(c.keys, c.log, c.faults, c.now, c.cas.Exists)
	c.alb.SetJobWindow(DefaultJobWindow)
	c.nlb.SetJobWindow(DefaultJobWindow)
	c.cas.SetInUse(func(id int64) bool { return c.alb.Store().Uses(id) || c.nlb.Store().Uses(id) })
	c.rpc = map[string]http.Handler{slbfake.Version: c.hang("slb", c.slb), casfake.Version: c.hang("cas", c.cas),
		albfake.Version: c.hang("alb", c.alb), nlbfake.Version: c.hang("nlb", c.nlb)}
	c.admin = c.adminHandler()
	return c
}

// DefaultJobWindow is how long an emulated ALB or NLB write runs before it takes effect: long
// enough that a client that does not wait meets IncorrectStatus.Listener, short enough for tests.
const DefaultJobWindow = 150 * time.Millisecond

// ALB returns the emulated Application Load Balancer, for seeding and assertions.
func (c *Cloud) ALB() *albfake.Service { return c.alb }

// NLB returns the emulated Network Load Balancer, for seeding and assertions.
func (c *Cloud) NLB() *nlbfake.Service { return c.nlb }

// SLB returns the emulated SLB, for seeding and assertions.
func (c *Cloud) SLB() *slbfake.Service { return c.slb }

// CAS returns the emulated Certificate Management Service, for seeding and assertions.
func (c *Cloud) CAS() *casfake.Service { return c.cas }

// ELB returns the emulated Huawei Cloud ELB v3, for seeding and assertions.
func (c *Cloud) ELB() *elbfake.Service { return c.elb }

// Objects returns the emulated OSS and S3 object store.
func (c *Cloud) Objects() *objstore.Store { return c.objects }

// Keys returns the keyring every service authenticates against.
func (c *Cloud) Keys() *fakecore.Keyring { return c.keys }

// Faults returns the fault injector every service applies.
func (c *Cloud) Faults() *fakecore.Faults { return c.faults }

// Calls returns every request so far, refused ones included, oldest first.
func (c *Cloud) Calls() []fakecore.Call { return c.log.Calls() }

// MutatingCalls returns the calls of actions that change state (whether they succeeded or not).
func (c *Cloud) MutatingCalls() []fakecore.Call {
	var out []fakecore.Call
	for _, call := range c.log.Calls() {
		if call.Mutating {
			out = append(out, call)
		}
	}
	return out
}

// ResetCalls empties the call log.
func (c *Cloud) ResetCalls() { c.log.Reset() }

// Handler serves every emulated service on one port:
//
//	/_fake/…                                    admin endpoints (loopback clients only)
//	Authorization "OSS4-HMAC-SHA256 …"/"OSS …"  OSS (also presigned x-oss-signature-version / OSSAccessKeyId)
//	Authorization "AWS4-HMAC-SHA256 …"          S3 (also presigned X-Amz-Algorithm)
//	/v3/…                                       Huawei ELB v3 (Authorization SDK-HMAC-SHA256)
//	?Action=…&Version=…                         Alibaba RPC, by Version (2014-05-15: SLB, 2020-04-07: CAS, 2020-06-16: ALB, 2022-04-30: NLB)
//	x-acs-action, x-acs-version headers         Alibaba RPC signed with signature v3, by x-acs-version
//
// Anything else is answered 400 with a JSON explanation.
func (c *Cloud) Handler() http.Handler { return http.HandlerFunc(c.route) }

func (c *Cloud) route(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	q := r.URL.Query()
	switch {
	case strings.HasPrefix(r.URL.Path, "/_fake/"):
		c.admin.ServeHTTP(w, r)
	case strings.HasPrefix(auth, "OSS4-HMAC-SHA256") || strings.HasPrefix(auth, "OSS ") ||
		q.Has("x-oss-signature-version") || q.Has("OSSAccessKeyId"):
		c.oss.ServeHTTP(w, r)
	case strings.HasPrefix(auth, "AWS4-HMAC-SHA256") || q.Has("X-Amz-Algorithm"):
		c.s3.ServeHTTP(w, r)
	case r.Header.Get(popgateway.HeaderAction) != "": // Alibaba RPC signed with signature v3
		h, ok := c.rpc[r.Header.Get(popgateway.HeaderVersion)]
		if !ok {
			h = c.slb
		}
		h.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/v3/"):
		c.elbHTTP.ServeHTTP(w, r)
	case c.isRPC(r):
		h, ok := c.rpc[r.Form.Get("Version")]
		if !ok {
			h = c.slb // answers InvalidVersion / MissingVersion in POP's shape, and logs the call
		}
		h.ServeHTTP(w, r)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"Code": "fakecloud.UnroutableRequest",
			"Message": "fakecloud could not tell which service this request is for. It routes: " +
				"/_fake/… to the admin API; /v3/… to Huawei ELB v3; " +
				"Authorization OSS4-HMAC-SHA256 or OSS to OSS; Authorization AWS4-HMAC-SHA256 to S3; " +
				"an Action parameter to the Alibaba RPC API (Version 2014-05-15: SLB, 2020-04-07: CAS, 2020-06-16: ALB, 2022-04-30: NLB). " +
				"Anonymous object requests are not supported.",
			"Method": r.Method,
			"Path":   r.URL.Path,
		})
	}
}

// isRPC reports whether r carries an Action parameter, in the query or a form body.
func (c *Cloud) isRPC(r *http.Request) bool {
	if r.URL.Query().Has("Action") {
		_ = r.ParseForm()
		return true
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err == nil && r.Form.Has("Action") {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Start runs a new emulator on an httptest server bound to 127.0.0.1, closed by tb.Cleanup,
// and returns it with its base URL "http://127.0.0.1:PORT".
func Start(tb testing.TB) (*Cloud, string) {
	tb.Helper()
	c := New()
	srv := httptest.NewServer(c.Handler())
	tb.Cleanup(srv.Close)
	tb.Cleanup(c.faults.Clear) // runs first: releases hung requests, which Close would wait for
	return c, srv.URL
}

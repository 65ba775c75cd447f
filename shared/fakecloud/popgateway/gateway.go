// Package popgateway answers Alibaba Cloud RPC calls the way the POP API gateway does before a
// product sees them (Format, Version, Action, signature v1 or v3, timestamp, nonce, access key,
// STS token, faults) and writes POP-shaped JSON answers; slbfake and casfake serve behind it.
package popgateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// TimestampLayout is the layout of the Timestamp parameter.
const TimestampLayout = "2006-01-02T15:04:05Z"

const (
	maxSkew  = 15 * time.Minute
	nonceTTL = 15 * time.Minute
	// maxBodyBytes bounds a v3 request body read for its hash. [guess] POP's own limit is not
	// published; RPC bodies hold form parameters, a certificate chain at most.
	maxBodyBytes = 8 << 20
)

// Config describes the product behind a Gateway.
type Config struct {
	Service        string   // call-log service name: "slb", "cas"
	Product        string   // product code in Recommend links: "Slb", "cas"
	HostID         string   // HostId of error bodies, e.g. "slb.aliyuncs.com"
	Version        string   // the one API version answered, e.g. "2014-05-15"
	RegionRequired bool     // answer MissingRegionId when RegionId is absent
	Redact         []string // parameters the call log shows as "<redacted>" (private keys)
	Seed           uint64   // seeds the request-id generator

	Keys   *fakecore.Keyring
	Log    *fakecore.Log
	Faults *fakecore.Faults
	Now    func() time.Time // default time.Now
}

// Action is one API action.
type Action struct {
	Mutating bool // recorded in the call log
	// RegionOptional exempts the action from Config.RegionRequired, where the product's API
	// reference marks RegionId optional; the action then sees an empty Request.Region.
	RegionOptional bool
	Required       []string // business parameters that must be present, checked after faults
	// Run serves an authenticated call; it returns the JSON body (RequestId included) or an error.
	Run func(r *Request) (any, *APIError)
}

// Request is one authenticated call being served.
type Request struct {
	Params    map[string]string // first value of every query and form parameter
	Region    string            // RegionId, possibly empty when not Config.RegionRequired
	RequestID string
	// InQuery names the parameters that came in the URL query (the rest came in a form body),
	// for products whose SDK sends some parameters in the body only (NLB).
	InQuery map[string]bool
}

// Get returns a parameter, "" when absent.
func (r *Request) Get(name string) string { return r.Params[name] }

// Int parses an optional integer parameter; ok is false when it is absent.
func (r *Request) Int(name string) (n int64, ok bool, e *APIError) {
	v := r.Params[name]
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, InvalidParameter("The specified parameter " + name + " is not valid.")
	}
	return n, true, nil
}

// Gateway is an http.Handler for one product's RPC API. It is safe for concurrent use.
type Gateway struct {
	cfg     Config
	actions map[string]Action
	redact  map[string]bool

	mu     sync.Mutex
	rng    *rand.Rand
	nonces map[string]time.Time // AccessKeyId + "\x00" + nonce → first seen
}

var _ http.Handler = (*Gateway)(nil)

// New returns a gateway serving actions. Nil Keys, Log and Faults get fresh empty ones.
func New(cfg Config, actions map[string]Action) *Gateway {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Keys == nil {
		cfg.Keys = fakecore.NewKeyring()
	}
	if cfg.Log == nil {
		cfg.Log = &fakecore.Log{}
	}
	if cfg.Faults == nil {
		cfg.Faults = &fakecore.Faults{}
	}
	g := &Gateway{
		cfg: cfg, actions: actions, redact: map[string]bool{},
		rng:    rand.New(rand.NewPCG(cfg.Seed, 1)),
		nonces: map[string]time.Time{},
	}
	for _, name := range cfg.Redact {
		g.redact[name] = true
	}
	return g
}

// ServeHTTP answers one RPC call and records it in the call log (never its response).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var (
		rawBody []byte
		readErr error
	)
	if isV3(r) { // the body is signed (x-acs-content-sha256): keep it for the check
		rawBody, readErr = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if len(rawBody) > maxBodyBytes {
			readErr = errors.New("body too large")
		}
		r.Body = io.NopCloser(bytes.NewReader(rawBody))
	}
	parseErr := r.ParseForm()
	if readErr != nil {
		parseErr = readErr
	}
	params := make(map[string]string, len(r.Form))
	for k, v := range r.Form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	if isV3(r) { // v3 carries the action and version in headers
		params["Action"], params["Version"] = r.Header.Get(HeaderAction), r.Header.Get(HeaderVersion)
	}
	action := params["Action"]
	requestID := g.newRequestID()
	call := fakecore.Call{
		Time:     g.cfg.Now(),
		Service:  g.cfg.Service,
		Action:   action,
		Region:   params["RegionId"],
		Params:   g.logParams(params),
		Mutating: g.actions[action].Mutating,
	}

	var (
		body   any
		status = http.StatusOK
	)
	if parseErr != nil {
		body, status = g.errorBody(InvalidParameter("The request could not be parsed."), requestID)
	} else if resp, e := g.serve(r, rawBody, params, requestID); e != nil {
		body, status = g.errorBody(e, requestID)
		call.Code = e.Code
	} else {
		body = resp
	}
	call.Status, call.End = status, g.cfg.Now()
	g.cfg.Log.Add(call)

	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-acs-request-id", requestID)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

type errorJSON struct {
	RequestId string
	HostId    string
	Code      string
	Message   string
	Recommend string
}

func (g *Gateway) errorBody(e *APIError, requestID string) (errorJSON, int) {
	return errorJSON{
		RequestId: requestID,
		HostId:    g.cfg.HostID,
		Code:      e.Code,
		Message:   e.Message,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + e.Code + "&product=" + g.cfg.Product + "&requestId=" + requestID,
	}, e.Status
}

// serve runs the gateway checks in the order POP does, then the action.
func (g *Gateway) serve(r *http.Request, body []byte, p map[string]string, requestID string) (any, *APIError) {
	if f := p["Format"]; f != "" && !strings.EqualFold(f, "JSON") {
		return nil, errUnsupportedFormat(f)
	}
	switch v := p["Version"]; {
	case v == "":
		return nil, Missing("Version")
	case v != g.cfg.Version:
		return nil, errInvalidVersion(v)
	}
	if p["Action"] == "" {
		return nil, Missing("Action")
	}
	act, ok := g.actions[p["Action"]]
	if !ok {
		return nil, errActionNotFound()
	}
	authenticate := func() *APIError { return g.authenticate(r.Method, p) }
	if isV3(r) {
		authenticate = func() *APIError { return g.authenticateV3(r, body) }
	}
	if e := authenticate(); e != nil {
		return nil, e
	}
	if g.cfg.RegionRequired && !act.RegionOptional && p["RegionId"] == "" {
		return nil, Missing("RegionId")
	}
	switch g.cfg.Faults.Apply(r.Context(), p["Action"]) {
	case fakecore.Throttle:
		return nil, errThrottled()
	case fakecore.ServerError:
		return nil, errUnavailable()
	}
	for _, name := range act.Required {
		if p[name] == "" {
			return nil, Missing(name)
		}
	}
	inQuery := map[string]bool{}
	for k := range r.URL.Query() {
		inQuery[k] = true
	}
	return act.Run(&Request{Params: p, Region: p["RegionId"], RequestID: requestID, InQuery: inQuery})
}

// authenticate checks the common signature parameters, the signature, the STS token and the nonce.
func (g *Gateway) authenticate(method string, p map[string]string) *APIError {
	for _, name := range []string{"AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Signature"} {
		if p[name] == "" {
			return Missing(name)
		}
	}
	if p["SignatureMethod"] != "HMAC-SHA1" {
		return errSignatureMethod()
	}
	if p["SignatureVersion"] != "1.0" {
		return errSignatureVersion()
	}
	ts, err := time.Parse(TimestampLayout, p["Timestamp"])
	if err != nil {
		return errTimestampFormat()
	}
	now := g.cfg.Now()
	if d := now.Sub(ts); d > maxSkew || d < -maxSkew {
		return errTimestampExpired()
	}
	cred, ok := g.cfg.Keys.Lookup(p["AccessKeyId"])
	if !ok {
		return errAccessKeyNotFound()
	}
	sts := StringToSign(method, p)
	if !signatureMatches(p["Signature"], Sign(sts, cred.AccessKeySecret)) {
		return errSignature(sts)
	}
	if e := checkToken(cred.SecurityToken, p["SecurityToken"]); e != nil {
		return e
	}
	return g.useNonce(p["AccessKeyId"], p["SignatureNonce"], now)
}

// checkToken compares the STS token a request carries with the one its access key needs.
func checkToken(want, got string) *APIError {
	switch {
	case want == "" && got != "":
		return errTokenMismatch()
	case want != "" && got == "":
		return Missing("SecurityToken")
	case want != "" && got != want:
		if !wellFormedToken(got) {
			return errTokenMalformed()
		}
		return errTokenMismatch()
	}
	return nil
}

// useNonce records a nonce, refusing one the access key used within nonceTTL.
func (g *Gateway) useNonce(accessKeyID, nonce string, now time.Time) *APIError {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, seen := range g.nonces {
		if now.Sub(seen) > nonceTTL {
			delete(g.nonces, k)
		}
	}
	key := accessKeyID + "\x00" + nonce
	if _, used := g.nonces[key]; used {
		return errNonceUsed()
	}
	g.nonces[key] = now
	return nil
}

// wellFormedToken is a loose shape check: STS tokens are long base64 strings.
func wellFormedToken(t string) bool {
	if len(t) < 16 {
		return false
	}
	for _, c := range t {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("+/=._-", c)) {
			return false
		}
	}
	return true
}

// logParams copies the parameters for the call log without credentials, signature and key material.
func (g *Gateway) logParams(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		switch {
		case k == "Signature" || k == "SignatureNonce" || k == "AccessKeyId" || k == "SecurityToken" || k == "BearerToken":
			continue
		case g.redact[k]:
			v = "<redacted>"
		}
		out[k] = v
	}
	return out
}

func (g *Gateway) newRequestID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", g.rng.Uint32(), g.rng.Uint32()&0xffff,
		0x4000|g.rng.Uint32()&0x0fff, 0x8000|g.rng.Uint32()&0x3fff, g.rng.Uint64()&0xffffffffffff)
}

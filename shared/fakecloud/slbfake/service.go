// Package slbfake emulates the Alibaba Cloud SLB (CLB) 2014-05-15 RPC API for the real SDK:
// it verifies signature v1, answers POP-style errors and keeps region-scoped state.
package slbfake

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// Version is the SLB API version this package answers.
const Version = "2014-05-15"

const (
	hostID          = "slb.aliyuncs.com"
	timestampLayout = "2006-01-02T15:04:05Z"
	maxSkew         = 15 * time.Minute
	nonceTTL        = 15 * time.Minute
)

// Service is the emulated SLB. It is an http.Handler and safe for concurrent use.
type Service struct {
	keys   *fakecore.Keyring
	log    *fakecore.Log
	faults *fakecore.Faults
	now    func() time.Time

	mu        sync.Mutex
	rng       *rand.Rand
	seq       int
	nonces    map[string]time.Time // AccessKeyId + "\x00" + nonce → first seen
	certs     map[string]*serverCert
	lbs       map[string]*loadBalancer
	exts      map[string]*domainExtension
	certQuota int
	extQuota  int
}

var _ http.Handler = (*Service)(nil)

// New returns an empty SLB. now defaults to time.Now; it drives timestamp checks and create times.
func New(keys *fakecore.Keyring, log *fakecore.Log, faults *fakecore.Faults, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if keys == nil {
		keys = fakecore.NewKeyring()
	}
	if log == nil {
		log = &fakecore.Log{}
	}
	if faults == nil {
		faults = &fakecore.Faults{}
	}
	return &Service{
		keys: keys, log: log, faults: faults, now: now,
		rng:       rand.New(rand.NewPCG(20140515, 1)),
		nonces:    map[string]time.Time{},
		certs:     map[string]*serverCert{},
		lbs:       map[string]*loadBalancer{},
		exts:      map[string]*domainExtension{},
		certQuota: DefaultCertificateQuota,
		extQuota:  DefaultDomainExtensionQuota,
	}
}

// request is one authenticated call being served.
type request struct {
	params    map[string]string
	region    string
	requestID string
}

func (r *request) get(name string) string { return r.params[name] }

// intParam parses an optional integer parameter; ok is false when it is absent.
func (r *request) intParam(name string) (n int, ok bool, e *APIError) {
	v := r.params[name]
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false, errInvalidParam("The specified parameter " + name + " is not valid.")
	}
	return n, true, nil
}

func (r *request) port() (int, *APIError) {
	n, _, e := r.intParam("ListenerPort")
	if e != nil || n < 1 || n > 65535 {
		return 0, errPort()
	}
	return n, nil
}

// ServeHTTP answers one RPC call and records it in the call log.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parseErr := r.ParseForm()
	params := make(map[string]string, len(r.Form))
	for k, v := range r.Form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	action := params["Action"]
	requestID := s.newRequestID()
	call := fakecore.Call{
		Time:     s.now(),
		Service:  "slb",
		Action:   action,
		Region:   params["RegionId"],
		Params:   logParams(params),
		Mutating: actions[action].mutating,
	}

	var (
		body   any
		status = http.StatusOK
	)
	if parseErr != nil {
		body, status = s.errorBody(errInvalidParam("The request could not be parsed."), requestID)
	} else if resp, e := s.serve(r, params, requestID); e != nil {
		body, status = s.errorBody(e, requestID)
		call.Code = e.Code
	} else {
		body = resp
	}
	call.Status = status
	s.log.Add(call)

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

func (s *Service) errorBody(e *APIError, requestID string) (errorJSON, int) {
	return errorJSON{
		RequestId: requestID,
		HostId:    hostID,
		Code:      e.Code,
		Message:   e.Message,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + e.Code + "&product=Slb&requestId=" + requestID,
	}, e.Status
}

// serve runs the gateway checks in the order POP does, then the action.
func (s *Service) serve(r *http.Request, p map[string]string, requestID string) (any, *APIError) {
	if f := p["Format"]; f != "" && !strings.EqualFold(f, "JSON") {
		return nil, errUnsupportedFormat(f)
	}
	switch v := p["Version"]; {
	case v == "":
		return nil, errMissing("Version")
	case v != Version:
		return nil, errInvalidVersion(v)
	}
	if p["Action"] == "" {
		return nil, errMissing("Action")
	}
	act, ok := actions[p["Action"]]
	if !ok {
		return nil, errActionNotFound()
	}
	if e := s.authenticate(r.Method, p); e != nil {
		return nil, e
	}
	region := p["RegionId"]
	if region == "" {
		return nil, errMissing("RegionId")
	}
	switch s.faults.Apply(r.Context(), p["Action"]) {
	case fakecore.Throttle:
		return nil, errThrottled()
	case fakecore.ServerError:
		return nil, errUnavailable()
	}
	for _, name := range act.required {
		if p[name] == "" {
			return nil, errMissing(name)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.regionKnown(region) {
		return nil, errRegionNotFound()
	}
	return act.run(s, &request{params: p, region: region, requestID: requestID})
}

// authenticate checks the common signature parameters, the signature, the STS token and the nonce.
func (s *Service) authenticate(method string, p map[string]string) *APIError {
	for _, name := range []string{"AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Signature"} {
		if p[name] == "" {
			return errMissing(name)
		}
	}
	if p["SignatureMethod"] != "HMAC-SHA1" {
		return errSignatureMethod()
	}
	if p["SignatureVersion"] != "1.0" {
		return errSignatureVersion()
	}
	ts, err := time.Parse(timestampLayout, p["Timestamp"])
	if err != nil {
		return errTimestampFormat()
	}
	now := s.now()
	if d := now.Sub(ts); d > maxSkew || d < -maxSkew {
		return errTimestampExpired()
	}
	cred, ok := s.keys.Lookup(p["AccessKeyId"])
	if !ok {
		return errAccessKeyNotFound()
	}
	sts := StringToSign(method, p)
	if !signatureMatches(p["Signature"], Sign(sts, cred.AccessKeySecret)) {
		return errSignature(sts)
	}
	token := p["SecurityToken"]
	switch {
	case cred.SecurityToken == "" && token != "":
		return errTokenMismatch()
	case cred.SecurityToken != "" && token == "":
		return errMissing("SecurityToken")
	case cred.SecurityToken != "" && token != cred.SecurityToken:
		if !wellFormedToken(token) {
			return errTokenMalformed()
		}
		return errTokenMismatch()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for k, seen := range s.nonces {
		if now.Sub(seen) > nonceTTL {
			delete(s.nonces, k)
		}
	}
	key := p["AccessKeyId"] + "\x00" + p["SignatureNonce"]
	if _, used := s.nonces[key]; used {
		return errNonceUsed()
	}
	s.nonces[key] = now
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
func logParams(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		switch k {
		case "Signature", "SignatureNonce", "AccessKeyId", "SecurityToken", "BearerToken":
			continue
		case "PrivateKey":
			v = "<redacted>"
		}
		out[k] = v
	}
	return out
}

func (s *Service) newRequestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", s.rng.Uint32(), s.rng.Uint32()&0xffff,
		0x4000|s.rng.Uint32()&0x0fff, 0x8000|s.rng.Uint32()&0x3fff, s.rng.Uint64()&0xffffffffffff)
}

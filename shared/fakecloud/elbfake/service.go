// Package elbfake emulates the Huawei Cloud ELB v3 API for the real hw-sdk client: it verifies
// SDK-HMAC-SHA256 signatures, answers Huawei-style errors and keeps project-scoped state.
package elbfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// Service is the emulated ELB v3. It is an http.Handler and safe for concurrent use.
type Service struct {
	keys   *fakecore.Keyring
	log    *fakecore.Log
	faults *fakecore.Faults
	now    func() time.Time

	mu        sync.Mutex
	rng       *rand.Rand
	seq       int
	certs     map[string]*certificate
	lbs       map[string]*loadBalancer
	listeners map[string]*listener
	certQuota int
	epScopes  map[string][]string        // access key id → the enterprise projects it holds grants in
	denied    map[string]map[string]bool // access key id → IAM actions its policy lacks (DenyAction)
	eps       map[string]bool            // known enterprise projects besides "0"
}

var _ http.Handler = (*Service)(nil)

// New returns an empty ELB. now defaults to time.Now; it drives X-Sdk-Date checks and timestamps.
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
		rng:       rand.New(rand.NewPCG(20240303, 3)),
		certs:     map[string]*certificate{},
		lbs:       map[string]*loadBalancer{},
		listeners: map[string]*listener{},
		certQuota: DefaultCertificateQuota,
		epScopes:  map[string][]string{},
		denied:    map[string]map[string]bool{},
		eps:       map[string]bool{},
	}
}

// maxBody bounds a request body; the largest legal one (certificate + key + JSON) is far smaller.
const maxBody = 1 << 20

// request is one authenticated call being served.
type request struct {
	project, id string
	access      string // the access key id that signed the call
	query       map[string][]string
	body        []byte
	requestID   string
}

type route struct {
	action   string
	mutating bool
	idParam  string // name of the path id in the call log
	run      func(*Service, *request) (int, any, *APIError)
}

// routeFor maps a method and /v3/{project_id}/elb/{resource}[/{id}] to an action.
func routeFor(method, path string) (rt route, project, id string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) < 4 || len(segs) > 5 || segs[0] != "v3" || segs[1] == "" || segs[2] != "elb" {
		return route{}, "", "", false
	}
	project = segs[1]
	withID := len(segs) == 5
	if withID {
		id = segs[4]
		if id == "" {
			return route{}, "", "", false
		}
	}
	type key struct {
		resource, method string
		withID           bool
	}
	routes := map[key]route{
		{"certificates", http.MethodPost, false}:  {"CreateCertificate", true, "", (*Service).createCertificate},
		{"certificates", http.MethodGet, false}:   {"ListCertificates", false, "", (*Service).listCertificates},
		{"certificates", http.MethodGet, true}:    {"ShowCertificate", false, "certificate_id", (*Service).showCertificate},
		{"certificates", http.MethodPut, true}:    {"UpdateCertificate", true, "certificate_id", (*Service).updateCertificate},
		{"certificates", http.MethodDelete, true}: {"DeleteCertificate", true, "certificate_id", (*Service).deleteCertificate},
		{"listeners", http.MethodGet, false}:      {"ListListeners", false, "", (*Service).listListeners},
		{"listeners", http.MethodGet, true}:       {"ShowListener", false, "listener_id", (*Service).showListener},
		{"listeners", http.MethodPut, true}:       {"UpdateListener", true, "listener_id", (*Service).updateListener},
		{"loadbalancers", http.MethodGet, false}:  {"ListLoadBalancers", false, "", (*Service).listLoadBalancers},
		{"loadbalancers", http.MethodGet, true}:   {"ShowLoadBalancer", false, "loadbalancer_id", (*Service).showLoadBalancer},
	}
	rt, ok = routes[key{segs[3], method, withID}]
	return rt, project, id, ok
}

// ServeHTTP answers one ELB v3 call and records it in the call log (never a private key).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := s.newRequestID()
	rt, project, id, routed := routeFor(r.Method, r.URL.EscapedPath())
	call := fakecore.Call{Time: s.now(), Service: "elb", Action: rt.action, Mutating: rt.mutating}
	if !routed {
		call.Action = r.Method + " " + r.URL.Path
	}
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	call.Params = logParams(project, rt.idParam, id, r.URL.Query(), body)

	status, resp, e := s.serve(r, rt, routed, &request{project: project, id: id, query: r.URL.Query(), body: body, requestID: requestID}, readErr)
	if e != nil {
		status, resp = e.Status, errorJSON{Code: e.Code, Msg: e.Message, RequestID: requestID}
		call.Code = e.Code
	}
	call.Status, call.End = status, s.now()
	s.log.Add(call)

	w.Header().Set("X-Request-Id", requestID)
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(resp)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// serve runs the checks in the order API Gateway and ELB do, then the action.
func (s *Service) serve(r *http.Request, rt route, routed bool, req *request, readErr error) (int, any, *APIError) {
	if !routed {
		return 0, nil, errAPINotFound()
	}
	if readErr != nil {
		return 0, nil, errBadRequest("the request body could not be read: " + readErr.Error())
	}
	access, e := authenticate(r, req.body, s.keys, s.now())
	if e != nil {
		return 0, nil, e
	}
	req.access = access
	if pid := r.Header.Get("X-Project-Id"); pid != "" && pid != req.project {
		return 0, nil, errAuth("X-Project-Id " + pid + " does not match the project in the URL") // [guess]
	}
	switch s.faults.Apply(r.Context(), rt.action) {
	case fakecore.Throttle:
		return 0, nil, errThrottled()
	case fakecore.ServerError:
		return 0, nil, errInternal()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return rt.run(s, req)
}

type errorJSON struct {
	Code      string `json:"error_code"`
	Msg       string `json:"error_msg"`
	RequestID string `json:"request_id"`
}

func (s *Service) newRequestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%016x%016x", s.rng.Uint64(), s.rng.Uint64())
}

// redacted replaces key material in the call log.
const redacted = "<redacted>"

// logParams flattens what a call carried for the call log: the project, the path id, the query
// (repeated values joined with ",") and the JSON body as dotted keys, private keys redacted.
func logParams(project, idParam, id string, query map[string][]string, body []byte) map[string]string {
	p := map[string]string{}
	if project != "" {
		p["project_id"] = project
	}
	if idParam != "" {
		p[idParam] = id
	}
	for k, v := range query {
		p[k] = strings.Join(v, ",")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return p
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		p["body"] = "<malformed JSON, not recorded>"
		return p
	}
	flatten(p, "", v)
	return p
}

func flatten(p map[string]string, prefix string, v any) {
	last := prefix[strings.LastIndex(prefix, ".")+1:]
	if strings.Contains(last, "private_key") {
		p[prefix] = redacted
		return
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			flatten(p, name, t[k])
		}
	case string:
		p[prefix] = t
	default:
		b, _ := json.Marshal(t)
		if prefix == "" {
			prefix = "body"
		}
		p[prefix] = string(b)
	}
}

// decodeBody decodes a JSON body strictly into dst: malformed JSON and wrong types are
// ELB.1001, unknown attributes ELB.8902 as the real API answers them.
func decodeBody(body []byte, dst any) *APIError {
	if len(bytes.TrimSpace(body)) == 0 {
		return errBadRequest("the request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return errBadRequest(fmt.Sprintf("attribute %s must be %s, got %s", typeErr.Field, jsonKind(typeErr.Type.String()), typeErr.Value))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return errInvalid("Unrecognized attribute(s) '%s'", name)
		default:
			return errBadRequest("malformed JSON: " + err.Error())
		}
	}
	if dec.More() {
		return errBadRequest("malformed JSON: data after the top-level object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadRequest("malformed JSON: data after the top-level object")
	}
	return nil
}

func jsonKind(goType string) string {
	goType = strings.TrimPrefix(goType, "*")
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "int"):
		return "an integer"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return "an object"
}

// optional is a JSON attribute that distinguishes absent, null and a value.
type optional[T any] struct {
	Set, Null bool
	Val       T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(bytes.TrimSpace(b)) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Val)
}

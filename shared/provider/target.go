package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Provider names accepted in ROTATE_TARGETS.
const (
	AliSLB    = "alislb"
	HuaweiELB = "huaweielb"
	AliALB    = "alialb"
	AliNLB    = "alinlb"
)

// Target is one element of ROTATE_TARGETS (README, Targets).
type Target struct {
	Name           string `json:"name,omitempty"`
	Provider       string `json:"provider"`
	Region         string `json:"region"`
	LoadBalancerID string `json:"load_balancer_id,omitempty"`
	ListenerPort   int    `json:"listener_port,omitempty"`
	Domain         string `json:"domain,omitempty"`
	ProjectID      string `json:"project_id,omitempty"`
	CertificateID  string `json:"certificate_id,omitempty"`
	ListenerID     string `json:"listener_id,omitempty"`
	// EnterpriseProjectID (huaweielb) is sent on every certificate list and create, for accounts
	// whose ELB rights are granted per enterprise project.
	EnterpriseProjectID string   `json:"enterprise_project_id,omitempty"`
	Match               []string `json:"match,omitempty"`
}

// providerList names the providers for messages.
var providerList = strings.Join([]string{strconv.Quote(AliSLB), strconv.Quote(AliALB), strconv.Quote(AliNLB), strconv.Quote(HuaweiELB)}, ", ")

// ParseTargets decodes and validates ROTATE_TARGETS. It reports every problem at once, each
// naming the element and field, and gives each target without a name a readable default one.
func ParseTargets(raw string) ([]Target, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("ROTATE_TARGETS: is empty; set it to a JSON array of targets")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	var targets []Target
	if err := dec.Decode(&targets); err != nil {
		return nil, fmt.Errorf("ROTATE_TARGETS: not a JSON array of targets (%s); want one such as "+
			`[{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-…","listener_port":443}]`, jsonProblem(err))
	}
	if dec.More() {
		return nil, errors.New("ROTATE_TARGETS: unexpected data after the JSON array")
	}
	if len(targets) == 0 {
		return nil, errors.New("ROTATE_TARGETS: the array is empty")
	}
	var problems []error
	seen := map[string]int{}
	for i := range targets {
		t := &targets[i]
		t.Domain = strings.ToLower(t.Domain)
		for j := range t.Match {
			t.Match[j] = strings.ToLower(t.Match[j])
		}
		for _, p := range t.problems() {
			problems = append(problems, fmt.Errorf("ROTATE_TARGETS[%d]: %s", i, p))
		}
		if t.Name == "" {
			t.Name = t.defaultName()
		}
		if j, dup := seen[t.Name]; dup {
			problems = append(problems, fmt.Errorf("ROTATE_TARGETS[%d]: name %s is already used by element %d", i, short(t.Name), j))
		}
		seen[t.Name] = i
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return targets, nil
}

// problems lists what is wrong with t, field by field. The provider switch is the only place
// that knows which fields each provider takes.
func (t *Target) problems() []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	if t.Region == "" {
		add("region: is required")
	} else if !isRegion(t.Region) {
		add("region: %s is not a region id such as cn-hangzhou", short(t.Region))
	}
	if t.Domain != "" && !isDomain(t.Domain) {
		add("domain: %s is not a DNS name", short(t.Domain))
	}
	for j, m := range t.Match {
		if !isDomain(m) {
			add("match[%d]: %s is not a DNS name or wildcard", j, short(m))
		}
	}
	if t.Name != "" && len(t.Name) > 128 {
		add("name: longer than 128 characters")
	}
	unexpected := func(field string, set bool) {
		if set {
			add("%s: not used by provider %s", field, short(t.Provider))
		}
	}
	switch t.Provider {
	case AliSLB:
		unexpected("project_id", t.ProjectID != "")
		unexpected("certificate_id", t.CertificateID != "")
		unexpected("listener_id", t.ListenerID != "")
		unexpected("enterprise_project_id", t.EnterpriseProjectID != "")
		if t.ListenerPort < 0 || t.ListenerPort > 65535 {
			add("listener_port: %d is not a port (1-65535)", t.ListenerPort)
		}
		if t.ListenerPort != 0 && t.LoadBalancerID == "" {
			add("listener_port: needs load_balancer_id")
		}
		if t.Domain != "" && t.ListenerPort == 0 {
			add("domain: needs load_balancer_id and listener_port")
		}
	case HuaweiELB:
		unexpected("load_balancer_id", t.LoadBalancerID != "")
		unexpected("listener_port", t.ListenerPort != 0)
		switch {
		case t.CertificateID == "" && t.ListenerID == "":
			add("certificate_id or listener_id: one is required")
		case t.CertificateID != "" && t.ListenerID != "":
			add("certificate_id and listener_id: give one, not both")
		}
		if t.Domain != "" && t.ListenerID == "" {
			add("domain: needs listener_id")
		}
		if ep := t.EnterpriseProjectID; ep != "" && ep != "0" && !isUUID(ep) {
			add("enterprise_project_id: %s is not an enterprise project id (0, or a UUID such as 2d8f6d3e-1b7c-4a3e-9c61-5f0e8b7a6c21)", short(ep))
		}
	case AliALB, AliNLB:
		// A listener (+ domain), a load balancer, or a region.
		unexpected("project_id", t.ProjectID != "")
		unexpected("certificate_id", t.CertificateID != "")
		unexpected("listener_port", t.ListenerPort != 0)
		unexpected("enterprise_project_id", t.EnterpriseProjectID != "")
		if t.ListenerID != "" && t.LoadBalancerID != "" {
			add("listener_id and load_balancer_id: give one, not both")
		}
		if t.ListenerID != "" && !isListenerID(t.ListenerID) {
			add("listener_id: %s is not a listener id such as lsn-0bfucwm3xcr8gd2ex1 (NLB: lsn-…@443)", short(t.ListenerID))
		}
		if t.Domain != "" && t.ListenerID == "" {
			add("domain: needs listener_id")
		}
	case "":
		add("provider: is required (%s)", providerList)
	default:
		add("provider: %s is not supported (%s)", short(t.Provider), providerList)
	}
	return out
}

// short quotes an operator's value for a message, cut to 64 bytes: a huge value is not echoed whole.
func short(s string) string {
	if len(s) > 64 {
		return strconv.Quote(strings.ToValidUTF8(s[:64], "")) + "…"
	}
	return strconv.Quote(s)
}

// defaultName is a readable name built from the fields, e.g. "alislb/cn-hangzhou/lb-1:443/a.example.com".
func (t *Target) defaultName() string {
	parts := []string{t.Provider, t.Region}
	switch {
	case t.LoadBalancerID != "" && t.ListenerPort != 0:
		parts = append(parts, t.LoadBalancerID+":"+strconv.Itoa(t.ListenerPort))
	case t.LoadBalancerID != "":
		parts = append(parts, t.LoadBalancerID)
	case t.CertificateID != "":
		parts = append(parts, "certificate-"+t.CertificateID)
	case t.ListenerID != "":
		parts = append(parts, "listener-"+t.ListenerID)
	}
	if t.Domain != "" {
		parts = append(parts, t.Domain)
	}
	return strings.Join(parts, "/")
}

// jsonProblem says what is wrong with the JSON in a person's words, never with Go type names.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return "the value is a JSON " + te.Value
	case errors.As(err, &te):
		return fmt.Sprintf("field %s is a JSON %s, want %s", te.Field[strings.LastIndex(te.Field, ".")+1:], te.Value, jsonKind(te.Type.Kind().String()))
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON (at byte %d: %s)", se.Offset, strings.TrimPrefix(se.Error(), "invalid character "))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + " (fields: provider, region, load_balancer_id, listener_port, domain, listener_id, certificate_id, project_id, name, match, …; see the README)"
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "the JSON ends too early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "an array of strings"
	case "bool":
		return "true or false"
	}
	return "another JSON type"
}

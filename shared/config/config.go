// Package config reads rotate's configuration from the environment (README, Configuration).
package config

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/webhook"
)

// Rotate is the configuration of the rotate function.
type Rotate struct {
	TargetsJSON   string `envconfig:"ROTATE_TARGETS"`
	WebhookSecret string `envconfig:"ROTATE_WEBHOOK_SECRET"`
	// WebhookAcceptGitHub accepts a GitHub-style X-Hub-Signature-256 alone (no replay protection).
	WebhookAcceptGitHub bool   `envconfig:"ROTATE_WEBHOOK_ACCEPT_GITHUB"`
	NotifyURL           string `envconfig:"ROTATE_NOTIFY_URL"`
	NotifySecret        string `envconfig:"ROTATE_NOTIFY_SECRET"`
	DryRun              bool   `envconfig:"ROTATE_DRY_RUN"`

	SLBEndpoint string `envconfig:"ROTATE_SLB_ENDPOINT"`
	CASEndpoint string `envconfig:"ROTATE_CAS_ENDPOINT"`
	OSSEndpoint string `envconfig:"ROTATE_OSS_ENDPOINT"`
	ELBEndpoint string `envconfig:"ROTATE_ELB_ENDPOINT"`
	ALBEndpoint string `envconfig:"ROTATE_ALB_ENDPOINT"`
	NLBEndpoint string `envconfig:"ROTATE_NLB_ENDPOINT"`
	// CASRegion is the CAS region ALB and NLB certificates are uploaded to (ROTATE_CAS_REGION):
	// cn-hangzhou (mainland China) or ap-southeast-1 (elsewhere).
	CASRegion string `envconfig:"ROTATE_CAS_REGION" default:"cn-hangzhou"`

	KeepPrevious int    `envconfig:"ROTATE_KEEP_PREVIOUS" default:"1"`
	OnPartial    string `envconfig:"ROTATE_ON_PARTIAL" default:"keep"`
	Concurrency  int    `envconfig:"ROTATE_CONCURRENCY" default:"8"`
	// QPS is the rate each provider's calls start at, in calls per second (ROTATE_QPS); the rate
	// rises while calls wait for it and none is throttled, up to QPSMax (ROTATE_QPS_MAX), and
	// halves on a throttling answer (package pace).
	QPS    float64 `envconfig:"ROTATE_QPS" default:"20"`
	QPSMax float64 `envconfig:"ROTATE_QPS_MAX" default:"100"`

	// AuditDays: an audit flags certificates with fewer days left than this (ROTATE_AUDIT_DAYS).
	AuditDays int `envconfig:"ROTATE_AUDIT_DAYS" default:"30"`

	// Deployment marks every certificate this deployment uploads (ROTATE_DEPLOYMENT); cleanup
	// deletes only certificates carrying it. Default: the function's name, folded.
	Deployment string `envconfig:"ROTATE_DEPLOYMENT"`

	// Huawei Cloud credentials and default project (the SDK's own names), required when a
	// huaweielb target exists; HUAWEICLOUD_SDK_SECURITY_TOKEN is read by the provider.
	HuaweiAccessKey string `envconfig:"HUAWEICLOUD_SDK_AK"`
	HuaweiSecretKey string `envconfig:"HUAWEICLOUD_SDK_SK"`
	HuaweiProjectID string `envconfig:"HUAWEICLOUD_SDK_PROJECT_ID"`

	// Targets is ROTATE_TARGETS parsed and validated.
	Targets []provider.Target `ignored:"true"`
}

// LoadRotate reads and validates the environment. Its error lists every problem, one per line.
func LoadRotate() (*Rotate, error) {
	var c Rotate
	problems, bad := process(&c)
	for _, p := range c.validate() {
		if name, _, _ := strings.Cut(p.Error(), ":"); !bad[name] { // not "0 is out of range" for "zero"
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return &c, nil
}

// process reads spec's variables one by one, so that every value that does not parse is reported
// (envconfig.Process stops at the first and leaves the rest unread, defaults unapplied). It returns
// the problems and the names of the variables that did not parse, left at their zero value.
func process(spec any) (problems []error, bad map[string]bool) {
	bad = map[string]bool{}
	// Every variable parses in a working configuration: one pass does it. Only when one does not
	// are they read one at a time, each through a struct made for it (reflect.StructOf, which is
	// what a cold start cannot afford on every start).
	v := reflect.ValueOf(spec).Elem()
	whole := reflect.New(v.Type())
	if envconfig.Process("", whole.Interface()) == nil {
		v.Set(whole.Elem())
		return nil, bad
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() || f.Tag.Get("ignored") == "true" {
			continue
		}
		one := reflect.New(reflect.StructOf([]reflect.StructField{{Name: f.Name, Type: f.Type, Tag: f.Tag}}))
		if err := envconfig.Process("", one.Interface()); err != nil {
			problems = append(problems, typed(err))
			bad[f.Tag.Get("envconfig")] = true
			continue
		}
		v.Field(i).Set(one.Elem().Field(0))
	}
	return problems, bad
}

// Error is a configuration that cannot run; it lists every problem found.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  - " + p.Error()
	}
	return "configuration: " + fmt.Sprint(len(e.Problems)) + " problem(s):\n" + strings.Join(lines, "\n")
}

func (c *Rotate) validate() []error {
	var problems []error
	add := func(format string, a ...any) { problems = append(problems, fmt.Errorf(format, a...)) }
	targets, err := provider.ParseTargets(c.TargetsJSON)
	if err != nil {
		problems = append(problems, unjoin(err)...)
	}
	c.Targets = targets
	huawei := false
	for i, t := range targets {
		if t.Provider != provider.HuaweiELB {
			continue
		}
		huawei = true
		if t.ProjectID == "" && c.HuaweiProjectID == "" {
			add("ROTATE_TARGETS[%d]: project_id: required when HUAWEICLOUD_SDK_PROJECT_ID is not set", i)
		}
	}
	if huawei && (c.HuaweiAccessKey == "" || c.HuaweiSecretKey == "") {
		add("HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK: required by the huaweielb targets")
	}
	// Service endpoints are base URLs; the SDKs would append to a path, and fail on the first call.
	for name, v := range map[string]string{
		"ROTATE_SLB_ENDPOINT": c.SLBEndpoint, "ROTATE_CAS_ENDPOINT": c.CASEndpoint,
		"ROTATE_OSS_ENDPOINT": c.OSSEndpoint, "ROTATE_ELB_ENDPOINT": c.ELBEndpoint,
		"ROTATE_ALB_ENDPOINT": c.ALBEndpoint, "ROTATE_NLB_ENDPOINT": c.NLBEndpoint,
	} {
		if p := endpointProblem(v); v != "" && p != "" {
			add("%s: %s", name, p)
		}
	}
	if c.NotifyURL != "" {
		if u, err := url.Parse(c.NotifyURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			add("ROTATE_NOTIFY_URL: %q is not an http:// or https:// URL", c.NotifyURL)
		}
	}
	// Alibaba credentials: on Function Compute the invocation's role gives them; elsewhere (Lambda,
	// the command line) only the environment can, so their absence is known now, not at the first call.
	if names := c.AlibabaProviders(); len(names) > 0 && os.Getenv("FC_RUNTIME_API") == "" &&
		(os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") == "" || os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET") == "") {
		add("ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: required by the %s targets outside Function Compute (where the function's role gives them)",
			strings.Join(names, ", "))
	}
	for name, secret := range map[string]string{"ROTATE_WEBHOOK_SECRET": c.WebhookSecret, "ROTATE_NOTIFY_SECRET": c.NotifySecret} {
		if _, err := webhook.Key(secret); secret != "" && err != nil {
			add("%s: %v", name, err) // the error never quotes the secret
		}
	}
	if c.NotifyURL != "" && c.NotifySecret == "" {
		add("ROTATE_NOTIFY_SECRET: required when ROTATE_NOTIFY_URL is set (the report is signed)")
	}
	if c.CASRegion == "" { // set but empty, as a template leaves it
		c.CASRegion = "cn-hangzhou"
	}
	if c.CASRegion != "cn-hangzhou" && c.CASRegion != "ap-southeast-1" {
		add("ROTATE_CAS_REGION: %q is not cn-hangzhou (mainland China) or ap-southeast-1 (elsewhere)", c.CASRegion)
	}
	if c.KeepPrevious < 0 {
		add("ROTATE_KEEP_PREVIOUS: %d is negative", c.KeepPrevious)
	}
	if c.OnPartial != "keep" && c.OnPartial != "rollback" {
		add("ROTATE_ON_PARTIAL: %q is not keep or rollback", c.OnPartial)
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		add("ROTATE_CONCURRENCY: %d is not between 1 and 64", c.Concurrency)
	}
	if c.Deployment == "" {
		c.Deployment = provider.DeploymentFromFunction(cmp.Or(os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), os.Getenv("FC_FUNCTION_NAME")))
	} else if err := provider.CheckDeployment(c.Deployment); err != nil {
		add("ROTATE_DEPLOYMENT: %v", err)
	}
	if c.AuditDays < 1 || c.AuditDays > 3650 {
		add("ROTATE_AUDIT_DAYS: %d is not between 1 and 3650", c.AuditDays)
	}
	qpsOK := c.QPS > 0 && c.QPS <= 1000
	if !qpsOK {
		add("ROTATE_QPS: %v is not between 0 and 1000", c.QPS)
	}
	switch {
	case c.QPSMax <= 0 || c.QPSMax > 1000:
		add("ROTATE_QPS_MAX: %v is not between 0 and 1000", c.QPSMax)
	case qpsOK && c.QPSMax < c.QPS:
		add("ROTATE_QPS_MAX: %v is below ROTATE_QPS (%v); the rate starts at ROTATE_QPS and rises up to ROTATE_QPS_MAX, so set it to %v or more", c.QPSMax, c.QPS, c.QPS)
	}
	return problems
}

// AlibabaProviders returns the providers of the targets that call Alibaba Cloud, and so need its
// credentials (alislb, alialb, alinlb), each once, in the order of the targets.
func (c *Rotate) AlibabaProviders() []string {
	var names []string
	for _, t := range c.Targets {
		switch t.Provider {
		case provider.AliSLB, provider.AliALB, provider.AliNLB:
			if !slices.Contains(names, t.Provider) {
				names = append(names, t.Provider)
			}
		}
	}
	return names
}

// typed rewrites envconfig's parse error into one naming the variable and the format it wants,
// in a person's words (never a Go type name).
func typed(err error) error {
	var pe *envconfig.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %q is not %s", pe.KeyName, pe.Value, format(pe.TypeName))
	}
	return err
}

func format(typeName string) string {
	switch typeName {
	case "int", "int64", "int32", "uint", "uint64":
		return "a whole number (e.g. 8)"
	case "float64", "float32":
		return "a number (e.g. 20 or 2.5)"
	case "bool":
		return "true or false"
	case "Duration", "time.Duration":
		return "a duration such as 10s, 1m30s or 500ms"
	}
	return "in the expected format (see the README's configuration table)"
}

// endpointProblem says why v cannot be a service endpoint: a base URL with no path, query or fragment.
func endpointProblem(v string) string {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return fmt.Sprintf("%q is not an http:// or https:// URL", v)
	case u.Path != "" && u.Path != "/":
		return fmt.Sprintf("%q has a path (%s); give the endpoint alone, like https://host[:port]", u.Scheme+"://"+u.Host+u.Path, u.Path)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Sprintf("%q has a query or a fragment; give the endpoint alone, like https://host[:port]", u.Scheme+"://"+u.Host)
	}
	return ""
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

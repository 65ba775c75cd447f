package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// fc3Schema is the fc3 component's props schema, vendored (testdata/schemas/README.md).
const fc3Schema = "testdata/schemas/fc3-props.schema.json"

const testAccountID = "1234567890123456"

// requiredSEnv are the variables s.yaml reads without a default.
var requiredSEnv = map[string]string{
	"CERT_BUCKET":           "cert-drop",
	"ROTATE_TARGETS":        `[{"provider":"alislb","region":"cn-hangzhou"}]`,
	"ROTATE_WEBHOOK_SECRET": "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	"NOTIFY_SECRET":         "whsec_ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
}

// renderer resolves the Serverless Devs variables s.yaml uses — ${env('NAME')},
// ${env('NAME', 'default')}, ${env(NAME)}, ${vars.name} and ${config('AccountID')} — the way
// `s preview` does. Anything else is an error, so that a new construct extends this renderer.
type renderer struct {
	env    map[string]string // the deploying shell
	config map[string]string // `s config` (AccountID)
	vars   map[string]string
	errs   []string
}

var (
	interpolation = regexp.MustCompile(`\$\{([^{}]*)\}`)
	envCall       = regexp.MustCompile(`^env\(\s*(?:'([^']*)'|"([^"]*)"|([A-Za-z_][A-Za-z0-9_]*))\s*(?:,\s*(?:'([^']*)'|"([^"]*)")\s*)?\)$`)
	configCall    = regexp.MustCompile(`^config\(\s*(?:'([^']*)'|"([^"]*)")\s*\)$`)
	varsRef       = regexp.MustCompile(`^vars\.([A-Za-z_][A-Za-z0-9_]*)$`)
)

func (r *renderer) eval(expr string) string {
	expr = strings.TrimSpace(expr)
	if m := envCall.FindStringSubmatch(expr); m != nil {
		name := m[1] + m[2] + m[3]
		if v, ok := r.env[name]; ok {
			return v
		}
		if strings.Contains(expr, ",") {
			return m[4] + m[5]
		}
		r.errs = append(r.errs, "environment variable "+name+" is not set and has no default")
		return ""
	}
	if m := configCall.FindStringSubmatch(expr); m != nil {
		if v, ok := r.config[m[1]+m[2]]; ok {
			return v
		}
		r.errs = append(r.errs, "config "+m[1]+m[2]+" is not set")
		return ""
	}
	if m := varsRef.FindStringSubmatch(expr); m != nil {
		if v, ok := r.vars[m[1]]; ok {
			return v
		}
		r.errs = append(r.errs, "vars."+m[1]+" is not defined")
		return ""
	}
	r.errs = append(r.errs, "unsupported construct ${"+expr+"}: extend the renderer in deploy/syaml_test.go")
	return ""
}

func (r *renderer) walk(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		n.Value = interpolation.ReplaceAllStringFunc(n.Value, func(m string) string { return r.eval(m[2 : len(m)-1]) })
		return
	}
	for _, c := range n.Content {
		r.walk(c)
	}
}

// renderS renders s.yaml with env and returns it as JSON-shaped values.
func renderS(t *testing.T, env map[string]string) (map[string]any, error) {
	t.Helper()
	doc := parseYAML(t, "s.yaml")
	r := &renderer{env: env, config: map[string]string{"AccountID": testAccountID}, vars: map[string]string{}}
	if vars := get(doc, "vars"); vars != nil {
		r.walk(vars)
		for _, kv := range pairs(vars) {
			r.vars[kv[0].Value] = kv[1].Value
		}
	}
	r.walk(doc)
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("s.yaml: %s", strings.Join(r.errs, "; "))
	}
	var v any
	if err := doc.Decode(&v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func mustRenderS(t *testing.T, env map[string]string) map[string]any {
	t.Helper()
	out, err := renderS(t, env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func withEnv(extra map[string]string) map[string]string {
	env := map[string]string{}
	for k, v := range requiredSEnv {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// path follows keys (strings) and indexes (ints) through JSON-shaped values.
func path(v any, steps ...any) any {
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[s]
		case int:
			a, _ := v.([]any)
			if s >= len(a) {
				return nil
			}
			v = a[s]
		}
	}
	return v
}

func compileFC3(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readFile(t, fc3Schema)))
	if err != nil {
		t.Fatalf("%s: %v", fc3Schema, err)
	}
	c := jsonschema.NewCompiler()
	loc := "file://" + filepath.ToSlash(filepath.Join(root(t), fc3Schema))
	if err := c.AddResource(loc, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		t.Fatalf("%s: %v", fc3Schema, err)
	}
	return s
}

func validateProps(s *jsonschema.Schema, props any) error {
	b, err := json.Marshal(props)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// fc3Resources returns the fc3 resources of a rendered s.yaml by name.
func fc3Resources(t *testing.T, s map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	res, _ := s["resources"].(map[string]any)
	for name, r := range res {
		r, _ := r.(map[string]any)
		if r["component"] == "fc3" {
			out[name] = r
		}
	}
	if len(out) != 2 || out["rotate"] == nil || out["notify"] == nil {
		t.Fatalf("s.yaml: fc3 resources %v, want rotate and notify", sortedKeys(out))
	}
	return out
}

func TestSYamlPropsValidateAgainstFC3Schema(t *testing.T) {
	schema := compileFC3(t)
	s := mustRenderS(t, withEnv(nil))
	if s["edition"] != "3.0.0" {
		t.Errorf("edition %v, want 3.0.0", s["edition"])
	}
	for name, r := range fc3Resources(t, s) {
		if err := validateProps(schema, r["props"]); err != nil {
			t.Errorf("%s: props do not validate against %s:\n%v", name, fc3Schema, err)
		}
		// The schema is engaged: a wrong runtime fails.
		bad := map[string]any{}
		for k, v := range r["props"].(map[string]any) {
			bad[k] = v
		}
		bad["runtime"] = "go1.x"
		if validateProps(schema, bad) == nil {
			t.Errorf("%s: runtime go1.x validated: the schema is not applied", name)
		}
	}
}

func TestSYamlFunctions(t *testing.T) {
	s := mustRenderS(t, withEnv(nil))
	for name, r := range fc3Resources(t, s) {
		props := r["props"].(map[string]any)
		if props["runtime"] != "go1" || props["handler"] != "main" {
			t.Errorf("%s: runtime %v handler %v, want go1 main", name, props["runtime"], props["handler"])
		}
		if props["region"] != "cn-hangzhou" {
			t.Errorf("%s: default region %v", name, props["region"])
		}
		// pre-deploy builds exactly the folder that is uploaded.
		code, _ := props["code"].(string)
		if want := "./dist/fc/" + name; code != want {
			t.Errorf("%s: code %q, want %q", name, code, want)
		}
		if run := path(r, "actions", "pre-deploy", 0, "run"); run != "make fc-"+name {
			t.Errorf("%s: pre-deploy runs %v, want make fc-%s", name, run, name)
		}
		cmds := makeDryRun(t, "fc-"+name, "GOARCH=arm64")
		for _, want := range []string{"GOARCH=amd64", "-tags lambda.norpc", "-o dist/fc/" + name + "/main ./functions/" + name} {
			if !strings.Contains(cmds, want) {
				t.Errorf("make fc-%s does not run %q:\n%s", name, want, cmds)
			}
		}
		http := findTrigger(props, "http")
		if http == nil || path(http, "triggerConfig", "authType") != "anonymous" ||
			fmt.Sprint(path(http, "triggerConfig", "methods")) != "[POST]" {
			t.Errorf("%s: no anonymous POST HTTP trigger: %v", name, http)
		}
	}
	rotate := fc3Resources(t, s)["rotate"]["props"].(map[string]any)
	notify := fc3Resources(t, s)["notify"]["props"].(map[string]any)

	oss := findTrigger(rotate, "oss")
	if oss == nil {
		t.Fatal("rotate has no OSS trigger")
	}
	var events []string
	for _, e := range path(oss, "triggerConfig", "events").([]any) {
		events = append(events, e.(string))
	}
	sort.Strings(events)
	want := "oss:ObjectCreated:CompleteMultipartUpload oss:ObjectCreated:PostObject oss:ObjectCreated:PutObject oss:ObjectCreated:PutSymlink"
	if strings.Join(events, " ") != want {
		t.Errorf("OSS trigger events %v, want %s", events, want)
	}
	if p := path(oss, "triggerConfig", "filter", "key", "prefix"); p != "certs/" {
		t.Errorf("OSS trigger prefix %v, want the default certs/", p)
	}
	if arn := oss["sourceArn"]; arn != "acs:oss:cn-hangzhou:"+testAccountID+":cert-drop" {
		t.Errorf("OSS trigger sourceArn %v", arn)
	}
	dest := path(rotate, "asyncInvokeConfig", "destinationConfig", "onFailure", "destination")
	if want := "acs:fc:cn-hangzhou:" + testAccountID + ":functions/" + notify["functionName"].(string); dest != want {
		t.Errorf("rotate's onFailure destination %v, want %s", dest, want)
	}
	if role, _ := rotate["role"].(string); !strings.HasPrefix(role, "acs:ram::"+testAccountID+":role/") {
		t.Errorf("rotate role %q", role)
	}

	// The prefix and the names follow the shell.
	s = mustRenderS(t, withEnv(map[string]string{"CERT_PREFIX": "live/", "NOTIFY_FUNCTION_NAME": "n2", "REGION": "cn-shanghai"}))
	rotate = fc3Resources(t, s)["rotate"]["props"].(map[string]any)
	if p := path(findTrigger(rotate, "oss"), "triggerConfig", "filter", "key", "prefix"); p != "live/" {
		t.Errorf("CERT_PREFIX=live/ gives prefix %v", p)
	}
	if dest := path(rotate, "asyncInvokeConfig", "destinationConfig", "onFailure", "destination"); dest != "acs:fc:cn-shanghai:"+testAccountID+":functions/n2" {
		t.Errorf("destination %v does not follow REGION and NOTIFY_FUNCTION_NAME", dest)
	}
}

func findTrigger(props map[string]any, typ string) map[string]any {
	ts, _ := props["triggers"].([]any)
	for _, tr := range ts {
		if tr, _ := tr.(map[string]any); tr["triggerType"] == typ {
			return tr
		}
	}
	return nil
}

func TestSYamlEnvironment(t *testing.T) {
	raw := parseYAML(t, "s.yaml")
	rendered := fc3Resources(t, mustRenderS(t, withEnv(map[string]string{
		// A channel, so that notify's configuration is complete.
		"NOTIFY_WEBHOOK_URL":    "https://hooks.example.com/certrotate",
		"NOTIFY_WEBHOOK_SECRET": "whsec_c2lnbmluZy1rZXktZm9yLXRoZS1nZW5lcmljLWhvb2s=",
	})))
	for _, name := range []string{"rotate", "notify"} {
		// Every value comes from the deploying shell; no secret is written in the file.
		for _, kv := range pairs(get(raw, "resources", name, "props", "environmentVariables")) {
			if !strings.HasPrefix(kv[1].Value, "${env(") {
				t.Errorf("s.yaml: %s: %s is %q, not ${env(...)}", name, kv[0].Value, kv[1].Value)
			}
		}
		env := map[string]string{}
		for k, v := range rendered[name]["props"].(map[string]any)["environmentVariables"].(map[string]any) {
			env[k] = v.(string)
		}
		checkEnvNames(t, "s.yaml", name, sortedKeys(env))
		env["FC_RUNTIME_API"] = "127.0.0.1:9000" // set by Function Compute, whose role gives the Alibaba keys
		loadConfig(t, "s.yaml", name, env)
	}
}

func TestSYamlRequiredEnvironment(t *testing.T) {
	_, err := renderS(t, map[string]string{})
	if err == nil {
		t.Fatal("s.yaml rendered with an empty environment")
	}
	for name := range requiredSEnv {
		if !strings.Contains(err.Error(), name+" is not set") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

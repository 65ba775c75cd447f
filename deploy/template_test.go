package deploy_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/testtool"
)

// TestTemplateLint runs cfn-lint (with its offline SAM transform) on template.yaml: zero findings.
func TestTemplateLint(t *testing.T) {
	lint := cfnLint(t)
	cmd := exec.Command(lint, "template.yaml")
	cmd.Dir = root(t)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("cfn-lint template.yaml: %v\n%s", err, out)
	}

	// The linter really checks: a value out of range is reported.
	bad := strings.Replace(string(readFile(t, "template.yaml")), "MaximumRetryAttempts: 2", "MaximumRetryAttempts: 5", 1)
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(lint, path).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("E3034")) {
		t.Fatalf("cfn-lint did not report MaximumRetryAttempts: 5 as E3034 (err %v):\n%s", err, out)
	}
}

// cfnLint finds cfn-lint; without it the lint is skipped with a hint (failed under CI=true).
func cfnLint(t *testing.T) string {
	t.Helper()
	return testtool.Need(t, "the template lint (deploy.TestTemplateLint)", "pip install cfn-lint: 1.x includes the SAM translator", "cfn-lint")
}

var (
	templateFunctions = map[string]string{"RotateFunction": "rotate", "NotifyFunction": "notify"}
	// fakeGetAtt stands in for the attributes CloudFormation knows only once deployed.
	fakeGetAtt = map[string]string{"NotifyFunctionUrl.FunctionUrl": "https://notify.lambda-url.us-east-1.on.aws/"}
)

func TestTemplateFunctions(t *testing.T) {
	tpl := parseYAML(t, "template.yaml")
	if got := scalar(get(tpl, "Transform")); got != "AWS::Serverless-2016-10-31" {
		t.Fatalf("Transform %q", got)
	}
	globals := get(tpl, "Globals", "Function")
	found := map[string]bool{}
	for _, kv := range pairs(get(tpl, "Resources")) {
		id, res := kv[0].Value, kv[1]
		if scalar(get(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		name, ok := templateFunctions[id]
		if !ok {
			t.Errorf("unexpected function %s", id)
			continue
		}
		found[id] = true
		props := get(res, "Properties")
		prop := func(key string) *yaml.Node {
			if n := get(props, key); n != nil {
				return n
			}
			return get(globals, key)
		}
		if got := scalar(prop("Runtime")); got != "provided.al2023" {
			t.Errorf("%s: Runtime %q, want provided.al2023", id, got)
		}
		if got := scalar(prop("Handler")); got != "bootstrap" {
			t.Errorf("%s: Handler %q, want bootstrap", id, got)
		}
		arch := prop("Architectures")
		if arch == nil || arch.Kind != yaml.SequenceNode || len(arch.Content) != 1 ||
			arch.Content[0].Tag != "!Ref" || arch.Content[0].Value != "Architecture" {
			t.Errorf("%s: Architectures is not [!Ref Architecture]:\n%s", id, describe(arch))
		}
		// sam build runs `make build-<LogicalId>` where CodeUri is: the repository root.
		if got := scalar(get(res, "Metadata", "BuildMethod")); got != "makefile" {
			t.Errorf("%s: BuildMethod %q, want makefile", id, got)
		}
		if got := scalar(prop("CodeUri")); got != "." {
			t.Errorf("%s: CodeUri %q, want . (the Makefile's folder)", id, got)
		}
		cmds := makeDryRun(t, "build-"+id, "ARTIFACTS_DIR=/sam/artifacts", "GOARCH=arm64")
		for _, want := range []string{"GOARCH=arm64", "-tags lambda.norpc", "-trimpath", `-o "/sam/artifacts/bootstrap" ./functions/` + name} {
			if !strings.Contains(cmds, want) {
				t.Errorf("make build-%s does not run %q:\n%s", id, want, cmds)
			}
		}
		// Least privilege: each function has its own role, defined in this template.
		if role := get(props, "Role"); role == nil || role.Tag != "!GetAtt" {
			t.Errorf("%s: Role is not !GetAtt of a role in this template", id)
		}
		for _, key := range []string{"Policies", "PermissionsBoundary"} {
			if get(props, key) != nil || get(globals, key) != nil {
				t.Errorf("%s: %s is set; the role in this template holds every permission", id, key)
			}
		}
	}
	for id := range templateFunctions {
		if !found[id] {
			t.Errorf("function %s is missing", id)
		}
	}

	archParam := get(tpl, "Parameters", "Architecture")
	var allowed []string
	for _, n := range get(archParam, "AllowedValues").Content {
		allowed = append(allowed, n.Value)
	}
	if strings.Join(allowed, ",") != "x86_64,arm64" {
		t.Errorf("Architecture AllowedValues %v", allowed)
	}
	// The Makefile's default GOARCH matches the template's default architecture.
	if d := scalar(get(archParam, "Default")); d != "x86_64" || !regexp.MustCompile(`(?m)^GOARCH\s*\?=\s*amd64$`).Match(readFile(t, "Makefile")) {
		t.Errorf("Architecture default %q and the Makefile's GOARCH default disagree", d)
	}
}

func TestTemplateWiring(t *testing.T) {
	tpl := parseYAML(t, "template.yaml")
	rotate := get(tpl, "Resources", "RotateFunction", "Properties")

	// Failed asynchronous invocations go to notify.
	onFailure := get(rotate, "EventInvokeConfig", "DestinationConfig", "OnFailure")
	if scalar(get(onFailure, "Type")) != "Lambda" || get(onFailure, "Destination").Tag != "!GetAtt" ||
		scalar(get(onFailure, "Destination")) != "NotifyFunction.Arn" {
		t.Errorf("EventInvokeConfig OnFailure is not Type Lambda, !GetAtt NotifyFunction.Arn:\n%s", describe(onFailure))
	}
	// The webhook: a function URL (the HMAC signature is its authentication).
	if got := scalar(get(rotate, "FunctionUrlConfig", "AuthType")); got != "NONE" {
		t.Errorf("rotate FunctionUrlConfig AuthType %q", got)
	}
	// The bucket trigger: S3 Object Created through EventBridge, filtered by prefix.
	var rule *yaml.Node
	for _, kv := range pairs(get(rotate, "Events")) {
		if scalar(get(kv[1], "Type")) == "EventBridgeRule" {
			rule = get(kv[1], "Properties", "Pattern")
		}
	}
	if rule == nil || scalar(get(rule, "source").Content[0]) != "aws.s3" || scalar(get(rule, "detail-type").Content[0]) != "Object Created" {
		t.Fatalf("no EventBridge rule on aws.s3 Object Created:\n%s", describe(get(rotate, "Events")))
	}
	if key := get(rule, "detail", "object", "key"); key == nil || scalar(get(key.Content[0], "prefix")) != "CertPrefix" {
		t.Errorf("the rule does not filter on the CertPrefix prefix:\n%s", describe(rule))
	}
	if scalar(get(tpl, "Resources", "CertBucket", "Properties", "NotificationConfiguration", "EventBridgeConfiguration", "EventBridgeEnabled")) != "true" {
		t.Error("the bucket the stack creates does not send events to EventBridge")
	}
	for _, out := range []string{"WebhookUrl", "RotateFunctionName", "NotifyFunctionName"} {
		if get(tpl, "Outputs", out, "Value") == nil {
			t.Errorf("output %s is missing", out)
		}
	}
}

func TestTemplateRolesAreLeastPrivilege(t *testing.T) {
	tpl := parseYAML(t, "template.yaml")
	granted := map[string][]string{}
	for _, kv := range pairs(get(tpl, "Resources")) {
		id, res := kv[0].Value, kv[1]
		if scalar(get(res, "Type")) != "AWS::IAM::Role" {
			continue
		}
		if get(res, "Properties", "ManagedPolicyArns") != nil {
			t.Errorf("%s: managed policies grant more than the function needs", id)
		}
		for _, pol := range get(res, "Properties", "Policies").Content {
			for _, st := range get(pol, "PolicyDocument", "Statement").Content {
				if scalar(get(st, "Effect")) != "Allow" {
					continue
				}
				actions := get(st, "Action")
				list := []*yaml.Node{actions}
				if actions.Kind == yaml.SequenceNode {
					list = actions.Content
				}
				for _, a := range list {
					if strings.Contains(a.Value, "*") {
						t.Errorf("%s: wildcard action %q", id, a.Value)
					}
					granted[id] = append(granted[id], a.Value)
				}
				if r := get(st, "Resource"); r == nil || scalar(r) == "*" {
					t.Errorf("%s: statement %s is not scoped to a resource", id, scalar(get(st, "Sid")))
				}
			}
		}
	}
	want := map[string]string{
		"RotateRole": "logs:CreateLogStream logs:PutLogEvents s3:GetObject s3:ListBucket lambda:InvokeFunction",
		"NotifyRole": "logs:CreateLogStream logs:PutLogEvents",
	}
	for role, actions := range want {
		if got := strings.Join(granted[role], " "); got != actions {
			t.Errorf("%s grants %q, want %q", role, got, actions)
		}
	}
	// Every S3 call the code makes is granted.
	calls := calledActions(t, "shared/source/s3bucket", regexp.MustCompile(`\.client\.(\w+)\(|\bs3\.(New\w+Paginator)\(`), func(m []string) string {
		if m[2] != "" {
			m = []string{m[0], m[2]}
		}
		return sdkAction(t, "s3", m)
	})
	if len(calls) == 0 {
		t.Fatal("found no S3 call in shared/source/s3bucket")
	}
	for a := range calls {
		if !strings.Contains(" "+want["RotateRole"]+" ", " "+a+" ") {
			t.Errorf("RotateRole lacks %s, which shared/source/s3bucket calls", a)
		}
	}
}

// TestTemplateEnvironment checks each function's environment: only variables the functions read,
// secrets only from NoEcho parameters, and with the parameters' defaults plus the required values
// a configuration the functions accept.
func TestTemplateEnvironment(t *testing.T) {
	tpl := parseYAML(t, "template.yaml")
	params := get(tpl, "Parameters")
	given := map[string]string{
		"RotateTargets":       `[{"provider":"alislb","region":"cn-hangzhou"}]`,
		"RotateWebhookSecret": "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		// On Lambda the Alibaba keys of the alislb targets come from these parameters only.
		"AlibabaAccessKeyId":     "LTAI5tTemplateTestKey",
		"AlibabaAccessKeySecret": "template-test-secret-not-real",
		"NotifySecret":           "whsec_ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
		"NotifyWebhookUrl":       "https://hooks.example.com/certrotate",
		"NotifyWebhookSecret":    "whsec_c2lnbmluZy1rZXktZm9yLXRoZS1nZW5lcmljLWhvb2s=",
	}
	for id, name := range templateFunctions {
		vars := get(tpl, "Resources", id, "Properties", "Environment", "Variables")
		env := map[string]string{}
		for _, kv := range pairs(vars) {
			key, val := kv[0].Value, kv[1]
			switch val.Tag {
			case "!Ref":
				p := get(params, val.Value)
				if p == nil {
					t.Fatalf("%s: %s refers to %s, which is not a parameter", id, key, val.Value)
				}
				noEcho := scalar(get(p, "NoEcho")) == "true"
				if secretEnv.MatchString(key) && !noEcho {
					t.Errorf("%s: %s holds a secret but parameter %s is not NoEcho", id, key, val.Value)
				}
				v, ok := given[val.Value]
				if !ok {
					d := get(p, "Default")
					if d == nil {
						t.Fatalf("parameter %s has no default and the test gives no value", val.Value)
					}
					v = d.Value
				}
				env[key] = v
			case "!GetAtt":
				v, ok := fakeGetAtt[val.Value]
				if !ok {
					t.Fatalf("%s: %s: no stand-in for !GetAtt %s", id, key, val.Value)
				}
				env[key] = v
			default:
				if secretEnv.MatchString(key) {
					t.Errorf("%s: %s holds a secret written into the template", id, key)
				}
				env[key] = val.Value
			}
		}
		checkEnvNames(t, "template.yaml", name, sortedKeys(env))
		loadConfig(t, "template.yaml", name, env)
	}
	for _, kv := range pairs(params) {
		if strings.Contains(kv[0].Value, "Secret") && scalar(get(kv[1], "NoEcho")) != "true" {
			t.Errorf("parameter %s is not NoEcho", kv[0].Value)
		}
	}
}

// loadConfig runs the function's configuration loader on exactly env.
func loadConfig(t *testing.T, where, function string, env map[string]string) {
	t.Helper()
	for k := range knownEnv(t) {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	var err error
	switch function {
	case "rotate":
		_, err = config.LoadRotate()
	case "notify":
		_, err = config.LoadNotify()
	}
	var cerr *config.Error
	if err != nil && errors.As(err, &cerr) {
		t.Errorf("%s: %s does not start with this environment:\n%v", where, function, err)
	} else if err != nil {
		t.Errorf("%s: %s: %v", where, function, err)
	}
}

// Package deploy_test checks the deployment artefacts: template.yaml (AWS SAM), s.yaml
// (Serverless Devs fc3), the RAM / IAM policies in deploy/policies, and the zips `make package`
// builds, each driven through the Lambda or Function Compute runtime API.
package deploy_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// root is the repository root (this package lives in deploy/).
func root(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		tb.Fatalf("repository root not found from %s: %v", dir, err)
	}
	return dir
}

func readFile(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// parseYAML returns the document node of a YAML file (tags such as !Ref are kept on the nodes).
func parseYAML(tb testing.TB, rel string) *yaml.Node {
	tb.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(readFile(tb, rel), &doc); err != nil {
		tb.Fatalf("%s: %v", rel, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		tb.Fatalf("%s: not one YAML document", rel)
	}
	return doc.Content[0]
}

// get follows mapping keys from n; it returns nil when a key is missing.
func get(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

// pairs returns a mapping node's keys and values in order.
func pairs(n *yaml.Node) [][2]*yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([][2]*yaml.Node, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

// scalar is n's value when n is a scalar, else "".
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

var envconfigTag = regexp.MustCompile("envconfig:\"([A-Z0-9_]+)\"")

// sdkEnv are the configuration variables (README, Configuration) that the vendor SDKs read themselves.
var sdkEnv = []string{
	"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
	"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID",
	"AWS_ENDPOINT_URL_S3",
}

// specNotifyEnv is the NOTIFY_* list of the README's Notify section, used only while
// shared/config defines none.
var specNotifyEnv = []string{
	"NOTIFY_SECRET", "NOTIFY_ON", "NOTIFY_LANG", "NOTIFY_DINGTALK_WEBHOOK", "NOTIFY_DINGTALK_SECRET",
	"NOTIFY_FEISHU_WEBHOOK", "NOTIFY_FEISHU_SECRET", "NOTIFY_WECOM_WEBHOOK", "NOTIFY_SLACK_WEBHOOK",
	"NOTIFY_WEBHOOK_URL", "NOTIFY_WEBHOOK_SECRET", "NOTIFY_SMTP_HOST", "NOTIFY_SMTP_PORT",
	"NOTIFY_SMTP_USERNAME", "NOTIFY_SMTP_PASSWORD", "NOTIFY_SMTP_FROM", "NOTIFY_SMTP_TO",
}

// knownEnv is every environment variable the functions read: the envconfig names in
// shared/config plus the SDKs' own names.
func knownEnv(tb testing.TB) map[string]bool {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(root(tb), "shared", "config", "*.go"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("shared/config/*.go: %v", err)
	}
	known := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range envconfigTag.FindAllSubmatch(b, -1) {
			known[string(m[1])] = true
		}
	}
	hasNotify := false
	for k := range known {
		hasNotify = hasNotify || strings.HasPrefix(k, "NOTIFY_")
	}
	if !hasNotify {
		tb.Log("shared/config defines no NOTIFY_* variable yet: taking the README's NOTIFY_* list")
		for _, k := range specNotifyEnv {
			known[k] = true
		}
	}
	for _, k := range sdkEnv {
		known[k] = true
	}
	return known
}

// checkEnvNames fails for a variable the functions do not read, or one given to the wrong function.
func checkEnvNames(t *testing.T, where, function string, names []string) {
	t.Helper()
	known := knownEnv(t)
	if len(names) == 0 {
		t.Errorf("%s: %s has no environment", where, function)
	}
	for _, name := range names {
		if !known[name] {
			t.Errorf("%s: %s sets %s, which neither shared/config nor the SDKs read", where, function, name)
		}
		other := map[string]string{"rotate": "NOTIFY_", "notify": "ROTATE_"}[function]
		if other != "" && strings.HasPrefix(name, other) {
			t.Errorf("%s: %s sets %s, which only the other function reads", where, function, name)
		}
	}
}

// secretEnv matches the variables that hold a secret (a webhook URL carries its token).
var secretEnv = regexp.MustCompile(`(SECRET|PASSWORD|_SK|_AK|ACCESS_KEY_ID|_WEBHOOK|TOKEN)$`)

// makeDryRun prints the commands `make` would run for target in the repository root.
func makeDryRun(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-s", "-n", "-C", root(t)}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func describe(n *yaml.Node) string {
	b, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Sprint(err)
	}
	return string(b)
}

package deploy_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/audit"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/provider"
)

// policy is the common shape of an Alibaba RAM and a Huawei IAM custom policy.
type policy struct {
	Version   string `json:"Version"`
	Statement []struct {
		Sid       string          `json:"Sid"`
		Effect    string          `json:"Effect"`
		Action    []string        `json:"Action"`
		Resource  json.RawMessage `json:"Resource"`
		Condition json.RawMessage `json:"Condition"`
	} `json:"Statement"`
}

func readPolicy(t *testing.T, rel string) policy {
	t.Helper()
	var p policy
	dec := json.NewDecoder(strings.NewReader(string(readFile(t, rel))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return p
}

// granted returns every allowed action, failing on wildcards.
func granted(t *testing.T, rel string, p policy) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, st := range p.Statement {
		if st.Effect != "Allow" {
			t.Errorf("%s: statement %q: effect %q", rel, st.Sid, st.Effect)
		}
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %q", rel, a)
			}
			if out[a] {
				t.Errorf("%s: %s is granted twice", rel, a)
			}
			out[a] = true
		}
	}
	return out
}

// calledActions scans the non-test Go files of dir (which imports one cloud SDK only) for re and maps each match to an action.
func calledActions(t *testing.T, dir string, re *regexp.Regexp, action func(m []string) string) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root(t), dir, "*.go"))
	out := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if a := action(m); a != "" {
				out[a] = true
			}
		}
	}
	return out
}

// sdkAction maps an object-store SDK client method to the RAM / IAM action that authorises it.
func sdkAction(t *testing.T, service string, m []string) string {
	method := m[1]
	actions := map[string]map[string]string{
		"oss": {"GetObject": "oss:GetObject", "GetSymlink": "oss:GetSymlink", "NewListObjectsV2Paginator": "oss:ListObjects", "ListObjectsV2": "oss:ListObjects", "ListObjects": "oss:ListObjects"},
		"s3":  {"GetObject": "s3:GetObject", "NewListObjectsV2Paginator": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket"},
	}[service]
	a, ok := actions[method]
	if !ok {
		t.Errorf("%s client method %s: add its action to deploy/policy_test.go and to the policy", service, method)
	}
	return a
}

// planned are granted before the code that needs them lands, with the reason.
var planned = map[string]string{}

func TestAlibabaRAMPolicy(t *testing.T) {
	const rel = "deploy/policies/alibaba-ram-policy.json"
	p := readPolicy(t, rel)
	if p.Version != "1" {
		t.Errorf("%s: Version %q, want 1", rel, p.Version)
	}
	have := granted(t, rel, p)

	need := map[string]bool{}
	for a := range calledActions(t, "shared/provider/alislb", regexp.MustCompile(`\b\w+\.Create(\w+)Request\(`), func(m []string) string { return "slb:" + m[1] }) {
		need[a] = true
	}
	for a := range calledActions(t, "shared/source/cas", regexp.MustCompile(`\b\w+\.Create(\w+)Request\(`), func(m []string) string { return "yundun-cert:" + m[1] }) {
		need[a] = true
	}
	for a := range calledActions(t, "shared/provider/alialb", regexp.MustCompile(`\balb\.Create(\w+)Request\(`), func(m []string) string { return "alb:" + m[1] }) {
		need[a] = true
	}
	for a := range calledActions(t, "shared/provider/alinlb", regexp.MustCompile(`\bnlb\.Create(\w+)Request\(`), func(m []string) string { return "nlb:" + m[1] }) {
		need[a] = true
	}
	for a := range calledActions(t, "shared/source/ossbucket", regexp.MustCompile(`\.client\.(\w+)\(|\b(?:b\.client|client)\.(New\w+Paginator)\(`), func(m []string) string {
		if m[2] != "" {
			m = []string{m[0], m[2]}
		}
		return sdkAction(t, "oss", m)
	}) {
		need[a] = true
	}
	if !need["slb:SetLoadBalancerHTTPSListenerAttribute"] || !need["yundun-cert:GetUserCertificateDetail"] || !need["oss:GetObject"] ||
		!need["alb:DissociateAdditionalCertificatesFromListener"] || !need["nlb:GetJobStatus"] || !need["yundun-cert:UploadUserCertificate"] {
		t.Fatalf("the scan of the SDK calls found too little: %v", sortedKeys(need))
	}
	// Function Compute needs these for the platform, not for an SDK call in the code.
	need["fc:InvokeFunction"] = true    // asyncInvokeConfig onFailure → notify
	need["log:PostLogStoreLogs"] = true // logConfig: auto, with this role
	compare(t, rel, have, need, planned)

	// Reads are scoped to the bucket and prefix s.yaml triggers on.
	text := string(readFile(t, rel))
	for _, want := range []string{`"acs:oss:*:*:${CERT_BUCKET}/${CERT_PREFIX}*"`, `"oss:Prefix": "${CERT_PREFIX}*"`, `"acs:fc:*:*:functions/${NOTIFY_FUNCTION_NAME}"`} {
		if !strings.Contains(text, want) {
			t.Errorf("%s does not scope a statement with %s", rel, want)
		}
	}
	for _, st := range p.Statement {
		// CAS (yundun-cert) has no resource-level permissions: its actions take "*"
		// (https://www.alibabacloud.com/help/doc-detail/465997.html).
		allCAS := !slices.ContainsFunc(st.Action, func(a string) bool { return !strings.HasPrefix(a, "yundun-cert:") })
		if string(st.Resource) == `"*"` && !strings.HasPrefix(st.Sid, "Read") && !allCAS {
			t.Errorf("%s: statement %q grants %v on every resource", rel, st.Sid, st.Action)
		}
	}
}

func TestHuaweiELBPolicy(t *testing.T) {
	const rel = "deploy/policies/huawei-elb-policy.json"
	p := readPolicy(t, rel)
	if p.Version != "1.1" {
		t.Errorf("%s: Version %q, want 1.1 (fine-grained custom policy)", rel, p.Version)
	}
	have := granted(t, rel, p)
	for a := range have {
		if !regexp.MustCompile(`^elb:(certificates|listeners|loadbalancers):(get|list|create|put|delete)$`).MatchString(a) {
			t.Errorf("%s: %s is not an ELB certificate, listener or load balancer action", rel, a)
		}
	}
	verbs := map[string]string{"Create": "create", "Update": "put", "Delete": "delete", "Show": "get", "List": "list"}
	need := calledActions(t, "shared/provider/huaweielb",
		regexp.MustCompile(`\b(Create|Update|Delete|Show|List)(Certificate|Listener|Loadbalancer|LoadBalancer)s?(?:Request)?\b`),
		func(m []string) string {
			return "elb:" + strings.ToLower(m[2]) + "s:" + verbs[m[1]]
		})
	if len(need) == 0 {
		t.Log("shared/provider/huaweielb calls no ELB operation yet: the policy is checked for shape only")
		need = map[string]bool{}
	}
	// The operations a Huawei ELB rotation makes: UpdateCertificate in place, or CreateCertificate
	// (reusing one whose fingerprint matches: List) then UpdateListener, after reading it.
	for _, a := range []string{"elb:certificates:put", "elb:certificates:create", "elb:certificates:list", "elb:certificates:get", "elb:listeners:get", "elb:listeners:put"} {
		need[a] = true
	}
	allowed := map[string]string{}
	for a, why := range planned {
		allowed[a] = why
	}
	for _, a := range []string{"elb:listeners:list", "elb:loadbalancers:get", "elb:loadbalancers:list"} {
		allowed[a] = "discovering a load balancer's HTTPS listeners"
	}
	compare(t, rel, have, need, allowed)
}

// compare fails for a needed action the policy lacks, and for a granted action nothing needs.
func compare(t *testing.T, rel string, have, need map[string]bool, planned map[string]string) {
	t.Helper()
	var missing, extra []string
	for a := range need {
		if !have[a] {
			missing = append(missing, a)
		}
	}
	for a := range have {
		if !need[a] && planned[a] == "" {
			extra = append(extra, a)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%s lacks %v, which the code calls", rel, missing)
	}
	if len(extra) > 0 {
		t.Errorf("%s grants %v, which no code calls (least privilege: remove them, or list them in planned with the reason)", rel, extra)
	}
}

// TestReadmeLinksPolicies: the operator finds the policy files from the README.
func TestReadmeLinksPolicies(t *testing.T) {
	readme := string(readFile(t, "README.md"))
	for _, f := range []string{"deploy/policies/alibaba-ram-policy.json", "deploy/policies/huawei-elb-policy.json"} {
		if !strings.Contains(readme, "("+f+")") {
			t.Errorf("README.md does not link %s", f)
		}
	}
}

// TestPoliciesCoverTheAudit runs an audit (README, Audit) on the emulator over SLB listeners, an SNI
// domain extension and Huawei ELB listeners, and checks that every call it made is a read that
// the RAM and ELB policies already grant: the daily audit needs no new permission.
func TestPoliciesCoverTheAudit(t *testing.T) {
	c, url := fakecloud.Start(t)
	issue := func(names ...string) *certstest.Issued {
		return certstest.Must(t, certstest.Options{DNSNames: names, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	}
	www, api := issue("www.example.com"), issue("api.example.com")
	slb := c.SLB()
	wwwID, err1 := slb.AddServerCertificate("cn-hangzhou", "www", www.FullchainPEM, www.KeyPEM)
	apiID, err2 := slb.AddServerCertificate("cn-hangzhou", "api", api.FullchainPEM, api.KeyPEM)
	for _, err := range []error{err1, err2, slb.AddLoadBalancer("cn-hangzhou", "lb-1", "web"), slb.AddListener("lb-1", 443, "https", wwwID.ID)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := slb.AddDomainExtension("lb-1", 443, "api.example.com", apiID.ID); err != nil {
		t.Fatal(err)
	}
	const project = "0123456789abcdef0123456789abcdef"
	elb := c.ELB()
	cert, err := elb.AddCertificate(project, elbfake.Certificate{Name: "www", Domain: "www.example.com", Certificate: string(www.FullchainPEM), PrivateKey: string(www.KeyPEM)})
	if err != nil {
		t.Fatal(err)
	}
	lb := elb.AddLoadBalancer(project, elbfake.LoadBalancer{Name: "lb"})
	l := elb.AddListener(project, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTPS", Port: 443, DefaultTLSContainerRef: cert, SNIContainerRefs: []string{cert}})
	targets, err := provider.ParseTargets(`[{"provider":"alislb","region":"cn-hangzhou"},
		{"provider":"alislb","region":"cn-hangzhou","load_balancer_id":"lb-1","listener_port":443,"domain":"api.example.com"},
		{"provider":"huaweielb","region":"cn-north-4","listener_id":"` + l + `"},
		{"provider":"huaweielb","region":"cn-north-4","listener_id":"` + l + `","domain":"www.example.com"},
		{"provider":"huaweielb","region":"cn-north-4","certificate_id":"` + cert + `"}]`)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Rotate{Targets: targets, SLBEndpoint: url, ELBEndpoint: url, Concurrency: 4, QPS: 1000, AuditDays: 30, Deployment: "test",
		HuaweiAccessKey: fakecore.DefaultAccessKeyID, HuaweiSecretKey: fakecore.DefaultAccessKeySecret, HuaweiProjectID: project}
	c.ResetCalls()
	clouds := cloud.New(cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret})
	rep := audit.New(audit.Options{Targets: targets, Days: 30, Concurrency: 4}).Run(context.Background(), clouds, time.Now,
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	for _, p := range rep.Places {
		if p.Status != "ok" {
			t.Errorf("place %s: %s (%s); the audit did not read it", p.Name, p.Status, p.Reason)
		}
	}

	ram := granted(t, "deploy/policies/alibaba-ram-policy.json", readPolicy(t, "deploy/policies/alibaba-ram-policy.json"))
	iam := granted(t, "deploy/policies/huawei-elb-policy.json", readPolicy(t, "deploy/policies/huawei-elb-policy.json"))
	elbAction := regexp.MustCompile(`^(Show|List)(Certificate|Listener|LoadBalancer)s?$`)
	seen := map[string]bool{}
	for _, call := range c.Calls() {
		if call.Mutating {
			t.Errorf("the audit made the mutating call %s", call.Action)
		}
		var action string
		var ok bool
		switch call.Service {
		case "elb":
			m := elbAction.FindStringSubmatch(call.Action)
			if m == nil {
				t.Errorf("ELB call %s is not a read", call.Action)
				continue
			}
			action = "elb:" + strings.ToLower(m[2]) + "s:" + map[string]string{"Show": "get", "List": "list"}[m[1]]
			ok = iam[action]
		default:
			action = "slb:" + call.Action
			ok = ram[action] && strings.HasPrefix(call.Action, "Describe")
		}
		seen[action] = true
		if !ok {
			t.Errorf("the audit calls %s (%s), which the policies do not grant as a read", call.Action, action)
		}
	}
	for _, want := range []string{"slb:DescribeServerCertificates", "slb:DescribeLoadBalancerListeners", "elb:listeners:get", "elb:certificates:list"} {
		if !seen[want] {
			t.Errorf("the audit never called %s: the check saw %v", want, sortedKeys(seen))
		}
	}
}

// Command demo is `make demo`: the whole mission, step by step, against the cloud emulator run in
// this process, with the real rotate and notify binaries. Each step is one function in steps
// below; to show something new, add a step.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/report"
)

// step is one part of the story: a title printed before it, and what it does.
type step struct {
	title string
	run   func(d *demo) error
}

// steps is the story, in order. Every step checks what it shows: an unexpected status stops the
// demo with an error, so `make demo` fails when the story no longer holds.
var steps = []step{
	{"Building rotate and notify", (*demo).build},
	{"Starting the cloud emulator", (*demo).startEmulator},
	{"Before: what each HTTPS listener serves", (*demo).showState},
	{"A fresh certificate for example.com and *.example.com (certbot's layout)", (*demo).issue},
	{"Upload 1 of 2: fullchain.pem lands first; rotate runs on its OSS event", (*demo).uploadFullchain},
	{"Upload 2 of 2: privkey.pem completes the folder; rotate runs again", (*demo).uploadKey},
	{"After: what each HTTPS listener serves (the report above, applied)", (*demo).showState},
	{"The platform delivers the same event again: nothing changes", (*demo).redeliver},
	{"A certificate authority calls the webhook: a forged call, then a signed one", (*demo).webhook},
	{"notify tells people: the last report, to DingTalk and Feishu (signed), WeCom and Slack", (*demo).notify},
	{"The daily audit: what every place serves now, and what needs a person", (*demo).audit},
}

// demo holds what the steps share.
type demo struct {
	out   io.Writer
	bold  bool // ANSI bold titles: only on a terminal
	work  string
	bin   string
	url   string
	cloud *fakecloud.Cloud
	srv   *http.Server
	env   []string // the functions' environment
	now   time.Time

	issued  *certstest.Issued
	reports []*report.Report // every report so far, last is the latest
}

func main() {
	d := &demo{out: os.Stdout, bold: isTerminal(os.Stdout), work: ".demo", now: time.Now()}
	err := d.run(context.Background())
	if d.srv != nil {
		_ = d.srv.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n(logs: %s/*.log)\n", err, d.work)
		os.Exit(1)
	}
	fmt.Fprintf(d.out, "\nThe functions' logs (JSON lines) are in %s/*.log.\n", d.work)
}

func (d *demo) run(_ context.Context) error {
	if err := os.RemoveAll(d.work); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(d.work, "events"), 0o755); err != nil {
		return err
	}
	for i, s := range steps {
		d.title(fmt.Sprintf("%d/%d %s", i+1, len(steps), s.title))
		if err := s.run(d); err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
	}
	return nil
}

func (d *demo) title(s string) {
	if d.bold {
		fmt.Fprintf(d.out, "\n\033[1m== %s\033[0m\n", s)
		return
	}
	fmt.Fprintf(d.out, "\n== %s\n", s)
}

// isTerminal reports whether f is a character device (a terminal), not a pipe or a file.
func isTerminal(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// --- steps ------------------------------------------------------------------------------------

func (d *demo) build() error {
	d.bin = filepath.Join(d.work, "bin")
	fmt.Fprintln(d.out, "go build ./functions/rotate ./functions/notify (static, -tags lambda.norpc, as deployed)")
	start := time.Now()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", d.bin+string(os.PathSeparator),
		"./functions/rotate", "./functions/notify")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = d.out, os.Stderr
	done := make(chan struct{})
	go func() { // a first build compiles the cloud SDKs: say so while it runs
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(d.out, "  still compiling (%s; a first run compiles the cloud SDKs)\n", time.Since(start).Round(time.Second))
			}
		}
	}()
	err := cmd.Run()
	close(done)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "built in %s\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

func (d *demo) startEmulator() error {
	// The fake chat robots print what they accept on the process's stderr; here that goes to
	// .demo/robots.log, and the notify step shows one message.
	logPath := filepath.Join(d.work, "robots.log")
	robots, err := os.Create(logPath)
	if err != nil {
		return err
	}
	stderr := os.Stderr
	os.Stderr = robots
	d.cloud = fakecloud.New()
	os.Stderr = stderr
	// Like real CLB, a load balancer refuses writes for a while after each one; rotate waits it out.
	d.cloud.SetConfiguringWindow(fakecore.DefaultConfiguringWindow)
	seed, err := fakecloud.DemoSeed(d.now)
	if err != nil {
		return err
	}
	if err := d.cloud.Seed(seed); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d.url = "http://" + ln.Addr().String()
	d.srv = &http.Server{Handler: d.cloud.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	// The functions' whole environment: every SLB listener of cn-hangzhou, and one Huawei ELB
	// listener with its SNI certificate for api.example.com.
	targets := `[{"provider":"alislb","region":"cn-hangzhou","name":"hangzhou"},
  {"provider":"huaweielb","region":"cn-north-4","name":"elb-web","listener_id":"` + fakecloud.DemoHuaweiListener + `"},
  {"provider":"huaweielb","region":"cn-north-4","name":"elb-web-api","listener_id":"` + fakecloud.DemoHuaweiListener + `","domain":"api.example.com"},
  {"provider":"alialb","region":"cn-hangzhou","name":"alb-web","listener_id":"lsn-demoweb443"},
  {"provider":"alialb","region":"cn-hangzhou","name":"alb-web-api","listener_id":"lsn-demoweb443","domain":"api.example.com"}]`
	d.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"ROTATE_TARGETS=" + targets,
		"ROTATE_SLB_ENDPOINT=" + d.url, "ROTATE_OSS_ENDPOINT=" + d.url, "ROTATE_ELB_ENDPOINT=" + d.url, "ROTATE_CAS_ENDPOINT=" + d.url, "ROTATE_ALB_ENDPOINT=" + d.url,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + fakecore.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + fakecore.DefaultAccessKeySecret,
		"HUAWEICLOUD_SDK_AK=" + fakecore.DefaultAccessKeyID, "HUAWEICLOUD_SDK_SK=" + fakecore.DefaultAccessKeySecret,
		"HUAWEICLOUD_SDK_PROJECT_ID=" + fakecloud.DemoHuaweiProject,
	}
	fmt.Fprintf(d.out, "emulator at %s (Alibaba SLB, CAS and OSS, AWS S3, Huawei ELB), seeded with listeners\n", d.url)
	fmt.Fprintln(d.out, "serving certificates that expire in 5 days; targets: every SLB listener of cn-hangzhou,")
	fmt.Fprintln(d.out, "and the Huawei ELB listener demo-web-https (default certificate and its api.example.com SNI certificate),")
	fmt.Fprintln(d.out, "and the ALB listener lsn-demoweb443 (default certificate and its additional certificate for api.example.com)")
	return nil
}

// showState prints what each SLB, ALB and Huawei ELB listener serves, as the emulator has it now.
func (d *demo) showState() error {
	now := time.Now()
	for _, sec := range d.cloud.Snapshot().Sections(now) {
		if sec.Title != "Alibaba SLB (CLB) listeners" && sec.Title != "Alibaba ALB listeners" && sec.Title != "Huawei ELB listeners" {
			continue
		}
		fmt.Fprintln(d.out)
		if err := sec.Write(d.out); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) issue() error {
	// RSA: Alibaba CLB takes RSA certificates only.
	is, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "*.example.com"},
		NotBefore: d.now.Add(-time.Hour), NotAfter: d.now.AddDate(0, 0, 90), KeyType: certstest.RSA2048})
	if err != nil {
		return err
	}
	d.issued = is
	dir := filepath.Join(d.work, "live", "example.com")
	if err := writeLineage(dir, is); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%s: cert.pem chain.pem fullchain.pem privkey.pem, expires %s\n", dir, fakecloud.Expiry(is.Leaf.NotAfter, time.Now()))
	return nil
}

func (d *demo) uploadFullchain() error {
	return d.uploadAndRotate("upload1", "live/example.com/fullchain.pem", d.issued.FullchainPEM, "pending")
}

func (d *demo) uploadKey() error {
	return d.uploadAndRotate("upload2", "live/example.com/privkey.pem", d.issued.KeyPEM, "rotated")
}

func (d *demo) redeliver() error {
	rep, err := d.invokeReport("redelivery", filepath.Join(d.work, "events", "upload2.json"))
	if err != nil {
		return err
	}
	return expect(rep, "unchanged")
}

func (d *demo) webhook() error {
	secret := "whsec_ZGVtbyB3ZWJob29rIHNlY3JldCwgbm90IGZvciBwcm9kdWN0aW9u" // "demo webhook secret, not for production"
	d.env = append(d.env, "ROTATE_WEBHOOK_SECRET="+secret)
	// The CA's next renewal, a day later than the one in the bucket.
	is, err := certstest.New(certstest.Options{DNSNames: []string{"example.com", "*.example.com"},
		NotBefore: d.now.Add(-time.Hour), NotAfter: d.now.AddDate(0, 0, 91), KeyType: certstest.RSA2048})
	if err != nil {
		return err
	}
	dir := filepath.Join(d.work, "hook")
	if err := writeLineage(dir, is); err != nil {
		return err
	}
	signed := filepath.Join(d.work, "events", "webhook-signed.json")
	out, err := d.command("sign", filepath.Join(d.bin, "rotate"), "sign", "--certificate", filepath.Join(dir, "fullchain.pem"),
		"--private-key", filepath.Join(dir, "privkey.pem"), "--name", "example.com", "--event", "fc")
	if err != nil {
		return err
	}
	if err := os.WriteFile(signed, out, 0o600); err != nil {
		return err
	}
	forged, err := forge(out)
	if err != nil {
		return err
	}
	forgedPath := filepath.Join(d.work, "events", "webhook-forged.json")
	if err := os.WriteFile(forgedPath, forged, 0o600); err != nil {
		return err
	}
	fmt.Fprintln(d.out, "rotate sign --event fc: a Function Compute HTTP trigger event, signed with ROTATE_WEBHOOK_SECRET")
	for _, call := range []struct {
		name, path string
		status     int
	}{{"webhook-forged", forgedPath, http.StatusUnauthorized}, {"webhook-signed", signed, http.StatusOK}} {
		ans, err := d.invokeHTTP(call.name, call.path)
		if err != nil {
			return err
		}
		var body struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal([]byte(ans.Body), &body)
		if body.Error != "" {
			fmt.Fprintf(d.out, "%s: HTTP %d  %s\n", call.name, ans.StatusCode, body.Error)
		} else {
			fmt.Fprintf(d.out, "%s: HTTP %d\n", call.name, ans.StatusCode)
		}
		if ans.StatusCode != call.status {
			return fmt.Errorf("%s answered %d, want %d: %s", call.name, ans.StatusCode, call.status, ans.Body)
		}
		if call.status == http.StatusOK {
			var rep report.Report
			if err := json.Unmarshal([]byte(ans.Body), &rep); err != nil {
				return fmt.Errorf("%s: %w", call.name, err)
			}
			d.printReport(&rep)
			if err := expect(&rep, "rotated"); err != nil {
				return err
			}
			d.reports = append(d.reports, &rep)
		}
	}
	fmt.Fprintln(d.out, "\nAfter the webhook (the report just above, applied):")
	return d.showState()
}

func (d *demo) notify() error {
	last := d.reports[len(d.reports)-1]
	path := filepath.Join(d.work, "last.report.json")
	b, err := json.MarshalIndent(last, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	// The emulator's fake robots (/_fake/chat/) check each vendor's signature and keep what they accept.
	if _, err := d.admin(http.MethodPut, "/_fake/chat/secrets",
		`{"dingtalk":"SECdemo-dingtalk-secret-not-real","feishu":"demo-feishu-secret-not-real"}`); err != nil {
		return err
	}
	env := append(d.env,
		"NOTIFY_DINGTALK_WEBHOOK="+d.url+"/_fake/chat/dingtalk?access_token=demo", "NOTIFY_DINGTALK_SECRET=SECdemo-dingtalk-secret-not-real",
		"NOTIFY_FEISHU_WEBHOOK="+d.url+"/_fake/chat/feishu/demo-hook", "NOTIFY_FEISHU_SECRET=demo-feishu-secret-not-real",
		"NOTIFY_WECOM_WEBHOOK="+d.url+"/_fake/chat/wecom?key=demo", "NOTIFY_SLACK_WEBHOOK="+d.url+"/_fake/chat/slack/T0DEMO/B0DEMO/demo")
	out, code, err := d.invoke("notify", filepath.Join(d.bin, "notify"), path, env)
	if err != nil {
		return err
	}
	var ans struct {
		Status        string `json:"status"`
		Notifications []struct {
			Channels []struct {
				Channel, Status, Error string
			} `json:"channels"`
		} `json:"notifications"`
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		return fmt.Errorf("notify answered %s: %w", out, err)
	}
	fmt.Fprintf(d.out, "notify: %s (exit %d)\n", ans.Status, code)
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	for _, n := range ans.Notifications {
		for _, c := range n.Channels {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Channel, c.Status, c.Error)
		}
	}
	_ = tw.Flush()
	if ans.Status != "sent" {
		return fmt.Errorf("notify: %s, want sent", ans.Status)
	}
	msgs, err := d.admin(http.MethodGet, "/_fake/chat/messages?format=text", "")
	if err != nil {
		return err
	}
	path = filepath.Join(d.work, "robots.txt")
	if err := os.WriteFile(path, []byte(msgs), 0o644); err != nil {
		return err
	}
	first := msgs
	if i := strings.Index(msgs[min(len(msgs), 4):], "\n── "); i >= 0 { // the robots' text separates messages by "── <channel> …" lines
		first = msgs[:i+4+1]
	}
	fmt.Fprintf(d.out, "\nWhat the first robot received (all four are in %s):\n%s", path, first)
	return nil
}

// --- helpers ----------------------------------------------------------------------------------

// uploadAndRotate puts one file into the OSS bucket, as a certbot deploy hook with ossutil would,
// writes the OSS trigger's event for it, runs rotate on it and checks the report's status.
func (d *demo) uploadAndRotate(name, key string, data []byte, want string) error {
	d.cloud.Objects().Put("oss", fakecloud.DemoBucket, key, data)
	fmt.Fprintf(d.out, "put oss://%s/%s (%d bytes)\n", fakecloud.DemoBucket, key, len(data))
	path := filepath.Join(d.work, "events", name+".json")
	if err := os.WriteFile(path, ossEvent(fakecloud.DemoBucket, key, time.Now()), 0o644); err != nil {
		return err
	}
	rep, err := d.invokeReport(name, path)
	if err != nil {
		return err
	}
	return expect(rep, want)
}

// ossEvent is the Function Compute OSS trigger's event for an upload of key.
func ossEvent(bucket, key string, at time.Time) []byte {
	ev := map[string]any{"events": []any{map[string]any{
		"eventName": "ObjectCreated:PutObject", "eventSource": "acs:oss", "eventVersion": "1.0",
		"eventTime": at.UTC().Format("2006-01-02T15:04:05.000Z"), "region": fakecloud.DemoRegion,
		"oss": map[string]any{
			"bucket":           map[string]any{"arn": "acs:oss:" + fakecloud.DemoRegion + ":1234567890:" + bucket, "name": bucket, "ownerIdentity": "1234567890"},
			"object":           map[string]any{"key": key, "size": 1, "eTag": "demo"},
			"ossSchemaVersion": "1.0", "ruleId": "demo",
		},
		"requestParameters": map[string]any{"sourceIPAddress": "127.0.0.1"},
		"responseElements":  map[string]any{"requestId": "demo"},
		"userIdentity":      map[string]any{"principalId": "1234567890"},
	}}}
	b, _ := json.MarshalIndent(ev, "", "  ") // plain maps always marshal
	return b
}

// invokeReport runs rotate on an event file and prints the report it answered.
func (d *demo) invokeReport(name, event string) (*report.Report, error) {
	out, code, err := d.invoke(name, filepath.Join(d.bin, "rotate"), event, d.env)
	if err != nil {
		return nil, err
	}
	var rep report.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("rotate answered %q (exit %d): %w", out, code, err)
	}
	d.printReport(&rep)
	fmt.Fprintf(d.out, "exit code %d; the report is %s/%s.report.json\n", code, d.work, name)
	d.reports = append(d.reports, &rep)
	return &rep, nil
}

// invokeHTTP runs rotate on an HTTP trigger event and returns the HTTP answer.
func (d *demo) invokeHTTP(name, event string) (*httpAnswer, error) {
	out, code, err := d.invoke(name, filepath.Join(d.bin, "rotate"), event, d.env)
	if err != nil {
		return nil, err
	}
	var ans httpAnswer
	if err := json.Unmarshal(out, &ans); err != nil || ans.StatusCode == 0 {
		return nil, fmt.Errorf("rotate answered %q (exit %d), not an HTTP answer", out, code)
	}
	return &ans, nil
}

type httpAnswer struct {
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
}

// invoke runs `BIN invoke --event FILE`, keeps its answer in NAME.report.json and its log in
// NAME.log, and returns the answer and the exit code. Only a failure to run at all is an error.
func (d *demo) invoke(name, bin, event string, env []string) ([]byte, int, error) {
	cmd := exec.Command(bin, "invoke", "--event", event)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	_ = os.WriteFile(filepath.Join(d.work, name+".log"), stderr.Bytes(), 0o644)
	_ = os.WriteFile(filepath.Join(d.work, name+".report.json"), stdout.Bytes(), 0o644)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		if stdout.Len() == 0 {
			return nil, ee.ExitCode(), fmt.Errorf("%s exited %d with no answer: %s", filepath.Base(bin), ee.ExitCode(), strings.TrimSpace(stderr.String()))
		}
		return stdout.Bytes(), ee.ExitCode(), nil
	case err != nil:
		return nil, 0, err
	}
	return stdout.Bytes(), 0, nil
}

// command runs a command of ours and returns its stdout.
func (d *demo) command(name, bin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = d.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// printReport shows a report as the demo's tables do: the status, then one line per target.
func (d *demo) printReport(rep *report.Report) {
	line := "report: " + rep.Status
	if rep.Reason != "" {
		line += "  (" + rep.Reason + ")"
	}
	if rep.Error != "" {
		line += "  error: " + rep.Error
	}
	fmt.Fprintln(d.out, line)
	if len(rep.Targets) == 0 {
		return
	}
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TARGET\tSTATUS\tCERTIFICATE / REASON")
	for _, t := range rep.Targets {
		detail := t.CertificateID
		if t.PreviousCertificateID != "" {
			detail += " (was " + t.PreviousCertificateID + ")"
		}
		for _, s := range []string{t.Reason, t.Error} {
			if s != "" {
				detail = strings.TrimSpace(detail + " " + s)
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.Name, t.Status, detail)
	}
	_ = tw.Flush()
}

func expect(rep *report.Report, status string) error {
	if rep.Status != status {
		return fmt.Errorf("the report says %s, the story wants %s (error %q)", rep.Status, status, rep.Error)
	}
	return nil
}

// forge replaces the signature of a signed HTTP event by one no key made.
func forge(event []byte) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, fmt.Errorf("rotate sign printed %q: %w", event, err)
	}
	headers, ok := ev["headers"].(map[string]any)
	if !ok {
		return nil, errors.New("rotate sign printed an event without headers")
	}
	for k := range headers {
		if strings.EqualFold(k, "webhook-signature") {
			headers[k] = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		}
	}
	return json.MarshalIndent(ev, "", "  ")
}

func (d *demo) admin(method, path, body string) (string, error) {
	req, err := http.NewRequest(method, d.url+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	return string(b), nil
}

func writeLineage(dir string, is *certstest.Issued) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"cert.pem": is.CertPEM, "chain.pem": is.ChainPEM,
		"fullchain.pem": is.FullchainPEM, "privkey.pem": is.KeyPEM} {
		mode := os.FileMode(0o644)
		if name == "privkey.pem" {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, mode); err != nil {
			return err
		}
	}
	return nil
}

// audit runs the daily audit on the command line (`rotate audit --html`), prints what it found,
// and checks the story: after the rotation every place is ok but the seeded listener that serves
// other names, which still has days, not months, left.
func (d *demo) audit() error {
	page := filepath.Join(d.work, "audit.html")
	cmd := exec.Command(filepath.Join(d.bin, "rotate"), "audit", "--html", page)
	cmd.Env = d.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	_ = os.WriteFile(filepath.Join(d.work, "audit.log"), stderr.Bytes(), 0o644)
	_ = os.WriteFile(filepath.Join(d.work, "audit.report.json"), stdout.Bytes(), 0o644)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err
	}
	var rep report.Audit
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		return fmt.Errorf("rotate audit: %v (%v): %s", jerr, err, strings.TrimSpace(stderr.String()))
	}
	code := 0
	if ee != nil {
		code = ee.ExitCode()
	}
	fmt.Fprintf(d.out, "rotate audit --html %s   (exit %d: %s; flagged under %d days left)\n\n", page, code, rep.Status, rep.Days)
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "status\tdays left\tplace\tcertificate\t")
	expiring := 0
	for _, p := range rep.Places {
		days := "-"
		if p.DaysLeft != nil {
			days = fmt.Sprint(*p.DaysLeft)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", p.Status, days, p.Name, strings.Join(p.DNSNames, ", "))
		switch p.Status {
		case report.PlaceExpiring:
			expiring++
		case report.PlaceOK:
		default:
			return fmt.Errorf("place %s is %s (%s): the demo expects ok or expiring", p.Name, p.Status, p.Reason)
		}
	}
	_ = tw.Flush()
	if expiring != 1 || rep.Status != report.AuditAttention || code != 1 {
		return fmt.Errorf("the audit found %d expiring places (status %s, exit %d); the demo expects exactly one", expiring, rep.Status, code)
	}
	fmt.Fprintf(d.out, "\nOne place needs a person: it serves other names, so no rotation of example.com touched it.\n")
	fmt.Fprintf(d.out, "The page: %s (open it in a browser). The report: %s/audit.report.json\n", page, d.work)
	return nil
}

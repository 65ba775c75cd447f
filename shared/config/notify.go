package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/webhook"
)

// The values of NOTIFY_ON.
const (
	NotifyOnChanges  = "changes"  // rotated, partial, failed, dry_run
	NotifyOnFailures = "failures" // partial, failed
	NotifyOnAll      = "all"      // every report, unchanged and pending included
)

// Notify is the configuration of the notify function (the NOTIFY_* variables).
type Notify struct {
	Secret string `envconfig:"NOTIFY_SECRET"`
	// AcceptGitHub accepts a GitHub-style X-Hub-Signature-256 alone (no replay protection).
	AcceptGitHub bool   `envconfig:"NOTIFY_ACCEPT_GITHUB"`
	On           string `envconfig:"NOTIFY_ON" default:"changes"`
	Lang         string `envconfig:"NOTIFY_LANG" default:"en"`

	DingTalkWebhook string `envconfig:"NOTIFY_DINGTALK_WEBHOOK"`
	DingTalkSecret  string `envconfig:"NOTIFY_DINGTALK_SECRET"`
	FeishuWebhook   string `envconfig:"NOTIFY_FEISHU_WEBHOOK"`
	FeishuSecret    string `envconfig:"NOTIFY_FEISHU_SECRET"`
	WeComWebhook    string `envconfig:"NOTIFY_WECOM_WEBHOOK"`
	SlackWebhook    string `envconfig:"NOTIFY_SLACK_WEBHOOK"`
	WebhookURL      string `envconfig:"NOTIFY_WEBHOOK_URL"`
	WebhookSecret   string `envconfig:"NOTIFY_WEBHOOK_SECRET"`

	SMTPHost     string `envconfig:"NOTIFY_SMTP_HOST"`
	SMTPPort     int    `envconfig:"NOTIFY_SMTP_PORT" default:"587"`
	SMTPUsername string `envconfig:"NOTIFY_SMTP_USERNAME"`
	SMTPPassword string `envconfig:"NOTIFY_SMTP_PASSWORD"`
	SMTPFrom     string `envconfig:"NOTIFY_SMTP_FROM"`
	SMTPTo       string `envconfig:"NOTIFY_SMTP_TO"`

	// How long one delivery attempt may take, and how many attempts a channel gets.
	Timeout  time.Duration `envconfig:"NOTIFY_TIMEOUT" default:"10s"`
	Attempts int           `envconfig:"NOTIFY_ATTEMPTS" default:"3"`

	// To is NOTIFY_SMTP_TO split on commas, each a bare address.
	To []string `ignored:"true"`
}

// LoadNotify reads and validates the environment. Its error lists every problem, one per line.
func LoadNotify() (*Notify, error) {
	var c Notify
	problems, bad := process(&c)
	for _, p := range c.validate() {
		if name, _, _ := strings.Cut(p.Error(), ":"); !bad[name] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return &c, nil
}

// Channels names the configured channels, in a fixed order.
func (c *Notify) Channels() []string {
	var out []string
	for _, ch := range []struct {
		name string
		on   bool
	}{
		{"dingtalk", c.DingTalkWebhook != ""}, {"feishu", c.FeishuWebhook != ""}, {"wecom", c.WeComWebhook != ""},
		{"slack", c.SlackWebhook != ""}, {"webhook", c.WebhookURL != ""}, {"email", c.SMTPHost != ""},
	} {
		if ch.on {
			out = append(out, ch.name)
		}
	}
	return out
}

func (c *Notify) validate() []error {
	var problems []error
	add := func(format string, a ...any) { problems = append(problems, fmt.Errorf(format, a...)) }
	switch c.On {
	case NotifyOnChanges, NotifyOnFailures, NotifyOnAll:
	default:
		add("NOTIFY_ON: %q is not changes, failures or all", c.On)
	}
	if c.Lang != "en" && c.Lang != "zh" {
		add("NOTIFY_LANG: %q is not en or zh", c.Lang)
	}
	if c.Secret != "" {
		if _, err := webhook.Key(c.Secret); err != nil {
			add("NOTIFY_SECRET: %v", err)
		}
	}
	// Webhook URLs carry their token: a problem names the variable, never quotes the URL.
	checkURL := func(name, v, query string) {
		if v == "" {
			return
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			add("%s: is not an http:// or https:// URL", name)
			return
		}
		if query != "" && u.Query().Get(query) == "" {
			add("%s: has no %s query parameter (copy the whole URL the robot settings show)", name, query)
		}
	}
	checkURL("NOTIFY_DINGTALK_WEBHOOK", c.DingTalkWebhook, "access_token")
	checkURL("NOTIFY_FEISHU_WEBHOOK", c.FeishuWebhook, "")
	checkURL("NOTIFY_WECOM_WEBHOOK", c.WeComWebhook, "key")
	checkURL("NOTIFY_SLACK_WEBHOOK", c.SlackWebhook, "")
	checkURL("NOTIFY_WEBHOOK_URL", c.WebhookURL, "")
	for _, p := range []struct{ secret, hook, secretName, hookName string }{
		{c.DingTalkSecret, c.DingTalkWebhook, "NOTIFY_DINGTALK_SECRET", "NOTIFY_DINGTALK_WEBHOOK"},
		{c.FeishuSecret, c.FeishuWebhook, "NOTIFY_FEISHU_SECRET", "NOTIFY_FEISHU_WEBHOOK"},
		{c.WebhookSecret, c.WebhookURL, "NOTIFY_WEBHOOK_SECRET", "NOTIFY_WEBHOOK_URL"},
	} {
		if p.secret != "" && p.hook == "" {
			add("%s: set without %s", p.secretName, p.hookName)
		}
	}
	if c.WebhookURL != "" {
		if c.WebhookSecret == "" {
			add("NOTIFY_WEBHOOK_SECRET: required when NOTIFY_WEBHOOK_URL is set (the report is signed)")
		} else if _, err := webhook.Key(c.WebhookSecret); err != nil {
			add("NOTIFY_WEBHOOK_SECRET: %v", err)
		}
	}
	problems = append(problems, c.validateSMTP()...)
	if c.Timeout <= 0 || c.Timeout > 5*time.Minute {
		add("NOTIFY_TIMEOUT: %v is not between 0 and 5m", c.Timeout)
	}
	if c.Attempts < 1 || c.Attempts > 10 {
		add("NOTIFY_ATTEMPTS: %d is not between 1 and 10", c.Attempts)
	}
	if len(c.Channels()) == 0 {
		add("no channel configured: set at least one of NOTIFY_DINGTALK_WEBHOOK, NOTIFY_FEISHU_WEBHOOK, " +
			"NOTIFY_WECOM_WEBHOOK, NOTIFY_SLACK_WEBHOOK, NOTIFY_WEBHOOK_URL, NOTIFY_SMTP_HOST")
	}
	return problems
}

func (c *Notify) validateSMTP() []error {
	var problems []error
	add := func(format string, a ...any) { problems = append(problems, fmt.Errorf(format, a...)) }
	if c.SMTPHost == "" {
		for _, v := range [][2]string{{"NOTIFY_SMTP_USERNAME", c.SMTPUsername}, {"NOTIFY_SMTP_PASSWORD", c.SMTPPassword},
			{"NOTIFY_SMTP_FROM", c.SMTPFrom}, {"NOTIFY_SMTP_TO", c.SMTPTo}} {
			if v[1] != "" {
				add("%s: set without NOTIFY_SMTP_HOST", v[0])
			}
		}
		return problems
	}
	if strings.ContainsAny(c.SMTPHost, ":/ \r\n") {
		add("NOTIFY_SMTP_HOST: %q is not a host name (give the port in NOTIFY_SMTP_PORT)", c.SMTPHost)
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		add("NOTIFY_SMTP_PORT: %d is not a port", c.SMTPPort)
	}
	if (c.SMTPUsername == "") != (c.SMTPPassword == "") {
		add("NOTIFY_SMTP_USERNAME, NOTIFY_SMTP_PASSWORD: set both or neither")
	}
	if c.SMTPFrom == "" {
		add("NOTIFY_SMTP_FROM: required when NOTIFY_SMTP_HOST is set")
	} else if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || strings.ContainsAny(a.Address, "\r\n") {
		add("NOTIFY_SMTP_FROM: %q is not an e-mail address", c.SMTPFrom)
	}
	c.To = nil
	for _, part := range strings.Split(c.SMTPTo, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, err := mail.ParseAddress(part)
		if err != nil || strings.ContainsAny(a.Address, "\r\n") {
			add("NOTIFY_SMTP_TO: %q is not an e-mail address", part)
			continue
		}
		c.To = append(c.To, a.Address)
	}
	if len(c.To) == 0 && c.SMTPTo == "" {
		add("NOTIFY_SMTP_TO: required when NOTIFY_SMTP_HOST is set (comma-separated addresses)")
	}
	return problems
}

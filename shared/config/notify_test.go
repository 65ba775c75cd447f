package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadNotifyDefaults(t *testing.T) {
	t.Setenv("NOTIFY_SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/X")
	c, err := LoadNotify()
	if err != nil {
		t.Fatal(err)
	}
	if c.On != NotifyOnChanges || c.Lang != "en" || c.SMTPPort != 587 || c.Timeout != 10*time.Second || c.Attempts != 3 ||
		strings.Join(c.Channels(), ",") != "slack" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadNotifyEveryChannel(t *testing.T) {
	for k, v := range map[string]string{
		"NOTIFY_SECRET":           "whsec_" + "c2VjcmV0",
		"NOTIFY_ON":               "all",
		"NOTIFY_LANG":             "zh",
		"NOTIFY_DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send?access_token=abc",
		"NOTIFY_DINGTALK_SECRET":  "SECabc",
		"NOTIFY_FEISHU_WEBHOOK":   "https://open.feishu.cn/open-apis/bot/v2/hook/abc",
		"NOTIFY_FEISHU_SECRET":    "abc",
		"NOTIFY_WECOM_WEBHOOK":    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
		"NOTIFY_SLACK_WEBHOOK":    "https://hooks.slack.com/services/T0/B0/X",
		"NOTIFY_WEBHOOK_URL":      "https://hooks.example.com/certs",
		"NOTIFY_WEBHOOK_SECRET":   "plain secret",
		"NOTIFY_SMTP_HOST":        "smtp.example.com",
		"NOTIFY_SMTP_PORT":        "465",
		"NOTIFY_SMTP_USERNAME":    "u",
		"NOTIFY_SMTP_PASSWORD":    "p",
		"NOTIFY_SMTP_FROM":        "Cert Rotate <certs@example.com>",
		"NOTIFY_SMTP_TO":          "ops@example.com, Oncall <oncall@example.com>",
	} {
		t.Setenv(k, v)
	}
	c, err := LoadNotify()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Channels(), ",") != "dingtalk,feishu,wecom,slack,webhook,email" || strings.Join(c.To, ",") != "ops@example.com,oncall@example.com" || c.SMTPPort != 465 {
		t.Fatalf("%+v", c)
	}
}

func TestLoadNotifyListsEveryProblem(t *testing.T) {
	for k, v := range map[string]string{
		"NOTIFY_ON":               "sometimes",
		"NOTIFY_LANG":             "fr",
		"NOTIFY_SECRET":           "whsec_!!",
		"NOTIFY_DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send?token-secret-value",
		"NOTIFY_FEISHU_SECRET":    "abc",
		"NOTIFY_WECOM_WEBHOOK":    "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
		"NOTIFY_WEBHOOK_URL":      "https://hooks.example.com/certs",
		"NOTIFY_SMTP_HOST":        "smtp.example.com:587",
		"NOTIFY_SMTP_PORT":        "x",
		"NOTIFY_SMTP_USERNAME":    "u",
		"NOTIFY_SMTP_TO":          "ops@example.com, not an address",
		"NOTIFY_ATTEMPTS":         "0",
	} {
		t.Setenv(k, v)
	}
	_, err := LoadNotify()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`NOTIFY_ON: "sometimes" is not changes, failures or all`,
		`NOTIFY_LANG: "fr" is not en or zh`,
		"NOTIFY_SECRET: webhook secret: starts with whsec_",
		"NOTIFY_DINGTALK_WEBHOOK: has no access_token query parameter",
		"NOTIFY_FEISHU_SECRET: set without NOTIFY_FEISHU_WEBHOOK",
		"NOTIFY_WECOM_WEBHOOK: is not an http:// or https:// URL",
		"NOTIFY_WEBHOOK_SECRET: required when NOTIFY_WEBHOOK_URL is set",
		"NOTIFY_SMTP_HOST: \"smtp.example.com:587\" is not a host name",
		`NOTIFY_SMTP_PORT: "x" is not a whole number`,
		"NOTIFY_SMTP_USERNAME, NOTIFY_SMTP_PASSWORD: set both or neither",
		"NOTIFY_SMTP_FROM: required",
		`NOTIFY_SMTP_TO: "not an address" is not an e-mail address`,
		"NOTIFY_ATTEMPTS: 0 is not between 1 and 10",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not list %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "token-secret-value") || strings.Contains(err.Error(), "key=abc") {
		t.Errorf("the error quotes a webhook URL:\n%v", err)
	}
}

func TestLoadNotifyNeedsAChannel(t *testing.T) {
	_, err := LoadNotify()
	if err == nil || !strings.Contains(err.Error(), "no channel configured") {
		t.Fatalf("err %v", err)
	}
}

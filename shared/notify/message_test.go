package notify

import (
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/report"
)

func TestMessageTextReadsInFiveSeconds(t *testing.T) {
	m := NewMessage(partialReport(t), "en", fixedNow)
	got := m.Text()
	want := strings.Join([]string{
		"⚠️ Partially rotated · example.com",
		"Certificate example.com, *.example.com · expires 2026-08-18 (in 89 days)",
		"Targets 1 rotated · 1 failed · 1 unchanged · 1 skipped",
		"- failed shanghai-api: SetLoadBalancerHTTPSListenerAttribute: Throttling.User: Request was denied due to user flow control.",
		"- rotated hangzhou-web → 1234567890123456_18f2c3a4b5c_1234567_cn-hangzhou (was 1234567890123456_17a0b1c2d3e_7654321_cn-hangzhou)",
		"- unchanged elb-www",
		"- skipped beijing-legacy: serves legacy.example.net, which this certificate does not cover",
		"Run 5f0c2a9e7b1d4c3a8e6f0b2d4a6c8e10 · source oss cert-drop/live/example.com/privkey.pem · 2026-05-20 08:30 UTC",
	}, "\n")
	if got != want {
		t.Fatalf("text:\n%s\nwant:\n%s", got, want)
	}
	if !strings.HasPrefix(got, m.Emoji()+" "+m.StatusWord()) {
		t.Fatal("the status does not come first")
	}
}

func TestMessageChinese(t *testing.T) {
	got := NewMessage(partialReport(t), "zh", fixedNow).Text()
	for _, want := range []string{"⚠️ 部分失败 · example.com", "证书 example.com, *.example.com · 2026-08-18 到期（剩 89 天）",
		"目标 1 已轮换 · 1 失败 · 1 未变 · 1 跳过", "- 失败 shanghai-api: ", "运行 5f0c2a9e"} {
		if !strings.Contains(got, want) {
			t.Errorf("zh text lacks %q:\n%s", want, got)
		}
	}
}

func TestMessageMarkupEscapes(t *testing.T) {
	m := NewMessage(partialReport(t), "en", fixedNow)
	md := m.Markdown()
	for _, want := range []string{"**⚠️ Partially rotated · example.com**", "`example.com, *.example.com`", "- **failed** `shanghai-api`: "} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	ding := m.render(dingTalkStyle, true)
	if !strings.HasPrefix(ding, "### ⚠️ Partially rotated") || !strings.Contains(ding, `example.com, \*.example.com`) || !strings.Contains(ding, "\n\n- **failed**") {
		t.Errorf("dingtalk markdown:\n%s", ding)
	}
	rep := partialReport(t)
	rep.Targets[1].Error = "denied <script> & co"
	slack := NewMessage(rep, "en", fixedNow).render(slackStyle, true)
	if !strings.Contains(slack, "denied &lt;script&gt; &amp; co") || !strings.HasPrefix(slack, "*⚠️ Partially rotated · example.com*") {
		t.Errorf("slack mrkdwn:\n%s", slack)
	}
}

func TestMessageNeverSaysSuccessAfterAFailure(t *testing.T) {
	for _, tc := range []struct {
		report, want string
		targets      []string
	}{
		{report.Rotated, report.Partial, []string{report.TargetRotated, report.TargetFailed}},
		{report.Unchanged, report.Failed, []string{report.TargetUnchanged, report.TargetFailed}},
		{report.DryRun, report.Failed, []string{report.TargetFailed}},
		{report.Rotated, report.Rotated, []string{report.TargetRotated, report.TargetSkipped}},
		{report.Pending, report.Pending, nil},
	} {
		rep := &report.Report{ID: "x", Status: tc.report}
		for _, s := range tc.targets {
			rep.Targets = append(rep.Targets, report.Target{Name: "t", Status: s})
		}
		if got := EffectiveStatus(rep); got != tc.want {
			t.Errorf("%s with %v: shown as %s, want %s", tc.report, tc.targets, got, tc.want)
		}
	}
}

func TestMessageDetails(t *testing.T) {
	soon := &report.Report{ID: "r1", Status: report.Rotated, FinishedAt: "2026-05-21T00:00:00Z",
		Certificate: &certs.Info{CommonName: "a.example.com", DNSNames: []string{"a", "b", "c", "d", "e", "f", "g"}, NotAfter: "2026-05-26T00:00:00Z"},
		Targets:     []report.Target{{Name: "t", Status: report.TargetRotated}}}
	got := NewMessage(soon, "en", fixedNow).Text()
	if !strings.Contains(got, "a, b, c, d, e +2") || !strings.Contains(got, "(in 5 days) ⚠️") {
		t.Errorf("names or soon expiry:\n%s", got)
	}
	pending := &report.Report{ID: "r2", Status: report.Pending, Reason: "the key is not uploaded yet", Source: report.Source{Kind: "oss", Bucket: "b", Key: "k/fullchain.pem"}}
	if got := NewMessage(pending, "en", fixedNow).Text(); !strings.Contains(got, "⏳ Pending · k/fullchain.pem") || !strings.Contains(got, "Waiting the key is not uploaded yet") {
		t.Errorf("pending:\n%s", got)
	}
	many := &report.Report{ID: "r3", Status: report.Rotated}
	for range maxTargets + 3 {
		many.Targets = append(many.Targets, report.Target{Name: "t", Status: report.TargetRotated})
	}
	if got := NewMessage(many, "en", fixedNow).Text(); !strings.Contains(got, "… and 3 more") || strings.Count(got, "\n- rotated t") != maxTargets {
		t.Errorf("many targets:\n%s", got)
	}
}

func TestMessageNeverCarriesKeyMaterial(t *testing.T) {
	pem := "-----BEGIN " + "EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END " + "EC PRIVATE KEY-----"
	rep := &report.Report{ID: "r", Status: report.Failed, Error: "bad key: " + pem,
		Targets: []report.Target{{Name: "t", Status: report.TargetFailed, Error: "echo " + pem}}}
	m := NewMessage(rep, "en", fixedNow)
	for _, out := range []string{m.Text(), m.Markdown(), m.render(slackStyle, true), m.render(dingTalkStyle, true)} {
		assertNoSecrets(t, out, "MHcCAQEEIB")
	}
}

func TestWants(t *testing.T) {
	all := []string{report.Rotated, report.Partial, report.Failed, report.DryRun, report.Unchanged, report.Pending, report.Skipped}
	for _, tc := range []struct {
		on   string
		want []string
	}{
		{config.NotifyOnChanges, []string{report.Rotated, report.Partial, report.Failed, report.DryRun, report.Skipped}},
		{config.NotifyOnFailures, []string{report.Partial, report.Failed}},
		{config.NotifyOnAll, all},
	} {
		t.Run(tc.on, func(t *testing.T) {
			for _, status := range all {
				want := strings.Contains(" "+strings.Join(tc.want, " ")+" ", " "+status+" ")
				if got := Wants(tc.on, status); got != want {
					t.Errorf("Wants(%s, %s) = %v, want %v", tc.on, status, got, want)
				}
			}
		})
	}
}

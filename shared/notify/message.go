package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certrotate/certrotate/shared/report"
)

// Message is what one report tells people, in one language: status first, then the
// certificate and its expiry, one line per target, the run id. It is built from the report
// alone, which never holds key material.
type Message struct {
	Report *report.Report
	Lang   string    // "en" or "zh"
	Status string    // the run status shown: the report's, made worse when a target failed
	Now    time.Time // when the message was built, for "expires in N days"
	Note   string    // what the platform said when rotate did not finish (destination records)
}

// maxTargets is how many target lines a message lists before "… and N more".
const maxTargets = 25

// maxReason bounds one reason or error line, in runes.
const maxReason = 300

// NewMessage builds the message for rep in lang ("en" or "zh") at now.
func NewMessage(rep *report.Report, lang string, now time.Time) *Message {
	if lang != "zh" {
		lang = "en"
	}
	return &Message{Report: rep, Lang: lang, Status: EffectiveStatus(rep), Now: now}
}

// EffectiveStatus is the run status to show. A report that says rotated, unchanged or dry_run
// while a target failed is shown as partial (or failed, when nothing rotated): a message never
// says "success" after a step failed.
func EffectiveStatus(rep *report.Report) string {
	s := rep.Status
	if s != report.Rotated && s != report.Unchanged && s != report.DryRun && s != report.Skipped {
		return s
	}
	var rotated, failed int
	for _, t := range rep.Targets {
		switch t.Status {
		case report.TargetRotated:
			rotated++
		case report.TargetFailed:
			failed++
		}
	}
	switch {
	case failed > 0 && rotated > 0:
		return report.Partial
	case failed > 0:
		return report.Failed
	}
	return s
}

var statusWords = map[string][2]string{ // en, zh
	report.Rotated:   {"Rotated", "已轮换"},
	report.Partial:   {"Partially rotated", "部分失败"},
	report.Failed:    {"Failed", "失败"},
	report.DryRun:    {"Dry run", "演练（未改动）"},
	report.Unchanged: {"Unchanged", "无变化"},
	report.Skipped:   {"Skipped: no target took the certificate", "已跳过：没有目标接受此证书"},
	report.Pending:   {"Pending", "等待中"},
}

var statusEmoji = map[string]string{
	report.Rotated: "✅", report.Partial: "⚠️", report.Failed: "❌", report.DryRun: "🧪",
	report.Unchanged: "➖", report.Pending: "⏳", report.Skipped: "⏭️",
}

var targetWords = map[string][2]string{
	report.TargetRotated:     {"rotated", "已轮换"},
	report.TargetUnchanged:   {"unchanged", "未变"},
	report.TargetSkipped:     {"skipped", "跳过"},
	report.TargetFailed:      {"failed", "失败"},
	report.TargetWouldRotate: {"would rotate", "将轮换"},
}

var phrases = map[string][2]string{
	"certificate": {"Certificate", "证书"},
	"expires":     {"expires %s (in %d days)", "%s 到期（剩 %d 天）"},
	"expired":     {"expired %s", "已于 %s 过期"},
	"targets":     {"Targets", "目标"},
	"none":        {"no target takes this certificate", "没有目标使用此证书"},
	"more":        {"… and %d more", "… 另有 %d 个"},
	"error":       {"Error", "错误"},
	"waiting":     {"Waiting", "等待"},
	"run":         {"Run", "运行"},
	"source":      {"source", "来源"},
	"was":         {"was", "原"},
	"soon":        {"expires in %d days: renew it", "%d 天后到期，请续期"},
}

func (m *Message) word(table map[string][2]string, key string) string {
	w, ok := table[key]
	if !ok {
		return key
	}
	if m.Lang == "zh" {
		return w[1]
	}
	return w[0]
}

func (m *Message) phrase(key string, a ...any) string {
	f := m.word(phrases, key)
	if len(a) == 0 {
		return f
	}
	return fmt.Sprintf(f, a...)
}

// StatusWord is the run status in the message's language ("Rotated", "已轮换").
func (m *Message) StatusWord() string { return m.word(statusWords, m.Status) }

// Emoji marks the status at a glance.
func (m *Message) Emoji() string {
	if e, ok := statusEmoji[m.Status]; ok {
		return e
	}
	return "ℹ️"
}

// Subject names the certificate: its display name, else its common name, else the source object.
func (m *Message) Subject() string {
	r := m.Report
	if c := r.Certificate; c != nil {
		for _, s := range []string{c.Name, c.CommonName} {
			if s != "" {
				return oneLine(s, 80)
			}
		}
		if len(c.DNSNames) > 0 {
			return oneLine(c.DNSNames[0], 80)
		}
	}
	if r.Source.Key != "" {
		return oneLine(r.Source.Key, 80)
	}
	if r.Source.CASID != 0 {
		return fmt.Sprintf("CAS %d", r.Source.CASID)
	}
	return "certrotate"
}

// Title is the one-line summary: emoji, status, certificate.
func (m *Message) Title() string {
	return m.Emoji() + " " + m.StatusWord() + " · " + m.Subject()
}

// style renders the parts of a message in one markup dialect. Every part is given plain text
// (the message's own words, or text from outside: certificate names, bucket keys, target names,
// error texts) and escapes it with the channel's one escaper, esc, so no caller has to remember
// to and no outside text becomes a link, a mention, a heading or a tag (escape.go).
type style struct {
	esc     func(string) string // the channel's escaper, for free text
	heading func(string) string // the title line
	bold    func(string) string
	code    func(string) string // names and ids
	sep     string              // between lines
	bullet  string
}

func plain(s string) string { return s }

// textStyle is plain text: e-mail and the fallbacks. Plain text carries no markup to escape.
var textStyle = style{esc: plain, heading: plain, bold: plain, code: plain, sep: "\n", bullet: "- "}

// markdownStyle suits Feishu cards and WeCom, whose markdown has headings, bold and code spans.
var markdownStyle = style{
	esc:     escapeMarkdown,
	heading: func(s string) string { return "**" + escapeMarkdown(s) + "**" },
	bold:    func(s string) string { return "**" + escapeMarkdown(s) + "**" },
	code:    func(s string) string { return "`" + escapeCodeSpan(s) + "`" },
	sep:     "\n", bullet: "- ",
}

// dingTalkStyle is DingTalk's markdown: no code spans, and a line break needs a blank line.
// Only the characters that would start emphasis, a link, a heading or a tag are escaped: ids
// keep their '_'.
var dingTalkStyle = style{
	esc:     escapeDingTalk,
	heading: func(s string) string { return "### " + escapeDingTalk(s) },
	bold:    func(s string) string { return "**" + escapeDingTalk(s) + "**" },
	code:    escapeDingTalk,
	sep:     "\n\n", bullet: "- ",
}

// slackStyle is Slack mrkdwn: *bold*, `code`, and &, <, > escaped everywhere.
var slackStyle = style{
	esc:     slackEscape,
	heading: func(s string) string { return "*" + slackEscape(s) + "*" },
	bold:    func(s string) string { return "*" + slackEscape(s) + "*" },
	code:    func(s string) string { return "`" + slackEscape(strings.ReplaceAll(s, "`", "'")) + "`" },
	sep:     "\n", bullet: "• ",
}

// Text is the message as plain text.
func (m *Message) Text() string { return m.render(textStyle, true) }

// Markdown is the message in the markdown of Feishu cards and WeCom.
func (m *Message) Markdown() string { return m.render(markdownStyle, true) }

// render writes the message; withTitle false leaves out the title (a card header shows it).
func (m *Message) render(st style, withTitle bool) string {
	r := m.Report
	var lines []string
	if withTitle {
		lines = append(lines, st.heading(m.Title()))
	}
	if c := r.Certificate; c != nil {
		line := st.bold(m.phrase("certificate")) + " " + st.code(names(c.CommonName, c.DNSNames))
		if exp := m.expiry(); exp != "" {
			line += " · " + st.esc(exp)
		}
		lines = append(lines, line)
	}
	if m.Note != "" {
		lines = append(lines, st.esc(oneLine(m.Note, maxReason)))
	}
	if r.Error != "" {
		lines = append(lines, st.bold(m.phrase("error"))+" "+st.esc(oneLine(r.Error, maxReason)))
	}
	if r.Status == report.Pending && r.Reason != "" {
		lines = append(lines, st.bold(m.phrase("waiting"))+" "+st.esc(oneLine(r.Reason, maxReason)))
	}
	if len(r.Targets) > 0 {
		lines = append(lines, st.bold(m.phrase("targets"))+" "+st.esc(m.counts()))
		for i, t := range byUrgency(r.Targets) {
			if i == maxTargets {
				lines = append(lines, st.bullet+st.esc(m.phrase("more", len(r.Targets)-maxTargets)))
				break
			}
			lines = append(lines, st.bullet+m.targetLine(st, t))
		}
	} else if r.Status != report.Failed && r.Status != report.Pending {
		lines = append(lines, st.bold(m.phrase("targets"))+" "+st.esc(m.phrase("none")))
	}
	lines = append(lines, m.footer(st))
	return strings.Join(lines, st.sep)
}

// expiry says when the certificate expires, and how soon.
func (m *Message) expiry() string {
	c := m.Report.Certificate
	na, err := time.Parse(time.RFC3339, c.NotAfter)
	if err != nil {
		return ""
	}
	day := na.UTC().Format("2006-01-02")
	left := na.Sub(m.Now)
	if left < 0 {
		return m.phrase("expired", day)
	}
	days := int(left.Hours() / 24)
	s := m.phrase("expires", day, days)
	if days < 14 {
		s += " ⚠️"
	}
	return s
}

func (m *Message) counts() string {
	order := []string{report.TargetRotated, report.TargetWouldRotate, report.TargetFailed, report.TargetUnchanged, report.TargetSkipped}
	n := map[string]int{}
	for _, t := range m.Report.Targets {
		n[t.Status]++
	}
	var parts []string
	for _, s := range order {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], m.word(targetWords, s)))
		}
	}
	return strings.Join(parts, " · ")
}

// byUrgency orders targets failed first, then rotated, would rotate, unchanged, skipped.
func byUrgency(ts []report.Target) []report.Target {
	rank := map[string]int{report.TargetFailed: 0, report.TargetRotated: 1, report.TargetWouldRotate: 2, report.TargetUnchanged: 3, report.TargetSkipped: 4}
	out := slices.Clone(ts)
	slices.SortStableFunc(out, func(a, b report.Target) int {
		ra, oka := rank[a.Status]
		rb, okb := rank[b.Status]
		if !oka {
			ra = 5
		}
		if !okb {
			rb = 5
		}
		return ra - rb
	})
	return out
}

func (m *Message) targetLine(st style, t report.Target) string {
	line := st.bold(m.word(targetWords, t.Status)) + " " + st.code(oneLine(t.Name, 120))
	switch t.Status {
	case report.TargetRotated, report.TargetWouldRotate:
		if t.CertificateID != "" {
			line += " → " + st.code(oneLine(t.CertificateID, 80))
			if t.PreviousCertificateID != "" {
				line += " (" + st.esc(m.phrase("was")) + " " + st.code(oneLine(t.PreviousCertificateID, 80)) + ")"
			}
		}
	case report.TargetFailed:
		if why := firstOf(t.Error, t.Reason); why != "" {
			line += ": " + st.esc(oneLine(why, maxReason))
		}
	default:
		if t.Reason != "" {
			line += ": " + st.esc(oneLine(t.Reason, maxReason))
		}
	}
	return line
}

func (m *Message) footer(st style) string {
	r := m.Report
	parts := []string{st.esc(m.phrase("run")) + " " + st.code(oneLine(r.ID, 80))}
	if src := source(r.Source); src != "" {
		parts = append(parts, st.esc(m.phrase("source"))+" "+st.code(src))
	}
	if t, err := time.Parse(time.RFC3339, firstOf(r.FinishedAt, r.StartedAt)); err == nil {
		parts = append(parts, st.esc(t.UTC().Format("2006-01-02 15:04 UTC")))
	}
	return strings.Join(parts, " · ")
}

func source(s report.Source) string {
	switch {
	case s.Bucket != "" || s.Key != "":
		return oneLine(s.Kind+" "+s.Bucket+"/"+s.Key, 160)
	case s.CASID != 0:
		return fmt.Sprintf("cas %d", s.CASID)
	}
	return s.Kind
}

// names lists a certificate's names: the DNS names (at most five, then "+N"), or the common name.
func names(cn string, dns []string) string {
	if len(dns) == 0 {
		return oneLine(cn, 120)
	}
	shown := dns
	if len(shown) > 5 {
		shown = shown[:5]
	}
	s := strings.Join(shown, ", ")
	if len(dns) > 5 {
		s += fmt.Sprintf(" +%d", len(dns)-5)
	}
	return oneLine(s, 200)
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// oneLine keeps the first line of s, at most max runes, and drops anything from a PEM armour
// line on: a message never carries key material, even inside an error text.
func oneLine(s string, max int) string {
	if i := strings.Index(s, "-----BEGIN"); i >= 0 {
		s = s[:i] + "[PEM removed]"
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	return truncate(s, max)
}

// truncate cuts s to at most max runes, marking the cut with "…".
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// truncateBytes cuts s to at most max bytes on a rune boundary, marking the cut with "…".
func truncateBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

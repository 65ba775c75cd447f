package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/report"
)

// NewAuditMessage builds the message for an audit report in lang ("en" or "zh") at now: the run's
// verdict, the places needing attention first (at most maxTargets, then "… and N more"), each
// with its certificate and how long it has left. It is built from plain values; each channel's
// renderer escapes them as it does a rotation's.
func NewAuditMessage(a *report.Audit, lang string, now time.Time) *Message {
	if lang != "zh" {
		lang = "en"
	}
	return &Message{Audit: a, Lang: lang, Status: a.Status, Now: now}
}

// WantsAudit reports whether NOTIFY_ON (on) asks for a message about an audit whose status is
// status: every audit under "all"; under "changes" (the default) and "failures", only one that
// needs attention.
func WantsAudit(on, status string) bool {
	return status != report.AuditOK || on == config.NotifyOnAll
}

var auditWords = map[string][2]string{ // run status, en and zh
	report.AuditOK:        {"Audit: every place is fine", "证书巡检：全部正常"},
	report.AuditAttention: {"Audit: %d of %d places need attention", "证书巡检：%[2]d 处中 %[1]d 处需要处理"},
}

var placeWords = map[string][2]string{
	report.PlaceOK:       {"ok", "正常"},
	report.PlaceExpiring: {"expiring", "即将过期"},
	report.PlaceExpired:  {"expired", "已过期"},
	report.PlaceStale:    {"stale", "未换新"},
	report.PlaceMissing:  {"missing", "无证书"},
	report.PlaceFailed:   {"failed", "读取失败"},
}

var auditPhrases = map[string][2]string{
	"places":  {"Places", "位置"},
	"left":    {"expires %s (in %d days)", "%s 到期（剩 %d 天）"},
	"expired": {"expired %s", "已于 %s 过期"},
	"within":  {"flagged under %d days left", "剩余不足 %d 天即提醒"},
}

// placeRank orders places for a message: those needing a person most first.
var placeRank = map[string]int{
	report.PlaceFailed: 0, report.PlaceMissing: 1, report.PlaceExpired: 2, report.PlaceStale: 3, report.PlaceExpiring: 4, report.PlaceOK: 5,
}

func (m *Message) auditTitle() string {
	a := m.Audit
	emoji := "✅"
	if a.Status != report.AuditOK {
		emoji = "⚠️"
	}
	f := m.word(auditWords, a.Status)
	if a.Status == report.AuditOK {
		return emoji + " " + f
	}
	return emoji + " " + fmt.Sprintf(f, m.attention(), len(a.Places))
}

func (m *Message) attention() int {
	n := 0
	for _, p := range m.Audit.Places {
		if p.Attention() {
			n++
		}
	}
	return n
}

// renderAudit writes an audit message in st; withTitle false leaves out the title.
func (m *Message) renderAudit(st style, withTitle bool) string {
	a := m.Audit
	var lines []string
	if withTitle {
		lines = append(lines, st.heading(m.auditTitle()))
	}
	counts := map[string]int{}
	for _, p := range a.Places {
		counts[p.Status]++
	}
	var parts []string
	for _, s := range []string{report.PlaceFailed, report.PlaceMissing, report.PlaceExpired, report.PlaceStale, report.PlaceExpiring, report.PlaceOK} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], m.word(placeWords, s)))
		}
	}
	summary := strings.Join(parts, " · ")
	if a.Days > 0 {
		summary += " (" + m.word(auditPhrases, "within") + ")"
		summary = fmt.Sprintf(summary, a.Days)
	}
	lines = append(lines, st.bold(m.word(auditPhrases, "places"))+" "+st.esc(summary))
	places := slices.Clone(a.Places)
	slices.SortStableFunc(places, func(x, y report.Place) int { return rank(x) - rank(y) })
	for i, p := range places {
		if i == maxTargets {
			lines = append(lines, st.bullet+st.esc(m.phrase("more", len(places)-maxTargets)))
			break
		}
		lines = append(lines, st.bullet+m.placeLine(st, p))
	}
	foot := []string{st.esc(m.phrase("run")) + " " + st.code(oneLine(a.ID, 80))}
	if t, err := time.Parse(time.RFC3339, firstOf(a.FinishedAt, a.StartedAt)); err == nil {
		foot = append(foot, st.esc(t.UTC().Format("2006-01-02 15:04 UTC")))
	}
	lines = append(lines, strings.Join(foot, " · "))
	return strings.Join(lines, st.sep)
}

func rank(p report.Place) int {
	if r, ok := placeRank[p.Status]; ok {
		return r
	}
	return -1 // an unknown status is shown first: someone should look
}

func (m *Message) placeLine(st style, p report.Place) string {
	line := st.bold(m.word(placeWords, p.Status)) + " " + st.code(oneLine(p.Name, 120))
	if len(p.DNSNames) > 0 || p.CommonName != "" {
		line += " " + st.code(names(p.CommonName, p.DNSNames))
	}
	if na, err := time.Parse(time.RFC3339, p.NotAfter); err == nil {
		day := na.UTC().Format("2006-01-02")
		if p.DaysLeft != nil && *p.DaysLeft >= 0 && na.After(m.Now) {
			line += " · " + st.esc(fmt.Sprintf(m.word(auditPhrases, "left"), day, *p.DaysLeft))
		} else {
			line += " · " + st.esc(fmt.Sprintf(m.word(auditPhrases, "expired"), day))
		}
	}
	switch p.Status {
	case report.PlaceOK, report.PlaceExpiring, report.PlaceExpired:
	default:
		if p.Reason != "" {
			line += ": " + st.esc(oneLine(p.Reason, maxReason))
		}
	}
	return line
}

// runID is the id of the run a message is about.
func (m *Message) runID() string {
	if m.Audit != nil {
		return m.Audit.ID
	}
	return m.Report.ID
}

// payload is what the generic webhook channel posts: the report itself.
func (m *Message) payload() ([]byte, error) {
	if m.Audit != nil {
		return json.Marshal(m.Audit)
	}
	return json.Marshal(m.Report)
}

// isAudit reports whether a report object says "kind": "audit".
func isAudit(top map[string]json.RawMessage) bool {
	var kind string
	return json.Unmarshal(top["kind"], &kind) == nil && kind == report.KindAudit
}

// DecodeAudit decodes an audit report, refusing one whose run or place statuses are
// not the known words: they are shown in messages.
func DecodeAudit(raw []byte) (*report.Audit, error) {
	var a report.Audit
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, refused("not an audit report: %v", jsonReason(err))
	}
	if a.ID == "" || a.Kind != report.KindAudit {
		return nil, refused("not an audit report: kind \"audit\" and id are required")
	}
	if a.Status != report.AuditOK && a.Status != report.AuditAttention {
		return nil, refused("audit status %q is not ok or attention", oneLine(a.Status, 40))
	}
	for i, p := range a.Places {
		if _, ok := placeWords[p.Status]; !ok {
			return nil, refused("audit place %d: status %q is not one of ok, expiring, expired, stale, missing, failed", i, oneLine(p.Status, 40))
		}
	}
	return &a, nil
}

// decodeReportOrAudit decodes what rotate posts: an audit report, or rotation reports.
func decodeReportOrAudit(raw []byte) ([]*report.Report, *report.Audit, error) {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) == nil && isAudit(top) {
		a, err := DecodeAudit(raw)
		return nil, a, err
	}
	reps, err := DecodeReports(raw)
	return reps, nil, err
}

package audit

import (
	_ "embed"
	"fmt"
	"html"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/report"
)

// The page is written by code, every value through html.EscapeString, rather than with
// html/template: text/template looks methods up by name at run time, which makes the linker keep
// every exported method of every type in the binary (the cloud SDKs' thousands of API methods),
// more than doubling rotate's size and its cold start.

//go:embed page.css
var pageCSS string

// barDays is the span a full bar stands for: a place with this many days left, or more, fills it.
const barDays = 90

// pageGroup is one load balancer's places on the page.
type pageGroup struct {
	Title     string
	Attention int
	Places    []pagePlace
}

type pagePlace struct {
	report.Place
	Days    string // "12 days", "expired 3 days ago", "—"
	Width   int    // bar width, percent
	Class   string // css class of the status
	Names   string
	Expires string
}

// WriteHTML writes one self-contained page (no script, no external asset) showing every place
// of rep grouped by load balancer, groups and places needing attention first, each with its
// certificate and its days left as a bar. Every value from the report is HTML-escaped.
func WriteHTML(w io.Writer, rep *report.Audit) error {
	groups := map[string]*pageGroup{}
	var order []*pageGroup
	attention := 0
	for _, p := range rep.Places {
		title := p.Provider + " · " + p.Region
		if p.LoadBalancer != "" {
			title += " · " + p.LoadBalancer
		}
		g, ok := groups[title]
		if !ok {
			g = &pageGroup{Title: title}
			groups[title] = g
			order = append(order, g)
		}
		pp := pagePlace{Place: p, Class: p.Status, Days: "—", Expires: "—"}
		if p.DaysLeft != nil {
			d := *p.DaysLeft
			switch {
			case d < 0:
				pp.Days = fmt.Sprintf("expired %d days ago", -d)
			case d == 1:
				pp.Days = "1 day"
			default:
				pp.Days = fmt.Sprintf("%d days", d)
			}
			pp.Width = max(0, min(100, d*100/barDays))
			if d > 0 && pp.Width == 0 {
				pp.Width = 1
			}
		}
		if t, err := time.Parse(time.RFC3339, p.NotAfter); err == nil {
			pp.Expires = t.UTC().Format("2006-01-02")
		}
		for i, n := range p.DNSNames {
			if i > 0 {
				pp.Names += ", "
			}
			pp.Names += n
		}
		if p.Attention() {
			g.Attention++
			attention++
		}
		g.Places = append(g.Places, pp)
	}
	for _, g := range order {
		sort.SliceStable(g.Places, func(i, j int) bool {
			return severity[g.Places[i].Status] < severity[g.Places[j].Status]
		})
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].Attention > order[j].Attention })
	return writePage(w, rep, order, attention)
}

// writePage writes the page; esc escapes every value that comes from the report.
func writePage(w io.Writer, rep *report.Audit, groups []*pageGroup, attention int) error {
	esc := html.EscapeString
	var b strings.Builder
	total := len(rep.Places)
	headline := "Every certificate is fine"
	if rep.Status != report.AuditOK {
		headline = fmt.Sprintf("%d of %d places need attention", attention, total)
	}
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate audit · %s</title>
<style>
%s</style>
</head>
<body>
<header class="%s">
<h1>%s</h1>
<p>%d places audited · flagged when fewer than %d days are left · %s</p>
</header>
<main>
`, esc(rep.Status), pageCSS, esc(rep.Status), esc(headline), total, rep.Days, esc(rep.FinishedAt))
	for _, g := range groups {
		fmt.Fprintf(&b, "<section>\n<h2>%s", esc(g.Title))
		if g.Attention > 0 {
			fmt.Fprintf(&b, `<span class="count">%d need attention</span>`, g.Attention)
		}
		fmt.Fprintf(&b, `</h2>
<table>
<colgroup><col class="c1"><col class="c2"><col class="c3"><col class="c4"><col class="c5"></colgroup>
<tr><th>Place</th><th>Status</th><th>Certificate</th><th>Expires</th><th>Days left (bar: %d days)</th></tr>
`, barDays)
		for _, p := range g.Places {
			reason, cn := "", "—"
			if p.Reason != "" {
				reason = `<div class="reason">` + esc(p.Reason) + `</div>`
			}
			if p.CommonName != "" {
				cn = esc(p.CommonName)
			}
			fmt.Fprintf(&b, `<tr>
<td class="name">%s</td>
<td><span class="status %s">%s</span>%s</td>
<td>%s<div class="names">%s</div><div class="names">%s</div></td>
<td class="exp">%s</td>
<td><div class="bar"><span class="%s" style="width: %d%%"></span></div><div class="days">%s</div></td>
</tr>
`, esc(p.Name), esc(p.Class), esc(p.Status), reason, cn, esc(p.Names), esc(p.CertificateID), esc(p.Expires), esc(p.Class), p.Width, esc(p.Days))
		}
		b.WriteString("</table>\n</section>\n")
	}
	fmt.Fprintf(&b, "</main>\n<footer>certrotate audit %s · started %s</footer>\n</body>\n</html>\n", esc(rep.ID), esc(rep.StartedAt))
	_, err := io.WriteString(w, b.String())
	return err
}

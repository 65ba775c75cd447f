package audit

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"time"

	"github.com/certrotate/certrotate/shared/report"
)

//go:embed page.html.tmpl
var pageSource string

var page = template.Must(template.New("audit").Parse(pageSource))

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
// certificate and its days left as a bar. Every value is escaped by html/template.
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
	return page.Execute(w, map[string]any{
		"Report": rep, "Groups": order, "Attention": attention, "Total": len(rep.Places), "BarDays": barDays,
	})
}

package fakecloud

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// StateSection is one table of WriteState: a title and the rows of one emulated service.
type StateSection struct {
	Title  string
	Header []string
	Rows   [][]string
}

// Sections returns the snapshot as tables, one per emulated service that holds anything, in a
// fixed order: Alibaba SLB listeners and server certificates, Alibaba CAS certificates, ALB and
// NLB listeners, Huawei ELB listeners and certificates. A service with nothing in it is listed with no rows, so a
// reader sees every service the emulator speaks.
func (s State) Sections(now time.Time) []StateSection {
	slb := StateSection{Title: "Alibaba SLB (CLB) listeners",
		Header: []string{"REGION", "LOAD BALANCER", "PORT", "SNI DOMAIN", "CERTIFICATE ID", "NAMES", "EXPIRES"}}
	slbCerts := StateSection{Title: "Alibaba SLB server certificates",
		Header: []string{"REGION", "CERTIFICATE ID", "NAME", "SHA-1", "NAMES", "EXPIRES", "BOUND BY"}}
	for _, r := range s.Regions {
		for _, lb := range r.LoadBalancers {
			for _, l := range lb.Listeners {
				port := fmt.Sprint(l.Port)
				if l.Protocol != "https" {
					slb.Rows = append(slb.Rows, []string{r.Region, lb.ID, port, "-", "(" + l.Protocol + ", no certificate)", "", ""})
					continue
				}
				slb.Rows = append(slb.Rows, append([]string{r.Region, lb.ID, port, "default"}, certCells(l.Certificate, now)...))
				for _, x := range l.Extensions {
					slb.Rows = append(slb.Rows, append([]string{r.Region, lb.ID, port, x.Domain}, certCells(x.Certificate, now)...))
				}
			}
		}
		for _, c := range r.Certificates {
			slbCerts.Rows = append(slbCerts.Rows, []string{r.Region, c.ID, orDash(c.Name), shortFingerprint(c.Fingerprint),
				strings.Join(c.Names, ","), Expiry(c.ExpireTime, now), fmt.Sprint(c.BoundBy)})
		}
	}
	cas := StateSection{Title: "Alibaba CAS certificates", Header: []string{"ID", "NAME", "SHA-1", "NAMES", "EXPIRES", "KEY"}}
	for _, c := range s.CASCertificates {
		key := "no"
		if c.HasKey {
			key = "yes"
		}
		cas.Rows = append(cas.Rows, []string{fmt.Sprint(c.ID), c.Name, shortFingerprint(c.Fingerprint), strings.Join(c.Names, ","), Expiry(c.ExpireTime, now), key})
	}
	elb := StateSection{Title: "Huawei ELB listeners",
		Header: []string{"PROJECT", "LOAD BALANCER", "PORT", "SNI DOMAIN", "CERTIFICATE ID", "NAMES", "EXPIRES"}}
	elbCerts := StateSection{Title: "Huawei ELB certificates",
		Header: []string{"PROJECT", "CERTIFICATE ID", "NAME", "DOMAIN", "EXPIRES", "BOUND BY"}}
	for _, p := range s.HuaweiProjects {
		domain := map[string]string{} // an SNI certificate serves the domain of its certificate
		for _, c := range p.Certificates {
			domain[c.ID] = c.Domain
		}
		for _, lb := range p.LoadBalancers {
			name := cmpOr(lb.Name, lb.ID)
			for _, l := range lb.Listeners {
				port := fmt.Sprint(l.Port)
				if l.Certificate == nil && len(l.SNICertificates) == 0 && l.Protocol != "TERMINATED_HTTPS" {
					elb.Rows = append(elb.Rows, []string{p.Project, name, port, "-", "(" + l.Protocol + ", no certificate)", "", ""})
					continue
				}
				elb.Rows = append(elb.Rows, append([]string{p.Project, name, port, "default"}, certCells(l.Certificate, now)...))
				for i := range l.SNICertificates {
					c := l.SNICertificates[i]
					elb.Rows = append(elb.Rows, append([]string{p.Project, name, port, cmpOr(domain[c.ID], strings.Join(c.Names, ","))}, certCells(&c, now)...))
				}
			}
		}
		for _, c := range p.Certificates {
			elbCerts.Rows = append(elbCerts.Rows, []string{p.Project, c.ID, orDash(c.Name), c.Domain, Expiry(c.ExpireTime, now), fmt.Sprint(c.BoundBy)})
		}
	}
	alb := lbSection("Alibaba ALB listeners", s.ALBListeners, s.CASCertificates, now)
	nlb := lbSection("Alibaba NLB listeners", s.NLBListeners, s.CASCertificates, now)
	return []StateSection{slb, slbCerts, cas, alb, nlb, elb, elbCerts}
}

// lbSection is the table of ALB or NLB listeners: a row for each listener's default certificate
// and one for each additional certificate, described from CAS (their ids are "<CertId>-<region>").
func lbSection(title string, listeners []LBListenerState, cas []CASCertificateState, now time.Time) StateSection {
	sec := StateSection{Title: title, Header: []string{"REGION", "LOAD BALANCER", "LISTENER", "PORT", "CERTIFICATE", "CERTIFICATE ID", "NAMES", "EXPIRES"}}
	byID := map[string]CASCertificateState{}
	for _, c := range cas {
		byID[fmt.Sprint(c.ID)] = c
	}
	row := func(l LBListenerState, role, id string) []string {
		r := []string{l.Region, l.LoadBalancerID, l.ID, fmt.Sprint(l.Port), role, orDash(id), "", ""}
		casID, _, _ := strings.Cut(id, "-")
		if c, ok := byID[casID]; ok && id != "" {
			r[6], r[7] = strings.Join(c.Names, ","), Expiry(c.ExpireTime, now)
		}
		return r
	}
	for _, l := range listeners {
		sec.Rows = append(sec.Rows, row(l, "default", l.Certificate))
		for _, a := range l.Additional {
			sec.Rows = append(sec.Rows, row(l, "additional", a))
		}
	}
	return sec
}

// WriteState writes every section of the snapshot as an aligned plain-text table.
func WriteState(w io.Writer, s State, now time.Time) error {
	for i, sec := range s.Sections(now) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := sec.Write(w); err != nil {
			return err
		}
	}
	return nil
}

// Write writes the section: its title, then its table (or "(none)").
func (sec StateSection) Write(w io.Writer) error {
	fmt.Fprintln(w, sec.Title)
	if len(sec.Rows) == 0 {
		_, err := fmt.Fprintln(w, "  (none)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+strings.Join(sec.Header, "\t"))
	for _, r := range sec.Rows {
		fmt.Fprintln(tw, "  "+strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func certCells(c *CertificateRef, now time.Time) []string {
	if c == nil {
		return []string{"(missing)", "", ""}
	}
	return []string{c.ID, strings.Join(c.Names, ","), Expiry(c.ExpireTime, now)}
}

// Expiry shows t as a date and how far it is from now: "2027-03-06 (in 90d)".
func Expiry(t, now time.Time) string {
	days := int(math.Round(t.Sub(now).Hours() / 24))
	rel := fmt.Sprintf("in %dd", days)
	if t.Before(now) {
		rel = fmt.Sprintf("expired %dd ago", -days)
	}
	return t.UTC().Format("2006-01-02") + " (" + rel + ")"
}

func shortFingerprint(fp string) string {
	if len(fp) > 11 {
		return fp[:11]
	}
	return fp
}

func orDash(s string) string { return cmpOr(s, "-") }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

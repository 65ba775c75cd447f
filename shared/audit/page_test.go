package audit_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/audit"
	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/testtool"
)

func days(d int) *int { return &d }

// sample is an audit with one place of each status over three load balancers.
func sample() *report.Audit {
	places := []report.Place{
		{Name: "hz/lb-ok:443", Provider: "alislb", Region: "cn-hangzhou", LoadBalancer: "lb-ok", CertificateID: "1231579085529123_ok",
			CommonName: "ok.example.com", DNSNames: []string{"ok.example.com"}, NotAfter: "2027-03-01T00:00:00Z", DaysLeft: days(85), Status: "ok"},
		{Name: "hz/lb-web:443", Provider: "alislb", Region: "cn-hangzhou", LoadBalancer: "lb-web", CertificateID: "1231579085529123_www",
			CommonName: "www.example.com", DNSNames: []string{"www.example.com", "example.com"}, NotAfter: "2026-12-18T00:00:00Z", DaysLeft: days(12),
			Status: "expiring", Reason: "12 days left, fewer than 30"},
		{Name: "hz/lb-web:443/api.example.com", Provider: "alislb", Region: "cn-hangzhou", LoadBalancer: "lb-web", CertificateID: "1231579085529123_api",
			CommonName: "api.example.com", DNSNames: []string{"api.example.com"}, NotAfter: "2026-12-01T00:00:00Z", DaysLeft: days(-5),
			Status: "expired", Reason: "expired 2026-12-01T00:00:00Z"},
		{Name: "hz/lb-web:8443", Provider: "alislb", Region: "cn-hangzhou", LoadBalancer: "lb-web", CertificateID: "1231579085529123_old",
			CommonName: "shop.example.com", DNSNames: []string{"shop.example.com"}, NotAfter: "2027-01-20T00:00:00Z", DaysLeft: days(45),
			Status: "stale", Reason: "a newer certificate 1231579085529123_new (expires 2027-03-01T00:00:00Z) covers the same names but is not served here"},
		{Name: "elb-sni <b>bold</b>", Provider: "huaweielb", Region: "cn-north-4", LoadBalancer: "l-1", Status: "missing", Reason: "serves no certificate"},
		{Name: "nope", Provider: "alislb", Region: "cn-hangzhou", LoadBalancer: "lb-nope", Status: "failed", Reason: "could not be read: not found"},
	}
	audit.Sort(places)
	return &report.Audit{Kind: report.KindAudit, ID: "0123456789abcdef0123456789abcdef", Status: report.AuditAttention, Days: 30,
		Places: places, StartedAt: "2026-12-06T02:00:00Z", FinishedAt: "2026-12-06T02:00:03Z"}
}

func render(t *testing.T, rep *report.Audit) string {
	t.Helper()
	var buf bytes.Buffer
	if err := audit.WriteHTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestPageIsSelfContained(t *testing.T) {
	page := render(t, sample())
	for _, tc := range []struct{ what, text string }{
		{"a script", "<script"}, {"an external asset", "src="}, {"a link", "<link"}, {"an import", "@import"}, {"a URL", "url("},
		{"unescaped markup from a place's name", "<b>bold</b>"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			if strings.Contains(page, tc.text) {
				t.Errorf("the page holds %s (%q)", tc.what, tc.text)
			}
		})
	}
	for _, want := range []string{"&lt;b&gt;bold&lt;/b&gt;", "5 of 6 places need attention", "expired 5 days ago", "12 days", "width: 13%",
		"www.example.com, example.com", "2026-12-18"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	// Grouped by load balancer, the groups needing the most attention first.
	web, ok := strings.Index(page, "lb-web"), strings.Index(page, "lb-ok")
	if web < 0 || ok < 0 || web > ok {
		t.Errorf("lb-web (3 need attention) is not above lb-ok (none): %d, %d", web, ok)
	}
	if !strings.Contains(render(t, &report.Audit{Status: "ok", Days: 30, Places: []report.Place{}}), "Every certificate is fine") {
		t.Error("an ok audit does not say so")
	}
}

// TestPageRendersInChromium renders the page in headless Chromium and checks that the screenshot
// is not blank: many colours, and the attention header's red at the top.
func TestPageRendersInChromium(t *testing.T) {
	chromium := testtool.Need(t, "the audit page test", "apt-get install chromium", "chromium", "chromium-browser")
	dir := t.TempDir()
	file := filepath.Join(dir, "audit.html")
	if err := os.WriteFile(file, []byte(render(t, sample())), 0o600); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a loaded machine starts a browser slowly
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--hide-scrollbars", "--window-size=1100,800", "--screenshot="+shot, "file://"+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	colours := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
		}
	}
	if len(colours) < 20 {
		t.Fatalf("the screenshot is blank or nearly: %d colours", len(colours))
	}
	r, g, bl, _ := img.At(b.Min.X+5, b.Min.Y+5).RGBA()
	if r>>8 < 150 || g>>8 > 80 || bl>>8 > 80 {
		t.Errorf("the top of the page is rgb(%d,%d,%d), not the attention header's red", r>>8, g>>8, bl>>8)
	}
	if os.Getenv("AUDIT_PAGE_SCREENSHOT") != "" { // refresh the README's picture: AUDIT_PAGE_SCREENSHOT=docs/audit-page.png
		raw, _ := os.ReadFile(shot)
		if err := os.WriteFile(os.Getenv("AUDIT_PAGE_SCREENSHOT"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

package notify

import (
	"regexp"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/report"
)

// hostileTexts are what a certificate subject, a body name, a bucket key, a target name or an
// error text could carry to turn a message into a mention, a link, a heading or a tag.
var hostileTexts = []string{"@all", "<@all>", "<!channel>", "[x](http://evil)", "# heading", "<b>bold</b>", `<a href="http://evil">x</a>`, "<at id=all></at>"}

// TestMessagesAreInertInEveryChannel renders a report whose outside texts are all hostile in each
// channel's markup and checks that none of them survives in a form the channel would act on.
func TestMessagesAreInertInEveryChannel(t *testing.T) {
	for _, h := range hostileTexts {
		rep := partialReport(t)
		rep.Certificate.Name = h
		rep.Certificate.CommonName = h
		rep.Certificate.DNSNames = []string{h}
		rep.Source = report.Source{Kind: "oss", Bucket: "certs", Key: h + "/fullchain.pem"}
		rep.Error = h
		for i := range rep.Targets {
			rep.Targets[i].Name = h
			rep.Targets[i].Reason = h
			rep.Targets[i].Error = h
			rep.Targets[i].CertificateID = h
		}
		m := NewMessage(rep, "en", fixedNow)
		m.Note = h
		for _, ch := range []struct {
			name     string
			st       style
			headings bool // the markup has headings (Slack mrkdwn has none: https://api.slack.com/reference/surfaces/formatting)
		}{{"dingtalk", dingTalkStyle, true}, {"wecom/feishu markdown", markdownStyle, true}, {"slack", slackStyle, false}} {
			t.Run(ch.name+" "+h, func(t *testing.T) {
				out := m.render(ch.st, true)
				if _, rest, ok := strings.Cut(out, "\n"); ok {
					out = rest // the title line is the channel's own heading
				}
				for _, bad := range []*regexp.Regexp{
					regexp.MustCompile(`@all|@channel|@here`),        // a mention word
					regexp.MustCompile(`<[@!a-zA-Z/]`),               // a tag or a Slack mention/link
					regexp.MustCompile(`(^|[^\\])\](\(|\\\()`),       // a markdown link: an unescaped "]("
					regexp.MustCompile(`(?m)^\s*#`),                  // a heading
					regexp.MustCompile(`https?://`),                  // a bare URL, auto-linked
					regexp.MustCompile(`(?m)^[^\\]*[^\\]\[x\\?\]\(`), // [x]( without escape
				} {
					if bad.String() == `(?m)^\s*#` && !ch.headings {
						continue
					}
					if loc := bad.FindStringIndex(out); loc != nil {
						t.Errorf("%s survives as %q:\n%s", bad, out[loc[0]:loc[1]], out)
					}
				}
			})
		}
	}
}

func TestEscapersKeepOrdinaryNames(t *testing.T) {
	for _, tc := range []struct {
		esc        func(string) string
		in, wanted string
	}{
		{escapeDingTalk, "lb-1_a:443", "lb-1_a:443"},
		{slackEscape, "www.example.com", "www.example.com"},
		{escapeMarkdown, "a.example.com", "a.example.com"},
		{escapeCodeSpan, "*.example.com", "*.example.com"},
	} {
		if got := tc.esc(tc.in); got != tc.wanted {
			t.Errorf("escape(%q) = %q", tc.in, got)
		}
	}
	if got := escapeMarkdown("@all"); strings.Contains(got, "@all") {
		t.Errorf("@all survives: %q", got)
	}
}

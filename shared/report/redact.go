package report

import (
	"regexp"
	"strings"
	"sync"
)

var (
	// urlQuery is the query string of a URL in a text: a signed call's (AccessKeyId, Signature,
	// SignatureNonce, every parameter), a robot URL's access_token or key.
	urlQuery = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^\s"'<>?]*)\?[^\s"'<>]*`) })
	// bareQuery is a query string on its own, as some errors print a request's path and query.
	bareQuery = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\?([A-Za-z0-9_.-]+=[^\s"'<>&]*)(&[A-Za-z0-9_.-]+=[^\s"'<>&]*)*`)
	})
	// userinfo is the credentials part of a URL (https://user:password@host).
	userinfo = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^\s"'<>/@]*@`) })
)

// Redact is s with what must never be echoed removed: the query string of any URL (a
// signed request's signature and access key id, a webhook URL's token), the credentials of a URL,
// and anything from a PEM armour line on. Errors, reasons, warnings and log lines pass through it.
func Redact(s string) string {
	if i := strings.Index(s, "-----BEGIN"); i >= 0 {
		s = s[:i] + "[PEM removed]"
	}
	if !strings.Contains(s, "?") && !strings.Contains(s, "@") {
		return s
	}
	s = urlQuery().ReplaceAllString(s, "$1?[query removed]")
	s = userinfo().ReplaceAllString(s, "$1[credentials removed]@")
	return bareQuery().ReplaceAllString(s, "?[query removed]")
}

// redact applies Redact to every text of r a person reads.
func (r *Report) redact() {
	r.Error, r.Reason = Redact(r.Error), Redact(r.Reason)
	for i, w := range r.Warnings {
		r.Warnings[i] = Redact(w)
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		t.Error, t.Reason = Redact(t.Error), Redact(t.Reason)
	}
}

package tmpl

import (
	"net/url"
	"strings"
)

// maxURL bounds the URLs templates link to; longer ones are dropped.
const maxURL = 8192

// SafeURL returns u when it is an absolute http or https URL with a host
// and no user info, and "" otherwise (javascript:, data:, mailto:,
// protocol-relative //host, relative paths, https://aws.amazon.com@evil
// look-alikes, unparsable or over-long input). Besides, it guarantees that
// the result contains only RFC 3986 characters and none of ' ( ) * [ ] |
// < > " ` \ { } or whitespace (they are percent-encoded; brackets are kept
// only around an IPv6 host), so it cannot close a Markdown link
// destination, a Slack <url|text> or a Jira [text|url], nor a quoted
// attribute. The caller still escapes it for its output: href="{{
// safeurl .ConsoleURL | html }}".
func SafeURL(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > maxURL || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return ""
	}
	host := u.Host
	if u.Hostname() == "" || strings.ContainsAny(u.Hostname(), "[]") || strings.ContainsFunc(host, notHostChar) {
		// Percent-encoded, non-ASCII (IDN homographs) or odd hosts:
		// refuse rather than guess what the browser would show.
		return ""
	}
	// Re-encode everything after the authority, leaving valid
	// percent-escapes as they are.
	rest := s[strings.Index(s, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	} else {
		rest = ""
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(strings.ToLower(host))
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if urlChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigit[c>>4])
		b.WriteByte(hexDigit[c&15])
	}
	return b.String()
}

const hexDigit = "0123456789ABCDEF"

// urlChar reports whether c may appear unencoded in a SafeURL path, query
// or fragment: RFC 3986 unreserved and reserved characters except the
// ones that close markup (' ( ) * [ ] and, not in RFC 3986 anyway, |).
func urlChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#@!$&+,;=%", c) >= 0
}

func notHostChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune(".-_:[]", r)
}

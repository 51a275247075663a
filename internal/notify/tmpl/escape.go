package tmpl

import (
	"encoding/json"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Plain removes control characters (except tab and newline) and invalid
// UTF-8 from attacker-controlled text. Every other escaper applies it
// first.
func Plain(s string) string {
	if !strings.ContainsFunc(s, bad) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if !bad(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func bad(r rune) bool {
	return (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\u2028' || r == '\u2029' ||
		(r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') // bidi overrides
}

// Truncate shortens s to at most n runes, ending with "…" when cut.
func Truncate(n int, s string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-1, 0)]) + "…"
}

// HTML escapes for HTML text and attribute values.
func HTML(s string) string { return html.EscapeString(Plain(s)) }

// Mrkdwn escapes for Slack mrkdwn text: &, < and > are entity-escaped (so
// no <!channel>, <@U…> or <url|text> can be formed), and the formatting
// characters are neutralised with a zero-width joiner-free approach:
// they are replaced by look-alike full-width forms only where they would
// format (Slack has no backslash escape).
func Mrkdwn(s string) string {
	s = Plain(s)
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "*", "∗", "_", "‗", "~", "∼", "`", "ˋ")
	return r.Replace(s)
}

// Markdown escapes for CommonMark/GitHub Markdown text: backslash-escapes
// every ASCII punctuation character that can start markup, and
// entity-escapes < and > so no raw HTML or autolink forms.
func Markdown(s string) string {
	s = Plain(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '-', '.', '!', '|', '~', '"', '\'', '=', ':', '@':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Adaptive escapes for Microsoft Teams Adaptive Card TextBlock text, which
// renders a Markdown subset: as Markdown.
func Adaptive(s string) string { return Markdown(s) }

// Jira escapes for Jira wiki markup (Data Center, and Cloud's v2 API):
// markup characters are wrapped so they print literally.
func Jira(s string) string {
	s = Plain(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '{', '}', '[', ']', '|', '*', '_', '-', '+', '^', '~', '?', '!', '#', '\\':
			b.WriteString("&#")
			b.WriteString(itoa(int(r)))
			b.WriteByte(';')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d [20]byte
	i := len(d)
	for n > 0 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return string(d[i:])
}

// JSON returns s as a JSON string literal (with quotes), for templates
// that build JSON.
func JSON(s string) string {
	b, _ := json.Marshal(Plain(s))
	return string(b)
}

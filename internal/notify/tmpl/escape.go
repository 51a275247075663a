package tmpl

import (
	"encoding/json"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The escapers below turn attacker-controlled text (any finding field)
// into text that prints literally in one output syntax. Each states what
// it guarantees; the tests and fuzz targets in escape_test.go check those
// guarantees. Rules for template authors:
//
//   - Escape every finding field, exactly once, with the escaper of the
//     syntax it lands in. When one syntax is embedded in another (Slack
//     mrkdwn or Adaptive Card text inside a JSON payload), escape for the
//     inner syntax first, then the outer: {{ .Title | mrkdwn | json }}.
//   - Truncate before escaping ({{ .Title | trunc 200 | html }}), so a cut
//     never splits an escape sequence.
//   - URLs go through safeurl first, then the escaper of the output:
//     <a href="{{ safeurl .ConsoleURL | html }}">.
//
// A bare URL in escaped text may still be turned into a link by the
// destination (Slack, Teams, Jira and GitHub all auto-link visible URLs);
// the escapers guarantee that such a link always shows its real target:
// no hidden link text, mention, image or markup can be formed.

// Plain makes attacker-controlled text safe to show as plain text, and is
// the first step of every other escaper. It guarantees:
//
//   - valid UTF-8 (each invalid byte becomes U+FFFD);
//   - no control characters except tab and newline: CR LF, a lone CR and
//     the Unicode line and paragraph separators become '\n', the rest
//     (NUL, ESC, DEL, C1 controls, …) are removed;
//   - no invisible format characters (Unicode category Cf): bidi
//     embeddings, overrides and isolates (the "Trojan Source" trick that
//     makes text read differently from how it is stored), LRM/RLM/ALM,
//     zero-width space, word joiner, BOM, soft hyphen and the invisible
//     tag characters. Zero-width non-joiner and joiner (U+200C, U+200D)
//     stay: scripts and emoji sequences need them.
//
// Plain is idempotent.
func Plain(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, needsPlain) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteByte('\n')
		case r == '\u2028' || r == '\u2029':
			b.WriteByte('\n')
		case removed(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsPlain(r rune) bool {
	return r == '\r' || r == '\u2028' || r == '\u2029' || removed(r)
}

// removed reports whether Plain drops r.
func removed(r rune) bool {
	if r < 0x20 {
		return r != '\t' && r != '\n'
	}
	if r < 0x7f {
		return false
	}
	if unicode.IsControl(r) {
		return true
	}
	return unicode.Is(unicode.Cf, r) && r != '\u200C' && r != '\u200D'
}

// Truncate shortens s to at most n runes, ending with "…" when it cuts
// (n <= 0 gives ""). The result is valid UTF-8. Apply it before the
// escaper, never after.
func Truncate(n int, s string) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		if utf8.ValidString(s) {
			return s
		}
		return string([]rune(s)) // each invalid byte becomes U+FFFD, as in Plain
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// OneLine collapses every run of whitespace (newlines included) into one
// space and trims the ends, for subjects, table cells and list items.
func OneLine(s string) string { return strings.Join(strings.Fields(Plain(s)), " ") }

// HTML escapes for HTML text and quoted attribute values. It guarantees
// that the output contains no '<', '>', '"' or '\” and that every '&'
// starts one of the entities &amp; &lt; &gt; &#34; &#39;. It is not safe
// for unquoted attributes, inside <script> or <style>, or as a URL (use
// safeurl for those).
func HTML(s string) string { return html.EscapeString(Plain(s)) }

// HTMLLines is HTML with each newline turned into <br>, for multi-line
// text such as descriptions.
func HTMLLines(s string) string {
	return strings.ReplaceAll(HTML(s), "\n", "<br>\n")
}

// JSON returns s as a JSON string literal, quotes included. It guarantees
// that the output decodes to Plain(s) and contains no '<', '>' or '&'
// (they are \u-escaped), so it is also safe inside HTML.
func JSON(s string) string {
	b, err := json.Marshal(Plain(s))
	if err != nil { // cannot happen: Plain returns valid UTF-8
		return `""`
	}
	return string(b)
}

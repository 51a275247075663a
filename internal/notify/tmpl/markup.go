package tmpl

import (
	"strings"
	"unicode"
)

// Mrkdwn escapes for Slack mrkdwn text (message text, section and context
// blocks, attachment fields). Slack decodes only &amp;, &lt; and &gt; and
// has no backslash escape, so Mrkdwn entity-escapes the characters that
// form control sequences and replaces the formatting characters with
// look-alikes that read the same but format nothing. It guarantees:
//
//   - no '<' or '>' (&lt;, &gt;): no <!channel>, <!here>, <@U123>,
//     <#C123> or <https://evil|click> can be formed;
//   - every '&' starts &amp;, &lt; or &gt;;
//   - no '*', '_', '~' or '`' (they become ∗ ˍ ∼ ˋ): no bold, italic,
//     strike or code can be formed, however Slack pairs them;
//   - no '@' at the start of a word (it becomes ＠): no @channel, @here,
//     @everyone or user mention, even where link_names is on; '@' inside
//     an email address (after a letter, digit, '.', '-', '+' or '_') stays;
//   - no line starts with a quote marker ('>' there becomes ›).
func Mrkdwn(s string) string {
	s = Plain(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	lineStart := true
	var prev rune = '\n'
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			if lineStart {
				b.WriteRune('›')
			} else {
				b.WriteString("&gt;")
			}
		case '*':
			b.WriteRune('∗')
		case '_':
			b.WriteRune('ˍ')
		case '~':
			b.WriteRune('∼')
		case '`':
			b.WriteRune('ˋ')
		case '@':
			if inWord(prev) {
				b.WriteByte('@')
			} else {
				b.WriteRune('＠')
			}
		default:
			b.WriteRune(r)
		}
		lineStart = r == '\n' || (lineStart && (r == ' ' || r == '\t'))
		prev = r
	}
	return b.String()
}

func inWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '+' || r == '_'
}

// Markdown escapes for CommonMark and GitHub-flavoured Markdown (GitHub,
// GitLab, Mattermost, generic webhook consumers). It puts a backslash
// before every ASCII punctuation character, which CommonMark defines as
// the escape for each of them. It guarantees that every ASCII punctuation
// character in the output is escaped by the backslash before it, so no
// emphasis, code span, link, image, autolink, raw HTML, entity, heading,
// list, block quote, table cell or thematic break can start from the
// text. Newlines are kept: use oneline for table cells and list items.
func Markdown(s string) string {
	s = Plain(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for _, r := range s {
		if r < 0x80 && isASCIIPunct(byte(r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

// Adaptive escapes for the text of Adaptive Card TextBlocks and FactSet
// values (Microsoft Teams), which render a Markdown subset: bold, italic,
// bullet and numbered lists, links. Renderers disagree on backslash
// escapes and HTML entities (Teams desktop honours them, the mobile
// clients have shown the backslashes and entities literally), so Adaptive
// replaces markup characters with look-alikes instead. It guarantees:
//
//   - no '*', '_', '[', ']', '`', '~', '<', '>' or '\' (they become
//     ∗ ˍ ［ ］ ˋ ∼ ‹ › ⧵): no emphasis, link, code, autolink or raw HTML
//     can be formed, and nothing escapes the template's own markup;
//   - no line starts with a list marker: a leading '-' or '+' becomes
//     ‐ or ＋, and the '.' or ')' after leading digits becomes ․ or ）;
//   - no "{{": the second brace becomes ｛, so no {{DATE()}} or
//     {{TIME()}} function is evaluated.
//
// The result is card text, not JSON: pipe it through json when building
// the card ({{ .Title | adaptive | json }}).
func Adaptive(s string) string {
	s = Plain(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	lineStart, digits := true, false
	var prev rune
	for _, r := range s {
		out := r
		switch r {
		case '*':
			out = '∗'
		case '_':
			out = 'ˍ'
		case '[':
			out = '［'
		case ']':
			out = '］'
		case '`':
			out = 'ˋ'
		case '~':
			out = '∼'
		case '<':
			out = '‹'
		case '>':
			out = '›'
		case '\\':
			out = '⧵'
		case '{':
			if prev == '{' {
				out = '｛'
			}
		case '-':
			if lineStart {
				out = '‐'
			}
		case '+':
			if lineStart {
				out = '＋'
			}
		case '.':
			if digits {
				out = '․'
			}
		case ')':
			if digits {
				out = '）'
			}
		}
		b.WriteRune(out)
		isDigit := r >= '0' && r <= '9'
		digits = isDigit && (lineStart || digits)
		lineStart = r == '\n' || (lineStart && (r == ' ' || r == '\t'))
		prev = r
	}
	return b.String()
}

// Jira escapes for Jira wiki markup (Jira Data Center, and Jira Cloud's
// REST API v2 fields). Jira's renderer honours a backslash before
// - # * _ + ? ^ ~ | % { } [ ] ( ) ! @, so Jira puts one before each of
// them. A literal backslash cannot be kept (two make a forced line break,
// one escapes what follows), so it becomes ⧵. It guarantees that:
//
//   - every one of those characters is escaped: no [link|url], [~mention],
//     !image!, {code}, {color}, {noformat}, table, list, emphasis,
//     citation or strike can be formed;
//   - the output has no backslash except those escapes;
//   - no line starts with a heading or quote marker (h1. … h6., bq.): a
//     zero-width space is put before such a line.
func Jira(s string) string {
	s = Plain(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '\n' {
			continue
		}
		line := s[start:i]
		if blockMarker(line) {
			b.WriteString("\u200B")
		}
		for _, r := range line {
			switch r {
			case '-', '#', '*', '_', '+', '?', '^', '~', '|', '%', '{', '}', '[', ']', '(', ')', '!', '@':
				b.WriteByte('\\')
				b.WriteRune(r)
			case '\\':
				b.WriteRune('⧵')
			default:
				b.WriteRune(r)
			}
		}
		if i < len(s) {
			b.WriteByte('\n')
		}
		start = i + 1
	}
	return b.String()
}

// blockMarker reports whether a line would start a Jira heading (h1.–h6.)
// or block quote (bq.), leading spaces allowed.
func blockMarker(line string) bool {
	l := strings.TrimLeft(line, " \t")
	if len(l) >= 3 && (l[0] == 'h' || l[0] == 'H') && l[1] >= '1' && l[1] <= '6' && l[2] == '.' {
		return true
	}
	return len(l) >= 3 && strings.EqualFold(l[:2], "bq") && l[2] == '.'
}

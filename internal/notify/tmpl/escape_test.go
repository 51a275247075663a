package tmpl

import (
	"encoding/json"
	"html"
	"strings"
	"testing"
	"unicode/utf8"
)

type escCase struct{ in, want string }

func runEsc(t *testing.T, name string, f func(string) string, cases []escCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(name+"/"+c.in, func(t *testing.T) {
			if got := f(c.in); got != c.want {
				t.Errorf("%s(%q)\n got %q\nwant %q", name, c.in, got, c.want)
			}
		})
	}
}

func TestPlain(t *testing.T) {
	runEsc(t, "Plain", Plain, []escCase{
		{"plain text, tab\tand newline\n", "plain text, tab\tand newline\n"},
		{"nul\x00 esc\x1b[31m del\x7f", "nul esc[31m del"},
		{"crlf\r\nlone cr\rend", "crlf\nlone cr\nend"},
		{"line\u2028para\u2029", "line\npara\n"},
		{"c1 \u0085\u009b controls", "c1  controls"},
		{"\u202Eevil.exe\u202C", "evil.exe"},                                           // RLO override
		{"admin\u2066 \u2069user\u200E\u200F\u061C", "admin user"},                     // isolates, LRM, RLM, ALM
		{"zero\u200Bwidth\u2060joiner\uFEFF", "zerowidthjoiner"},                       // ZWSP, WJ, BOM
		{"hidden\U000E0041\U000E0042 tags", "hidden tags"},                             // tag characters
		{"soft\u00ADhyphen", "softhyphen"},                                             // soft hyphen
		{"family 👨\u200D👩\u200D👧 کتاب\u200Cها", "family 👨\u200D👩\u200D👧 کتاب\u200Cها"}, // ZWJ, ZWNJ kept
		{"bad \xff\xfe utf8 \xc3", "bad \uFFFD\uFFFD utf8 \uFFFD"},
		{"", ""},
	})
}

func TestHTML(t *testing.T) {
	runEsc(t, "HTML", HTML, []escCase{
		{`"><script>alert(1)</script>`, `&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;`},
		{`' onmouseover='alert(1)`, `&#39; onmouseover=&#39;alert(1)`},
		{`<img src=x onerror=alert(1)>`, `&lt;img src=x onerror=alert(1)&gt;`},
		{`a & b &amp; c`, `a &amp; b &amp;amp; c`},
		{"<!-- comment -->", "&lt;!-- comment --&gt;"},
		{"\u202E<b>", "&lt;b&gt;"},
		{"javascript:alert(1)", "javascript:alert(1)"}, // text is harmless; URLs go through safeurl
	})
	runEsc(t, "HTMLLines", HTMLLines, []escCase{
		{"one\r\n<two>", "one<br>\n&lt;two&gt;"},
	})
}

func TestMrkdwn(t *testing.T) {
	runEsc(t, "Mrkdwn", Mrkdwn, []escCase{
		{"<!channel> wake up", "&lt;!channel&gt; wake up"},
		{"<!here|here>", "&lt;!here|here&gt;"},
		{"ping <@U123ABC>", "ping &lt;＠U123ABC&gt;"},
		{"<#C024BE7LR>", "&lt;#C024BE7LR&gt;"},
		{"<https://evil.example|Click here to reset MFA>", "&lt;https://evil.example|Click here to reset MFA&gt;"},
		{"<!subteam^SAZ94GDB8>", "&lt;!subteam^SAZ94GDB8&gt;"},
		{"*bold* _italic_ ~strike~ `code`", "∗bold∗ ˍitalicˍ ∼strike∼ ˋcodeˋ"},
		{"```\nblock\n```", "ˋˋˋ\nblock\nˋˋˋ"},
		{"@here @channel @everyone @alice", "＠here ＠channel ＠everyone ＠alice"},
		{"mail alice@example.com or bob.smith+x@example.org", "mail alice@example.com or bob.smith+x@example.org"},
		{"> quoted\n  >> nested\na > b", "› quoted\n  ›&gt; nested\na &gt; b"},
		{"&amp; &lt; & <", "&amp;amp; &amp;lt; &amp; &lt;"},
		{"my_bucket_name", "myˍbucketˍname"},
		{"\u202E<!channel>", "&lt;!channel&gt;"},
	})
}

func TestMarkdown(t *testing.T) {
	runEsc(t, "Markdown", Markdown, []escCase{
		{"[x](javascript:alert(1))", `\[x\]\(javascript\:alert\(1\)\)`},
		{"![i](http://t/p.png)", `\!\[i\]\(http\:\/\/t\/p\.png\)`},
		{"<http://x> <a@b.c>", `\<http\:\/\/x\> \<a\@b\.c\>`},
		{`<img src=x onerror="alert(1)">`, `\<img src\=x onerror\=\"alert\(1\)\"\>`},
		{"[ref]: http://evil", `\[ref\]\: http\:\/\/evil`},
		{"# heading\n1. item\n- item\n> quote\n---", "\\# heading\n1\\. item\n\\- item\n\\> quote\n\\-\\-\\-"},
		{"*a* _b_ `c` ~~d~~ | e |", "\\*a\\* \\_b\\_ \\`c\\` \\~\\~d\\~\\~ \\| e \\|"},
		{`trailing\`, `trailing\\`},
		{"&copy; &#60;", `\&copy\; \&\#60\;`},
		{"naïve 日本", "naïve 日本"},
	})
}

func TestAdaptive(t *testing.T) {
	runEsc(t, "Adaptive", Adaptive, []escCase{
		{"**bold** _it_", "∗∗bold∗∗ ˍitˍ"},
		{"[click](https://evil.example)", "［click］(https://evil.example)"},
		{"- item\n+ item\n  * item", "‐ item\n＋ item\n  ∗ item"},
		{"1. first\n22) second", "1․ first\n22） second"},
		{"version 1.2 - fine (ok)", "version 1.2 - fine (ok)"},
		{"a <b>html</b> & c", "a ‹b›html‹/b› & c"},
		{"`code` ~x~", "ˋcodeˋ ∼x∼"},
		{`ends with \`, "ends with ⧵"},
		{"{{DATE(2017-02-14T06:08:00Z, SHORT)}} {{{x", "{｛DATE(2017-02-14T06:08:00Z, SHORT)}} {｛｛x"},
	})
}

func TestJira(t *testing.T) {
	runEsc(t, "Jira", Jira, []escCase{
		{"[link|http://evil.example]", `\[link\|http://evil.example\]`},
		{"{code}x{code} {noformat}", `\{code\}x\{code\} \{noformat\}`},
		{"!image.png! !http://evil/x.png|width=1!", `\!image.png\! \!http://evil/x.png\|width=1\!`},
		{"{color:red}alert{color}", `\{color:red\}alert\{color\}`},
		{"*b* _e_ -d- +u+ ^sup^ ~sub~ ??cite?? {{mono}}", `\*b\* \_e\_ \-d\- \+u\+ \^sup\^ \~sub\~ \?\?cite\?\? \{\{mono\}\}`},
		{"[~admin] [^attachment.txt] @admin", `\[\~admin\] \[\^attachment.txt\] \@admin`},
		{"|| h1 || h2 ||\n| a | b |", "\\|\\| h1 \\|\\| h2 \\|\\|\n\\| a \\| b \\|"},
		{"# one\n* two\n----", "\\# one\n\\* two\n\\-\\-\\-\\-"},
		{`break\\here \[`, `break⧵⧵here ⧵\[`},
		{"h1. Big\n  h6. small\nbq. quote\nH2. x\nthe h1. is fine", "\u200Bh1. Big\n\u200B  h6. small\n\u200Bbq. quote\n\u200BH2. x\nthe h1. is fine"},
		{"100% sure (really)", `100\% sure \(really\)`},
	})
}

func TestJSON(t *testing.T) {
	runEsc(t, "JSON", JSON, []escCase{
		{`"</script><b>&`, `"\"\u003c/script\u003e\u003cb\u003e\u0026"`},
		{"nul\x00 tab\t", `"nul tab\t"`},
		{"a\u2028b", `"a\nb"`},
		{"\xff", `"` + "\uFFFD" + `"`},
	})
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("A", 100000)
	for _, c := range []struct {
		n       int
		in, out string
	}{
		{5, "abcdef", "abcd…"},
		{5, "abcde", "abcde"},
		{1, "abc", "…"},
		{0, "abc", ""},
		{-3, "abc", ""},
		{3, "日本語テキスト", "日本…"},
		{4, "\xff\xffab", "\uFFFD\uFFFDab"},
		{3, "\xffabc", "\uFFFDa…"},
		{10, long, strings.Repeat("A", 9) + "…"},
	} {
		if got := Truncate(c.n, c.in); got != c.out {
			t.Errorf("Truncate(%d, %.20q) = %q, want %q", c.n, c.in, got, c.out)
		}
	}
}

func TestOneLine(t *testing.T) {
	runEsc(t, "OneLine", OneLine, []escCase{
		{"  a\r\n\tb \u2028 c\x00d  ", "a b cd"},
	})
}

func TestSafeURL(t *testing.T) {
	runEsc(t, "SafeURL", SafeURL, []escCase{
		{"https://example.com/a?b=c&d=e#f", "https://example.com/a?b=c&d=e#f"},
		{"  HTTPS://Console.AWS.Amazon.com/x  ", "https://console.aws.amazon.com/x"},
		{"http://127.0.0.1:8080/p", "http://127.0.0.1:8080/p"},
		{"https://[::1]:8443/p", "https://[::1]:8443/p"},
		{"https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?fId=abc", "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?fId=abc"},
		{"https://x.example/a b", "https://x.example/a%20b"},
		{`https://x.example/"><script>alert(1)</script>`, "https://x.example/%22%3E%3Cscript%3Ealert%281%29%3C/script%3E"},
		{"https://x.example/a|b)c]d[e'f*g`h{i}j^k", "https://x.example/a%7Cb%29c%5Dd%5Be%27f%2Ag%60h%7Bi%7Dj%5Ek"},
		{"https://x.example/%2F%41", "https://x.example/%2F%41"},
		{"https://x.example/é", "https://x.example/%C3%A9"},
		{"javascript:alert(1)", ""},
		{"JaVaScRiPt:alert(document.cookie)", ""},
		{" javascript:alert(1)", ""},
		{"java\tscript:alert(1)", ""},
		{"data:text/html,<script>alert(1)</script>", ""},
		{"vbscript:msgbox", ""},
		{"mailto:a@example.com", ""},
		{"ftp://example.com/x", ""},
		{"//evil.example/x", ""},
		{"/relative/path", ""},
		{"example.com", ""},
		{"https://aws.amazon.com@evil.example/", ""},
		{"https://user:pass@example.com/", ""},
		{`https://example.com\@evil.example/`, ""},
		{"https://ex\u0430mple.com/", ""}, // Cyrillic a: IDN homograph
		{"https://%65vil.example/", ""},
		{"https://x.example/\r\nSet-Cookie: a=b", ""},
		{"https://x.example/%zz", ""},
		{"https:///path", ""},
		{"https:", ""},
		{"https://" + strings.Repeat("a", maxURL), ""},
		{"", ""},
	})
}

// Invariants, checked on the table inputs above by the fuzz seeds and on
// generated input by `go test -fuzz`.

func checkPlain(t *testing.T, in, out string) {
	if !utf8.ValidString(out) {
		t.Errorf("Plain(%q) = %q: invalid UTF-8", in, out)
	}
	if strings.ContainsFunc(out, needsPlain) {
		t.Errorf("Plain(%q) = %q: control or format character left", in, out)
	}
	if again := Plain(out); again != out {
		t.Errorf("Plain not idempotent on %q: %q then %q", in, out, again)
	}
}

func checkHTML(t *testing.T, in, out string) {
	if strings.ContainsAny(out, `<>"'`) {
		t.Errorf("HTML(%q) = %q: markup character left", in, out)
	}
	if html.UnescapeString(out) != Plain(in) {
		t.Errorf("HTML(%q) = %q does not decode to the text", in, out)
	}
}

func checkMrkdwn(t *testing.T, in, out string) {
	if strings.ContainsAny(out, "<>*_~`") {
		t.Errorf("Mrkdwn(%q) = %q: control or formatting character left", in, out)
	}
	for i := strings.IndexByte(out, '&'); i >= 0; i = next(out, i, '&') {
		rest := out[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Errorf("Mrkdwn(%q) = %q: bare '&' at %d", in, out, i)
		}
	}
	prev := '\n'
	for _, r := range out {
		if r == '@' && !inWord(prev) {
			t.Errorf("Mrkdwn(%q) = %q: '@' starts a word", in, out)
		}
		prev = r
	}
}

func next(s string, i int, c byte) int {
	j := strings.IndexByte(s[i+1:], c)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func checkMarkdown(t *testing.T, in, out string) {
	var plain strings.Builder
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case c == '\\':
			if i+1 >= len(out) || !isASCIIPunct(out[i+1]) {
				t.Fatalf("Markdown(%q) = %q: backslash at %d escapes nothing", in, out, i)
			}
			plain.WriteByte(out[i+1])
			i++
		case isASCIIPunct(c):
			t.Fatalf("Markdown(%q) = %q: unescaped %q at %d", in, out, c, i)
		default:
			plain.WriteByte(c)
		}
	}
	if plain.String() != Plain(in) {
		t.Errorf("Markdown(%q) = %q does not unescape to the text", in, out)
	}
}

const jiraSpecial = `-#*_+?^~|%{}[]()!@`

func checkJira(t *testing.T, in, out string) {
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case c == '\\':
			if i+1 >= len(out) || strings.IndexByte(jiraSpecial, out[i+1]) < 0 {
				t.Fatalf("Jira(%q) = %q: stray backslash at %d", in, out, i)
			}
			i++
		case strings.IndexByte(jiraSpecial, c) >= 0:
			t.Fatalf("Jira(%q) = %q: unescaped %q at %d", in, out, c, i)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if blockMarker(line) {
			t.Errorf("Jira(%q) = %q: line %q starts a block", in, out, line)
		}
	}
}

func checkAdaptive(t *testing.T, in, out string) {
	if strings.ContainsAny(out, "*_[]`~<>\\") || strings.Contains(out, "{{") {
		t.Errorf("Adaptive(%q) = %q: markup character left", in, out)
	}
	for _, line := range strings.Split(out, "\n") {
		l := strings.TrimLeft(line, " \t")
		d := strings.TrimLeft(l, "0123456789")
		if strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+") || (len(d) < len(l) && (strings.HasPrefix(d, ".") || strings.HasPrefix(d, ")"))) {
			t.Errorf("Adaptive(%q) = %q: line %q starts a list", in, out, line)
		}
	}
}

func checkJSON(t *testing.T, in, out string) {
	var back string
	if err := json.Unmarshal([]byte(out), &back); err != nil || back != Plain(in) {
		t.Errorf("JSON(%q) = %q: decodes to %q, %v", in, out, back, err)
	}
	if strings.ContainsAny(out, "<>&") {
		t.Errorf("JSON(%q) = %q: HTML-significant character left", in, out)
	}
}

func checkSafeURL(t *testing.T, in, out string) {
	if out == "" {
		return
	}
	if !strings.HasPrefix(out, "http://") && !strings.HasPrefix(out, "https://") {
		t.Errorf("SafeURL(%q) = %q: not http(s)", in, out)
	}
	host := strings.TrimPrefix(strings.TrimPrefix(out, "http://"), "https://")
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if host == "" || strings.Contains(host, "@") {
		t.Errorf("SafeURL(%q) = %q: bad host", in, out)
	}
	rest := out[strings.Index(out, "://")+3+len(host):]
	for i := 0; i < len(rest); i++ {
		if !urlChar(rest[i]) {
			t.Errorf("SafeURL(%q) = %q: %q left unencoded", in, out, rest[i])
		}
	}
	if again := SafeURL(out); again != out {
		t.Errorf("SafeURL not stable on %q: %q then %q", in, out, again)
	}
}

func checkTruncate(t *testing.T, n int, in, out string) {
	if !utf8.ValidString(out) || utf8.RuneCountInString(out) > max(n, 0) {
		t.Errorf("Truncate(%d, %q) = %q: too long or invalid", n, in, out)
	}
	v := string([]rune(in))
	if out != v && !strings.HasPrefix(v, strings.TrimSuffix(out, "…")) {
		t.Errorf("Truncate(%d, %q) = %q: not a prefix", n, in, out)
	}
}

var hostile = []string{
	`"><script>alert(1)</script>`, "javascript:alert(1)", "<!channel> <!here> <@U123> <https://evil|click>",
	"*bold* _it_ ~s~ `c` ```b```", "[x](javascript:alert(1)) ![i](http://t) <http://x>",
	"[link|http://evil] {code} !image.png! {color:red}x{color}", "h1. head\nbq. quote\n- list\n1. one",
	"\u202Eevil\u202C \u2066x\u2069 \x00\x1b\x7f\r\n\xff\xfe", "@here @channel a@b.c", `back\\slash\`,
	"&amp; &lt; &#60; &", "  > quote\n>> x", "\U000E0041\u200B\uFEFF\u00AD", strings.Repeat("A*", 500),
}

func FuzzEscapers(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkPlain(t, s, Plain(s))
		checkHTML(t, s, HTML(s))
		checkMrkdwn(t, s, Mrkdwn(s))
		checkMarkdown(t, s, Markdown(s))
		checkJira(t, s, Jira(s))
		checkAdaptive(t, s, Adaptive(s))
		checkJSON(t, s, JSON(s))
		checkSafeURL(t, s, SafeURL(s))
		if strings.ContainsAny(OneLine(s), "\n\r") {
			t.Errorf("OneLine(%q) has a line break", s)
		}
		for _, n := range []int{0, 1, 7, 64} {
			checkTruncate(t, n, s, Truncate(n, s))
		}
	})
}

func FuzzSafeURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a?b=c#d", "http://[::1]/x", "https://a@b/", "javascript:x", "https://x/%41%zz", "HTTPS://X/ \"<>|'()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkSafeURL(t, s, SafeURL(s)) })
}

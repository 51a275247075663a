package route

import (
	"fmt"
	"sort"
	"strings"
)

// glob is a value pattern: `*` matches any run of characters (including
// none, `/` and `:`), `\*` a literal star, `\\` a backslash; everything
// else matches itself.
type glob struct {
	segs []string // literal pieces between stars; len 1 means no star
}

func compileGlob(p string) (glob, error) {
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			if i+1 >= len(p) || (p[i+1] != '*' && p[i+1] != '\\') {
				return glob{}, fmt.Errorf("glob %q: a backslash must escape * or \\", p)
			}
			i++
			cur.WriteByte(p[i])
		case '*':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return glob{segs: append(segs, cur.String())}, nil
}

func (g glob) match(s string) bool {
	if len(g.segs) == 1 {
		return s == g.segs[0]
	}
	first, last := g.segs[0], g.segs[len(g.segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, mid := range g.segs[1 : len(g.segs)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return true
}

// labelMatcher holds when some value of the label matches some glob. A
// label without values is taken as the one value "" (so `[""]` selects
// findings without it).
type labelMatcher struct {
	name  string
	globs []glob
}

func (m labelMatcher) holds(l Labels, buf *[]string) bool {
	vals := l.Label(m.name, (*buf)[:0])
	*buf = vals
	if len(vals) == 0 {
		vals = append(vals, "")
	}
	for _, v := range vals {
		for _, g := range m.globs {
			if g.match(v) {
				return true
			}
		}
	}
	return false
}

// matchers is a compiled match/match_not pair: every match label holds and
// no match_not label does.
type matchers struct {
	all, none []labelMatcher
}

// holds evaluates the matchers; buf is scratch space for label values
// (nil is fine), kept across calls to save allocations.
func (ms matchers) holds(l Labels, buf *[]string) bool {
	if buf == nil {
		buf = new([]string)
	}
	for _, m := range ms.all {
		if !m.holds(l, buf) {
			return false
		}
	}
	for _, m := range ms.none {
		if m.holds(l, buf) {
			return false
		}
	}
	return true
}

func (ms matchers) empty() bool { return len(ms.all) == 0 && len(ms.none) == 0 }

// compileMatchers compiles a label → values map, sorted by label name so
// evaluation (and errors) are deterministic. where is the availability the
// labels need (e.g. inState for digests).
func (c *compiler) compileMatchers(path []string, m map[string]Values, where int, what string) []labelMatcher {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]labelMatcher, 0, len(names))
	for _, n := range names {
		p := append(append([]string(nil), path...), n)
		if !c.checkLabel(p, n, where, what) {
			continue
		}
		lm := labelMatcher{name: n}
		if len(m[n]) == 0 {
			c.errf(p, "label %s: give at least one value", n)
			continue
		}
		for i, v := range m[n] {
			g, err := compileGlob(v)
			if err != nil {
				c.errf(append(p, fmt.Sprint(i)), "label %s: %v", n, err)
				continue
			}
			lm.globs = append(lm.globs, g)
		}
		out = append(out, lm)
	}
	return out
}

// checkLabel reports whether name is a label readable where it is used.
func (c *compiler) checkLabel(path []string, name string, where int, what string) bool {
	av := availability(name)
	if av == 0 {
		c.errf(path, "unknown label %q (labels: %s, tag:KEY, account_tag:KEY)", name, strings.Join(LabelNames(), ", "))
		return false
	}
	if av&where != where {
		c.errf(path, "label %s is not available to %s (they see %s)", name, what, whereWords(where))
		return false
	}
	return true
}

func whereWords(where int) string {
	switch {
	case where&inState != 0:
		return "tracked findings as stored: finding_id, product, severity, verdict, account_id, region, title, the account's labels and overdue"
	case where&inRecord != 0:
		return "the decision record: no type, resource_type, control, compliance, generator or tag:KEY"
	}
	return "every label"
}

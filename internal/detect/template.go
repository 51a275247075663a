package detect

import (
	"fmt"
	"strings"
)

// A template is a detection title or description with placeholders filled
// from the event: {actor}, {resource}, {account}, {region}, {event_name},
// {event_source}, {source_ip}, or any dotted event path such as
// {detail.requestParameters.bucketName} (several values are joined with
// ", "; a missing one renders as "?"). "{{" and "}}" are literal braces.
type template struct {
	parts []tpart
}

type tpart struct {
	lit  string
	name string   // a named placeholder, or "" for a path or literal
	path []string // a dotted event path
}

var placeholderNames = []string{"actor", "resource", "account", "region", "event_name", "event_source", "source_ip"}

func isPlaceholderName(n string) bool {
	for _, k := range placeholderNames {
		if k == n {
			return true
		}
	}
	return false
}

func parseTemplate(s string) (template, error) {
	var t template
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, tpart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '{':
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return t, fmt.Errorf("unclosed placeholder at byte %d (write {{ for a literal brace)", i)
			}
			name := strings.TrimSpace(s[i+1 : i+1+end])
			flush()
			switch {
			case isPlaceholderName(name):
				t.parts = append(t.parts, tpart{name: name})
			case strings.Contains(name, "."):
				segs, ok := splitPath(name)
				if !ok {
					return t, fmt.Errorf("placeholder {%s}: not a dotted field path", name)
				}
				t.parts = append(t.parts, tpart{path: segs})
			default:
				return t, fmt.Errorf("unknown placeholder {%s} (known: %s, or a dotted event path such as {detail.eventName})",
					name, strings.Join(placeholderNames, ", "))
			}
			i += end + 1
		case c == '}':
			return t, fmt.Errorf("unmatched } at byte %d (write }} for a literal brace)", i)
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return t, nil
}

// static reports whether the template has no placeholders, and its text.
func (t template) static() (string, bool) {
	switch len(t.parts) {
	case 0:
		return "", true
	case 1:
		if t.parts[0].name == "" && t.parts[0].path == nil {
			return t.parts[0].lit, true
		}
	}
	return "", false
}

func (t template) render(ctx *buildContext) string {
	if s, ok := t.static(); ok {
		return s
	}
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.path != nil:
			n := 0
			lookup(ctx.doc, p.path, func(v string) {
				if n > 0 {
					b.WriteString(", ")
				}
				b.WriteString(v)
				n++
			})
			if n == 0 {
				b.WriteString("?")
			}
		case p.name != "":
			v := ctx.placeholder(p.name)
			if v == "" {
				v = "?"
			}
			b.WriteString(v)
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

package pattern

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The pattern parser reads patterns into a small JSON tree that remembers
// the byte offset of every element, so that errors can point at it. It is
// not on the matching hot path; events are read by the scanner in scan.go.

type jkind uint8

const (
	jNull jkind = iota
	jTrue
	jFalse
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	return [...]string{"null", "true", "false", "number", "string", "array", "object"}[k]
}

// jnode is one JSON value. For jString str is the decoded string; for
// jNumber it is the literal text as written.
type jnode struct {
	kind  jkind
	off   int
	str   string
	elems []*jnode
	keys  []jmember
}

type jmember struct {
	name string
	off  int
	val  *jnode
}

// maxPatternDepth bounds nesting in a pattern source. Real patterns are a
// handful of levels deep; the bound keeps hostile input from recursing far.
const maxPatternDepth = 64

type jparser struct {
	src []byte
	i   int
}

// parseJSON parses src as exactly one JSON value.
func parseJSON(src []byte) (*jnode, *Error) {
	p := &jparser{src: src}
	p.ws()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i < len(p.src) {
		return nil, p.fail("invalid JSON: unexpected %s after the pattern", p.what())
	}
	return n, nil
}

func (p *jparser) fail(format string, args ...any) *Error {
	e := errAt(nil, p.i, format, args...)
	e.Msg += " at offset " + strconv.Itoa(p.i)
	return e
}

// what describes the byte at the cursor for error messages.
func (p *jparser) what() string {
	if p.i >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.src[p.i:])
	return strconv.QuoteRune(r)
}

func (p *jparser) ws() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value(depth int) (*jnode, *Error) {
	if depth > maxPatternDepth {
		return nil, p.fail("pattern nests deeper than %d levels", maxPatternDepth)
	}
	if p.i >= len(p.src) {
		return nil, p.fail("invalid JSON: unexpected end of input")
	}
	off := p.i
	switch c := p.src[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return &jnode{kind: jString, off: off, str: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok := scanNumber(p.src, p.i)
		if !ok {
			p.i = end
			return nil, p.fail("invalid JSON: malformed number")
		}
		p.i = end
		return &jnode{kind: jNumber, off: off, str: string(p.src[off:end])}, nil
	default:
		for _, lit := range [...]struct {
			text string
			kind jkind
		}{{"true", jTrue}, {"false", jFalse}, {"null", jNull}} {
			if strings.HasPrefix(string(p.src[p.i:min(len(p.src), p.i+5)]), lit.text) {
				p.i += len(lit.text)
				return &jnode{kind: lit.kind, off: off}, nil
			}
		}
		return nil, p.fail("invalid JSON: unexpected %s", p.what())
	}
}

func (p *jparser) object(depth int) (*jnode, *Error) {
	n := &jnode{kind: jObject, off: p.i}
	p.i++ // {
	p.ws()
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
		return n, nil
	}
	for {
		p.ws()
		if p.i >= len(p.src) || p.src[p.i] != '"' {
			return nil, p.fail("invalid JSON: expected a quoted key, got %s", p.what())
		}
		koff := p.i
		name, err := p.string()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.src) || p.src[p.i] != ':' {
			return nil, p.fail("invalid JSON: expected ':' after key, got %s", p.what())
		}
		p.i++
		p.ws()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, jmember{name: name, off: koff, val: v})
		p.ws()
		if p.i >= len(p.src) {
			return nil, p.fail("invalid JSON: unexpected end of input in object")
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return n, nil
		default:
			return nil, p.fail("invalid JSON: expected ',' or '}', got %s", p.what())
		}
	}
}

func (p *jparser) array(depth int) (*jnode, *Error) {
	n := &jnode{kind: jArray, off: p.i}
	p.i++ // [
	p.ws()
	if p.i < len(p.src) && p.src[p.i] == ']' {
		p.i++
		return n, nil
	}
	for {
		p.ws()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		p.ws()
		if p.i >= len(p.src) {
			return nil, p.fail("invalid JSON: unexpected end of input in array")
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return n, nil
		default:
			return nil, p.fail("invalid JSON: expected ',' or ']', got %s", p.what())
		}
	}
}

// string reads a quoted string at the cursor. Patterns must be valid UTF-8.
func (p *jparser) string() (string, *Error) {
	start := p.i + 1
	end, esc, ok := stringEnd(p.src, p.i)
	if !ok {
		p.i = end
		return "", p.fail("invalid JSON: unterminated or malformed string")
	}
	raw := p.src[start : end-1]
	p.i = end
	var s string
	if esc {
		s = string(unescape(nil, raw))
	} else {
		s = string(raw)
	}
	if !utf8.ValidString(s) {
		p.i = start - 1
		return "", p.fail("invalid UTF-8 in string")
	}
	return s, nil
}

// brief renders n as compact JSON, cut short, for "got X" in messages.
func (n *jnode) brief() string {
	var sb strings.Builder
	n.write(&sb, 3)
	s := sb.String()
	if len(s) > 40 {
		cut := 37
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func (n *jnode) write(sb *strings.Builder, depth int) {
	switch n.kind {
	case jNull, jTrue, jFalse:
		sb.WriteString(n.kind.String())
	case jNumber:
		sb.WriteString(n.str)
	case jString:
		writeJSONString(sb, n.str)
	case jArray:
		if depth == 0 {
			sb.WriteString("[...]")
			return
		}
		sb.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				sb.WriteByte(',')
			}
			e.write(sb, depth-1)
		}
		sb.WriteByte(']')
	case jObject:
		if depth == 0 {
			sb.WriteString("{...}")
			return
		}
		sb.WriteByte('{')
		for i, m := range n.keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSONString(sb, m.name)
			sb.WriteByte(':')
			m.val.write(sb, depth-1)
		}
		sb.WriteByte('}')
	}
}

package pattern

import (
	"slices"
	"strconv"
	"strings"
)

// Explain says why the pattern did or did not match the event, one line per
// pattern field in canonical order, for people reading a policy decision:
//
//	Severity.Label: "LOW" not in ["HIGH","CRITICAL"]
//	Compliance.Status: missing
//	detail.eventName: "StopLogging" matched
//
// Fields inside $or alternatives are named with the alternative, e.g.
// detail.$or[1].d-count. matched is the same answer Match gives; the lines
// look at each field on its own, so when every line says matched but the
// pattern did not, a last line says the values sit in different array
// elements. The error is non-nil only if the event is not valid JSON.
func (p *Pattern) Explain(event []byte) (matched bool, lines []string, err error) {
	s := p.single()
	sc := s.get()
	defer s.put(sc)
	if err := sc.scan(s.root, event); err != nil {
		return false, nil, err
	}
	sc.begin()
	for a := range s.alts {
		if s.evalAlt(&s.alts[a], -1, sc) {
			matched = true
			break
		}
	}
	e := explainer{s: s, sc: sc, fieldOf: map[string]int32{}}
	for id, path := range s.fields {
		e.fieldOf[dotKey(path)] = int32(id)
	}
	e.object(p.root, nil, nil)
	if !matched && !e.failed {
		e.lines = append(e.lines, "no single element of the event's arrays satisfies every field together")
	}
	return matched, e.lines, nil
}

type explainer struct {
	s       *Set
	sc      *scratch
	fieldOf map[string]int32
	lines   []string
	failed  bool
}

func dotKey(path []string) string { return strings.Join(path, "\x00") }

// object explains o, whose fields have event path prefix and display
// path shown (which also names $or alternatives).
func (e *explainer) object(o *object, prefix, shown []string) {
	for _, f := range o.fields {
		p, sp := sub(prefix, f.key), sub(shown, f.key)
		if f.obj != nil {
			e.object(f.obj, p, sp)
			continue
		}
		e.leafLine(f.leaf, e.fieldOf[dotKey(p)], renderPath(sp))
	}
	for i, a := range o.or {
		e.object(a, prefix, append(sub(shown, "$or"), strconv.Itoa(i)))
	}
}

func (e *explainer) leafLine(l *leaf, field int32, name string) {
	var vals []*value
	for vi := e.sc.head[field]; vi >= 0; vi = e.sc.vals[vi].next {
		vals = append(vals, &e.sc.vals[vi])
	}
	slices.Reverse(vals) // event order
	var sb strings.Builder
	sb.WriteString(name)
	sb.WriteString(": ")
	switch {
	case l.absentOnly() && len(vals) == 0:
		sb.WriteString(`missing, as required by {"exists":false}`)
	case l.absentOnly():
		e.writeValues(&sb, vals)
		sb.WriteString(` present, but {"exists":false} wants it missing`)
		e.failed = true
	case len(vals) == 0:
		sb.WriteString("missing")
		e.failed = true
	default:
		for _, v := range vals {
			if l.presentOnly() || l.matchValue(v, e.sc.bytes(v)) {
				e.writeValues(&sb, []*value{v})
				sb.WriteString(" matched")
				e.lines = append(e.lines, sb.String())
				return
			}
		}
		e.failed = true
		e.writeValues(&sb, vals)
		if l.exact() {
			sb.WriteString(" not in ")
		} else {
			sb.WriteString(" does not match ")
		}
		writeLeaf(&sb, l)
	}
	e.lines = append(e.lines, sb.String())
}

// writeValues renders event values as JSON, several as a list; long
// strings are cut short.
func (e *explainer) writeValues(sb *strings.Builder, vals []*value) {
	if len(vals) > 1 {
		sb.WriteByte('[')
	}
	for i, v := range vals {
		if i > 0 {
			sb.WriteByte(',')
		}
		b := e.sc.bytes(v)
		if v.kind != vString {
			sb.Write(b)
			continue
		}
		s := string(b)
		if len(s) > 100 {
			cut := 97
			for cut > 0 && s[cut]&0xC0 == 0x80 {
				cut--
			}
			s = s[:cut] + "..."
		}
		writeJSONString(sb, s)
	}
	if len(vals) > 1 {
		sb.WriteByte(']')
	}
}

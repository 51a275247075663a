package pattern

import (
	"strings"
)

// canonical renders o as compact JSON with keys sorted ("$or" sorts first
// among keys beginning with other characters, by byte order) and every
// value as the pattern wrote it.
func canonical(o *object) string {
	var sb strings.Builder
	writeObject(&sb, o)
	return sb.String()
}

func writeObject(sb *strings.Builder, o *object) {
	sb.WriteByte('{')
	n := 0
	sep := func() {
		if n > 0 {
			sb.WriteByte(',')
		}
		n++
	}
	orDone := o.or == nil
	writeOr := func() {
		sep()
		sb.WriteString(`"$or":[`)
		for i, a := range o.or {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeObject(sb, a)
		}
		sb.WriteByte(']')
		orDone = true
	}
	for _, f := range o.fields {
		if !orDone && f.key > "$or" {
			writeOr()
		}
		sep()
		writeJSONString(sb, f.key)
		sb.WriteByte(':')
		if f.leaf != nil {
			writeLeaf(sb, f.leaf)
		} else {
			writeObject(sb, f.obj)
		}
	}
	if !orDone {
		writeOr()
	}
	sb.WriteByte('}')
}

func writeLeaf(sb *strings.Builder, l *leaf) {
	sb.WriteByte('[')
	for i := range l.conds {
		if i > 0 {
			sb.WriteByte(',')
		}
		l.conds[i].write(sb)
	}
	sb.WriteByte(']')
}

// write renders c as it appears in a value list.
func (c *cond) write(sb *strings.Builder) {
	op := func(name string) {
		sb.WriteString(`{"`)
		sb.WriteString(name)
		sb.WriteString(`":`)
	}
	switch c.op {
	case opExact:
		writeJSONString(sb, c.str)
		return
	case opLiteral:
		sb.WriteString(c.str)
		return
	case opPrefix, opPrefixFold:
		op("prefix")
		writeFoldable(sb, c.str, c.op == opPrefixFold)
	case opSuffix, opSuffixFold:
		op("suffix")
		writeFoldable(sb, c.str, c.op == opSuffixFold)
	case opEqualsFold:
		op("equals-ignore-case")
		writeJSONString(sb, c.str)
	case opWildcard:
		op("wildcard")
		writeJSONString(sb, c.str)
	case opCIDR:
		op("cidr")
		writeJSONString(sb, c.str)
	case opExists:
		op("exists")
		if c.exists {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case opNumeric:
		op("numeric")
		sb.WriteByte('[')
		for i := range c.rng.ops {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSONString(sb, c.rng.ops[i])
			sb.WriteByte(',')
			sb.WriteString(c.rng.lits[i])
		}
		sb.WriteByte(']')
	case opAnythingBut, opAnythingButNum:
		op("anything-but")
		writeList(sb, c.list, c.single, c.op == opAnythingButNum)
	default: // anything-but with an inner operator
		op("anything-but")
		op(anythingButInner[c.op])
		writeList(sb, c.list, c.single, false)
		sb.WriteByte('}')
	}
	sb.WriteByte('}')
}

func writeFoldable(sb *strings.Builder, s string, fold bool) {
	if fold {
		sb.WriteString(`{"equals-ignore-case":`)
		writeJSONString(sb, s)
		sb.WriteByte('}')
		return
	}
	writeJSONString(sb, s)
}

func writeList(sb *strings.Builder, list []string, single, numbers bool) {
	item := func(s string) {
		if numbers {
			sb.WriteString(s)
		} else {
			writeJSONString(sb, s)
		}
	}
	if single {
		item(list[0])
		return
	}
	sb.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			sb.WriteByte(',')
		}
		item(s)
	}
	sb.WriteByte(']')
}

// anythingButInner names the operator inside an anything-but.
var anythingButInner = map[opKind]string{
	opAnythingButPrefix:   "prefix",
	opAnythingButSuffix:   "suffix",
	opAnythingButFold:     "equals-ignore-case",
	opAnythingButWildcard: "wildcard",
}

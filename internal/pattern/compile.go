package pattern

import (
	"slices"
	"strconv"
	"strings"
)

// Build compiles the patterns added so far. The Builder may be reused.
func (b *Builder) Build() *Set {
	s := &Set{root: newTrieNode()}
	for _, e := range b.entries {
		s.ids = append(s.ids, e.id)
	}
	slices.Sort(s.ids)
	s.ids = slices.Compact(s.ids)

	fieldOf := map[string]int32{}
	for _, e := range b.entries {
		pat, _ := slices.BinarySearch(s.ids, e.id)
		for _, a := range e.p.alts {
			c := compiled{pat: int32(pat)}
			for _, t := range a {
				c.conds = append(c.conds, newFieldCond(s.fieldID(fieldOf, t.path), t.leaf))
			}
			// Cheap, selective conditions first: exact values, then
			// other operators, absence checks last.
			slices.SortStableFunc(c.conds, func(x, y fieldCond) int { return condRank(x) - condRank(y) })
			s.alts = append(s.alts, c)
		}
	}
	// Keep all conditions in one array, in alt order, so that evaluating
	// an alt touches neighbouring memory.
	flat := make([]fieldCond, 0, func() (n int) {
		for _, a := range s.alts {
			n += len(a.conds)
		}
		return n
	}())
	for i := range s.alts {
		lo := len(flat)
		flat = append(flat, s.alts[i].conds...)
		s.alts[i].conds = flat[lo:len(flat):len(flat)]
	}
	s.root.seal()
	s.buildIndex()
	nf, na, np := len(s.fields), len(s.alts), len(s.ids)
	s.pool.New = func() any { return newScratch(nf, na, np) }
	return s
}

func condRank(c fieldCond) int {
	switch c.kind {
	case fcAbsent:
		return 3
	case fcPresent:
		return 2
	case fcOther:
		return 1
	}
	return 0
}

// fieldID interns path as a field, adding it to the trie.
func (s *Set) fieldID(fieldOf map[string]int32, path []string) int32 {
	var kb strings.Builder
	for _, seg := range path {
		kb.WriteString(strconv.Itoa(len(seg)))
		kb.WriteByte(':')
		kb.WriteString(seg)
	}
	if id, ok := fieldOf[kb.String()]; ok {
		return id
	}
	n := s.root
	for _, seg := range path {
		n = n.add(seg)
	}
	id := int32(len(s.fields))
	n.field = id
	fieldOf[kb.String()] = id
	s.fields = append(s.fields, path)
	return id
}

// compiled is one alternative: a conjunction of field conditions.
type compiled struct {
	pat   int32 // index into Set.ids
	conds []fieldCond
}

// fieldCond is one term of an alternative.
type fieldCond struct {
	kind  fcKind
	field int32
	vals  []string // fcStrings, fcLiterals: the values listed
	leaf  *leaf
}

type fcKind uint8

const (
	fcStrings  fcKind = iota // the leaf lists only strings
	fcLiterals               // only numbers, true, false, null (as JSON text)
	fcPresent                // {"exists": true}
	fcAbsent                 // {"exists": false}
	fcOther                  // any other mix of operators
)

func newFieldCond(field int32, l *leaf) fieldCond {
	fc := fieldCond{kind: fcOther, field: field, leaf: l}
	switch {
	case l.presentOnly():
		fc.kind = fcPresent
	case l.absentOnly():
		fc.kind = fcAbsent
	case l.exact():
		fc.kind = fcStrings
		if l.conds[0].op == opLiteral {
			fc.kind = fcLiterals
		}
		for _, c := range l.conds {
			if (c.op == opLiteral) != (fc.kind == fcLiterals) {
				fc.kind, fc.vals = fcOther, nil
				break
			}
			fc.vals = append(fc.vals, c.str)
		}
	}
	return fc
}

// matches reports whether the value satisfies the condition (which is not
// an absence check).
func (fc *fieldCond) matches(v *value, b []byte) bool {
	switch fc.kind {
	case fcStrings:
		if v.kind == vString {
			for _, x := range fc.vals {
				if x == string(b) {
					return true
				}
			}
		}
		return false
	case fcLiterals:
		if v.kind != vString {
			for _, x := range fc.vals {
				if x == string(b) {
					return true
				}
			}
		}
		return false
	case fcPresent:
		return true
	}
	return fc.leaf.matchValue(v, b)
}

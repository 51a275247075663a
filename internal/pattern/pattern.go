package pattern

import (
	"slices"
	"strings"
	"sync"
)

// Pattern is one parsed and checked EventBridge event pattern. It is
// immutable and safe for concurrent use.
type Pattern struct {
	root  *object
	alts  []alt    // the pattern with every $or multiplied out
	paths []string // dotted leaf paths, sorted, unique
	canon string   // canonical JSON

	once sync.Once
	set  *Set // a one-pattern set, built on first Match
}

// object is a pattern object: fields ANDed, plus at most one $or.
type object struct {
	fields []*field  // sorted by key
	or     []*object // the $or alternatives, nil if none
}

// field is one key of a pattern object: either a nested object or a leaf
// value list.
type field struct {
	key  string
	obj  *object
	leaf *leaf
}

// leaf is a value list: the field matches if any cond matches.
type leaf struct {
	conds []cond
}

// term is one leaf of a pattern with its full path.
type term struct {
	path []string
	leaf *leaf
}

// alt is one conjunction of terms; a pattern matches when any alt does.
type alt []term

// absentOnly reports whether the leaf is {"exists": false}.
func (l *leaf) absentOnly() bool {
	return len(l.conds) == 1 && l.conds[0].op == opExists && !l.conds[0].exists
}

// presentOnly reports whether the leaf is {"exists": true}.
func (l *leaf) presentOnly() bool {
	return len(l.conds) == 1 && l.conds[0].op == opExists && l.conds[0].exists
}

// exact reports whether every cond of the leaf is an exact value, so the
// leaf can only match one of a known set of texts.
func (l *leaf) exact() bool {
	for i := range l.conds {
		if !l.conds[i].isExact() {
			return false
		}
	}
	return true
}

// Match reports whether the pattern matches the event. The error is
// non-nil only when the event is not valid JSON (see Set.Match for how
// much of an event is checked).
func (p *Pattern) Match(event []byte) (bool, error) {
	s := p.single()
	sc := s.get()
	defer s.put(sc)
	if err := sc.scan(s.root, event); err != nil {
		return false, err
	}
	sc.begin()
	for a := range s.alts {
		if s.evalAlt(&s.alts[a], -1, sc) {
			return true, nil
		}
	}
	return false, nil
}

// single returns the one-pattern set Match and Explain run on.
func (p *Pattern) single() *Set {
	p.once.Do(func() {
		b := NewBuilder()
		b.Add(0, p)
		p.set = b.Build()
	})
	return p.set
}

// Paths returns the dotted field paths the pattern uses, sorted, each once,
// including those inside $or alternatives.
func (p *Pattern) Paths() []string { return slices.Clone(p.paths) }

// String returns the pattern as canonical JSON: object keys sorted, no
// white space, values as written. Parse(p.String()) yields an equal
// pattern.
func (p *Pattern) String() string { return p.canon }

func dotted(path []string) string { return strings.Join(path, ".") }

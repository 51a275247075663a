package pattern

import (
	"slices"
	"sync"
)

// Builder collects patterns for a Set. It is not safe for concurrent use.
type Builder struct {
	entries []entry
}

type entry struct {
	id int
	p  *Pattern
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{} }

// Add adds p under id. Ids are the caller's (rule indices, say); several
// patterns may share an id, and a pattern may be added more than once. A
// nil pattern is ignored.
func (b *Builder) Add(id int, p *Pattern) {
	if p == nil {
		return
	}
	b.entries = append(b.entries, entry{id: id, p: p})
}

// Set is an immutable compiled set of patterns. It is safe for concurrent
// use without locks: Match keeps its working memory in a sync.Pool.
//
// All patterns share one trie of the field paths they use, so an event is
// scanned once for all of them. Each pattern alternative (a pattern with
// its $or multiplied out) is indexed under its most selective
// exact-value field: an event only evaluates the alternatives whose index
// key it contains, plus those with no exact-value field at all.
type Set struct {
	root   *trieNode
	fields [][]string  // path of each field
	alts   []compiled  // every alternative of every pattern
	always []int32     // alts with no index key
	index  []*keyIndex // per field, nil if no alt is indexed on it
	ids    []int       // pattern index -> caller id, ascending
	pool   sync.Pool
}

// keyIndex maps an exact value of one field to the alts indexed under it.
type keyIndex struct {
	strs map[string][]candidate // string values
	lits map[string][]candidate // numbers, true, false, null, by JSON text
}

// candidate is an alt found through the index, and which of its conditions
// the index key belongs to.
type candidate struct {
	alt  int32
	cond int32
}

// Len returns the number of distinct ids in the set.
func (s *Set) Len() int { return len(s.ids) }

func (s *Set) get() *scratch   { return s.pool.Get().(*scratch) }
func (s *Set) put(sc *scratch) { s.pool.Put(sc) }

// Match appends to dst the ids of all patterns that match event, each once,
// in ascending order. The error is non-nil only if the event is not valid
// JSON; parts of the event no pattern looks at are checked only for string
// and bracket structure.
func (s *Set) Match(event []byte, dst []int) ([]int, error) {
	sc := s.get()
	defer s.put(sc)
	if err := sc.scan(s.root, event); err != nil {
		return dst, err
	}
	sc.begin()
	for vi := range sc.vals {
		v := &sc.vals[vi]
		ix := s.index[v.field]
		if ix == nil {
			continue
		}
		var cands []candidate
		if v.kind == vString {
			cands = ix.strs[string(sc.bytes(v))]
		} else {
			cands = ix.lits[string(sc.bytes(v))]
		}
		// The value met the candidate's indexed condition; outside any
		// array it needs no further checking.
		for _, c := range cands {
			if v.trailLen == 0 {
				s.try(c.alt, c.cond, sc)
			} else {
				s.try(c.alt, -1, sc)
			}
		}
	}
	for _, a := range s.always {
		s.try(a, -1, sc)
	}
	slices.Sort(sc.matched)
	for _, p := range sc.matched {
		dst = append(dst, s.ids[p])
	}
	return dst, nil
}

// try evaluates alt a, taking condition met as already met, unless the alt
// or its pattern was already settled.
func (s *Set) try(a, met int32, sc *scratch) {
	if sc.altSeen[a] == sc.gen {
		return
	}
	sc.altSeen[a] = sc.gen
	c := &s.alts[a]
	if sc.patSeen[c.pat] == sc.gen {
		return
	}
	if s.evalAlt(c, met, sc) {
		sc.patSeen[c.pat] = sc.gen
		sc.matched = append(sc.matched, c.pat)
	}
}

package pattern

import "net/netip"

// value is one leaf value the scanner extracted from an event, for one of
// the fields a set uses. Its bytes are the decoded string (strings) or the
// JSON text (numbers, true, false, null), held in the event itself or, for
// strings with escapes, in scratch.buf.
type value struct {
	kind     vkind
	numState uint8 // 0 not parsed yet, 1 number, 2 not representable
	ipState  uint8 // 0 not parsed yet, 1 IP address, 2 not one
	inBuf    bool
	field    int32
	start    int32
	end      int32
	trail    int32 // first of trailLen entries in scratch.trails
	trailLen int32
	next     int32 // previous value of the same field, -1 at the end
	num      float64
	ip       netip.Addr
}

// number returns v as float64 if it is a JSON number that fits.
func (v *value) number(s []byte) (float64, bool) {
	if v.kind != vNumber {
		return 0, false
	}
	switch v.numState {
	case 1:
		return v.num, true
	case 2:
		return 0, false
	}
	f, ok := parseFloat(s)
	if ok {
		v.num, v.numState = f, 1
	} else {
		v.numState = 2
	}
	return f, ok
}

// addr returns v as an IP address if it is a string holding one.
func (v *value) addr(s []byte) (netip.Addr, bool) {
	if v.kind != vString {
		return netip.Addr{}, false
	}
	switch v.ipState {
	case 1:
		return v.ip, true
	case 2:
		return netip.Addr{}, false
	}
	a, ok := parseAddr(s)
	if ok {
		v.ip, v.ipState = a, 1
	} else {
		v.ipState = 2
	}
	return a, ok
}

// trailPos says that a value sits in element idx of the event's array
// number array. A value's trail lists the arrays around the innermost
// object holding it, outermost first. Two values can be used together only
// if they agree on the element of every array they share: fields of
// objects in different elements of one array never match together
// (array-consistent matching, as Event Ruler and Quamina do). Arrays that
// hold the value directly, not through an object, are not in the trail, so
// {"a":["x","y"]} has a == "x" and a == "y" together.
type trailPos struct {
	array int32
	idx   int32
}

// scratch is the per-call working memory of a Set, reused through a
// sync.Pool so that matching does not allocate in steady state.
type scratch struct {
	src     []byte
	vals    []value
	stack   []trailPos // arrays around the scanner's position
	inObj   int        // how many of them are around the innermost object
	trails  []trailPos // trails of recorded values
	buf     []byte     // decoded strings that had escapes
	key     []byte     // decoded key that had escapes
	head    []int32    // per field, its last recorded value or -1
	touched []int32    // fields with values in this event
	arrays  int32

	gen     uint32
	altSeen []uint32 // per alt, gen when last evaluated
	patSeen []uint32 // per pattern, gen when it matched
	matched []int32
	pending []int32    // conds of an alt that need the consistency search
	group   []int32    // union-find over pending, by shared arrays
	owner   []trailPos // outermost array of each pending match
	order   []int32    // conds of the group being searched
	chosen  []int32    // values picked by the consistency search
}

func newScratch(fields, alts, pats int) *scratch {
	sc := &scratch{
		head:    make([]int32, fields),
		altSeen: make([]uint32, alts),
		patSeen: make([]uint32, pats),
	}
	for i := range sc.head {
		sc.head[i] = -1
	}
	return sc
}

// reset forgets the previous event.
func (sc *scratch) reset(src []byte) {
	for _, f := range sc.touched {
		sc.head[f] = -1
	}
	sc.touched = sc.touched[:0]
	sc.vals = sc.vals[:0]
	sc.stack = sc.stack[:0]
	sc.inObj = 0
	sc.trails = sc.trails[:0]
	sc.buf = sc.buf[:0]
	sc.arrays = 0
	sc.src = src
}

// begin starts a new round of alt evaluation.
func (sc *scratch) begin() {
	sc.gen++
	if sc.gen == 0 { // wrapped: old stamps could collide
		clear(sc.altSeen)
		clear(sc.patSeen)
		sc.gen = 1
	}
	sc.matched = sc.matched[:0]
}

// bytes returns the bytes of v.
func (sc *scratch) bytes(v *value) []byte {
	if v.inBuf {
		return sc.buf[v.start:v.end]
	}
	return sc.src[v.start:v.end]
}

// record adds a value for field f.
func (sc *scratch) record(f int32, kind vkind, start, end int, inBuf bool) {
	v := value{kind: kind, inBuf: inBuf, field: f, start: int32(start), end: int32(end), next: sc.head[f]}
	if v.next < 0 {
		sc.touched = append(sc.touched, f)
	}
	if sc.inObj > 0 {
		v.trail = int32(len(sc.trails))
		v.trailLen = int32(sc.inObj)
		sc.trails = append(sc.trails, sc.stack[:sc.inObj]...)
	}
	sc.head[f] = int32(len(sc.vals))
	sc.vals = append(sc.vals, v)
}

// consistent reports whether values a and b agree on every array they
// share. Arrays are numbered in the order the scanner meets them, and a
// shared array has the same arrays around it in both trails, so shared
// arrays form a common prefix of the two trails.
func (sc *scratch) consistent(a, b *value) bool {
	n := min(a.trailLen, b.trailLen)
	ta := sc.trails[a.trail : a.trail+n]
	tb := sc.trails[b.trail : b.trail+n]
	for i := range ta {
		if ta[i].array != tb[i].array {
			return true
		}
		if ta[i].idx != tb[i].idx {
			return false
		}
	}
	return true
}

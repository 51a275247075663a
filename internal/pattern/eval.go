package pattern

import "slices"

// evalAlt reports whether the event in sc satisfies every condition of c
// with values that are mutually array-consistent. Condition met (if not
// -1) is known to be met by a value outside any array.
//
// A condition met by a value outside any array is consistent with
// everything, which settles most conditions of most events at once. The
// conditions met only by values inside arrays go to a backtracking search
// for one value each that agree pairwise.
func (s *Set) evalAlt(c *compiled, met int32, sc *scratch) bool {
	sc.pending = sc.pending[:0]
	for ci := range c.conds {
		if int32(ci) == met {
			continue
		}
		fc := &c.conds[ci]
		head := sc.head[fc.field]
		if fc.kind == fcAbsent {
			if head >= 0 {
				return false
			}
			continue
		}
		found, free := false, false
		for vi := head; vi >= 0; vi = sc.vals[vi].next {
			v := &sc.vals[vi]
			if fc.matches(v, sc.bytes(v)) {
				found = true
				if v.trailLen == 0 {
					free = true
					break
				}
			}
		}
		if !found {
			return false
		}
		if !free {
			sc.pending = append(sc.pending, int32(ci))
		}
	}
	if len(sc.pending) <= 1 {
		return true
	}
	return s.solve(c, sc)
}

// solve runs the consistency search for the pending conditions. Values in
// different outermost arrays share no array and never conflict, so the
// conditions are first split into groups linked by a shared outermost
// array, and each group is searched on its own: a failure in one group
// never backtracks through another's choices.
func (s *Set) solve(c *compiled, sc *scratch) bool {
	pending := sc.pending
	// group[k] is the group of pending condition k, merged by shared
	// outermost arrays (a tiny union-find over len(pending) items).
	group := sc.group[:0]
	for k := range pending {
		group = append(group, int32(k))
	}
	find := func(k int32) int32 {
		for group[k] != k {
			k = group[k]
		}
		return k
	}
	owner := sc.owner[:0] // (outermost array, pending index) of matches
	for k, ci := range pending {
		fc := &c.conds[ci]
		for vi := sc.head[fc.field]; vi >= 0; vi = sc.vals[vi].next {
			v := &sc.vals[vi]
			if fc.matches(v, sc.bytes(v)) {
				owner = append(owner, trailPos{array: sc.trails[v.trail].array, idx: int32(k)})
			}
		}
	}
	slices.SortFunc(owner, func(x, y trailPos) int { return int(x.array - y.array) })
	for i := 1; i < len(owner); i++ {
		if owner[i].array == owner[i-1].array {
			if a, b := find(owner[i].idx), find(owner[i-1].idx); a != b {
				group[a] = b
			}
		}
	}
	sc.group, sc.owner = group, owner
	order := sc.order[:0]
	for root := range pending {
		if find(int32(root)) != int32(root) {
			continue
		}
		order = order[:0]
		for k := range pending {
			if find(int32(k)) == int32(root) {
				order = append(order, pending[k])
			}
		}
		sc.order = order
		sc.chosen = sc.chosen[:0]
		if !s.search(c, sc, 0) {
			return false
		}
	}
	return true
}

// search picks, for conditions sc.order[k:], a matching value each,
// consistent with the values already chosen.
func (s *Set) search(c *compiled, sc *scratch, k int) bool {
	if k == len(sc.order) {
		return true
	}
	fc := &c.conds[sc.order[k]]
	for vi := sc.head[fc.field]; vi >= 0; vi = sc.vals[vi].next {
		v := &sc.vals[vi]
		if !fc.matches(v, sc.bytes(v)) {
			continue
		}
		ok := true
		for _, ch := range sc.chosen {
			if !sc.consistent(&sc.vals[ch], v) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		sc.chosen = append(sc.chosen, vi)
		if s.search(c, sc, k+1) {
			return true
		}
		sc.chosen = sc.chosen[:len(sc.chosen)-1]
	}
	return false
}

// matchValue reports whether any cond of the leaf matches the value.
func (l *leaf) matchValue(v *value, b []byte) bool {
	for i := range l.conds {
		if l.conds[i].match(v, b) {
			return true
		}
	}
	return false
}

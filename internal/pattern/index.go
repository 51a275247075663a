package pattern

// indexKey is one exact value of one field.
type indexKey struct {
	field int32
	lit   bool // a number, true, false or null rather than a string
	text  string
}

// keys returns the index keys of an exact leaf, each once.
func (c fieldCond) keys() []indexKey {
	var out []indexKey
	seen := map[indexKey]bool{}
	for _, x := range c.leaf.conds {
		k := indexKey{field: c.field, lit: x.op == opLiteral, text: x.str}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// buildIndex files every alt under its most selective exact-value
// condition. Selectivity is estimated from the patterns alone: a condition
// listing k of the n distinct values the set's patterns name for its field
// is taken to hold for k/n of events. Alts without exact-value conditions
// are always evaluated.
func (s *Set) buildIndex() {
	s.index = make([]*keyIndex, len(s.fields))
	distinct := make([]map[indexKey]bool, len(s.fields))
	for a := range s.alts {
		for _, c := range s.alts[a].conds {
			if !c.leaf.exact() {
				continue
			}
			if distinct[c.field] == nil {
				distinct[c.field] = map[indexKey]bool{}
			}
			for _, k := range c.keys() {
				distinct[c.field][k] = true
			}
		}
	}
	for a := range s.alts {
		var best []indexKey
		bestSel, bestCond := 2.0, -1
		for ci, c := range s.alts[a].conds {
			if !c.leaf.exact() {
				continue
			}
			keys := c.keys()
			if sel := float64(len(keys)) / float64(len(distinct[c.field])); sel < bestSel {
				best, bestSel, bestCond = keys, sel, ci
			}
		}
		if best == nil {
			s.always = append(s.always, int32(a))
			continue
		}
		for _, k := range best {
			ix := s.index[k.field]
			if ix == nil {
				ix = &keyIndex{strs: map[string][]candidate{}, lits: map[string][]candidate{}}
				s.index[k.field] = ix
			}
			m := ix.strs
			if k.lit {
				m = ix.lits
			}
			m[k.text] = append(m[k.text], candidate{alt: int32(a), cond: int32(bestCond)})
		}
	}
}

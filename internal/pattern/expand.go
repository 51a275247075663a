package pattern

import (
	"slices"
)

// A pattern with $or is a disjunction: expand multiplies it out into alts,
// each a plain conjunction of leaf terms, the way EventBridge counts "rule
// combinations". A field named both outside and inside a $or alternative
// yields two terms on the same path; both must hold.

// combinations counts the alts an object expands to, saturating just above
// maxCombinations.
func combinations(o *object) int {
	n := 1
	for _, f := range o.fields {
		if f.obj != nil {
			n = mulSat(n, combinations(f.obj))
		}
	}
	if o.or != nil {
		sum := 0
		for _, a := range o.or {
			sum = min(sum+combinations(a), maxCombinations+1)
		}
		n = mulSat(n, sum)
	}
	return n
}

func mulSat(a, b int) int {
	if a > maxCombinations || b > maxCombinations || a*b > maxCombinations {
		return maxCombinations + 1
	}
	return a * b
}

// expand returns the alts of o, whose fields sit under prefix.
func expand(o *object, prefix []string) []alt {
	alts := []alt{nil}
	for _, f := range o.fields {
		p := sub(prefix, f.key)
		if f.leaf != nil {
			for i := range alts {
				alts[i] = append(slices.Clip(alts[i]), term{path: p, leaf: f.leaf})
			}
			continue
		}
		alts = cross(alts, expand(f.obj, p))
	}
	if o.or != nil {
		var ors []alt
		for _, a := range o.or {
			ors = append(ors, expand(a, prefix)...)
		}
		alts = cross(alts, ors)
	}
	return alts
}

func cross(as, bs []alt) []alt {
	out := make([]alt, 0, len(as)*len(bs))
	for _, a := range as {
		for _, b := range bs {
			out = append(out, append(slices.Clip(a), b...))
		}
	}
	return out
}

// leafPaths lists the dotted paths of every leaf, sorted and unique.
func leafPaths(o *object) []string {
	var out []string
	var walk func(o *object, prefix []string)
	walk = func(o *object, prefix []string) {
		for _, f := range o.fields {
			p := sub(prefix, f.key)
			if f.leaf != nil {
				out = append(out, dotted(p))
			} else {
				walk(f.obj, p)
			}
		}
		for _, a := range o.or {
			walk(a, prefix)
		}
	}
	walk(o, nil)
	slices.Sort(out)
	return slices.Compact(out)
}

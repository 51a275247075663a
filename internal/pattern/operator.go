package pattern

import (
	"net/netip"
	"slices"
)

// opKind names one EventBridge comparison. Every element of a pattern's
// value list compiles to one cond; the list matches a field when any cond
// matches any of the field's values (exists is the exception: it looks at
// whether the field has values at all).
type opKind uint8

const (
	opExact               opKind = iota // "text": a string equal to str
	opLiteral                           // 5, true, false, null: a non-string whose JSON text equals str
	opPrefix                            // {"prefix": str}
	opPrefixFold                        // {"prefix": {"equals-ignore-case": str}}
	opSuffix                            // {"suffix": str}
	opSuffixFold                        // {"suffix": {"equals-ignore-case": str}}
	opEqualsFold                        // {"equals-ignore-case": str}
	opWildcard                          // {"wildcard": str}
	opNumeric                           // {"numeric": [...]}
	opCIDR                              // {"cidr": str}
	opExists                            // {"exists": bool}
	opAnythingBut                       // {"anything-but": str | [str...]}
	opAnythingButNum                    // {"anything-but": num | [num...]}
	opAnythingButPrefix                 // {"anything-but": {"prefix": str | [str...]}}
	opAnythingButSuffix                 // {"anything-but": {"suffix": str | [str...]}}
	opAnythingButFold                   // {"anything-but": {"equals-ignore-case": str | [str...]}}
	opAnythingButWildcard               // {"anything-but": {"wildcard": str | [str...]}}
)

// cond is one compiled element of a value list.
type cond struct {
	op     opKind
	str    string       // operand of single-operand ops; literal text for opLiteral
	list   []string     // operands of anything-but (numbers as written)
	nums   []float64    // opAnythingButNum operands
	single bool         // anything-but was written with one value, not a list
	wc     []*wildcard  // opWildcard (one), opAnythingButWildcard (list)
	rng    *numRange    // opNumeric
	cidr   netip.Prefix // opCIDR
	exists bool         // opExists
}

// vkind is the JSON type of an event leaf value.
type vkind uint8

const (
	vString vkind = iota
	vNumber
	vTrue
	vFalse
	vNull
)

// match reports whether the leaf value v, whose bytes are s (the decoded
// string for strings, the JSON text otherwise), satisfies c. opExists is
// decided by the caller and never reaches here.
func (c *cond) match(v *value, s []byte) bool {
	isStr := v.kind == vString
	switch c.op {
	case opExact:
		return isStr && string(s) == c.str
	case opLiteral:
		return !isStr && string(s) == c.str
	case opPrefix:
		return isStr && hasPrefix(s, c.str)
	case opSuffix:
		return isStr && hasSuffix(s, c.str)
	case opPrefixFold:
		return isStr && hasPrefixFold(s, c.str)
	case opSuffixFold:
		return isStr && hasSuffixFold(s, c.str)
	case opEqualsFold:
		return isStr && equalFold(s, c.str)
	case opWildcard:
		return isStr && c.wc[0].match(s)
	case opNumeric:
		f, ok := v.number(s)
		return ok && c.rng.contains(f)
	case opCIDR:
		a, ok := v.addr(s)
		return ok && c.cidr.Contains(a)
	case opAnythingBut:
		return !isStr || !slices.Contains(c.list, string(s))
	case opAnythingButNum:
		f, ok := v.number(s)
		return !ok || !slices.Contains(c.nums, f)
	case opAnythingButPrefix:
		if !isStr {
			return true
		}
		for _, p := range c.list {
			if hasPrefix(s, p) {
				return false
			}
		}
		return true
	case opAnythingButSuffix:
		if !isStr {
			return true
		}
		for _, p := range c.list {
			if hasSuffix(s, p) {
				return false
			}
		}
		return true
	case opAnythingButFold:
		if !isStr {
			return true
		}
		for _, p := range c.list {
			if equalFold(s, p) {
				return false
			}
		}
		return true
	case opAnythingButWildcard:
		if !isStr {
			return true
		}
		for _, w := range c.wc {
			if w.match(s) {
				return false
			}
		}
		return true
	}
	return false
}

// isExact reports whether c only matches values equal to a known text, so
// that it can serve as an index key.
func (c *cond) isExact() bool { return c.op == opExact || c.op == opLiteral }

func hasPrefix(s []byte, p string) bool {
	return len(s) >= len(p) && string(s[:len(p)]) == p
}

func hasSuffix(s []byte, p string) bool {
	return len(s) >= len(p) && string(s[len(s)-len(p):]) == p
}

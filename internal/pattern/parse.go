package pattern

import (
	"slices"
	"strconv"
)

// maxCombinations is EventBridge's documented limit on the rule
// combinations a pattern's $or arrays may multiply out to.
const maxCombinations = 1000

// Parse parses and checks one pattern given as JSON. An invalid pattern
// gives an *Error naming the offending element.
//
// A pattern is a non-empty JSON object. Each key is a nested non-empty
// object, a value list (a non-empty array), or "$or" with an array of at
// least two non-empty objects. When a key appears twice in one object the
// last one counts, as EventBridge documents; both must be valid.
func Parse(src []byte) (*Pattern, error) {
	root, jerr := parseJSON(src)
	if jerr != nil {
		return nil, jerr
	}
	if root.kind != jObject {
		return nil, errAt(nil, root.off, "pattern must be a JSON object, got %s", root.brief())
	}
	if len(root.keys) == 0 {
		return nil, errAt(nil, root.off, "empty pattern")
	}
	obj, err := parseObject(root, nil)
	if err != nil {
		return nil, err
	}
	if n := combinations(obj); n > maxCombinations {
		return nil, errAt(nil, root.off, "$or multiplies out to more than %d combinations", maxCombinations)
	}
	p := &Pattern{root: obj}
	p.alts = expand(obj, nil)
	p.paths = leafPaths(obj)
	p.canon = canonical(obj)
	return p, nil
}

func sub(path []string, seg string) []string {
	return append(slices.Clip(path), seg)
}

func parseObject(n *jnode, path []string) (*object, *Error) {
	last := make(map[string]int, len(n.keys))
	for i, m := range n.keys {
		last[m.name] = i
	}
	o := &object{}
	for i, m := range n.keys {
		p := sub(path, m.name)
		if m.name == "$or" {
			alts, err := parseOr(m.val, p)
			if err != nil {
				return nil, err
			}
			if last[m.name] == i {
				o.or = alts
			}
			continue
		}
		f := &field{key: m.name}
		switch m.val.kind {
		case jObject:
			if len(m.val.keys) == 0 {
				return nil, errAt(p, m.val.off, "empty object")
			}
			obj, err := parseObject(m.val, p)
			if err != nil {
				return nil, err
			}
			f.obj = obj
		case jArray:
			l, err := parseLeaf(m.val, p)
			if err != nil {
				return nil, err
			}
			f.leaf = l
		default:
			return nil, errAt(p, m.val.off, "expected an array of values or an object, got %s", m.val.brief())
		}
		if last[m.name] == i {
			o.fields = append(o.fields, f)
		}
	}
	slices.SortFunc(o.fields, func(a, b *field) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	return o, nil
}

func parseOr(n *jnode, path []string) ([]*object, *Error) {
	if n.kind != jArray {
		return nil, errAt(path, n.off, "expected an array of at least 2 objects, got %s", n.brief())
	}
	if len(n.elems) < 2 {
		return nil, errAt(path, n.off, "needs at least 2 alternatives, got %d", len(n.elems))
	}
	var alts []*object
	for i, e := range n.elems {
		p := sub(path, strconv.Itoa(i))
		if e.kind != jObject {
			return nil, errAt(p, e.off, "expected an object, got %s", e.brief())
		}
		if len(e.keys) == 0 {
			return nil, errAt(p, e.off, "empty object")
		}
		o, err := parseObject(e, p)
		if err != nil {
			return nil, err
		}
		alts = append(alts, o)
	}
	return alts, nil
}

// parseLeaf reads a value list: strings, numbers, true, false, null and
// operator objects, ORed.
func parseLeaf(n *jnode, path []string) (*leaf, *Error) {
	if len(n.elems) == 0 {
		return nil, errAt(path, n.off, "empty value list")
	}
	l := &leaf{}
	hasExists := false
	for i, e := range n.elems {
		p := sub(path, strconv.Itoa(i))
		var c cond
		switch e.kind {
		case jString:
			c = cond{op: opExact, str: e.str}
		case jNumber:
			c = cond{op: opLiteral, str: e.str}
		case jTrue, jFalse, jNull:
			c = cond{op: opLiteral, str: e.kind.String()}
		case jObject:
			var err *Error
			c, err = parseOperator(e, p)
			if err != nil {
				return nil, err
			}
			hasExists = hasExists || c.op == opExists
		default:
			return nil, errAt(p, e.off, "expected a string, number, true, false, null or operator object, got %s", e.brief())
		}
		l.conds = append(l.conds, c)
	}
	if hasExists && len(l.conds) > 1 {
		return nil, errAt(path, n.off, "exists cannot be combined with other values")
	}
	return l, nil
}

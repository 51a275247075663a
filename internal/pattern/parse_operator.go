package pattern

import (
	"strconv"
)

// parseOperator reads one operator object of a value list, e.g.
// {"prefix": "us-"}. path names the object itself.
func parseOperator(n *jnode, path []string) (cond, *Error) {
	switch len(n.keys) {
	case 0:
		return cond{}, errAt(path, n.off, "empty operator object")
	case 1:
	default:
		return cond{}, errAt(path, n.keys[1].off, "operator object must have exactly one key, got %d", len(n.keys))
	}
	name, v := n.keys[0].name, n.keys[0].val
	p := sub(path, name)
	switch name {
	case "prefix", "suffix":
		s, fold, err := parseAffix(v, p)
		if err != nil {
			return cond{}, err
		}
		op := opPrefix
		switch {
		case name == "prefix" && fold:
			op = opPrefixFold
		case name == "suffix" && fold:
			op = opSuffixFold
		case name == "suffix":
			op = opSuffix
		}
		return cond{op: op, str: s}, nil
	case "equals-ignore-case":
		if v.kind != jString {
			return cond{}, errAt(p, v.off, "expected a string, got %s", v.brief())
		}
		return cond{op: opEqualsFold, str: v.str}, nil
	case "wildcard":
		if v.kind != jString {
			return cond{}, errAt(p, v.off, "expected a string, got %s", v.brief())
		}
		w, err := compileWildcard(v.str)
		if err != nil {
			return cond{}, errAt(p, v.off, "%v", err)
		}
		return cond{op: opWildcard, str: v.str, wc: []*wildcard{w}}, nil
	case "anything-but":
		return parseAnythingBut(v, p)
	case "numeric":
		return parseNumeric(v, p)
	case "exists":
		if v.kind != jTrue && v.kind != jFalse {
			return cond{}, errAt(p, v.off, "expected true or false, got %s", v.brief())
		}
		return cond{op: opExists, exists: v.kind == jTrue}, nil
	case "cidr":
		if v.kind != jString {
			return cond{}, errAt(p, v.off, "expected a string, got %s", v.brief())
		}
		pfx, err := parseCIDR(v.str)
		if err != nil {
			return cond{}, errAt(p, v.off, "invalid CIDR %s: %v", strconv.Quote(v.str), err)
		}
		return cond{op: opCIDR, str: v.str, cidr: pfx}, nil
	}
	return cond{}, errAt(path, n.keys[0].off, "unknown operator %s", strconv.Quote(name))
}

// parseAffix reads the operand of prefix or suffix: a string, or
// {"equals-ignore-case": string}.
func parseAffix(v *jnode, path []string) (s string, fold bool, err *Error) {
	switch v.kind {
	case jString:
		return v.str, false, nil
	case jObject:
		if len(v.keys) == 1 && v.keys[0].name == "equals-ignore-case" {
			if w := v.keys[0].val; w.kind != jString {
				return "", false, errAt(sub(path, "equals-ignore-case"), w.off, "expected a string, got %s", w.brief())
			}
			return v.keys[0].val.str, true, nil
		}
		if len(v.keys) == 1 {
			return "", false, errAt(path, v.keys[0].off, "unknown option %s, want equals-ignore-case", strconv.Quote(v.keys[0].name))
		}
	}
	return "", false, errAt(path, v.off, `expected a string or {"equals-ignore-case": string}, got %s`, v.brief())
}

// parseAnythingBut reads the operand of anything-but: a string, a number, a
// list of strings or of numbers, or one of prefix, suffix,
// equals-ignore-case and wildcard with a string or a list of strings.
func parseAnythingBut(v *jnode, path []string) (cond, *Error) {
	switch v.kind {
	case jString:
		return cond{op: opAnythingBut, list: []string{v.str}, single: true}, nil
	case jNumber:
		f, err := anythingButNumber(v, path)
		if err != nil {
			return cond{}, err
		}
		return cond{op: opAnythingButNum, list: []string{v.str}, nums: []float64{f}, single: true}, nil
	case jArray:
		if len(v.elems) == 0 {
			return cond{}, errAt(path, v.off, "empty list")
		}
		c := cond{op: opAnythingBut}
		if v.elems[0].kind == jNumber {
			c.op = opAnythingButNum
		}
		for i, e := range v.elems {
			p := sub(path, strconv.Itoa(i))
			switch {
			case e.kind != jString && e.kind != jNumber:
				return cond{}, errAt(p, e.off, "expected a string or number, got %s", e.brief())
			case (e.kind == jNumber) != (c.op == opAnythingButNum):
				return cond{}, errAt(p, e.off, "list mixes strings and numbers")
			case e.kind == jNumber:
				f, err := anythingButNumber(e, p)
				if err != nil {
					return cond{}, err
				}
				c.nums = append(c.nums, f)
			}
			c.list = append(c.list, e.str)
		}
		return c, nil
	case jObject:
		if len(v.keys) != 1 {
			break
		}
		name, w := v.keys[0].name, v.keys[0].val
		var op opKind
		switch name {
		case "prefix":
			op = opAnythingButPrefix
		case "suffix":
			op = opAnythingButSuffix
		case "equals-ignore-case":
			op = opAnythingButFold
		case "wildcard":
			op = opAnythingButWildcard
		default:
			return cond{}, errAt(path, v.keys[0].off,
				"unsupported operator %s, want prefix, suffix, equals-ignore-case or wildcard", strconv.Quote(name))
		}
		return parseAnythingButStrings(op, w, sub(path, name))
	}
	return cond{}, errAt(path, v.off, "expected a string, number, list or operator object, got %s", v.brief())
}

// parseAnythingButStrings reads the string or list of strings under
// anything-but's prefix, suffix, equals-ignore-case or wildcard.
func parseAnythingButStrings(op opKind, v *jnode, path []string) (cond, *Error) {
	c := cond{op: op}
	elems := v.elems
	switch v.kind {
	case jString:
		c.single = true
		elems = []*jnode{v}
	case jArray:
		if len(elems) == 0 {
			return cond{}, errAt(path, v.off, "empty list")
		}
	default:
		return cond{}, errAt(path, v.off, "expected a string or a list of strings, got %s", v.brief())
	}
	for i, e := range elems {
		p := path
		if !c.single {
			p = sub(path, strconv.Itoa(i))
		}
		if e.kind != jString {
			return cond{}, errAt(p, e.off, "expected a string, got %s", e.brief())
		}
		if e.str == "" && (op == opAnythingButPrefix || op == opAnythingButSuffix) {
			return cond{}, errAt(p, e.off, "empty string not allowed")
		}
		if op == opAnythingButWildcard {
			w, err := compileWildcard(e.str)
			if err != nil {
				return cond{}, errAt(p, e.off, "%v", err)
			}
			c.wc = append(c.wc, w)
		}
		c.list = append(c.list, e.str)
	}
	return c, nil
}

func anythingButNumber(n *jnode, path []string) (float64, *Error) {
	f, ok := parseFloat([]byte(n.str))
	if !ok {
		return 0, errAt(path, n.off, "number %s is out of range", n.str)
	}
	return f, nil
}

// parseNumeric reads [op, n] or [">"|">=", n, "<"|"<=", m].
func parseNumeric(v *jnode, path []string) (cond, *Error) {
	if v.kind != jArray {
		return cond{}, errAt(path, v.off, "expected an array, got %s", v.brief())
	}
	if len(v.elems) == 0 {
		return cond{}, errAt(path, v.off, "empty comparison")
	}
	r := &numRange{}
	for k := 0; k < len(v.elems); k += 2 {
		e := v.elems[k]
		if k == 4 {
			return cond{}, errAt(path, e.off, "too many elements")
		}
		if e.kind != jString {
			return cond{}, errAt(path, e.off, "expected operator, got %s", e.brief())
		}
		op := e.str
		switch {
		case op != "=" && op != "<" && op != "<=" && op != ">" && op != ">=":
			return cond{}, errAt(path, e.off, "unknown operator %s, want =, <, <=, > or >=", strconv.Quote(op))
		case k == 2 && r.ops[0] != ">" && r.ops[0] != ">=":
			return cond{}, errAt(path, e.off, "unexpected %s after %s; a range gives > or >= first, then < or <=",
				strconv.Quote(op), strconv.Quote(r.ops[0]))
		case k == 2 && op != "<" && op != "<=":
			return cond{}, errAt(path, e.off, "expected < or <= after a lower bound, got %s", strconv.Quote(op))
		}
		if k+1 >= len(v.elems) {
			return cond{}, errAt(path, v.off, "expected a number after %s", strconv.Quote(op))
		}
		num := v.elems[k+1]
		if num.kind != jNumber {
			return cond{}, errAt(path, num.off, "expected a number after %s, got %s", strconv.Quote(op), num.brief())
		}
		f, ok := parseFloat([]byte(num.str))
		if !ok || f < -numericLimit || f > numericLimit {
			return cond{}, errAt(path, num.off, "%s is out of range; numbers must be between -5.0e9 and 5.0e9", num.str)
		}
		r.set(op, f)
		r.ops = append(r.ops, op)
		r.lits = append(r.lits, num.str)
	}
	if r.hasLo && r.hasHi && (r.lo > r.hi || (r.lo == r.hi && !(r.loIncl && r.hiIncl))) {
		return cond{}, errAt(path, v.off, "empty range: no number is %s %s and %s %s",
			r.ops[0], r.lits[0], r.ops[len(r.ops)-1], r.lits[len(r.lits)-1])
	}
	return cond{op: opNumeric, rng: r}, nil
}

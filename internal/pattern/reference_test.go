package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The reference evaluator: a slow, plain reading of the semantics in
// doc.go, written without the matcher's code. Events and patterns are
// decoded with encoding/json; the event is flattened into (path, value,
// array trail) fields; the pattern is multiplied out into conjunctions;
// each conjunction is checked by brute force.

type refField struct {
	path  string
	val   any // string, json.Number, bool or nil
	trail [][2]int
}

func refDecode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

// refFlatten lists the leaves of v. A leaf's trail is the trail of the
// innermost object holding it: the arrays that hold it directly do not
// count.
func refFlatten(v any, path []string, trail, objTrail [][2]int, arrays *int, out *[]refField) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			refFlatten(e, append(append([]string(nil), path...), k), trail, trail, arrays, out)
		}
	case []any:
		id := *arrays
		*arrays++
		for i, e := range x {
			t := append(append([][2]int(nil), trail...), [2]int{id, i})
			refFlatten(e, path, t, objTrail, arrays, out)
		}
	default:
		*out = append(*out, refField{path: strings.Join(path, "\xff"), val: x, trail: objTrail})
	}
}

type refTerm struct {
	path string
	vals []any
}

func refExpand(m map[string]any, prefix []string) [][]refTerm {
	alts := [][]refTerm{nil}
	crossWith := func(bs [][]refTerm) {
		var out [][]refTerm
		for _, a := range alts {
			for _, b := range bs {
				out = append(out, append(append([]refTerm(nil), a...), b...))
			}
		}
		alts = out
	}
	for k, v := range m {
		if k == "$or" {
			var ors [][]refTerm
			for _, br := range v.([]any) {
				ors = append(ors, refExpand(br.(map[string]any), prefix)...)
			}
			crossWith(ors)
			continue
		}
		p := append(append([]string(nil), prefix...), k)
		switch x := v.(type) {
		case map[string]any:
			crossWith(refExpand(x, p))
		case []any:
			crossWith([][]refTerm{{{path: strings.Join(p, "\xff"), vals: x}}})
		}
	}
	return alts
}

// refMatch evaluates pattern against event. Both must be valid; the
// pattern must have passed Parse.
func refMatch(pattern, event []byte) (bool, error) {
	pv, err := refDecode(pattern)
	if err != nil {
		return false, err
	}
	ev, err := refDecode(event)
	if err != nil {
		return false, err
	}
	em, ok := ev.(map[string]any)
	if !ok {
		return false, errors.New("event is not an object")
	}
	var fields []refField
	arrays := 0
	refFlatten(em, nil, nil, nil, &arrays, &fields)
	budget := refBudget
	for _, a := range refExpand(pv.(map[string]any), nil) {
		if refAlt(a, fields, &budget) {
			return true, nil
		}
	}
	if budget < 0 {
		return false, errRefBudget
	}
	return false, nil
}

// refBudget bounds the brute-force search; fuzzing can build inputs on
// which it would run for hours.
const refBudget = 1_000_000

var errRefBudget = errors.New("reference: search budget exhausted")

func refAlt(terms []refTerm, fields []refField, budget *int) bool {
	var need []refTerm
	for _, t := range terms {
		if ex, ok := refExists(t); ok && !ex {
			for _, f := range fields {
				if f.path == t.path {
					return false
				}
			}
			continue
		}
		need = append(need, t)
	}
	var chosen []refField
	var try func(k int) bool
	try = func(k int) bool {
		if k == len(need) {
			return true
		}
		if *budget--; *budget < 0 {
			return false
		}
		for _, f := range fields {
			if f.path != need[k].path || !refTermMatches(need[k], f.val) {
				continue
			}
			ok := true
			for _, c := range chosen {
				if !refConsistent(c.trail, f.trail) {
					ok = false
				}
			}
			if ok {
				chosen = append(chosen, f)
				if try(k + 1) {
					return true
				}
				chosen = chosen[:len(chosen)-1]
			}
		}
		return false
	}
	return try(0)
}

func refConsistent(a, b [][2]int) bool {
	for _, x := range a {
		for _, y := range b {
			if x[0] == y[0] && x[1] != y[1] {
				return false
			}
		}
	}
	return true
}

func refExists(t refTerm) (bool, bool) {
	if len(t.vals) != 1 {
		return false, false
	}
	m, ok := t.vals[0].(map[string]any)
	if !ok {
		return false, false
	}
	b, ok := m["exists"].(bool)
	return b, ok
}

func refTermMatches(t refTerm, val any) bool {
	if ex, ok := refExists(t); ok && ex {
		return true
	}
	for _, op := range t.vals {
		if refOp(op, val) {
			return true
		}
	}
	return false
}

func refOp(op, val any) bool {
	s, isStr := val.(string)
	switch o := op.(type) {
	case string:
		return isStr && s == o
	case json.Number:
		n, ok := val.(json.Number)
		return ok && n == o
	case bool:
		b, ok := val.(bool)
		return ok && b == o
	case nil:
		return val == nil
	}
	m := op.(map[string]any)
	for name, arg := range m {
		switch name {
		case "prefix", "suffix":
			pre := name == "prefix"
			if a, ok := arg.(string); ok {
				return isStr && ((pre && strings.HasPrefix(s, a)) || (!pre && strings.HasSuffix(s, a)))
			}
			a := arg.(map[string]any)["equals-ignore-case"].(string)
			return isStr && refFoldAffix(s, a, pre)
		case "equals-ignore-case":
			return isStr && strings.EqualFold(s, arg.(string))
		case "wildcard":
			return isStr && refWildcard(arg.(string)).MatchString(s)
		case "numeric":
			n, ok := val.(json.Number)
			if !ok {
				return false
			}
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return false
			}
			args := arg.([]any)
			for i := 0; i < len(args); i += 2 {
				x, _ := strconv.ParseFloat(string(args[i+1].(json.Number)), 64)
				var good bool
				switch args[i].(string) {
				case "=":
					good = f == x
				case "<":
					good = f < x
				case "<=":
					good = f <= x
				case ">":
					good = f > x
				case ">=":
					good = f >= x
				}
				if !good {
					return false
				}
			}
			return true
		case "cidr":
			if !isStr {
				return false
			}
			return refCIDR(arg.(string), s)
		case "anything-but":
			return !refAnythingButExcludes(arg, val)
		}
	}
	panic("reference: unknown operator")
}

// refAnythingButExcludes reports whether val is one of the things an
// anything-but operand lists.
func refAnythingButExcludes(arg, val any) bool {
	s, isStr := val.(string)
	switch a := arg.(type) {
	case string:
		return isStr && s == a
	case json.Number:
		return refNumEq(val, a)
	case []any:
		for _, x := range a {
			if refAnythingButExcludes(x, val) {
				return true
			}
		}
		return false
	}
	for name, inner := range arg.(map[string]any) {
		list, ok := inner.([]any)
		if !ok {
			list = []any{inner}
		}
		for _, x := range list {
			p := x.(string)
			if !isStr {
				continue
			}
			switch name {
			case "prefix":
				if strings.HasPrefix(s, p) {
					return true
				}
			case "suffix":
				if strings.HasSuffix(s, p) {
					return true
				}
			case "equals-ignore-case":
				if strings.EqualFold(s, p) {
					return true
				}
			case "wildcard":
				if refWildcard(p).MatchString(s) {
					return true
				}
			}
		}
	}
	return false
}

func refNumEq(val any, n json.Number) bool {
	v, ok := val.(json.Number)
	if !ok {
		return false
	}
	a, err1 := strconv.ParseFloat(string(v), 64)
	b, err2 := strconv.ParseFloat(string(n), 64)
	return err1 == nil && err2 == nil && a == b
}

// refFoldAffix compares the first or last rune-count of s with a.
func refFoldAffix(s, a string, prefix bool) bool {
	rs, ra := []rune(s), []rune(a)
	if len(rs) < len(ra) {
		return false
	}
	if prefix {
		return strings.EqualFold(string(rs[:len(ra)]), a)
	}
	return strings.EqualFold(string(rs[len(rs)-len(ra):]), a)
}

func refWildcard(w string) *regexp.Regexp {
	var sb strings.Builder
	sb.WriteString(`(?s)\A`)
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '*':
			sb.WriteString(".*")
		case '\\':
			i++
			sb.WriteString(regexp.QuoteMeta(w[i : i+1]))
		default:
			_, n := utf8.DecodeRuneInString(w[i:])
			sb.WriteString(regexp.QuoteMeta(w[i : i+n]))
			i += n - 1
		}
	}
	sb.WriteString(`\z`)
	return regexp.MustCompile(sb.String())
}

func refCIDR(cidr, s string) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		panic(err)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if strings.Contains(s, "%") {
		return false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return p.Masked().Contains(a.Unmap())
}

package pattern

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// gen produces random but seeded events and patterns over a small
// vocabulary, so that patterns and events often meet.
type gen struct{ r *rand.Rand }

var (
	genKeys   = []string{"a", "b", "c", "d"}
	genLeaves = []string{
		`""`, `"x"`, `"X"`, `"xy"`, `"yx"`, `"xyz"`, `"Xyz"`, `"a*b"`, `"a\\b"`, `"10.0.0.5"`,
		`"10.1.2.3"`, `"2001:db8::1"`, `"::ffff:10.0.0.9"`, `"é"`, `"É"`, `"\u00e9x"`, `"K"`, `"\u212a"`,
		`0`, `5`, `5.0`, `-1`, `3.5`, `1e2`, `100`, `6e9`, `true`, `false`, `null`,
	}
	genOps = []string{
		`{"prefix":"x"}`, `{"prefix":"X"}`, `{"prefix":""}`, `{"prefix":{"equals-ignore-case":"X"}}`,
		`{"suffix":"y"}`, `{"suffix":{"equals-ignore-case":"YZ"}}`, `{"equals-ignore-case":"xY"}`,
		`{"equals-ignore-case":"É"}`, `{"equals-ignore-case":"k"}`,
		`{"wildcard":"x*"}`, `{"wildcard":"*y*"}`, `{"wildcard":"a\\*b"}`, `{"wildcard":"*"}`, `{"wildcard":"x*z"}`,
		`{"anything-but":"x"}`, `{"anything-but":["x","xy"]}`, `{"anything-but":5}`, `{"anything-but":[5,100]}`,
		`{"anything-but":{"prefix":"x"}}`, `{"anything-but":{"suffix":["y","z"]}}`,
		`{"anything-but":{"equals-ignore-case":["X","XY"]}}`, `{"anything-but":{"wildcard":"*y*"}}`,
		`{"numeric":[">",0]}`, `{"numeric":[">=",5,"<",100]}`, `{"numeric":["=",5]}`, `{"numeric":["<=",-1]}`,
		`{"numeric":[">",3,"<=",3.5]}`,
		`{"cidr":"10.0.0.0/8"}`, `{"cidr":"10.0.0.0/24"}`, `{"cidr":"2001:db8::/32"}`,
	}
)

func (g gen) key() string { return genKeys[g.r.IntN(len(genKeys))] }

func (g gen) event(depth int) string {
	var sb strings.Builder
	sb.WriteByte('{')
	keys := slices.Clone(genKeys)
	g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	n := 1 + g.r.IntN(len(keys))
	for i, k := range keys[:n] {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "%q:%s", k, g.eventValue(depth))
	}
	sb.WriteByte('}')
	return sb.String()
}

func (g gen) eventValue(depth int) string {
	switch x := g.r.IntN(10); {
	case x < 5 || depth <= 0:
		return genLeaves[g.r.IntN(len(genLeaves))]
	case x < 7:
		return g.event(depth - 1)
	default:
		n := g.r.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = g.eventValue(depth - 1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
}

func (g gen) pattern(depth int, allowOr bool) string {
	var sb strings.Builder
	sb.WriteByte('{')
	keys := slices.Clone(genKeys)
	g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	n := 1 + g.r.IntN(3)
	for i, k := range keys[:n] {
		if i > 0 {
			sb.WriteByte(',')
		}
		switch x := g.r.IntN(10); {
		case x < 7 || depth <= 0:
			fmt.Fprintf(&sb, "%q:%s", k, g.valueList())
		default:
			fmt.Fprintf(&sb, "%q:%s", k, g.pattern(depth-1, allowOr))
		}
	}
	if allowOr && g.r.IntN(6) == 0 {
		sb.WriteString(`,"$or":[`)
		for i := range 2 + g.r.IntN(2) {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(g.pattern(depth-1, false))
		}
		sb.WriteByte(']')
	}
	sb.WriteByte('}')
	return sb.String()
}

func (g gen) valueList() string {
	switch g.r.IntN(12) {
	case 0:
		return `[{"exists":true}]`
	case 1:
		return `[{"exists":false}]`
	}
	n := 1 + g.r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		if g.r.IntN(2) == 0 {
			parts[i] = genLeaves[g.r.IntN(len(genLeaves))]
		} else {
			parts[i] = genOps[g.r.IntN(len(genOps))]
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// TestDifferential compares Pattern.Match and Set.Match with the
// reference evaluator on many generated pattern/event pairs.
func TestDifferential(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	sets, perSet, events := 300, 12, 40
	if testing.Short() {
		sets = 40
	}
	matches := 0
	for si := range sets {
		srcs := make([]string, perSet)
		pats := make([]*Pattern, perSet)
		b := NewBuilder()
		for i := range srcs {
			srcs[i] = g.pattern(2, true)
			p, err := Parse([]byte(srcs[i]))
			if err != nil {
				t.Fatalf("generated pattern %s: %v", srcs[i], err)
			}
			pats[i] = p
			b.Add(i, p)
		}
		set := b.Build()
		for range events {
			ev := []byte(g.event(3))
			var want []int
			for i, src := range srcs {
				ref, err := refMatch([]byte(src), ev)
				if err != nil {
					t.Fatalf("reference on %s: %v", ev, err)
				}
				got, err := pats[i].Match(ev)
				if err != nil {
					t.Fatalf("Match(%s): %v", ev, err)
				}
				if got != ref {
					t.Errorf("set %d: pattern %s\nevent %s\nMatch = %v, reference = %v", si, src, ev, got, ref)
				}
				if ref {
					want = append(want, i)
				}
			}
			got, err := set.Match(ev, nil)
			if err != nil {
				t.Fatalf("Set.Match(%s): %v", ev, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("set %d: event %s\nSet.Match = %v, reference = %v", si, ev, got, want)
			}
			matches += len(want)
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d pattern/event pairs, %d matches", sets*perSet*events, matches)
}

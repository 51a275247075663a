package route

import (
	"sort"
	"strings"
)

// inhibitRule is a compiled inhibit rule.
type inhibitRule struct {
	name           string
	source, target matchers
	equal          []string
}

// InhibitRule describes a compiled inhibition rule, for explanations.
type InhibitRule struct {
	Index int
	Name  string
	Equal []string
}

// InhibitRules lists the tree's inhibition rules in file order.
func (t *Tree) InhibitRules() []InhibitRule {
	out := make([]InhibitRule, len(t.inhibit))
	for i, r := range t.inhibit {
		out[i] = InhibitRule{Index: i, Name: r.name, Equal: r.equal}
	}
	return out
}

// equalKey joins the values of the equal labels; a label without values
// is equal to the same label without values on the other side.
func (r *inhibitRule) equalKey(l Labels, buf *[]string) string {
	var b strings.Builder
	for _, name := range r.equal {
		vals := l.Label(name, (*buf)[:0])
		*buf = vals
		if len(vals) > 1 {
			vals = append([]string(nil), vals...)
			sort.Strings(vals)
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(0)
			}
			b.WriteString(v)
		}
		b.WriteByte(1)
	}
	return b.String()
}

// Inhibitor answers inhibition questions against one set of active
// findings (the sources). Build it once per dispatch round with
// NewInhibitor; it is read-only afterwards.
type Inhibitor struct {
	tree  *Tree
	rules []map[string]*sources // per rule: equal key → sources
}

// sources are the active findings of one rule and equal key: up to two
// ids of those that match only the source side, and of those that match
// both sides (two are enough to know that one is not the target itself).
type sources struct {
	only, both []string
}

func addID(ids []string, id string) []string {
	if len(ids) >= 2 || (len(ids) == 1 && ids[0] == id) {
		return ids
	}
	return append(ids, id)
}

// NewInhibitor indexes the active findings that are sources of some
// inhibition rule. active holds tracked findings that are active now
// (FactsFromState, or policy.Set.StateFacts, builds their labels).
func (t *Tree) NewInhibitor(active []Labels) *Inhibitor {
	in := &Inhibitor{tree: t, rules: make([]map[string]*sources, len(t.inhibit))}
	buf := make([]string, 0, 8)
	for i, r := range t.inhibit {
		idx := map[string]*sources{}
		for _, a := range active {
			if !r.source.holds(a, &buf) {
				continue
			}
			id := findingID(a, &buf)
			k := r.equalKey(a, &buf)
			s := idx[k]
			if s == nil {
				s = &sources{}
				idx[k] = s
			}
			if r.target.holds(a, &buf) {
				s.both = addID(s.both, id)
			} else {
				s.only = addID(s.only, id)
			}
		}
		in.rules[i] = idx
	}
	return in
}

// Inhibited reports whether the target (a finding about to be notified;
// its decision record gives its labels) is inhibited, and by which rule
// (its index in inhibit_rules). A finding never inhibits itself, and, as
// in Alertmanager, a target that matches both sides of a rule is
// inhibited only by sources that match the source side alone.
func (in *Inhibitor) Inhibited(target Labels) (rule int, ok bool) {
	buf := make([]string, 0, 8)
	id := findingID(target, &buf)
	for i, r := range in.tree.inhibit {
		if !r.target.holds(target, &buf) {
			continue
		}
		s := in.rules[i][r.equalKey(target, &buf)]
		if s == nil {
			continue
		}
		if other(s.only, id) || (!r.source.holds(target, &buf) && other(s.both, id)) {
			return i, true
		}
	}
	return -1, false
}

func findingID(l Labels, buf *[]string) string {
	ids := l.Label("finding_id", (*buf)[:0])
	*buf = ids
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// other reports whether ids holds an id other than self.
func other(ids []string, self string) bool {
	for _, x := range ids {
		if x != self || self == "" {
			return true
		}
	}
	return false
}

// Inhibited is NewInhibitor(active).Inhibited(target), for one question.
func (t *Tree) Inhibited(target Labels, active []Labels) (rule int, ok bool) {
	if len(t.inhibit) == 0 {
		return -1, false
	}
	return t.NewInhibitor(active).Inhibited(target)
}

// Inhibits reports whether the tree has inhibition rules (so callers can
// skip collecting active findings).
func (t *Tree) Inhibits() bool { return len(t.inhibit) > 0 }

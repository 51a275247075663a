package route

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults of the root route, inherited by routes that do not set their
// own. group_by [finding_id] and no group wait make one message per
// finding, sent at once: what a repo without routes.yaml gets.
const (
	DefaultGroupWait     = 0
	DefaultGroupInterval = 5 * time.Minute
	// RootID is the id of the root route.
	RootID = "root"
)

// defaultGroupBy is the root's group_by when routes.yaml sets none
// ([finding_id]); never modified.
var defaultGroupBy = []string{"finding_id"}

// Tree is a compiled routing tree with its time intervals, inhibition
// rules and digests. It is immutable and safe for concurrent use.
type Tree struct {
	root      *node
	byID      map[string]*node
	inhibit   []*inhibitRule
	digests   []*Digest
	hasRepeat bool
	minRepeat time.Duration
}

// node is one compiled route, with inherited settings resolved.
type node struct {
	id             string
	receivers      []string // the route's receiver (the root may have several: default.notify)
	match          matchers
	cont           bool
	groupBy        []string
	groupAll       bool
	groupWait      time.Duration
	groupInterval  time.Duration
	repeatInterval time.Duration // 0: tracking.renotify_after
	mute, active   []*timeInterval
	escalate       *Escalation
	children       []*node
}

// Escalation is a route's escalate setting.
type Escalation struct {
	// After is the re-notification that escalates: the After-th
	// re-notification of a finding still active goes to Receiver too.
	After    int
	Receiver string
	// Tier is the tier the finding is raised to.
	Tier int
}

// Match is one receiver a finding is routed to.
type Match struct {
	// RouteID is the route that matched ("root" for the root's fallback,
	// "" for a receiver named by a rule's notify list).
	RouteID  string
	Receiver string
	// GroupKey identifies the group: findings with the same key are sent
	// to the receiver together. GroupLabels are the group_by values it
	// was built from (several values of one label joined by ",").
	GroupKey    string
	GroupLabels map[string]string
	// GroupWait is how long the first message of a new group waits for
	// more findings; GroupInterval how long after a group was sent it is
	// sent again with new findings; RepeatInterval, when not zero,
	// overrides tracking.renotify_after.
	GroupWait, GroupInterval, RepeatInterval time.Duration
	Escalate                                 *Escalation
	// Root says the match is the root route's fallback: it applies only
	// when nothing else routes the finding.
	Root bool
}

// Default returns the tree of a repo without routes.yaml: a root that
// names the given receivers (warden.yaml's default.notify) with the
// default grouping (one message per finding, at once).
func Default(receivers []string) *Tree {
	n := &node{
		id: RootID, receivers: append([]string(nil), receivers...),
		groupBy: defaultGroupBy, groupWait: DefaultGroupWait, groupInterval: DefaultGroupInterval,
	}
	return &Tree{root: n, byID: map[string]*node{RootID: n}}
}

// Match walks the tree as Alertmanager does: a route matches when its
// matchers hold; its children are tried in order, and the first that
// matches ends the search unless it has continue: true; a matching route
// none of whose children match is where the finding goes. The root
// matches every finding. A route without a receiver (none of its own and
// none inherited) matches but sends nowhere.
func (t *Tree) Match(l Labels) []Match {
	var out []Match
	buf := make([]string, 0, 8)
	t.root.walk(l, &out, &buf, true)
	return out
}

func (n *node) walk(l Labels, out *[]Match, buf *[]string, root bool) {
	matched := false
	for _, c := range n.children {
		if !c.match.holds(l, buf) {
			continue
		}
		matched = true
		c.walk(l, out, buf, false)
		if !c.cont {
			break
		}
	}
	if matched {
		return
	}
	for _, r := range n.receivers {
		m := n.matchFor(r, l, buf)
		m.Root = root
		*out = append(*out, m)
	}
}

func (n *node) matchFor(receiver string, l Labels, buf *[]string) Match {
	key, labels := groupKey(receiver, n.id, n.groupBy, n.groupAll, l, buf)
	return Match{
		RouteID: n.id, Receiver: receiver, GroupKey: key, GroupLabels: labels,
		GroupWait: n.groupWait, GroupInterval: n.groupInterval, RepeatInterval: n.repeatInterval,
		Escalate: n.escalate,
	}
}

// For returns the match a receiver would get on a route: the grouping and
// timing of route routeID for a receiver it does not name itself (an
// escalation receiver). routeID "" stands for a rule's notify list, which
// is grouped and timed as the root is; the match's RouteID is then "".
func (t *Tree) For(routeID, receiver string, l Labels) Match {
	n, ok := t.byID[routeID]
	if !ok {
		n = t.root
	}
	buf := make([]string, 0, 8)
	m := n.matchFor(receiver, l, &buf)
	if !ok {
		key, labels := groupKey(receiver, "", n.groupBy, n.groupAll, l, &buf)
		m.RouteID, m.GroupKey, m.GroupLabels, m.Escalate = "", key, labels, nil
	}
	return m
}

// HasRepeat reports whether some route sets repeat_interval (the root's
// included).
func (t *Tree) HasRepeat() bool { return t.hasRepeat }

// MinRepeat is the smallest repeat_interval any route sets (0: none).
func (t *Tree) MinRepeat() time.Duration { return t.minRepeat }

// RepeatInterval returns the smallest repeat_interval of the routes a
// finding matches (0 when none sets one), without building group keys.
// The root's fallback counts: its setting is what rules' receivers get.
func (t *Tree) RepeatInterval(l Labels) time.Duration {
	if !t.hasRepeat {
		return 0
	}
	buf := make([]string, 0, 8)
	var least time.Duration
	t.root.visit(l, &buf, func(n *node) {
		if r := n.repeatInterval; r > 0 && len(n.receivers) > 0 && (least == 0 || r < least) {
			least = r
		}
	})
	return least
}

// visit calls fn for every route a finding ends at, as walk does.
func (n *node) visit(l Labels, buf *[]string, fn func(*node)) {
	matched := false
	for _, c := range n.children {
		if !c.match.holds(l, buf) {
			continue
		}
		matched = true
		c.visit(l, buf, fn)
		if !c.cont {
			break
		}
	}
	if !matched {
		fn(n)
	}
}

// Routes returns the route ids, root first, in tree order.
func (t *Tree) Routes() []string {
	var out []string
	var walk func(n *node)
	walk = func(n *node) {
		out = append(out, n.id)
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(t.root)
	return out
}

// groupKey builds receiver/route{label="value",...}. With group_by [...]
// every finding is its own group (keyed by its id). buf is scratch space
// for label values.
func groupKey(receiver, routeID string, by []string, all bool, l Labels, buf *[]string) (string, map[string]string) {
	if all {
		by = defaultGroupBy
	}
	labels := make(map[string]string, len(by))
	size := len(receiver) + len(routeID) + 3
	for _, name := range by {
		vals := l.Label(name, (*buf)[:0])
		*buf = vals
		var joined string
		switch len(vals) {
		case 0:
		case 1:
			joined = vals[0]
		default:
			v := append([]string(nil), vals...)
			sort.Strings(v)
			joined = strings.Join(dedupSorted(v), ",")
		}
		labels[name] = joined
		size += len(name) + len(joined) + 4
	}
	var b strings.Builder
	b.Grow(size + 8) // quoting may escape a few characters
	b.WriteString(receiver)
	b.WriteByte('/')
	b.WriteString(routeID)
	b.WriteByte('{')
	var q [128]byte
	for i, name := range by {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.Write(strconv.AppendQuote(q[:0], labels[name]))
	}
	b.WriteByte('}')
	return b.String(), labels
}

func dedupSorted(v []string) []string {
	out := v[:0]
	for i, s := range v {
		if i == 0 || s != v[i-1] {
			out = append(out, s)
		}
	}
	return out
}

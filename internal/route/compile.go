package route

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Error is one problem in routes.yaml, at a path of keys and sequence
// indices (the policy loader turns it into file:line:col).
type Error struct {
	Path []string
	Msg  string
}

func (e *Error) Error() string { return strings.Join(e.Path, ".") + ": " + e.Msg }

// Options are what compiling needs from the rest of the policy.
type Options struct {
	// Receiver reports whether a receiver is defined in receivers.yaml.
	Receiver func(name string) bool
	// RootReceivers are the root's receivers when it names none
	// (warden.yaml's default.notify); inherited like a root receiver.
	RootReceivers []string
}

type compiler struct {
	opts      Options
	errs      []*Error
	intervals map[string]*timeInterval
	ids       map[string]bool
	hasRepeat bool
	minRepeat time.Duration
}

func (c *compiler) errf(path []string, format string, args ...any) {
	c.errs = append(c.errs, &Error{Path: append([]string(nil), path...), Msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) checkReceiver(path []string, name string) {
	if name != "" && c.opts.Receiver != nil && !c.opts.Receiver(name) {
		c.errf(path, "unknown receiver %q (define it in receivers.yaml)", name)
	}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Compile checks and compiles routes.yaml. It returns every problem
// found, each with its path; the tree is nil when there are any.
func Compile(f *File, opts Options) (*Tree, []*Error) {
	c := &compiler{opts: opts, intervals: map[string]*timeInterval{}, ids: map[string]bool{}}
	for i, ti := range f.TimeIntervals {
		p := []string{"time_intervals", strconv.Itoa(i)}
		if _, dup := c.intervals[ti.Name]; dup {
			c.errf(append(p, "name"), "time interval %q defined twice", ti.Name)
			continue
		}
		c.intervals[ti.Name] = c.compileInterval(p, ti)
	}
	t := &Tree{byID: map[string]*node{}}
	rootCfg := f.Route
	if rootCfg == nil {
		rootCfg = &Config{}
	}
	t.root = c.compileRoot(rootCfg, t.byID)
	for i, r := range f.InhibitRules {
		t.inhibit = append(t.inhibit, c.compileInhibit(i, r))
	}
	names := map[string]bool{}
	for i, d := range f.Digests {
		if names[d.Name] {
			c.errf([]string{"digests", strconv.Itoa(i), "name"}, "digest %q defined twice", d.Name)
		}
		names[d.Name] = true
		t.digests = append(t.digests, c.compileDigest(i, d))
	}
	t.hasRepeat, t.minRepeat = c.hasRepeat, c.minRepeat
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return t, nil
}

func (c *compiler) compileRoot(cfg *Config, byID map[string]*node) *node {
	p := []string{"route"}
	at := func(f ...string) []string { return append(append([]string(nil), p...), f...) }
	if len(cfg.Match) > 0 || len(cfg.MatchNot) > 0 {
		c.errf(at("match"), "the root route matches every finding: it cannot have match or match_not")
	}
	if cfg.Continue {
		c.errf(at("continue"), "the root route cannot have continue")
	}
	if len(cfg.MuteTimeIntervals) > 0 || len(cfg.ActiveTimeIntervals) > 0 {
		c.errf(at("mute_time_intervals"), "the root route cannot have mute_time_intervals or active_time_intervals (set them on child routes)")
	}
	if cfg.ID != "" && cfg.ID != RootID {
		c.errf(at("id"), "the root route's id is %q", RootID)
	}
	parent := &node{groupBy: defaultGroupBy, groupWait: DefaultGroupWait, groupInterval: DefaultGroupInterval, receivers: c.opts.RootReceivers}
	root := c.compileRoute(p, cfg, parent, RootID, byID)
	return root
}

// compileRoute compiles one route with its parent's settings as defaults.
func (c *compiler) compileRoute(p []string, cfg *Config, parent *node, id string, byID map[string]*node) *node {
	at := func(f ...string) []string { return append(append([]string(nil), p...), f...) }
	if cfg.ID != "" {
		id = cfg.ID
		if !idPattern.MatchString(id) || len(id) > 128 {
			c.errf(at("id"), "invalid route id %q (letters, digits, ., _, -)", id)
		}
	}
	if c.ids[id] {
		c.errf(at("id"), "route id %q used twice", id)
	}
	c.ids[id] = true
	n := &node{
		id: id, cont: cfg.Continue,
		groupBy: parent.groupBy, groupAll: parent.groupAll,
		groupWait: parent.groupWait, groupInterval: parent.groupInterval, repeatInterval: parent.repeatInterval,
	}
	byID[id] = n
	if cfg.Receiver != "" {
		c.checkReceiver(at("receiver"), cfg.Receiver)
		n.receivers = []string{cfg.Receiver}
	} else {
		n.receivers = parent.receivers
	}
	const what = "routes"
	n.match = matchers{
		all:  c.compileMatchers(at("match"), cfg.Match, inDecision, what),
		none: c.compileMatchers(at("match_not"), cfg.MatchNot, inDecision, what),
	}
	if cfg.GroupBy != nil {
		n.groupBy, n.groupAll = c.compileGroupBy(at("group_by"), cfg.GroupBy)
	}
	if cfg.GroupWait != nil {
		n.groupWait = time.Duration(*cfg.GroupWait)
	}
	if cfg.GroupInterval != nil {
		n.groupInterval = time.Duration(*cfg.GroupInterval)
		if n.groupInterval <= 0 {
			c.errf(at("group_interval"), "group_interval must be more than 0")
		}
	}
	if cfg.RepeatInterval != nil {
		n.repeatInterval = time.Duration(*cfg.RepeatInterval)
		if n.repeatInterval <= 0 {
			c.errf(at("repeat_interval"), "repeat_interval must be more than 0")
		}
		c.hasRepeat = true
		if n.repeatInterval > 0 && (c.minRepeat == 0 || n.repeatInterval < c.minRepeat) {
			c.minRepeat = n.repeatInterval
		}
	}
	n.mute = c.intervalRefs(at("mute_time_intervals"), cfg.MuteTimeIntervals)
	n.active = c.intervalRefs(at("active_time_intervals"), cfg.ActiveTimeIntervals)
	if e := cfg.Escalate; e != nil {
		c.checkReceiver(at("escalate", "receiver"), e.Receiver)
		if e.After < 1 {
			c.errf(at("escalate", "after"), "escalate.after must be 1 or more (the re-notification that escalates)")
		}
		tier := e.Tier
		if tier == 0 {
			tier = 3
		}
		if tier < 1 || tier > 3 {
			c.errf(at("escalate", "tier"), "escalate.tier must be 1, 2 or 3")
		}
		n.escalate = &Escalation{After: e.After, Receiver: e.Receiver, Tier: tier}
	}
	for i := range cfg.Routes {
		cp := at("routes", strconv.Itoa(i))
		child := &cfg.Routes[i]
		if len(child.Match) == 0 && len(child.MatchNot) == 0 && i < len(cfg.Routes)-1 && !child.Continue {
			c.errf(cp, "route %s matches every finding and does not continue: the routes after it are never used", childID(id, i, child))
		}
		n.children = append(n.children, c.compileRoute(cp, child, n, childID(id, i, child), byID))
	}
	return n
}

func childID(parent string, i int, cfg *Config) string {
	if cfg.ID != "" {
		return cfg.ID
	}
	return parent + "." + strconv.Itoa(i)
}

func (c *compiler) compileGroupBy(p []string, by []string) ([]string, bool) {
	seen := map[string]bool{}
	for j, g := range by {
		jp := append(append([]string(nil), p...), strconv.Itoa(j))
		if g == GroupAll {
			if len(by) > 1 {
				c.errf(jp, "group_by [...] groups every finding alone: it cannot be combined with labels")
			}
			return defaultGroupBy, true
		}
		if seen[g] {
			c.errf(jp, "label %s listed twice", g)
		}
		seen[g] = true
		c.checkLabel(jp, g, inDecision, "routes")
	}
	return append([]string(nil), by...), false
}

func (c *compiler) intervalRefs(p []string, names []string) []*timeInterval {
	var out []*timeInterval
	for j, name := range names {
		ti, ok := c.intervals[name]
		if !ok {
			c.errf(append(append([]string(nil), p...), strconv.Itoa(j)), "unknown time interval %q (define it under time_intervals)", name)
			continue
		}
		out = append(out, ti)
	}
	return out
}

func (c *compiler) compileInhibit(i int, cfg InhibitConfig) *inhibitRule {
	p := []string{"inhibit_rules", strconv.Itoa(i)}
	at := func(f ...string) []string { return append(append([]string(nil), p...), f...) }
	r := &inhibitRule{
		name:   cfg.Name,
		source: matchers{all: c.compileMatchers(at("source_match"), cfg.SourceMatch, inState, "inhibition sources")},
		target: matchers{all: c.compileMatchers(at("target_match"), cfg.TargetMatch, inRecord, "inhibition targets")},
	}
	if len(cfg.SourceMatch) == 0 || len(cfg.TargetMatch) == 0 {
		c.errf(p, "an inhibit rule needs source_match and target_match")
	}
	for j, e := range cfg.Equal {
		if c.checkLabel(at("equal", strconv.Itoa(j)), e, inState|inRecord, "equal (read on both sides)") {
			r.equal = append(r.equal, e)
		}
	}
	return r
}

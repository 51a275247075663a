package decide

import (
	"fmt"
	"slices"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/route"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/track"
)

// planner plans the actions of one decision.
type planner struct {
	ps     *policy.Set
	rec    *Record
	in     Input
	facts  *route.Facts
	status string
}

func newPlanner(ps *policy.Set, rec *Record, in Input) *planner {
	f := in.Finding
	p := &planner{ps: ps, rec: rec, in: in, status: StatusPlanned, facts: &route.Facts{
		FindingID: f.ID, Product: f.Product, Format: string(f.Format), Severity: f.Severity.String(),
		Title: f.Title, Region: f.Region, AccountID: f.AccountID,
		Control: f.ControlID, Compliance: f.Compliance, Generator: f.GeneratorID,
		Tier: rec.Tier, Types: f.Types, Resources: f.Resources, Rules: rec.MatchedRules, Account: rec.Enrichment,
		Overdue: rec.SLA != nil && rec.SLA.Overdue,
	}}
	if in.DryRun {
		p.status = StatusDryRun
	}
	return p
}

// target is one receiver a finding goes to, and why.
type target struct {
	route.Match
	rule string // the rule whose notify list names it ("" for the tree)
}

// targets lists the receivers of the finding: those of the matched
// rules' notify lists, in rule order, then those the routing tree adds,
// in tree order, each receiver once. Grouping and timing are the tree's:
// a receiver that a rule names and a route also gives keeps its place
// and rule but takes the first such route's group (a receiver only a
// rule names is grouped as the root groups). The root route's fallback
// applies only when no rule names a receiver, and never at tier 1
// (remediate and archive).
func (p *planner) targets() []target {
	var out []target
	at := map[string]int{}     // receiver → index in out
	fromTree := map[int]bool{} // out[i] already has its tree match
	for _, r := range p.in.Matched {
		for _, n := range r.Notify {
			if _, dup := at[n]; !dup {
				at[n] = len(out)
				out = append(out, target{Match: p.ps.Routes.For("", n, p.facts), rule: r.ID})
			}
		}
	}
	fromRules := len(out) > 0
	for _, m := range p.ps.Routes.Match(p.facts) {
		if m.Root && (fromRules || p.rec.Tier == 1) {
			continue
		}
		i, dup := at[m.Receiver]
		switch {
		case !dup:
			at[m.Receiver] = len(out)
			fromTree[len(out)] = true
			out = append(out, target{Match: m})
		case !fromTree[i]:
			fromTree[i] = true
			out[i].Match = m
		}
	}
	return out
}

// renotifyPeriod is the quiet period after which a still-active finding
// is notified again: the smallest repeat_interval of the routes it would
// be re-notified through (matched with reason renotify_due and verdict
// notify), else tracking.renotify_after for its severity.
func (p *planner) renotifyPeriod() time.Duration {
	base := p.ps.RenotifyAfter(p.in.Finding.Severity)
	prev, t := p.in.Prev, p.ps.Routes
	if !t.HasRepeat() || prev == nil || prev.LastNotified.IsZero() || p.in.Finding.Resolved() {
		return base
	}
	// Too soon for any period: the tree need not be asked (the common
	// case, an unchanged re-report of an active finding).
	if quiet := p.in.Now.Sub(prev.LastNotified); quiet < base && quiet < t.MinRepeat() {
		return base
	}
	p.facts.Reason, p.facts.Verdict = string(track.RenotifyDue), string(Notify)
	least := t.RepeatInterval(p.facts)
	p.facts.Reason, p.facts.Verdict = "", ""
	if least > 0 {
		return least
	}
	return base
}

// planFiring plans the messages (kind firing) and, when withRemediation,
// the remediations of a new, reopened or escalated finding. v is the
// verdict routes see.
func (p *planner) planFiring(v Verdict, withRemediation bool) {
	p.facts.Verdict = string(v)
	for _, t := range p.targets() {
		p.add(t, KindFiring)
	}
	if withRemediation {
		p.planRemediations()
	}
}

// planRenotify plans the messages of a re-notification and reports
// whether it escalated. Every receiver the finding routes to now hears
// again (kind renotify): the period that made it due is the smallest
// repeat_interval of its routes, else tracking.renotify_after. A route's
// escalate.after-th re-notification also goes to the escalation receiver
// (kind escalated; later ones renotify) and raises the tier.
func (p *planner) planRenotify() (escalated bool) {
	p.facts.Verdict = string(Notify)
	prev := p.in.Prev
	ts := p.targets()
	for _, t := range ts {
		p.add(t, KindRenotify)
	}
	// The first notification is number 1: this re-notification is
	// number NotifyCount (every notification after the first counts,
	// a reopening or a severity rise included).
	n := prev.NotifyCount
	for _, t := range ts {
		e := t.Escalate
		if e == nil || n < e.After {
			continue
		}
		kind := KindRenotify
		if n == e.After {
			kind, escalated = KindEscalated, true
			p.rec.Notes = append(p.rec.Notes, fmt.Sprintf("re-notified %d times without resolution: escalated to %s (route %s, tier %d)", n, e.Receiver, t.RouteID, e.Tier))
		}
		if e.Tier > p.rec.Tier {
			p.rec.Tier = e.Tier
		}
		if i := p.find(e.Receiver); i >= 0 {
			if kind == KindEscalated {
				p.rec.Actions[i].Kind = kind
			}
			continue
		}
		p.add(target{Match: p.ps.Routes.For(t.RouteID, e.Receiver, p.facts)}, kind)
	}
	return escalated
}

// planResolved tells the receivers of an active finding that it is
// resolved (kind resolved), so that pages resolve and tickets move on.
// Without Input.Notified the receivers are worked out again: the rules
// that match the resolving version, and the routes, which see the verdict
// the finding had before (its last verdict), overdue as it was when it
// resolved and the resolving version's other labels; plus an escalation
// receiver the finding had been re-notified enough times to reach. A rule
// whose pattern no longer matches the resolved version (e.g. one on
// Compliance.Status FAILED) loses its receivers here: pass
// Input.Notified to be exact.
func (p *planner) planResolved() {
	prev := p.in.Prev
	p.facts.Verdict = prev.LastVerdict
	// overdue: whether it was past its SLA when it resolved.
	p.facts.Overdue = p.rec.SLA != nil && p.in.Now.After(p.rec.SLA.Due)
	ts := p.targets()
	if p.in.Notified != nil {
		var keep []target
		for _, t := range ts {
			if slices.Contains(p.in.Notified, t.Receiver) {
				keep = append(keep, t)
			}
		}
		for _, n := range p.in.Notified {
			if slices.ContainsFunc(keep, func(t target) bool { return t.Receiver == n }) {
				continue
			}
			route := "" // a receiver no route names any more
			for _, t := range ts {
				if t.Escalate != nil && t.Escalate.Receiver == n {
					route = t.RouteID // the escalation receiver of that route
					break
				}
			}
			keep = append(keep, target{Match: p.ps.Routes.For(route, n, p.facts)})
		}
		ts = keep
	} else {
		for _, t := range ts {
			if e := t.Escalate; e != nil && prev.NotifyCount-1 >= e.After &&
				!slices.ContainsFunc(ts, func(o target) bool { return o.Receiver == e.Receiver }) {
				ts = append(ts, target{Match: p.ps.Routes.For(t.RouteID, e.Receiver, p.facts)})
			}
		}
	}
	for _, t := range ts {
		if p.find(t.Receiver) < 0 {
			p.add(t, KindResolved)
		}
	}
}

func (p *planner) find(receiver string) int {
	for i, a := range p.rec.Actions {
		if a.Type == ActionNotify && a.Receiver == receiver {
			return i
		}
	}
	return -1
}

// add appends a notify action for a target. A route that is muted now
// holds the message until its mute ends (not_before).
func (p *planner) add(t target, kind string) {
	a := Action{
		Type: ActionNotify, Receiver: t.Receiver, Mode: string(policy.ModeAuto), Status: p.status, Rule: t.rule,
		Kind: kind, Route: t.RouteID, Group: t.GroupKey, GroupLabels: t.GroupLabels,
		GroupWait: policy.Duration(t.GroupWait), GroupInterval: policy.Duration(t.GroupInterval),
	}
	if muted, until := p.ps.Routes.Muted(t.RouteID, p.in.Now); muted {
		if until.IsZero() {
			p.rec.Notes = append(p.rec.Notes, fmt.Sprintf("route %s is muted for more than ten years: %s hears nothing", t.RouteID, t.Receiver))
		} else {
			a.NotBefore = &until
			p.rec.Notes = append(p.rec.Notes, fmt.Sprintf("route %s is muted until %s: the message to %s waits", t.RouteID, until.UTC().Format(time.RFC3339), t.Receiver))
		}
	}
	p.rec.Actions = append(p.rec.Actions, a)
}

// planRemediations adds one remediation per matched rule that asks for
// one, in the mode of the strategy matrix (or stricter).
func (p *planner) planRemediations() {
	rec, in, ps := p.rec, p.in, p.ps
	env := rec.Enrichment.Environment
	for _, r := range in.Matched {
		if r.Remediate == nil {
			continue
		}
		spec, _ := remediate.Lookup(r.Remediate.Playbook)
		mode := ps.ModeFor(env, spec.Destructive)
		if want := r.Remediate.Mode; want != "" {
			if want.Strictness() >= mode.Strictness() {
				mode = want
			} else {
				rec.Notes = append(rec.Notes, fmt.Sprintf("rule %s asks for %s but the strategy matrix requires %s for %s playbooks in %s", r.ID, want, mode, destructiveWord(spec.Destructive), env))
			}
		}
		a := Action{Type: ActionRemediate, Playbook: spec.Name, Destructive: spec.Destructive, Mode: string(mode), Status: p.status, Rule: r.ID, Params: r.Remediate.Params}
		switch mode {
		case policy.ModeDelay:
			t := in.Now.Add(time.Duration(ps.Settings.Strategy.Delay))
			a.NotBefore = &t
		case policy.ModeApproval:
			t := in.Now.Add(time.Duration(ps.Settings.Strategy.ApprovalTimeout))
			a.Expires = &t
		}
		rec.Actions = append(rec.Actions, a)
		if tr := ps.Settings.Strategy.TicketReceiver; mode == policy.ModeTicket && tr != "" && p.find(tr) < 0 {
			// The ticket: the receiver is told what the playbook would do.
			rec.Actions = append(rec.Actions, Action{Type: ActionNotify, Receiver: tr, Mode: string(policy.ModeAuto), Status: p.status, Rule: r.ID, Kind: KindFiring})
		}
	}
}

// slaOf returns the finding's SLA, nil when its severity has none. open
// says the finding is active (neither resolved nor suppressed): only an
// open finding is overdue.
func slaOf(ps *policy.Set, sev finding.Severity, prev *store.State, now time.Time, open bool) *SLA {
	d := ps.SLA(sev)
	if d <= 0 {
		return nil
	}
	first := now
	if prev != nil {
		first = prev.FirstSeen
	}
	due := first.Add(d)
	return &SLA{Due: due, Overdue: open && now.After(due), Age: policy.Duration(now.Sub(first))}
}

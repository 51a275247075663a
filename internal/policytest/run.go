// Package policytest runs a policy repo's tests (tests/*.yaml): each test
// feeds findings through the real pipeline with a fresh in-memory store and
// a fixed clock, and compares the decisions with what it expects.
package policytest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/pipeline"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/route"
	"github.com/wardenhq/warden/internal/source"
	"github.com/wardenhq/warden/internal/store"
)

// Result is the outcome of one test.
type Result struct {
	File     string
	Name     string
	Line     int
	Failures []string // empty when the test passed
}

// Passed reports whether the test passed.
func (r Result) Passed() bool { return len(r.Failures) == 0 }

// Run runs every test of every file against the policy set.
func Run(ctx context.Context, ps *policy.Set, files []policy.TestFile) []Result {
	var out []Result
	for i := range files {
		tf := &files[i]
		for j := range tf.Tests {
			tc := &tf.Tests[j]
			res := Result{File: tf.File, Name: tc.Name, Line: tc.Line}
			res.Failures = runOne(ctx, ps, tf, tc)
			out = append(out, res)
		}
	}
	return out
}

func runOne(ctx context.Context, ps *policy.Set, tf *policy.TestFile, tc *policy.TestCase) []string {
	now, fixed, _ := tc.Clock(tf)
	clock := time.Now
	if fixed {
		clock = func() time.Time { return now }
	}
	st := store.NewMemory()
	base := filepath.Join(ps.Dir, filepath.Dir(tf.File))
	var fails []string
	feed := func(paths []string, inline map[string]any, clock func() time.Time) ([]decide.Record, []string) {
		var recs []decide.Record
		var problems []string
		p := pipeline.New(pipeline.Options{
			Policy: ps, Store: st, Clock: clock, Workers: 1,
			Emit:   func(r *decide.Record, _ []byte) error { recs = append(recs, *r); return nil },
			Reject: func(err error) { problems = append(problems, "input rejected: "+err.Error()) },
		})
		err := p.Feed(ctx, func(ctx context.Context, send func(source.Record) error) error {
			for _, path := range paths {
				full := filepath.Join(base, path)
				err := source.Read(ctx, full, strings.NewReader(""), send,
					func(err error) { problems = append(problems, "input rejected: "+err.Error()) })
				if err != nil {
					problems = append(problems, fmt.Sprintf("reading %s: %v", path, err))
				}
			}
			if inline == nil {
				return nil
			}
			b, err := json.Marshal(inline)
			if err != nil {
				problems = append(problems, "inline finding: "+err.Error())
				return nil
			}
			return send(source.Record{Data: b, Origin: finding.Origin{Source: tf.File + ": " + tc.Name}})
		})
		if err != nil {
			problems = append(problems, err.Error())
		}
		return recs, problems
	}
	for _, g := range tc.Given {
		gclock := clock
		if g.Now != "" {
			t, err := time.Parse(time.RFC3339, g.Now)
			if err != nil {
				return []string{"given " + g.Input + ": now: " + err.Error()}
			}
			gclock = func() time.Time { return t }
		}
		if _, problems := feed([]string{g.Input}, nil, gclock); len(problems) > 0 {
			return append(fails, prefix("given "+g.Input+": ", problems)...)
		}
	}
	var inputs []string
	if tc.Input != "" {
		inputs = []string{tc.Input}
	}
	recs, problems := feed(inputs, tc.Finding, clock)
	fails = append(fails, problems...)
	if len(recs) != len(tc.Expect) {
		fails = append(fails, fmt.Sprintf("got %d decisions, want %d", len(recs), len(tc.Expect)))
	}
	for i := 0; i < len(recs) && i < len(tc.Expect); i++ {
		d := compare(&recs[i], &tc.Expect[i])
		d = append(d, checkInhibition(ctx, ps, st, clock(), &recs[i], &tc.Expect[i])...)
		for _, d := range d {
			fails = append(fails, fmt.Sprintf("decision %d (%s): %s", i+1, recs[i].FindingID, d))
		}
	}
	return fails
}

// checkInhibition asks the routing tree, as the dispatcher does before it
// sends, whether the decision's messages are inhibited by the findings
// active in the test's state.
func checkInhibition(ctx context.Context, ps *policy.Set, st store.Store, now time.Time, r *decide.Record, e *policy.Expectation) []string {
	if e.Inhibited == nil && e.InhibitedBy == "" {
		return nil
	}
	var active []route.Labels
	err := st.States(ctx, []store.Status{store.StatusActive}, func(s store.State) error {
		active = append(active, ps.StateFacts(s, now))
		return nil
	})
	if err != nil {
		return []string{"reading the test's state: " + err.Error()}
	}
	got, by := false, ""
	if i, ok := ps.Routes.Inhibited(r.Facts(), active); ok {
		got, by = true, strconv.Itoa(i)
		if name := ps.Routes.InhibitRules()[i].Name; name != "" {
			by = name
		}
	}
	var d []string
	if e.Inhibited != nil && got != *e.Inhibited {
		d = append(d, fmt.Sprintf("inhibited: got %v (%s), want %v", got, orNone(by), *e.Inhibited))
	}
	if e.InhibitedBy != "" && by != e.InhibitedBy {
		d = append(d, fmt.Sprintf("inhibited_by: got %s, want %s", orNone(by), e.InhibitedBy))
	}
	return d
}

func prefix(p string, l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = p + s
	}
	return out
}

// compare lists every difference between a decision and an expectation.
func compare(r *decide.Record, e *policy.Expectation) []string {
	var d []string
	diff := func(field string, got, want any) {
		d = append(d, fmt.Sprintf("%s: got %v, want %v", field, got, want))
	}
	if e.FindingID != "" && r.FindingID != e.FindingID {
		diff("finding_id", r.FindingID, e.FindingID)
	}
	if e.Verdict != "" && string(r.Verdict) != e.Verdict {
		diff("verdict", r.Verdict, e.Verdict)
	}
	if e.Reason != "" && r.Reason != e.Reason {
		diff("reason", r.Reason, e.Reason)
	}
	if e.Tier != nil && r.Tier != *e.Tier {
		diff("tier", r.Tier, *e.Tier)
	}
	if e.Severity != "" && r.Severity.String() != e.Severity {
		diff("severity", r.Severity, e.Severity)
	}
	if e.Environment != "" && r.Enrichment.Environment != e.Environment {
		diff("environment", r.Enrichment.Environment, e.Environment)
	}
	if e.MatchedRules != nil && !slices.Equal(r.MatchedRules, *e.MatchedRules) {
		diff("matched_rules", list(r.MatchedRules), list(*e.MatchedRules))
	}
	if e.SuppressedBy != "" {
		got := ""
		if r.Suppression != nil {
			got = r.Suppression.Rule
		}
		if got != e.SuppressedBy {
			diff("suppressed_by", orNone(got), e.SuppressedBy)
		}
	}
	for _, want := range e.Notes {
		found := false
		for _, n := range r.Notes {
			found = found || strings.Contains(n, want)
		}
		if !found {
			d = append(d, fmt.Sprintf("notes: no note contains %q (notes: %q)", want, r.Notes))
		}
	}
	if e.ExpiredSuppressions != nil {
		var got []string
		for _, h := range r.ExpiredSuppressions {
			got = append(got, h.Rule)
		}
		if !slices.Equal(got, *e.ExpiredSuppressions) {
			diff("expired_suppressions", list(got), list(*e.ExpiredSuppressions))
		}
	}
	var receivers []string
	var playbooks []string
	var notifies []decide.Action
	for _, a := range r.Actions {
		if a.Type == decide.ActionNotify {
			receivers = append(receivers, a.Receiver)
			notifies = append(notifies, a)
		} else {
			playbooks = append(playbooks, a.Playbook+"/"+a.Mode)
		}
	}
	if e.Notify != nil {
		d = append(d, compareNotify(notifies, *e.Notify)...)
	}
	if e.SLA != nil {
		d = append(d, compareSLA(r.SLA, e.SLA)...)
	}
	if e.Receivers != nil && !slices.Equal(receivers, *e.Receivers) {
		diff("receivers", list(receivers), list(*e.Receivers))
	}
	if e.Playbooks != nil {
		var want []string
		for _, p := range *e.Playbooks {
			want = append(want, p.Playbook+"/"+p.Mode)
		}
		got := playbooks
		// A mode left out of the expectation is not checked.
		for i, p := range *e.Playbooks {
			if p.Mode == "" && i < len(got) {
				got = slices.Clone(got)
				got[i] = strings.SplitN(got[i], "/", 2)[0] + "/"
			}
		}
		if !slices.Equal(got, want) {
			diff("playbooks (playbook/mode)", list(playbooks), list(want))
		}
	}
	return d
}

// compareNotify checks the notify actions against the expected list: the
// same receivers in the same order, and each given field.
func compareNotify(got []decide.Action, want []policy.NotifyExp) []string {
	var gr, wr []string
	for _, a := range got {
		gr = append(gr, a.Receiver)
	}
	for _, n := range want {
		wr = append(wr, n.Receiver)
	}
	if !slices.Equal(gr, wr) {
		return []string{fmt.Sprintf("notify (receivers): got %s, want %s", list(gr), list(wr))}
	}
	var d []string
	for i, w := range want {
		a := got[i]
		diff := func(field string, g, v any) {
			d = append(d, fmt.Sprintf("notify[%d] (%s) %s: got %v, want %v", i, a.Receiver, field, g, v))
		}
		if w.Kind != "" && a.Kind != w.Kind {
			diff("kind", a.Kind, w.Kind)
		}
		if w.Route != nil && a.Route != *w.Route {
			diff("route", orNone(a.Route), orNone(*w.Route))
		}
		if w.Group != "" && a.Group != w.Group {
			diff("group", a.Group, w.Group)
		}
		if w.GroupLabels != nil && !maps.Equal(a.GroupLabels, w.GroupLabels) {
			diff("group_labels", a.GroupLabels, w.GroupLabels)
		}
		if w.GroupWait != nil && a.GroupWait != *w.GroupWait {
			diff("group_wait", time.Duration(a.GroupWait), time.Duration(*w.GroupWait))
		}
		if w.NotBefore != nil {
			g := ""
			if a.NotBefore != nil {
				g = a.NotBefore.UTC().Format(time.RFC3339)
			}
			want := *w.NotBefore
			if t, err := time.Parse(time.RFC3339, want); err == nil {
				want = t.UTC().Format(time.RFC3339)
			}
			if g != want {
				diff("not_before", orNone(g), orNone(want))
			}
		}
	}
	return d
}

func compareSLA(got *decide.SLA, want *policy.SLAExp) []string {
	if got == nil {
		return []string{"sla: the decision has none (no SLA for its severity in warden.yaml)"}
	}
	var d []string
	if want.Due != "" {
		if t, err := time.Parse(time.RFC3339, want.Due); err == nil && !t.Equal(got.Due) {
			d = append(d, fmt.Sprintf("sla.due: got %s, want %s", got.Due.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339)))
		}
	}
	if want.Overdue != nil && got.Overdue != *want.Overdue {
		d = append(d, fmt.Sprintf("sla.overdue: got %v, want %v", got.Overdue, *want.Overdue))
	}
	return d
}

func list(l []string) string { return "[" + strings.Join(l, ", ") + "]" }

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/normalize"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/source"
	"github.com/wardenhq/warden/internal/store"
)

func runExplain(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "explain", "--policy DIR [--state FILE] FILE")
	pf := addPolicyFlags(fs, "SQLite state `FILE` to read prior state from (never written)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return ExitUsage
	}
	ps, st, clock, code, ok := pf.open(ctx, env, "explain", true)
	if !ok {
		return code
	}
	defer st.Close()
	rejected := 0
	reject := func(err error) {
		rejected++
		env.Log.Warn("rejected input", "error", err.Error())
	}
	var failure error
	undetected := func(ev normalize.Event) {
		n := 0
		if ps.Detect != nil {
			n = ps.Detect.Len()
		}
		fmt.Fprintf(env.Stdout, "event at %s: no detection turns it into a finding (%d detections checked); no decision\n\n", source.Where(ev.Origin), n)
	}
	err := source.Read(ctx, fs.Arg(0), stdinOr(env), func(r source.Record) error {
		for _, f := range decodeAndDetect(ps, r, reject, undetected) {
			if err := explainOne(ctx, env.Stdout, ps, st, f, clock().UTC()); err != nil {
				failure = err
				return err
			}
		}
		return nil
	}, reject)
	if err == nil {
		err = failure
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden explain:", err)
		return ExitRuntime
	}
	if rejected > 0 {
		return ExitFindings
	}
	return ExitOK
}

// decodeAndDetect turns one record into findings, running detections on
// raw events; undetected is called for each event no detection matched.
func decodeAndDetect(ps *policy.Set, r source.Record, reject func(error), undetected func(normalize.Event)) []*finding.Finding {
	res := normalize.Decode(r)
	for _, e := range res.Errors {
		reject(e)
	}
	fs := res.Findings
	for _, ev := range res.Events {
		n := len(fs)
		if ps.Detect != nil {
			var err error
			if fs, err = ps.Detect.Detect(ev.Doc, ev.Origin, fs); err != nil {
				reject(err)
				continue
			}
		}
		if len(fs) == n {
			undetected(ev)
		}
	}
	return fs
}

func explainOne(ctx context.Context, w io.Writer, ps *policy.Set, st store.Store, f *finding.Finding, now time.Time) error {
	a, known := ps.Account(f.AccountID)
	checks, err := ps.Explain(f, a)
	if err != nil {
		return err
	}
	states, err := st.Load(ctx, []string{f.ID})
	if err != nil {
		return err
	}
	var prev *store.State
	if s, ok := states[f.ID]; ok {
		prev = &s
	}
	var matched []*policy.CompiledRule
	for _, c := range checks {
		if c.Matched {
			matched = append(matched, c.Rule)
		}
	}
	rec, next := decide.Decide(ps, decide.Input{Finding: f, Prev: prev, Matched: matched, Account: a, Known: known, Now: now, DryRun: true})
	js, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	// Later findings in the same file see this one, as in `process`.
	if err := st.Apply(ctx, []store.Entry{{State: next, Record: js}}); err != nil {
		return err
	}

	env := a.Environment
	fmt.Fprintf(w, "finding %s\n", safe(f.ID))
	fmt.Fprintf(w, "  title: %s\n", safe(f.Title))
	fmt.Fprintf(w, "  product %s (format %s), severity %s\n", safe(f.Product), f.Format, f.Severity)
	fmt.Fprintf(w, "  account %s (%s, environment %s", f.AccountID, safe(a.Name), env)
	if !known {
		fmt.Fprint(w, ", not in the inventory")
	}
	fmt.Fprintf(w, "), region %s, resource %s\n", f.Region, safe(f.ResourceID()))
	fmt.Fprintf(w, "  rules (%d):\n", len(checks))
	for _, c := range checks {
		mark := "✗"
		if c.Matched {
			mark = "✓"
		}
		fmt.Fprintf(w, "    %s %s  (%s:%d)\n", mark, c.Rule.ID, c.Rule.File, c.Rule.Line)
		switch {
		case c.Skipped:
			fmt.Fprintln(w, "        skipped: an earlier matching rule has stop: true")
		case !c.InScope:
			fmt.Fprintf(w, "        scope: %s\n", safe(c.Scope))
		default:
			fmt.Fprintln(w, "        scope: in")
		}
		for _, l := range c.Pattern {
			fmt.Fprintf(w, "        pattern: %s\n", safe(l))
		}
		if c.Rule.Pattern() == nil {
			fmt.Fprintln(w, "        pattern: none (scope only)")
		}
	}
	if prev == nil {
		fmt.Fprintln(w, "  tracking: never seen before")
	} else {
		fmt.Fprintf(w, "  tracking: seen since %s, status %s, last verdict %s, notified %d times\n", prev.FirstSeen.Format(time.RFC3339), prev.Status, prev.LastVerdict, prev.NotifyCount)
	}
	fmt.Fprintf(w, "  decision: %s (reason %s), tier %d\n", rec.Verdict, rec.Reason, rec.Tier)
	if s := rec.Suppression; s != nil {
		fmt.Fprintf(w, "    accepted risk %s until %s: %s (owner %s, ticket %s, approved by %s)\n", s.Rule, s.Expires, safe(s.Reason), s.Owner, s.Ticket, s.ApprovedBy)
	}
	for _, n := range rec.Notes {
		fmt.Fprintf(w, "    note: %s\n", safe(n))
	}
	for _, act := range rec.Actions {
		if act.Type == decide.ActionNotify {
			fmt.Fprintf(w, "    notify %s\n", act.Receiver)
		} else {
			fmt.Fprintf(w, "    remediate %s, mode %s (destructive %t, environment %s)\n", act.Playbook, act.Mode, act.Destructive, env)
		}
	}
	fmt.Fprintf(w, "  record: %s\n\n", js)
	return nil
}

// safe makes attacker-controlled finding text fit for a terminal: control
// characters (escape sequences, newlines) are shown escaped.
func safe(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }) < 0 {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

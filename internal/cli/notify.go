package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/app"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/pipeline"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/store"
)

func runNotify(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(env.Stderr, "Usage: warden notify test --policy DIR [--finding FILE] [--dry-run] RECEIVER\n\nSends a test message to one receiver of the policy repo, built from a finding file\n(decided in a dry run) or from a built-in sample, and reports the receiver's answer.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return ExitOK
		}
		return ExitUsage
	}
	fs := newFlags(env, "notify test", "--policy DIR [--finding FILE] [--dry-run] RECEIVER")
	pf := addPolicyFlags(fs, "SQLite state `FILE` (read only)")
	file := fs.String("finding", "", "build the message from this finding `FILE` instead of the built-in sample")
	dry := fs.Bool("dry-run", false, "render the message parts instead of sending")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "warden notify test: name one RECEIVER")
		return ExitUsage
	}
	name := fs.Arg(0)
	ps, st, clock, code, ok := pf.open(ctx, env, "notify test", true)
	if !ok {
		return code
	}
	defer st.Close()
	rc, ok := ps.Receivers[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "warden notify test: no receiver %q in the policy repo (have: %s)\n", name, strings.Join(receiverNames(ps), ", "))
		return ExitUsage
	}
	msg, err := messageFor(ctx, env, ps, st, clock, *file, name)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden notify test:", err)
		return ExitFindings
	}
	msg.Kind = notify.KindTest
	for i := range msg.Items {
		msg.Items[i].Kind = notify.KindTest
	}
	if *dry {
		return renderParts(env, ps, rc, msg)
	}
	rs, _, err := app.Receivers(app.Options{Policy: ps, Store: st, Clock: clock, Log: env.Log})
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden notify test:", err)
		return ExitUsage
	}
	res, err := rs[name].Send(ctx, msg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden notify test: %s (%s): %v\n", name, rc.Type, err)
		return ExitFindings
	}
	fmt.Fprintf(env.Stdout, "sent a test message to %s (%s): %s\n", name, rc.Type, res.Detail)
	return ExitOK
}

func runTemplate(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "render" {
		fmt.Fprintln(env.Stderr, "Usage: warden template render --policy DIR --receiver NAME [--kind KIND] FINDING_FILE\n\nRenders a receiver's message parts for the findings in a file, as the\nreceiver would send them (the repo's templates/ overrides included).")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return ExitOK
		}
		return ExitUsage
	}
	fs := newFlags(env, "template render", "--policy DIR --receiver NAME [--kind KIND] FINDING_FILE")
	pf := addPolicyFlags(fs, "SQLite state `FILE` (read only)")
	name := fs.String("receiver", "", "receiver `NAME`")
	kind := fs.String("kind", "", "message kind (firing, renotify, escalated, resolved, action, test); default as decided")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() != 1 || *name == "" {
		fmt.Fprintln(env.Stderr, "warden template render: give --receiver NAME and one FINDING_FILE")
		return ExitUsage
	}
	ps, st, clock, code, ok := pf.open(ctx, env, "template render", true)
	if !ok {
		return code
	}
	defer st.Close()
	rc, ok := ps.Receivers[*name]
	if !ok {
		fmt.Fprintf(env.Stderr, "warden template render: no receiver %q in the policy repo (have: %s)\n", *name, strings.Join(receiverNames(ps), ", "))
		return ExitUsage
	}
	msg, err := messageFor(ctx, env, ps, st, clock, fs.Arg(0), *name)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden template render:", err)
		return ExitFindings
	}
	if *kind != "" {
		msg.Kind = notify.Kind(*kind)
		for i := range msg.Items {
			msg.Items[i].Kind = msg.Kind
		}
	}
	return renderParts(env, ps, rc, msg)
}

func receiverNames(ps *policy.Set) []string {
	out := make([]string, 0, len(ps.Receivers))
	for n := range ps.Receivers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// renderParts prints every template part of the receiver's type.
func renderParts(env *Env, ps *policy.Set, rc policy.Receiver, msg *notify.Message) int {
	ts, err := app.Templates(ps)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden:", err)
		return ExitUsage
	}
	parts := map[string]bool{}
	for _, n := range ts.Names() {
		for _, prefix := range []string{rc.Type + ".", rc.Name + "."} {
			if strings.HasPrefix(n, prefix) {
				parts[strings.TrimPrefix(n, prefix)] = true
			}
		}
	}
	if rc.Type == "ses" {
		for _, n := range ts.Names() {
			if strings.HasPrefix(n, "email.") {
				parts[strings.TrimPrefix(n, "email.")] = true
			}
		}
	}
	if len(parts) == 0 {
		fmt.Fprintf(env.Stderr, "warden: receiver type %s has no templates (it builds its payload in code)\n", rc.Type)
		return ExitUsage
	}
	names := make([]string, 0, len(parts))
	for p := range parts {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		typ := rc.Type
		if typ == "ses" {
			typ = "email"
		}
		out, err := ts.Render(rc.Name, typ, p, msg)
		if err != nil {
			fmt.Fprintln(env.Stderr, "warden:", err)
			return ExitFindings
		}
		fmt.Fprintf(env.Stdout, "----- %s.%s -----\n%s\n", rc.Name, p, strings.TrimRight(out, "\n"))
	}
	return ExitOK
}

// messageFor builds a message for receiver: from the findings in file
// (decided in a dry run against the state; the items queued for the
// receiver, else any queued item), or from a built-in sample.
func messageFor(ctx context.Context, env *Env, ps *policy.Set, st store.Store, clock func() time.Time, file, receiver string) (*notify.Message, error) {
	now := clock().UTC()
	msg := &notify.Message{Receiver: receiver, Kind: notify.KindFiring, Now: now}
	if file == "" {
		it := sampleItem(now)
		msg.Items = []notify.Item{it}
		return msg, nil
	}
	ov := store.NewOverlay(st)
	p := pipeline.New(pipeline.Options{Policy: ps, Store: ov, Clock: clock, DryRun: true,
		Reject: func(err error) { env.Log.Warn("rejected input", "error", err.Error()) }})
	if _, err := runPaths(ctx, env, p, []string{file}); err != nil {
		return nil, err
	}
	jobs, err := ov.Jobs(ctx, store.JobFilter{Kind: store.JobNotify})
	if err != nil {
		return nil, err
	}
	var mine, any []notify.Item
	for _, j := range jobs {
		var pl notify.Payload
		if json.Unmarshal(j.Payload, &pl) != nil || pl.Item == nil {
			continue
		}
		if j.Target == receiver {
			mine = append(mine, *pl.Item)
		} else if len(any) == 0 || any[len(any)-1].Record.FindingID != pl.Item.Record.FindingID {
			any = append(any, *pl.Item)
		}
	}
	switch {
	case len(mine) > 0:
		msg.Items = mine
	case len(any) > 0:
		msg.Items = any
	default:
		return nil, fmt.Errorf("%s: no finding in it is routed anywhere (see warden explain)", file)
	}
	msg.Kind = msg.Items[0].Kind
	return msg, nil
}

// sampleItem is the built-in test finding.
func sampleItem(now time.Time) notify.Item {
	rec := decide.Record{
		FindingID: "warden-test-finding", Product: "Warden", Format: finding.FormatDetection,
		Title: "Warden test message: this is not a real finding", AccountID: "123456789012", Region: "eu-west-1",
		Severity: finding.SeverityInformational, Verdict: decide.Notify, Reason: "new", Tier: 3,
		Actions: []decide.Action{}, FirstSeen: now, DecidedAt: now,
	}
	return notify.Item{Kind: notify.KindTest, Record: rec, Description: "Sent by `warden notify test` to check that this receiver is configured and reachable."}
}

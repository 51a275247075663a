package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"

	"github.com/wardenhq/warden/internal/app"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/pipeline"
	"github.com/wardenhq/warden/internal/source"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/writeback"
)

func runProcess(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "process", "--policy DIR [--state FILE] [--dry-run] PATH... (PATH a file, a folder, or - for stdin)")
	pf := addPolicyFlags(fs, "SQLite state `FILE` (default: warden.yaml state.path, else ./warden.db)")
	dry := fs.Bool("dry-run", false, "decide without changing the state file; actions are marked dry-run")
	quiet := fs.Bool("summary", false, "print only the summary on stderr, no decisions")
	deliver := fs.Bool("deliver", false, "then send the outbox now, groups included (one pass; failures are retried by a later `warden outbox deliver`)")
	showOutbox := fs.Bool("outbox", false, "print the open messages, remediations and Security Hub calls on stderr (with --dry-run: only what this run would queue)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(env.Stderr, "warden process: give at least one PATH (a file, a folder, or - for stdin)")
		return ExitUsage
	}
	ps, st, clock, code, ok := pf.open(ctx, env, "process", *dry)
	if !ok {
		return code
	}
	defer st.Close()

	out := bufio.NewWriterSize(env.Stdout, 64<<10)
	defer out.Flush()
	p := pipeline.New(pipeline.Options{
		Policy: ps, Store: st, Clock: clock, DryRun: *dry,
		Emit: func(_ *decide.Record, js []byte) error {
			if *quiet {
				return nil
			}
			out.Write(js)
			return out.WriteByte('\n')
		},
		Reject: func(err error) { env.Log.Warn("rejected input", "error", err.Error()) },
	})
	stats, err := runPaths(ctx, env, p, fs.Args())
	out.Flush()
	env.Log.Info("processed", "records", stats.Records, "findings", stats.Findings, "events", stats.Events,
		"events_without_detection", stats.Undetected, "decisions", stats.Decisions, "rejected", stats.Rejected,
		"queued_messages", stats.Queued["notify"], "queued_remediations", stats.Queued["remediate"], "queued_writebacks", stats.Queued["writeback"],
		"policy_commit", ps.Commit, "dry_run", *dry)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden process:", err)
		return ExitRuntime
	}
	if *showOutbox || *dry {
		if err := printQueued(ctx, env, st, *dry); err != nil {
			fmt.Fprintln(env.Stderr, "warden process:", err)
			return ExitRuntime
		}
	}
	if *deliver && !*dry {
		d, err := app.Dispatcher(app.Options{Policy: ps, Store: st, Clock: clock, Log: env.Log})
		if err != nil {
			fmt.Fprintln(env.Stderr, "warden process:", err)
			return ExitUsage
		}
		d.Flush = true
		wc := app.Writeback(app.Options{Policy: ps, Store: st, Clock: clock, Log: env.Log}, false)
		if _, err := deliverOnce(ctx, env, ps, st, d, wc); err != nil {
			fmt.Fprintln(env.Stderr, "warden process:", err)
			return ExitRuntime
		}
	}
	if stats.Rejected > 0 {
		return ExitFindings
	}
	return ExitOK
}

// runPaths feeds every path to the pipeline and waits for it to finish.
func runPaths(ctx context.Context, env *Env, p *pipeline.Pipeline, paths []string) (pipeline.Stats, error) {
	var rejected int64 // source.Read calls onErr on the producing goroutine
	err := p.Feed(ctx, func(ctx context.Context, send func(source.Record) error) error {
		for _, path := range paths {
			err := source.Read(ctx, path, stdinOr(env), send, func(err error) {
				env.Log.Warn("rejected input", "error", err.Error())
				rejected++
			})
			if err != nil {
				return fmt.Errorf("reading %s: %w", path, err)
			}
		}
		return nil
	})
	stats := p.Stats()
	stats.Rejected += rejected
	return stats, err
}

// printQueued prints the open jobs (outbox messages and pending
// remediations) on stderr: after a dry run, what would be sent and run.
func printQueued(ctx context.Context, env *Env, st store.Store, dry bool) error {
	open := []store.JobStatus{store.JobPending, store.JobWaiting}
	msgs, err := st.Jobs(ctx, store.JobFilter{Kind: store.JobNotify, Status: open})
	if err != nil {
		return fmt.Errorf("reading the outbox: %w", err)
	}
	acts, err := st.Jobs(ctx, store.JobFilter{Kind: store.JobRemediate, Status: open})
	if err != nil {
		return fmt.Errorf("reading pending actions: %w", err)
	}
	verb := "queued"
	if dry {
		verb = "would queue"
	}
	fmt.Fprintf(env.Stderr, "\nOutbox (%s %d messages):\n", verb, len(msgs))
	w := *env
	w.Stdout = env.Stderr
	printOutbox(&w, msgs, false)
	fmt.Fprintf(env.Stderr, "\nRemediations (%s %d):\n", verb, len(acts))
	printActions(&w, acts)
	wbs, err := st.Jobs(ctx, store.JobFilter{Kind: store.JobWriteback, Status: open})
	if err != nil {
		return fmt.Errorf("reading write-backs: %w", err)
	}
	if len(wbs) == 0 {
		return nil
	}
	ups := make([]writeback.Update, 0, len(wbs))
	for _, j := range wbs {
		var u writeback.Update
		if json.Unmarshal(j.Payload, &u) == nil {
			ups = append(ups, u)
		}
	}
	calls, _ := writeback.New(writeback.Options{DryRun: true}).Plan(ups)
	fmt.Fprintf(env.Stderr, "\nSecurity Hub write-back (%s %d calls for %d findings):\n", verb, len(calls), len(ups))
	for _, c := range calls {
		fmt.Fprintf(env.Stderr, "%s %s (%d findings) %s\n", c.Region, c.Op, len(c.FindingIDs), c.Input)
	}
	return nil
}

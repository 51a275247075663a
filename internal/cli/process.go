package cli

import (
	"bufio"
	"context"
	"fmt"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/pipeline"
	"github.com/wardenhq/warden/internal/source"
)

func runProcess(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "process", "--policy DIR [--state FILE] [--dry-run] PATH... (PATH a file, a folder, or - for stdin)")
	pf := addPolicyFlags(fs, "SQLite state `FILE` (default: warden.yaml state.path, else ./warden.db)")
	dry := fs.Bool("dry-run", false, "decide without changing the state file; actions are marked dry-run")
	quiet := fs.Bool("summary", false, "print only the summary on stderr, no decisions")
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
		"policy_commit", ps.Commit, "dry_run", *dry)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden process:", err)
		return ExitRuntime
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

package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/wardenhq/warden/internal/audit"
)

func runAudit(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "export") {
		fmt.Fprintln(env.Stderr, "Usage: warden audit verify --state FILE\n       warden audit export --state FILE [--out FILE]")
		return ExitUsage
	}
	sub := args[0]
	fs := newFlags(env, "audit "+sub, "--state FILE")
	state := fs.String("state", "warden.db", "SQLite state `FILE`")
	outPath := fs.String("out", "-", "export: write JSONL to `FILE` (- for stdout)")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if _, err := os.Stat(*state); err != nil {
		fmt.Fprintf(env.Stderr, "warden audit %s: state file: %v\n", sub, err)
		return ExitUsage
	}
	st, err := openState(ctx, *state, false)
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden audit %s: %v\n", sub, err)
		return ExitRuntime
	}
	defer st.Close()
	if sub == "export" {
		w := env.Stdout
		if *outPath != "-" {
			f, err := os.Create(*outPath)
			if err != nil {
				fmt.Fprintln(env.Stderr, "warden audit export:", err)
				return ExitRuntime
			}
			defer f.Close()
			w = f
		}
		bw := bufio.NewWriter(w)
		if err := audit.Export(ctx, st, bw); err != nil {
			fmt.Fprintln(env.Stderr, "warden audit export:", err)
			return ExitRuntime
		}
		if err := bw.Flush(); err != nil {
			fmt.Fprintln(env.Stderr, "warden audit export:", err)
			return ExitRuntime
		}
		return ExitOK
	}
	rep, err := audit.Verify(ctx, st)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden audit verify:", err)
		return ExitRuntime
	}
	if rep.Broken != nil {
		fmt.Fprintf(env.Stdout, "BROKEN at record %d: %s (%d records intact before it)\n", rep.Broken.Seq, rep.Broken.Reason, rep.Records)
		return ExitFindings
	}
	fmt.Fprintf(env.Stdout, "ok: %d records, chain intact, last hash %s\n", rep.Records, rep.LastHash)
	return ExitOK
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/wardenhq/warden/internal/suppress"
)

func runRisks(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "risks", "--policy DIR [--state FILE] [--json]")
	pf := addPolicyFlags(fs, "SQLite state `FILE` for the count of hidden findings")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	ps, st, clock, code, ok := pf.open(ctx, env, "risks", true)
	if !ok {
		return code
	}
	defer st.Close()
	counts, err := st.SuppressionCounts(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden risks:", err)
		return ExitRuntime
	}
	risks := suppress.Register(ps, counts, clock().UTC())
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, r := range risks {
			if err := enc.Encode(r); err != nil {
				return ExitRuntime
			}
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tEXPIRES\tDAYS LEFT\tAGE\tHIDES\tOWNER\tTICKET\tAPPROVED BY\tSTATUS")
	for _, r := range risks {
		status := "active"
		switch {
		case r.Expired:
			status = "EXPIRED"
		case r.ExpiringSoon:
			status = "expiring soon"
		}
		age := "-"
		if r.AgeDays >= 0 {
			age = fmt.Sprintf("%dd", r.AgeDays)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", r.Rule, r.Expires, r.DaysLeft, age, r.Hides, r.Owner, r.Ticket, r.ApprovedBy, status)
	}
	tw.Flush()
	return ExitOK
}

package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/wardenhq/warden/internal/act"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

// printActions prints remediation jobs as a table: what would run where,
// in which mode of the strategy matrix, and when.
func printActions(env *Env, jobs []store.Job) {
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tPLAYBOOK\tDESTRUCTIVE\tMODE\tACCOUNT\tREGION\tDUE\tEXPIRES\tREQUESTER\tFINDING")
	for _, j := range jobs {
		p, _ := act.DecodePayload(&j)
		spec, _ := remediate.Lookup(j.Target)
		exp := "-"
		if !j.Expires.IsZero() {
			exp = j.Expires.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Status, j.Target, spec.Destructive, p.Mode, p.AccountID, oneLine(p.Region),
			j.Due.Format(time.RFC3339), exp, j.Requester, short(oneLine(j.FindingID), 60))
	}
	tw.Flush()
}

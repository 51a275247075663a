package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

// printActions prints remediation jobs as a table.
func printActions(env *Env, jobs []store.Job) {
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tPLAYBOOK\tACCOUNT\tREGION\tDUE\tEXPIRES\tREQUESTER\tFINDING")
	for _, j := range jobs {
		var req remediate.Request
		_ = json.Unmarshal(j.Payload, &req)
		exp := "-"
		if !j.Expires.IsZero() {
			exp = j.Expires.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Status, j.Target, req.AccountID, oneLine(req.Region),
			j.Due.Format(time.RFC3339), exp, j.Requester, short(oneLine(j.FindingID), 60))
	}
	tw.Flush()
}

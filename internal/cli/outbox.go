package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardenhq/warden/internal/app"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/outbox"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/writeback"
)

func runOutbox(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.Stderr, "Usage: warden outbox list|retry|drop|deliver [flags]\n\n  list     show messages (default: pending and dead)\n  retry ID put a dead message back, due now\n  drop ID  cancel a pending or dead message\n  deliver  send the due messages now (--flush: also those waiting for their group)")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return ExitOK
		}
		return ExitUsage
	}
	switch args[0] {
	case "list":
		return outboxList(ctx, env, args[1:])
	case "retry", "drop":
		return outboxChange(ctx, env, args[0], args[1:])
	case "deliver":
		return outboxDeliver(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "warden outbox: unknown subcommand %q (list, retry, drop, deliver)\n", args[0])
	return ExitUsage
}

func outboxList(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "outbox list", "--policy DIR [--state FILE] [--status S,...] [--receiver NAME] [--kind notify|writeback] [--json]")
	pf := addPolicyFlags(fs, "SQLite state `FILE`")
	status := fs.String("status", "pending,dead", "comma-separated statuses (pending, dead, done, skipped, cancelled) or all")
	receiver := fs.String("receiver", "", "only this receiver")
	kind := fs.String("kind", "notify", "notify (messages) or writeback (Security Hub updates)")
	asJSON := fs.Bool("json", false, "print JSON lines")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	_, st, _, code, ok := pf.open(ctx, env, "outbox list", false)
	if !ok {
		return code
	}
	defer st.Close()
	if *kind != string(store.JobNotify) && *kind != string(store.JobWriteback) {
		fmt.Fprintf(env.Stderr, "warden outbox list: --kind %q: want notify or writeback\n", *kind)
		return ExitUsage
	}
	f := store.JobFilter{Kind: store.JobKind(*kind), Target: *receiver}
	if *status != "all" {
		for _, s := range strings.Split(*status, ",") {
			f.Status = append(f.Status, store.JobStatus(strings.TrimSpace(s)))
		}
	}
	jobs, err := st.Jobs(ctx, f)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden outbox list:", err)
		return ExitRuntime
	}
	printOutbox(env, jobs, *asJSON)
	return ExitOK
}

// outboxRow is one message of the outbox as `outbox list --json` prints it.
type outboxRow struct {
	ID        int64           `json:"id"`
	Status    store.JobStatus `json:"status"`
	Receiver  string          `json:"receiver"`
	Group     string          `json:"group,omitempty"`
	Kind      notify.Kind     `json:"kind,omitempty"`
	FindingID string          `json:"finding_id"`
	Severity  string          `json:"severity,omitempty"`
	Title     string          `json:"title,omitempty"`
	Due       time.Time       `json:"due"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"last_error,omitempty"`
}

func rowOf(j store.Job) outboxRow {
	r := outboxRow{ID: j.ID, Status: j.Status, Receiver: j.Target, Group: j.Group, FindingID: j.FindingID, Due: j.Due, Attempts: j.Attempts, LastError: j.LastError}
	var p notify.Payload
	if json.Unmarshal(j.Payload, &p) == nil {
		switch {
		case p.Item != nil:
			r.Kind, r.Severity, r.Title = p.Item.Kind, p.Item.Record.Severity.String(), p.Item.Record.Title
		case p.Message != nil:
			r.Kind, r.Title = p.Message.Kind, p.Message.Title
		}
	}
	return r
}

func printOutbox(env *Env, jobs []store.Job, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, j := range jobs {
			_ = enc.Encode(rowOf(j))
		}
		return
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tRECEIVER\tKIND\tSEVERITY\tDUE\tATTEMPTS\tFINDING\tTITLE\tLAST ERROR")
	for _, j := range jobs {
		r := rowOf(j)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.Status, r.Receiver, r.Kind, r.Severity,
			r.Due.Format(time.RFC3339), r.Attempts, short(r.FindingID, 48), short(oneLine(r.Title), 60), short(oneLine(r.LastError), 80))
	}
	tw.Flush()
}

// short cuts s to n runes for a table cell.
func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// oneLine keeps attacker-controlled text on one table line without
// control characters.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func outboxChange(ctx context.Context, env *Env, verb string, args []string) int {
	fs := newFlags(env, "outbox "+verb, "--policy DIR [--state FILE] [--by NAME] ID...")
	pf := addPolicyFlags(fs, "SQLite state `FILE`")
	by := fs.String("by", os.Getenv("USER"), "who does it (recorded in the audit log)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(env.Stderr, "warden outbox %s: give at least one message ID (see warden outbox list)\n", verb)
		return ExitUsage
	}
	_, st, clock, code, ok := pf.open(ctx, env, "outbox "+verb, false)
	if !ok {
		return code
	}
	defer st.Close()
	rc := ExitOK
	for _, a := range fs.Args() {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			fmt.Fprintf(env.Stderr, "warden outbox %s: %q is not a message ID\n", verb, a)
			rc = ExitUsage
			continue
		}
		if verb == "retry" {
			err = outbox.Retry(ctx, st, id, *by, clock().UTC())
		} else {
			err = outbox.Drop(ctx, st, id, *by, clock().UTC())
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "warden outbox %s %d: %v\n", verb, id, err)
			rc = ExitFindings
			continue
		}
		fmt.Fprintf(env.Stdout, "%s %d\n", map[string]string{"retry": "retrying", "drop": "dropped"}[verb], id)
	}
	return rc
}

func outboxDeliver(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "outbox deliver", "--policy DIR [--state FILE] [--flush] [--watch INTERVAL]")
	pf := addPolicyFlags(fs, "SQLite state `FILE`")
	flush := fs.Bool("flush", false, "also send messages still waiting for their group (group_wait, group_interval, mute)")
	watch := fs.Duration("watch", 0, "keep delivering, one pass every `INTERVAL`, until interrupted")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	ps, st, clock, code, ok := pf.open(ctx, env, "outbox deliver", false)
	if !ok {
		return code
	}
	defer st.Close()
	d, err := app.Dispatcher(app.Options{Policy: ps, Store: st, Clock: clock, Log: env.Log})
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden outbox deliver:", err)
		return ExitUsage
	}
	d.Flush = *flush
	wc := app.Writeback(app.Options{Policy: ps, Store: st, Clock: clock, Log: env.Log}, false)
	for {
		stats, err := deliverOnce(ctx, env, ps, st, d, wc)
		if err != nil {
			fmt.Fprintln(env.Stderr, "warden outbox deliver:", err)
			return ExitRuntime
		}
		if *watch <= 0 {
			if stats.Dead > 0 || stats.Unknown > 0 {
				return ExitFindings
			}
			return ExitOK
		}
		select {
		case <-ctx.Done():
			return ExitOK
		case <-time.After(*watch):
		}
	}
}

// deliverOnce runs one pass of the outbox and of the Security Hub
// write-back, and logs both.
func deliverOnce(ctx context.Context, env *Env, ps *policy.Set, st store.Store, d *outbox.Dispatcher, wc *writeback.Client) (outbox.Stats, error) {
	n, err := app.Digests(ctx, ps, st, d.Clock().UTC())
	if err != nil {
		return outbox.Stats{}, err
	}
	if n > 0 {
		env.Log.Info("digests queued", "messages", n)
	}
	stats, err := d.RunDue(ctx)
	if err != nil {
		return stats, err
	}
	logDelivery(env, stats)
	ws, err := d.Writeback(ctx, wc)
	if err != nil {
		return stats, err
	}
	if ws != (outbox.Stats{}) {
		env.Log.Info("security hub write-back", "calls", ws.Messages, "findings", ws.Jobs, "skipped", ws.Skipped, "retried", ws.Retried, "dead", ws.Dead)
	}
	stats.Dead += ws.Dead
	return stats, nil
}

func logDelivery(env *Env, s outbox.Stats) {
	env.Log.Info("outbox delivered", "messages", s.Messages, "findings", s.Jobs, "retried", s.Retried, "dead", s.Dead,
		"inhibited", s.Skipped, "deferred", s.Deferred, "unknown_receiver", s.Unknown, "remaining", s.Remaining)
}

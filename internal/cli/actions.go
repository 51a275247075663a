package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardenhq/warden/internal/act"
	"github.com/wardenhq/warden/internal/app"
	"github.com/wardenhq/warden/internal/secret"
	"github.com/wardenhq/warden/internal/store"
)

// remediationCreds builds the credentials provider of remediation runs
// (internal/awscred: assume remediation.role_name in the finding's
// account). Tests replace it; nil runs nothing and says that no provider
// is configured.
var remediationCreds = app.RemediationCreds

const actionsUsage = `Usage: warden actions list|approve|deny|cancel|run [flags]

  list        show remediations (default: pending and waiting)
  approve ID  let an action waiting for approval run now
  deny ID     refuse an action waiting for approval
  cancel ID   stop a pending or waiting action before it runs
  retry ID    run a failed or skipped action again (attempts reset)
  run         run the due actions (--once: one pass, then exit)`

func runActions(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.Stderr, actionsUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return ExitOK
		}
		return ExitUsage
	}
	switch args[0] {
	case "list":
		return actionsList(ctx, env, args[1:])
	case "approve", "deny", "cancel", "retry":
		return actionsDecide(ctx, env, args[0], args[1:])
	case "run":
		return actionsRun(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "warden actions: unknown subcommand %q (list, approve, deny, cancel, retry, run)\n", args[0])
	return ExitUsage
}

var jobStatuses = []store.JobStatus{store.JobPending, store.JobWaiting, store.JobDone, store.JobFailed, store.JobSkipped,
	store.JobDenied, store.JobCancelled, store.JobExpired, store.JobDead}

func parseStatuses(v string) ([]store.JobStatus, error) {
	switch v {
	case "all":
		return nil, nil
	case "open":
		return []store.JobStatus{store.JobPending, store.JobWaiting}, nil
	}
	var out []store.JobStatus
	for _, s := range strings.Split(v, ",") {
		st := store.JobStatus(strings.TrimSpace(s))
		known := false
		for _, k := range jobStatuses {
			known = known || k == st
		}
		if !known {
			return nil, fmt.Errorf("--status: unknown status %q (known: %v, open, all)", st, jobStatuses)
		}
		out = append(out, st)
	}
	return out, nil
}

func actionsList(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "actions list", "--policy DIR [--state FILE] [--status S,...] [--playbook NAME] [--json]")
	pf := addPolicyFlags(fs, "SQLite state `FILE`")
	status := fs.String("status", "open", "comma-separated statuses (pending, waiting, done, failed, skipped, denied, cancelled, expired), open or all")
	playbook := fs.String("playbook", "", "only this playbook")
	asJSON := fs.Bool("json", false, "print JSON lines")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	statuses, err := parseStatuses(*status)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden actions list:", err)
		return ExitUsage
	}
	// Not the read-only overlay: its jobs are only those of a dry run.
	_, st, clock, code, ok := pf.open(ctx, env, "actions list", false)
	if !ok {
		return code
	}
	defer st.Close()
	jobs, err := st.Jobs(ctx, store.JobFilter{Kind: store.JobRemediate, Status: statuses, Target: *playbook})
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden actions list:", err)
		return ExitRuntime
	}
	now := clock().UTC()
	rows := make([]actionRow, 0, len(jobs))
	for i := range jobs {
		rows = append(rows, actionRowOf(&jobs[i], now))
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return ExitRuntime
			}
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tPLAYBOOK\tFINDING\tACCOUNT\tMODE\tDUE/EXPIRES\tREQUESTER\tDECIDED BY\tNOTE")
	for _, r := range rows {
		status := string(r.Status)
		if r.Running {
			status = "running"
		}
		when := "-"
		switch {
		case r.Status == store.JobWaiting && r.Expires != nil:
			when = "expires " + r.Expires.Format(time.RFC3339)
		case r.Status == store.JobPending && !r.Running:
			when = "due " + r.Due.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, status, r.Playbook, short(oneLine(r.FindingID), 48),
			oneLine(r.AccountID), r.Mode, when, short(oneLine(r.Requester), 32), short(oneLine(orDash(r.DecidedBy)), 24), short(oneLine(r.LastError), 80))
	}
	tw.Flush()
	return ExitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// actionRow is one remediation as `actions list --json` prints it.
type actionRow struct {
	ID        int64           `json:"id"`
	Status    store.JobStatus `json:"status"`
	Running   bool            `json:"running,omitempty"`
	Playbook  string          `json:"playbook"`
	FindingID string          `json:"finding_id"`
	AccountID string          `json:"account_id,omitempty"`
	Region    string          `json:"region,omitempty"`
	Mode      string          `json:"mode"`
	Due       time.Time       `json:"due"`
	Expires   *time.Time      `json:"expires,omitempty"`
	Attempts  int             `json:"attempts"`
	Requester string          `json:"requester"`
	DecidedBy string          `json:"decided_by,omitempty"`
	DecidedAt *time.Time      `json:"decided_at,omitempty"`
	LastError string          `json:"last_error,omitempty"`
}

func actionRowOf(j *store.Job, now time.Time) actionRow {
	r := actionRow{ID: j.ID, Status: j.Status, Playbook: j.Target, FindingID: j.FindingID, Due: j.Due,
		Attempts: j.Attempts, Requester: j.Requester, DecidedBy: j.DecidedBy, LastError: j.LastError}
	if p, err := act.DecodePayload(j); err == nil {
		r.AccountID, r.Region, r.Mode = p.AccountID, p.Region, p.Mode
	}
	if !j.Expires.IsZero() {
		t := j.Expires
		r.Expires = &t
	}
	if !j.DecidedAt.IsZero() {
		t := j.DecidedAt
		r.DecidedAt = &t
	}
	if l, ok := act.Running(j, now); ok {
		r.Running = true
		r.Due = l.Since
	}
	return r
}

// parseWithArgs parses flags placed before or after the positional
// arguments (`approve 42 --by alice`) and returns the positionals.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if code, ok := parse(fs, args); !ok {
			return nil, code, false
		}
		if fs.NArg() == 0 {
			return pos, 0, true
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func actionsDecide(ctx context.Context, env *Env, verb string, args []string) int {
	fs := newFlags(env, "actions "+verb, "ID --policy DIR [--state FILE] [--by NAME] [--reason TEXT]")
	pf := addPolicyFlags(fs, "SQLite state `FILE`")
	by := fs.String("by", os.Getenv("USER"), "who decides (recorded in the audit log; default $USER)")
	reason := fs.String("reason", "", "why (recorded in the audit log)")
	pos, code, ok := parseWithArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(env.Stderr, "warden actions %s: give one action ID (see warden actions list)\n", verb)
		return ExitUsage
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(env.Stderr, "warden actions %s: %q is not an action ID\n", verb, pos[0])
		return ExitUsage
	}
	if strings.TrimSpace(*by) == "" {
		fmt.Fprintf(env.Stderr, "warden actions %s: --by NAME is required ($USER is not set)\n", verb)
		return ExitUsage
	}
	ps, st, clock, code, ok := pf.open(ctx, env, "actions "+verb, false)
	if !ok {
		return code
	}
	defer st.Close()
	now := clock().UTC()
	switch verb {
	case "approve":
		err = act.Approve(ctx, st, id, *by, *reason, now, ps.Settings.Remediation.FourEyes)
	case "deny":
		err = act.Deny(ctx, st, id, *by, *reason, now)
	case "retry":
		err = act.Retry(ctx, st, id, *by, *reason, now)
	default:
		err = act.Cancel(ctx, st, id, *by, *reason, now)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden actions %s: %v\n", verb, err)
		if refused(err) {
			return ExitFindings
		}
		return ExitRuntime
	}
	done := map[string]string{"approve": "approved %d: it runs at the next pass\n", "deny": "denied %d\n", "cancel": "cancelled %d\n", "retry": "retrying %d: it runs at the next pass\n"}[verb]
	fmt.Fprintf(env.Stdout, done, id)
	return ExitOK
}

// refused reports whether err is a refusal (the command ran but the
// action could not be changed) rather than a failure of the store.
func refused(err error) bool {
	for _, e := range []error{act.ErrUnknownAction, act.ErrNotWaiting, act.ErrFinished, act.ErrRunning, act.ErrLapsed,
		act.ErrFourEyes, act.ErrNoApprover, act.ErrNotRetryable, store.ErrConflict} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func actionsRun(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "actions run", "--policy DIR [--state FILE] [--once] [--interval D] [--kill-switch]")
	pf := addPolicyFlags(fs, "SQLite state `FILE`")
	once := fs.Bool("once", false, "make one pass, print its counts as JSON and exit")
	interval := fs.Duration("interval", 30*time.Second, "without --once: the time between passes")
	kill := fs.Bool("kill-switch", false, "run every remediation as a dry run (SIGUSR1 toggles it while running)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if !*once && *interval <= 0 {
		fmt.Fprintln(env.Stderr, "warden actions run: --interval must be positive")
		return ExitUsage
	}
	ps, st, clock, code, ok := pf.open(ctx, env, "actions run", false)
	if !ok {
		return code
	}
	defer st.Close()
	app.Register()
	ks := act.NewKillSwitch(*kill)
	ks.Log = env.Log
	engineAWS := app.DefaultAWS()
	r := &act.Runner{
		Store: st, Policy: ps, Clock: clock, Log: env.Log, Kill: ks, Announce: act.Announcer(st),
		// Playbooks bound their own calls (http-request: its timeout
		// parameter); the runner bounds the whole run.
		HTTP:    &http.Client{Timeout: 5 * time.Minute},
		Secrets: secret.New(secret.Options{AWS: engineAWS, BaseDir: ps.Dir, Clock: clock}),
	}
	if remediationCreds != nil {
		creds, err := remediationCreds(ctx, ps, engineAWS, r.Secrets)
		if err != nil {
			fmt.Fprintln(env.Stderr, "warden actions run:", err)
			return ExitUsage
		}
		r.Creds = creds
	}
	if !*once {
		ks.HandleSignals(ctx)
	}
	for {
		stats, err := r.RunDue(ctx)
		if err != nil && !(errors.Is(err, context.Canceled) && !*once) {
			fmt.Fprintln(env.Stderr, "warden actions run:", err)
			return ExitRuntime
		}
		if *once {
			_ = json.NewEncoder(env.Stdout).Encode(stats)
			if stats.Failed > 0 {
				return ExitFindings
			}
			return ExitOK
		}
		env.Log.Info("remediation pass", "done", stats.Done, "dry_run", stats.DryRun, "failed", stats.Failed, "retried", stats.Retried,
			"skipped", stats.Skipped, "deferred", stats.Deferred, "expired", stats.Expired, "released", stats.Released, "kill_switch", ks.On())
		select {
		case <-ctx.Done():
			return ExitOK
		case <-time.After(*interval):
		}
	}
}

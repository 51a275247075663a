// Package act runs remediations durably and safely: the scheduler and
// executor of remediate jobs (pending actions), their approval, denial and
// cancellation, the safety rails and the kill switch (DESIGN C8, C10, §4).
//
// # Job conventions
//
// A decision that asks for a remediation gets one store job, created in
// the decision's own transaction (store.Entry.Jobs) by NewJob, so these
// rules live in one place:
//
//   - Kind store.JobRemediate, Target the playbook name, FindingID the
//     finding, Requester "rule:<rule id>", Created and Updated the decision
//     time.
//   - Payload the JSON of Payload: a remediate.Request (parameters,
//     resources, document, actor, account, region, …) plus "mode". It
//     decodes as a plain remediate.Request too.
//   - mode auto: Status pending, Due the decision time.
//   - mode delay: Status pending, Due the action's NotBefore; it can be
//     cancelled until it runs.
//   - mode approval: Status waiting, Expires the action's Expires (zero:
//     never lapses); Approve makes it pending and due now.
//   - mode ticket (and any mode Warden does not know): no job; the
//     pipeline makes a notification to the ticket receiver instead.
//
// # Running
//
// Runner.RunDue is one pass. It first settles lapsed approvals (waiting
// jobs past Expires) as remediation.on_approval_expiry says: deny (the
// default) makes them expired; run makes them pending and due now, with
// DecidedBy "policy:on_approval_expiry"; ticket makes them expired and
// announces a ticket item. Then it takes the due pending jobs in Due
// order, one at a time.
//
// The store has no "running" status, so a run claims its job with an
// optimistic update From pending that stays pending but bumps Attempts,
// moves Due a lease ahead (Runner.Lease, default 30m) and puts a lease
// marker {"running": {runner, token, since, until}} in Result; a
// "remediation_started" audit record is written in the same transaction.
// Before claiming, the runner reads the job again (its listing may be a
// long run old) and leaves it unless it is still pending and due; after
// claiming it reads the job back and runs only if the lease carries its
// own random token. Another runner therefore sees a claimed job as not
// due, or finds it finished (the From-pending update fails with
// store.ErrConflict), or finds its own claim overwritten and backs off.
// The claim itself compares status and attempts (JobUpdate.FromAttempts),
// so of two runners that read the same unclaimed job at the same moment
// exactly one claims it; the other gets store.ErrConflict and leaves it.
//
// The outcome is written with another update From pending. If the
// process dies mid-run the lease lapses, the job is due again and the
// next pass runs it again: playbooks are idempotent, and Attempts (which
// counts started runs) stops a job that keeps dying after MaxAttempts.
// Cancel refuses a job whose lease is live; should a cancellation slip in
// between its read and a claim, the runner records the real outcome over
// the cancellation (From cancelled), since the audit must say what ran.
//
// Each finished run is recorded with one update: Status done, failed or
// skipped (or pending again for a retry), Result the JSON of the
// remediate.Result, and an audit record of type "remediation" (job,
// finding, playbook, mode, account, region, dry_run, status, steps with
// request, before/after and duration, evidence, rollback, error,
// requested_by, approved_by, at). Outcomes:
//
//   - success: done.
//   - remediate.ErrGone: done without change (the resource no longer
//     exists, so there is nothing to fix); the result's error says so.
//   - remediate.ErrNotApplicable, AccessDenied and other errors retrying
//     cannot fix (validation, a missing playbook, an undecodable payload):
//     failed.
//   - retryable errors (throttling or 5xx left after the SDK's own
//     retries, network errors, timeouts): pending again, due after an
//     exponential back-off (Backoff, doubling to MaxBackoff), until
//     MaxAttempts runs have started; then failed.
//   - a pass interrupted by its context: pending again, due now, the
//     attempt not counted.
//
// # Safety rails
//
// Settings come from warden.yaml's remediation section; zero values take
// these defaults:
//
//   - loop guard: a request whose Actor matches one of
//     remediation.warden_principals (ARN globs where * matches any run of
//     characters, / included, and ? one character), or Warden's own
//     remediation role (remediation.role_name, default WardenRemediation,
//     in any account), is never run: skipped, "loop guard". An assumed-role
//     session ARN is also tried as its role ARN
//     (arn:aws:sts::A:assumed-role/R/S as arn:aws:iam::A:role/R).
//   - kill switch (remediation.kill_switch, the --kill-switch flag, SIGUSR1
//     toggles the flag's switch): every run is a dry run. The playbook gets
//     Env.DryRun, reads but changes nothing, the result and audit say
//     dry_run, and the job ends skipped ("kill switch in force").
//   - limits over remediation.limits.window (default 1h), counting
//     remediate jobs done in the window (dry runs end skipped and do not
//     count): per_resource (default 3, keyed by the request's first
//     resource id) skips the job; per_account (default 25) defers it until
//     the window has room; per_playbook (default 20) is the blast-radius
//     cap: the job is skipped ("blast-radius cap") and remediation.escalate
//     is told once per playbook and window (a durable store ref,
//     EscalatedTarget, remembers it). Limits do not apply to dry runs.
//
// # Announcements
//
// When Runner.Announce is set, results are announced as notify items of
// kind action: done, failed, skipped by a rail or the kill switch, expired
// (and the ticket of an expiry). The item's Record.Actions are the notify
// actions naming where it should go: the rule's notify receivers for a
// success; those and remediation.escalate for anything else; the default
// route when that leaves none. The blast-radius escalation goes to
// remediation.escalate alone and later jobs stopped by the same cap are
// not announced one by one. Announcer turns items into outbox jobs. An
// announcement is made after its outcome is durable: a crash between the
// two loses the announcement, never the audit record.
package act

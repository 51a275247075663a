package act

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

func TestAutoRunsOnce(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{}, getNone("bkt-1"), putAllOn("bkt-1", acctA))
			j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "arn:aws:iam::111122223333:user/mallory")
			wantStatus(t, j, store.JobPending)

			st := e.runDue()
			if st.Done != 1 || st.Failed+st.Retried+st.Skipped+st.Conflicts != 0 {
				t.Fatalf("stats %+v", st)
			}
			got := e.job(j.ID)
			wantStatus(t, got, store.JobDone)
			if got.Attempts != 1 || got.LastError != "" {
				t.Errorf("attempts %d, last error %q", got.Attempts, got.LastError)
			}
			var res remediate.Result
			if err := json.Unmarshal(got.Result, &res); err != nil {
				t.Fatalf("result %s: %v", got.Result, err)
			}
			if res.DryRun || len(res.Steps) != 3 || res.Steps[0].Name != "credentials" || res.Steps[2].Status != remediate.StepChanged {
				t.Errorf("result %s", got.Result)
			}
			if p, _ := DecodePayload(&got); p.Mode != "auto" {
				t.Errorf("payload mode %q", p.Mode)
			}

			as := e.audits(j.ID)
			if len(as) != 2 || as[0].Type != AuditStarted || as[1].Type != AuditRemediation {
				t.Fatalf("audit records %+v", as)
			}
			a := as[1]
			if a.Status != "done" || a.DryRun || a.Mode != "auto" || a.AccountID != acctA || a.Region != testRegion || a.Playbook != testPlaybook ||
				a.RequestedBy != "rule:"+testRule || len(a.Steps) != 3 || a.Steps[2].Request == nil || len(a.Rollback) != 1 || a.CaseID != fmt.Sprintf("warden-%d", j.ID) {
				t.Errorf("audit %+v", a)
			}
			if len(e.sessions) != 1 || !strings.HasPrefix(e.sessions[0], acctA+"/"+testRegion+"/warden-") || !strings.Contains(e.sessions[0], testRule) {
				t.Errorf("sessions %v", e.sessions)
			}

			items := e.announced()
			if len(items) != 1 || items[0].Kind != notify.KindAction || items[0].Action.Status != "done" || items[0].Action.JobID != j.ID ||
				len(items[0].Record.Actions) != 1 || items[0].Record.Actions[0].Receiver != "team" || items[0].Record.PolicyCommit != "c0ffee" {
				t.Errorf("announced %+v", items)
			}

			// A second pass does nothing: the awstest script has no more
			// calls, so any would fail the test.
			e.clock.Add(time.Hour)
			if st := e.runDue(); st != (Stats{}) {
				t.Errorf("second pass %+v", st)
			}
			if n := len(e.audits(j.ID)); n != 2 {
				t.Errorf("second pass wrote %d audit records", n-2)
			}
		})
	}
}

func TestDelayRunsOnlyAfterNotBefore(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{}, getNone("bkt-1"), putAllOn("bkt-1", acctA))
			j := e.decideOn(policy.ModeDelay, "bkt-1", acctA, "")
			if !j.Due.Equal(t0.Add(30 * time.Minute)) {
				t.Fatalf("due %s", j.Due)
			}
			e.clock.Add(29 * time.Minute)
			if st := e.runDue(); st != (Stats{}) {
				t.Fatalf("ran before not_before: %+v", st)
			}
			e.clock.Add(time.Minute)
			if st := e.runDue(); st.Done != 1 {
				t.Fatalf("stats %+v", st)
			}
			wantStatus(t, e.job(j.ID), store.JobDone)
			if a := e.lastAudit(j.ID); a.Mode != "delay" {
				t.Errorf("mode %q", a.Mode)
			}
		})
	}
}

func TestDelayCancelledNeverRuns(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{})
			j := e.decideOn(policy.ModeDelay, "bkt-1", acctA, "")
			ctx := context.Background()
			if err := Cancel(ctx, e.st, j.ID, "carol", "false positive", e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			got := e.job(j.ID)
			wantStatus(t, got, store.JobCancelled)
			if got.DecidedBy != "carol" || !got.DecidedAt.Equal(t0) {
				t.Errorf("decided by %q at %s", got.DecidedBy, got.DecidedAt)
			}
			a := e.lastAudit(j.ID)
			if a.Type != AuditCancellation || a.By != "carol" || a.Reason != "false positive" || !a.At.Equal(t0) {
				t.Errorf("audit %+v", a)
			}
			e.clock.Add(time.Hour)
			if st := e.runDue(); st != (Stats{}) {
				t.Errorf("cancelled job ran: %+v", st)
			}
			if err := Cancel(ctx, e.st, j.ID, "carol", "", e.clock.Now()); !errors.Is(err, ErrFinished) {
				t.Errorf("second cancel: %v", err)
			}
		})
	}
}

func TestApprovalWaitsThenRuns(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{FourEyes: true}, getNone("bkt-1"), putAllOn("bkt-1", acctA))
			j := e.decideOn(policy.ModeApproval, "bkt-1", acctA, "")
			wantStatus(t, j, store.JobWaiting)
			if !j.Expires.Equal(t0.Add(24 * time.Hour)) {
				t.Fatalf("expires %s", j.Expires)
			}
			e.clock.Add(time.Hour)
			if st := e.runDue(); st != (Stats{}) {
				t.Fatalf("ran without approval: %+v", st)
			}
			ctx := context.Background()
			if err := Deny(ctx, e.st, j.ID, "", "", e.clock.Now()); !errors.Is(err, ErrNoApprover) {
				t.Errorf("deny without a name: %v", err)
			}
			if err := Approve(ctx, e.st, j.ID, "dave", "checked the bucket", e.clock.Now(), true); err != nil {
				t.Fatal(err)
			}
			got := e.job(j.ID)
			wantStatus(t, got, store.JobPending)
			if got.DecidedBy != "dave" || !got.Due.Equal(e.clock.Now()) {
				t.Errorf("approved job %+v", got)
			}
			if a := e.lastAudit(j.ID); a.Type != AuditApproval || a.By != "dave" || a.Reason != "checked the bucket" || a.Status != "pending" {
				t.Errorf("approval audit %+v", a)
			}
			if err := Approve(ctx, e.st, j.ID, "erin", "", e.clock.Now(), true); !errors.Is(err, ErrNotWaiting) {
				t.Errorf("second approval: %v", err)
			}
			if st := e.runDue(); st.Done != 1 {
				t.Fatalf("stats %+v", st)
			}
			a := e.lastAudit(j.ID)
			if a.Type != AuditRemediation || a.Status != "done" || a.ApprovedBy != "dave" || a.Mode != "approval" {
				t.Errorf("run audit %+v", a)
			}
		})
	}
}

func TestDeniedNeverRuns(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{OnApprovalExpiry: ExpiryRun})
			j := e.decideOn(policy.ModeApproval, "bkt-1", acctA, "")
			ctx := context.Background()
			if err := Deny(ctx, e.st, j.ID, "dave", "owner says it is a website", e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			wantStatus(t, e.job(j.ID), store.JobDenied)
			if a := e.lastAudit(j.ID); a.Type != AuditDenial || a.By != "dave" || a.Reason != "owner says it is a website" {
				t.Errorf("audit %+v", a)
			}
			// Past the approval's expiry (whose policy would run it), a
			// denied job still never runs.
			e.clock.Add(48 * time.Hour)
			if st := e.runDue(); st != (Stats{}) {
				t.Errorf("denied job ran: %+v", st)
			}
			for _, f := range []func() error{
				func() error { return Approve(ctx, e.st, j.ID, "erin", "", e.clock.Now(), false) },
				func() error { return Deny(ctx, e.st, j.ID, "erin", "", e.clock.Now()) },
				func() error { return Cancel(ctx, e.st, j.ID, "erin", "", e.clock.Now()) },
			} {
				if err := f(); !errors.Is(err, ErrFinished) {
					t.Errorf("deciding a denied job: %v", err)
				}
			}
		})
	}
}

func TestApprovalExpiry(t *testing.T) {
	cases := []struct {
		policy   string
		status   store.JobStatus
		script   []awstest.Expect
		stats    Stats
		announce string // the mode of the announced item, "" for none
	}{
		{policy: "", status: store.JobExpired, stats: Stats{Expired: 1}, announce: "approval"},
		{policy: ExpiryDeny, status: store.JobExpired, stats: Stats{Expired: 1}, announce: "approval"},
		{policy: ExpiryTicket, status: store.JobExpired, stats: Stats{Expired: 1}, announce: "ticket"},
		{policy: ExpiryRun, status: store.JobDone, script: []awstest.Expect{getNone("bkt-1"), putAllOn("bkt-1", acctA)}, stats: Stats{Released: 1, Done: 1}},
	}
	for _, c := range cases {
		for _, sk := range storeKinds {
			t.Run(c.policy+"/"+sk.name, func(t *testing.T) {
				e := newEnv(t, sk.open(t), policy.RemediationSettings{OnApprovalExpiry: c.policy, Escalate: "oncall"}, c.script...)
				j := e.decideOn(policy.ModeApproval, "bkt-1", acctA, "")
				e.clock.Add(24*time.Hour - time.Second)
				if st := e.runDue(); st != (Stats{}) {
					t.Fatalf("before expiry: %+v", st)
				}
				e.clock.Add(time.Second)
				if st := e.runDue(); st != c.stats {
					t.Fatalf("stats %+v, want %+v", st, c.stats)
				}
				got := e.job(j.ID)
				wantStatus(t, got, c.status)
				if got.DecidedBy != ExpiryDecider {
					t.Errorf("decided by %q", got.DecidedBy)
				}
				as := e.audits(j.ID)
				if as[0].Type != AuditExpiry || as[0].By != ExpiryDecider {
					t.Errorf("audit %+v", as[0])
				}
				items := e.announced()
				if c.announce == "" {
					if len(items) != 1 || items[0].Action.Status != "done" {
						t.Errorf("announced %+v", items)
					}
					if a := e.lastAudit(j.ID); a.ApprovedBy != ExpiryDecider {
						t.Errorf("run audit %+v", a)
					}
					return
				}
				if len(items) != 1 || items[0].Action.Status != "expired" || items[0].Action.Mode != c.announce {
					t.Fatalf("announced %+v", items)
				}
				var rcv []string
				for _, a := range items[0].Record.Actions {
					rcv = append(rcv, a.Receiver)
				}
				if strings.Join(rcv, ",") != "team,oncall" {
					t.Errorf("receivers %v", rcv)
				}
				if err := Approve(context.Background(), e.st, j.ID, "dave", "", e.clock.Now(), false); !errors.Is(err, ErrFinished) {
					t.Errorf("approving an expired action: %v", err)
				}
			})
		}
	}
}

func TestApproveRefusals(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	ids, err := st.EnqueueJobs(ctx, []store.Job{
		{Kind: store.JobRemediate, Status: store.JobWaiting, Target: testPlaybook, FindingID: "f1", Requester: "user:Alice", Due: t0, Expires: t0.Add(time.Hour), Created: t0},
		{Kind: store.JobNotify, Status: store.JobPending, Target: "team", FindingID: "f1", Due: t0, Created: t0},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		id       int64
		who      string
		at       time.Time
		fourEyes bool
		want     error
	}{
		{"requester with four eyes", ids[0], "alice", t0, true, ErrFourEyes},
		{"requester's own name, other case", ids[0], "ALICE ", t0, true, ErrFourEyes},
		{"unknown id", 999, "bob", t0, true, ErrUnknownAction},
		{"not a remediation", ids[1], "bob", t0, true, ErrUnknownAction},
		{"lapsed", ids[0], "bob", t0.Add(time.Hour), true, ErrLapsed},
		{"nobody", ids[0], " ", t0, true, ErrNoApprover},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Approve(ctx, st, c.id, c.who, "", c.at, c.fourEyes); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if j, _ := st.Job(ctx, ids[0]); j.Status != store.JobWaiting {
		t.Fatalf("a refused approval changed the job: %s", j.Status)
	}
	// Without four eyes the requester may approve; with it, someone else.
	if err := Approve(ctx, st, ids[0], "bob", "", t0, true); err != nil {
		t.Fatal(err)
	}
	ids2, _ := st.EnqueueJobs(ctx, []store.Job{{Kind: store.JobRemediate, Status: store.JobWaiting, Target: testPlaybook, FindingID: "f2", Requester: "alice", Due: t0}}, nil)
	if err := Approve(ctx, st, ids2[0], "alice", "", t0, false); err != nil {
		t.Fatal(err)
	}
}

func TestRestartRunsJobsFromTheStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, st, policy.RemediationSettings{}, getNone("bkt-1"), putAllOn("bkt-1", acctA), getNone("bkt-2"), putAllOn("bkt-2", acctA))
	auto := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
	appr := e.decideOn(policy.ModeApproval, "bkt-2", acctA, "")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// A new process: the store reopened, a new runner.
	st2, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	e.st = st2
	r := *e.r
	r.Store = st2
	e.r = &r
	if err := Approve(ctx, st2, appr.ID, "dave", "", e.clock.Now(), true); err != nil {
		t.Fatal(err)
	}
	if st := e.runDue(); st.Done != 2 {
		t.Fatalf("stats %+v", st)
	}
	wantStatus(t, e.job(auto.ID), store.JobDone)
	wantStatus(t, e.job(appr.ID), store.JobDone)
}

func TestCrashedRunIsRunAgainAfterItsLease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEnv(t, st, policy.RemediationSettings{}, getNone("bkt-1"), putAllOn("bkt-1", acctA))
	j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
	// A runner claims the job and dies before recording anything.
	dead := e.r.withDefaults()
	dead.Name = "dead-runner"
	p, _ := DecodePayload(&j)
	if _, err := dead.claim(ctx, &j, &p, true, false, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	claimed := e.job(j.ID)
	if l, ok := Running(&claimed, e.clock.Now()); !ok || l.Runner != "dead-runner" {
		t.Fatalf("no live lease: %+v", claimed)
	}
	if err := Cancel(ctx, st, j.ID, "carol", "", e.clock.Now()); !errors.Is(err, ErrRunning) {
		t.Fatalf("cancelling a running job: %v", err)
	}
	// Within the lease nobody else runs it.
	e.clock.Add(DefaultLease - time.Second)
	if st := e.runDue(); st != (Stats{}) {
		t.Fatalf("ran a leased job: %+v", st)
	}
	e.clock.Add(time.Second)
	if st := e.runDue(); st.Done != 1 {
		t.Fatalf("stats %+v", st)
	}
	got := e.job(j.ID)
	wantStatus(t, got, store.JobDone)
	if got.Attempts != 2 {
		t.Errorf("attempts %d, want 2", got.Attempts)
	}
}

func TestCancelDuringRunIsRefused(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{}, getNone("bkt-1"), putAllOn("bkt-1", acctA))
			j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
			var cancelErr error
			e.pb.during = func(*remediate.Request) {
				cancelErr = Cancel(context.Background(), e.st, j.ID, "carol", "", e.clock.Now())
			}
			if st := e.runDue(); st.Done != 1 {
				t.Fatalf("stats %+v", st)
			}
			if !errors.Is(cancelErr, ErrRunning) {
				t.Errorf("cancel during the run: %v", cancelErr)
			}
			wantStatus(t, e.job(j.ID), store.JobDone)
		})
	}
}

func TestKillSwitchMakesDryRuns(t *testing.T) {
	cases := []struct {
		name   string
		flag   bool
		policy bool
	}{{"flag", true, false}, {"policy", false, true}}
	for _, c := range cases {
		for _, sk := range storeKinds {
			t.Run(c.name+"/"+sk.name, func(t *testing.T) {
				// Only the read: a PUT would be an unexpected call.
				e := newEnv(t, sk.open(t), policy.RemediationSettings{KillSwitch: c.policy, Limits: policy.RemediationLimits{PerResource: 1}}, getNone("bkt-1"), getNone("bkt-1"))
				e.r.Kill = NewKillSwitch(c.flag)
				j1 := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
				j2 := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
				st := e.runDue()
				if st.DryRun != 2 || st.Done != 0 {
					t.Fatalf("stats %+v", st)
				}
				if d := e.pb.dryRuns(); len(d) != 2 || !d[0] || !d[1] {
					t.Errorf("playbook saw DryRun %v", d)
				}
				for _, j := range []store.Job{j1, j2} {
					got := e.job(j.ID)
					wantStatus(t, got, store.JobSkipped)
					if !strings.Contains(got.LastError, "kill switch") {
						t.Errorf("last error %q", got.LastError)
					}
					var res remediate.Result
					_ = json.Unmarshal(got.Result, &res)
					if !res.DryRun || res.Steps[len(res.Steps)-1].Status != remediate.StepWouldChange || len(res.Notes) == 0 || res.Notes[0] != KillSwitchNote {
						t.Errorf("result %s", got.Result)
					}
					a := e.lastAudit(j.ID)
					if !a.DryRun || a.Status != "skipped" || a.Rail != "kill_switch" {
						t.Errorf("audit %+v", a)
					}
				}
				items := e.announced()
				if len(items) != 2 || items[0].Action.Status != "skipped" || !strings.Contains(items[0].Action.Summary, "kill switch") {
					t.Errorf("announced %+v", items)
				}
			})
		}
	}
}

func TestBlastRadiusCapStopsAndEscalatesOnce(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			lim := policy.RemediationLimits{PerPlaybook: 2, Window: policy.Duration(time.Hour)}
			e := newEnv(t, sk.open(t), policy.RemediationSettings{Limits: lim, Escalate: "oncall"},
				getNone("bkt-1"), putAllOn("bkt-1", acctA), getNone("bkt-2"), putAllOn("bkt-2", acctB),
				getNone("bkt-5"), putAllOn("bkt-5", acctA))
			var jobs []store.Job
			for i, acct := range []string{acctA, acctB, acctA, acctB} {
				jobs = append(jobs, e.decideOn(policy.ModeAuto, "bkt-"+string(rune('1'+i)), acct, ""))
			}
			st := e.runDue()
			if st.Done != 2 || st.Skipped != 2 || st.Escalated != 1 {
				t.Fatalf("stats %+v", st)
			}
			for i, want := range []store.JobStatus{store.JobDone, store.JobDone, store.JobSkipped, store.JobSkipped} {
				got := e.job(jobs[i].ID)
				wantStatus(t, got, want)
				if want == store.JobSkipped {
					if !strings.Contains(got.LastError, "blast-radius cap") {
						t.Errorf("last error %q", got.LastError)
					}
					if a := e.lastAudit(got.ID); a.Rail != "blast_radius" || a.Status != "skipped" {
						t.Errorf("audit %+v", a)
					}
				}
			}
			items := e.announced()
			var esc []notify.Item
			for _, it := range items {
				if it.Record.Verdict == decide.Escalate {
					esc = append(esc, it)
				}
			}
			if len(items) != 3 || len(esc) != 1 || len(esc[0].Record.Actions) != 1 || esc[0].Record.Actions[0].Receiver != "oncall" || esc[0].Action.JobID != jobs[2].ID {
				t.Fatalf("announced %+v", items)
			}
			// Later in the same window: stopped again, not escalated again.
			e.clock.Add(30 * time.Minute)
			j5 := e.decideOn(policy.ModeAuto, "bkt-5", acctA, "")
			if st := e.runDue(); st.Skipped != 1 || st.Escalated != 0 {
				t.Fatalf("stats %+v", st)
			}
			if n := len(e.announced()); n != 3 {
				t.Errorf("%d announcements, want still 3", n)
			}
			// A window after the runs, the playbook runs again.
			e.clock.Add(31 * time.Minute)
			j6 := e.decideOn(policy.ModeAuto, "bkt-5", acctA, "")
			if st := e.runDue(); st.Done != 1 {
				t.Fatalf("stats %+v", st)
			}
			wantStatus(t, e.job(j5.ID), store.JobSkipped)
			wantStatus(t, e.job(j6.ID), store.JobDone)
		})
	}
}

func TestPerResourceLimit(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{Limits: policy.RemediationLimits{PerResource: 1}},
				getNone("bkt-1"), putAllOn("bkt-1", acctA), getNone("bkt-2"), putAllOn("bkt-2", acctA))
			j1 := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
			j2 := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
			j3 := e.decideOn(policy.ModeAuto, "bkt-2", acctA, "")
			if st := e.runDue(); st.Done != 2 || st.Skipped != 1 {
				t.Fatalf("stats %+v", st)
			}
			wantStatus(t, e.job(j1.ID), store.JobDone)
			got := e.job(j2.ID)
			wantStatus(t, got, store.JobSkipped)
			if !strings.Contains(got.LastError, "per-resource limit: bkt-1") {
				t.Errorf("last error %q", got.LastError)
			}
			wantStatus(t, e.job(j3.ID), store.JobDone)
		})
	}
}

func TestPerAccountLimitDefers(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{Limits: policy.RemediationLimits{PerAccount: 1, Window: policy.Duration(time.Hour)}},
				getNone("bkt-1"), putAllOn("bkt-1", acctA), getNone("bkt-2"), putAllOn("bkt-2", acctA))
			e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
			j2 := e.decideOn(policy.ModeAuto, "bkt-2", acctA, "")
			if st := e.runDue(); st.Done != 1 || st.Deferred != 1 {
				t.Fatalf("stats %+v", st)
			}
			got := e.job(j2.ID)
			wantStatus(t, got, store.JobPending)
			if !got.Due.Equal(t0.Add(time.Hour)) || !strings.Contains(got.LastError, "per-account limit") {
				t.Fatalf("deferred to %s: %q", got.Due, got.LastError)
			}
			e.clock.Add(time.Hour)
			if st := e.runDue(); st.Done != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestLoopGuard(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			s := policy.RemediationSettings{WardenPrincipals: []string{"arn:aws:iam::*:role/ops/warden-*"}}
			e := newEnv(t, sk.open(t), s, getNone("bkt-3"), putAllOn("bkt-3", acctA))
			own := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "arn:aws:sts::111122223333:assumed-role/WardenRemediation/warden-7-public-buckets-0a1b2c3d")
			glob := e.decideOn(policy.ModeAuto, "bkt-2", acctA, "arn:aws:iam::111122223333:role/ops/warden-engine")
			other := e.decideOn(policy.ModeAuto, "bkt-3", acctA, "arn:aws:sts::111122223333:assumed-role/Admin/alice")
			if st := e.runDue(); st.Done != 1 || st.Skipped != 2 {
				t.Fatalf("stats %+v", st)
			}
			for _, j := range []store.Job{own, glob} {
				got := e.job(j.ID)
				wantStatus(t, got, store.JobSkipped)
				if !strings.HasPrefix(got.LastError, "loop guard") {
					t.Errorf("last error %q", got.LastError)
				}
				if a := e.lastAudit(j.ID); a.Rail != "loop_guard" {
					t.Errorf("audit %+v", a)
				}
			}
			wantStatus(t, e.job(other.ID), store.JobDone)
			if d := e.pb.dryRuns(); len(d) != 1 {
				t.Errorf("playbook ran %d times", len(d))
			}
		})
	}
}

func TestOutcomes(t *testing.T) {
	slow := awstest.S3Error(503, "SlowDown", "reduce your request rate")
	cases := []struct {
		name     string
		script   []awstest.Expect
		bucket   bool
		status   store.JobStatus
		lastErr  string
		attempts int
		retry    bool
	}{
		{name: "access denied", script: []awstest.Expect{{Op: "GET /bkt-1?publicAccessBlock", Reply: awstest.S3Error(403, "AccessDenied", "Access Denied")}},
			bucket: true, status: store.JobFailed, lastErr: "AccessDenied"},
		{name: "bucket gone", script: []awstest.Expect{{Op: "GET /bkt-1?publicAccessBlock", Reply: awstest.S3Error(404, "NoSuchBucket", "gone")}},
			bucket: true, status: store.JobDone},
		{name: "not applicable", bucket: false, status: store.JobFailed, lastErr: "not applicable"},
		{name: "throttled past the SDK's retries", script: []awstest.Expect{
			{Op: "GET /bkt-1?publicAccessBlock", Reply: slow}, {Op: "GET /bkt-1?publicAccessBlock", Reply: slow}, {Op: "GET /bkt-1?publicAccessBlock", Reply: slow}},
			bucket: true, status: store.JobPending, lastErr: "SlowDown", retry: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, store.NewMemory(), policy.RemediationSettings{}, c.script...)
			j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
			if !c.bucket {
				// A finding that names no bucket.
				ctx := context.Background()
				ids, err := e.st.EnqueueJobs(ctx, []store.Job{{Kind: store.JobRemediate, Status: store.JobPending, Target: testPlaybook, FindingID: "f-none",
					Payload: []byte(`{"finding_id":"f-none","account_id":"111122223333","region":"eu-west-1"}`), Due: t0, Created: t0}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := Cancel(ctx, e.st, j.ID, "t", "", t0); err != nil {
					t.Fatal(err)
				}
				j = e.job(ids[0])
			}
			e.runDue()
			got := e.job(j.ID)
			wantStatus(t, got, c.status)
			if !strings.Contains(got.LastError, c.lastErr) {
				t.Errorf("last error %q, want %q", got.LastError, c.lastErr)
			}
			if c.name == "bucket gone" {
				var res remediate.Result
				_ = json.Unmarshal(got.Result, &res)
				if !strings.Contains(res.Error, "no longer exists") || res.Changed() {
					t.Errorf("result %s", got.Result)
				}
			}
			if !c.retry {
				if items := e.announced(); len(items) != 1 || items[0].Action.Status != string(c.status) {
					t.Errorf("announced %+v", items)
				}
				return
			}
			if !got.Due.Equal(t0.Add(DefaultBackoff)) || got.Attempts != 1 {
				t.Fatalf("retry due %s attempts %d", got.Due, got.Attempts)
			}
			if a := e.lastAudit(j.ID); a.RetryAt == nil || a.Status != "pending" {
				t.Errorf("audit %+v", a)
			}
			if n := len(e.announced()); n != 0 {
				t.Errorf("a retry was announced")
			}
		})
	}
}

func TestRetriesThenGivesUp(t *testing.T) {
	slow := awstest.Expect{Op: "GET /bkt-1?publicAccessBlock", Reply: awstest.S3Error(503, "SlowDown", "reduce your request rate")}
	var script []awstest.Expect
	for range 3 * 3 { // 3 runs × the SDK's 3 attempts
		script = append(script, slow)
	}
	script = append(script, getNone("bkt-1"), putAllOn("bkt-1", acctA))
	e := newEnv(t, store.NewMemory(), policy.RemediationSettings{}, script...)
	e.r.MaxAttempts = 3
	j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
	for i, wait := range []time.Duration{DefaultBackoff, 2 * DefaultBackoff} {
		if st := e.runDue(); st.Retried != 1 {
			t.Fatalf("run %d: %+v", i+1, st)
		}
		got := e.job(j.ID)
		if !got.Due.Equal(e.clock.Now().Add(wait)) {
			t.Fatalf("run %d: due %s, want +%s", i+1, got.Due, wait)
		}
		e.clock.Add(wait)
	}
	if st := e.runDue(); st.Failed != 1 {
		t.Fatalf("third run: %+v", st)
	}
	got := e.job(j.ID)
	wantStatus(t, got, store.JobFailed)
	if !strings.HasPrefix(got.LastError, "gave up after 3 attempts") {
		t.Errorf("last error %q", got.LastError)
	}
	// The rest of the script is for a fresh job on the same bucket.
	j2 := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
	e.runDue()
	wantStatus(t, e.job(j2.ID), store.JobDone)
}

func TestNoCredentialsRunsNothing(t *testing.T) {
	e := newEnv(t, store.NewMemory(), policy.RemediationSettings{})
	e.r.Creds = nil
	j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
	if _, err := e.r.RunDue(context.Background()); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("err %v", err)
	}
	wantStatus(t, e.job(j.ID), store.JobPending)
}

func TestPanickingPlaybookFails(t *testing.T) {
	e := newEnv(t, store.NewMemory(), policy.RemediationSettings{})
	e.pb.during = func(*remediate.Request) { panic("boom") }
	j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
	if st := e.runDue(); st.Failed != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := e.job(j.ID); !strings.Contains(got.LastError, "panicked: boom") {
		t.Errorf("last error %q", got.LastError)
	}
}

func TestUnknownPlaybookFails(t *testing.T) {
	e := newEnv(t, store.NewMemory(), policy.RemediationSettings{})
	e.r.Lookup = func(string) (remediate.Playbook, bool) { return nil, false }
	j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
	if st := e.runDue(); st.Failed != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := e.job(j.ID); !strings.Contains(got.LastError, "not available in this build") {
		t.Errorf("last error %q", got.LastError)
	}
}

func TestStaleListingDoesNotRunTwice(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			// Runner B lists both jobs and runs the first; meanwhile runner
			// A claims the second and is still running it when B comes to
			// it with its old listing: B must leave it (the script has the
			// second bucket's calls once).
			e := newEnv(t, sk.open(t), policy.RemediationSettings{}, getNone("bkt-1"), putAllOn("bkt-1", acctA), getNone("bkt-2"), putAllOn("bkt-2", acctA))
			j1 := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
			j2 := e.decideOn(policy.ModeAuto, "bkt-2", acctA, "")
			a := *e.r
			a.Name = "runner-a"
			var aStats Stats
			var aErr error
			claimed, release, aDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
			e.pb.during = func(req *remediate.Request) {
				switch req.JobID {
				case j1.ID: // runner B
					go func() {
						defer close(aDone)
						aStats, aErr = a.RunDue(context.Background())
					}()
					<-claimed
				case j2.ID: // runner A, holding its claim
					close(claimed)
					<-release
				}
			}
			st := e.runDue()
			if st.Done != 1 || st.Conflicts != 1 {
				t.Errorf("runner B: %+v", st)
			}
			close(release)
			<-aDone
			if aErr != nil || aStats.Done != 1 {
				t.Fatalf("runner A: %+v %v", aStats, aErr)
			}
			wantStatus(t, e.job(j1.ID), store.JobDone)
			got := e.job(j2.ID)
			wantStatus(t, got, store.JobDone)
			if got.Attempts != 1 {
				t.Errorf("job 2 started %d times", got.Attempts)
			}
		})
	}
}

func TestInterruptedRunIsPutBack(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			e := newEnv(t, sk.open(t), policy.RemediationSettings{})
			j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e.pb.during = func(*remediate.Request) { cancel() } // shutdown mid-run
			if _, err := e.r.RunDue(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v", err)
			}
			got := e.job(j.ID)
			wantStatus(t, got, store.JobPending)
			if got.Attempts != 0 || !got.Due.Equal(t0) || !strings.HasPrefix(got.LastError, "interrupted") {
				t.Errorf("job %+v", got)
			}
			if _, ok := Running(&got, t0); ok {
				t.Errorf("the lease is still on")
			}
			if a := e.lastAudit(j.ID); a.Type != AuditRemediation || a.Status != "pending" {
				t.Errorf("audit %+v", a)
			}
		})
	}
}

// TestAnnouncedToRoutedReceivers: when the rule names no receiver and
// there is no default (routing is in routes.yaml), the result goes to the
// receivers the finding's messages went to.
func TestAnnouncedToRoutedReceivers(t *testing.T) {
	e := newEnv(t, store.NewMemory(), policy.RemediationSettings{}, getNone("bkt-1"), putAllOn("bkt-1", acctA))
	e.ps.Rules[0].Notify, e.ps.Settings.Default.Notify = nil, nil
	j := e.decideOn(policy.ModeAuto, "bkt-1", acctA, "")
	if _, err := e.st.EnqueueJobs(context.Background(), []store.Job{{Kind: store.JobNotify, Status: store.JobDone, FindingID: j.FindingID,
		Target: "soc-pager", Requester: "route:prod-critical", Due: t0}}, nil); err != nil {
		t.Fatal(err)
	}
	if st := e.runDue(); st.Done != 1 {
		t.Fatalf("stats %+v", st)
	}
	items := e.announced()
	if len(items) != 1 || len(items[0].Record.Actions) != 1 || items[0].Record.Actions[0].Receiver != "soc-pager" {
		t.Fatalf("announced %+v", items)
	}
}

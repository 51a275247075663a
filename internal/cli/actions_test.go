package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/act"
	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/secret"
	"github.com/wardenhq/warden/internal/store"
)

// actionsRepo writes a policy repo whose remediation settings require four
// eyes, and a state file holding remediations in several states.
func actionsRepo(t *testing.T) (dir, state string, ids map[string]int64) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "warden.yaml"), []byte("version: 1\nremediation:\n  four_eyes: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state = filepath.Join(t.TempDir(), "w.db")
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at, _ := time.Parse(time.RFC3339, now)
	nb, ex := at.Add(time.Hour), at.Add(24*time.Hour)
	mk := func(mode, bucket string) store.Job {
		a := decide.Action{Type: decide.ActionRemediate, Playbook: "s3-block-public-access", Mode: mode, Rule: "public-buckets", NotBefore: &nb, Expires: &ex}
		if mode != "delay" {
			a.NotBefore = nil
		}
		if mode != "approval" {
			a.Expires = nil
		}
		j, ok := act.NewJob(a, remediate.Request{FindingID: "finding/" + bucket + "\x1b[31m", AccountID: "111122223333", Region: "eu-west-1",
			Resources: []finding.Resource{{Type: "AwsS3Bucket", ID: "arn:aws:s3:::logs-" + bucket}}}, at)
		if !ok {
			t.Fatalf("no job for %s", mode)
		}
		return j
	}
	approve := mk("approval", "b1")
	approve.Requester = "user:alice"
	jobs := []store.Job{approve, mk("approval", "b2"), mk("delay", "b3"), mk("auto", "b4")}
	got, err := st.EnqueueJobs(ctx, jobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids = map[string]int64{"approve": got[0], "deny": got[1], "cancel": got[2], "auto": got[3]}
	return dir, state, ids
}

func actionRows(t *testing.T, out string) map[int64]actionRow {
	t.Helper()
	rows := map[int64]actionRow{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r actionRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		rows[r.ID] = r
	}
	return rows
}

func runA(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runActions(context.Background(), &Env{Stdout: &out, Stderr: &errb, Log: nil}, args)
	return code, out.String(), errb.String()
}

func TestActionsListApproveDenyCancel(t *testing.T) {
	dir, state, ids := actionsRepo(t)
	base := []string{"--policy", dir, "--state", state, "--now", now}

	code, out, errs := runA(t, append([]string{"list", "--json"}, base...)...)
	if code != ExitOK {
		t.Fatalf("list: exit %d: %s", code, errs)
	}
	rows := actionRows(t, out)
	if len(rows) != 4 {
		t.Fatalf("list: %d rows\n%s", len(rows), out)
	}
	if r := rows[ids["approve"]]; r.Status != store.JobWaiting || r.Mode != "approval" || r.Expires == nil || r.AccountID != "111122223333" || r.Requester != "user:alice" {
		t.Errorf("waiting row %+v", r)
	}
	if r := rows[ids["cancel"]]; r.Status != store.JobPending || r.Mode != "delay" || r.Due.Format(time.RFC3339) != "2026-11-25T10:00:00Z" {
		t.Errorf("delayed row %+v", r)
	}

	// The table escapes the finding id's control characters.
	code, out, _ = runA(t, append([]string{"list", "--playbook", "s3-block-public-access"}, base...)...)
	if code != ExitOK || strings.Contains(out, "\x1b") || !strings.Contains(out, "DUE/EXPIRES") || !strings.Contains(out, "expires 2026-11-26T09:00:00Z") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}

	steps := []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{[]string{"approve", id(ids["approve"]), "--by", "alice"}, ExitFindings, "", "four-eyes"},
		{[]string{"approve", id(ids["approve"]), "--by", "bob", "--reason", "owner agreed"}, ExitOK, "approved", ""},
		{[]string{"approve", id(ids["approve"]), "--by", "bob"}, ExitFindings, "", "not waiting for approval"},
		{[]string{"deny", id(ids["deny"]), "--by", "bob", "--reason", "website"}, ExitOK, "denied", ""},
		{[]string{"cancel", "--by", "carol", id(ids["cancel"])}, ExitOK, "cancelled", ""},
		{[]string{"cancel", id(ids["cancel"]), "--by", "carol"}, ExitFindings, "", "already finished"},
		{[]string{"deny", id(ids["auto"]), "--by", "bob"}, ExitFindings, "", "cancel it instead"},
		{[]string{"cancel", "999", "--by", "carol"}, ExitFindings, "", "no such action"},
		{[]string{"cancel", "x1", "--by", "carol"}, ExitUsage, "", "not an action ID"},
		{[]string{"cancel", "--by", "carol"}, ExitUsage, "", "give one action ID"},
		{[]string{"cancel", "1", "2", "--by", "carol"}, ExitUsage, "", "give one action ID"},
		{[]string{"cancel", "1", "--by", ""}, ExitUsage, "", "--by NAME is required"},
	}
	for _, s := range steps {
		code, out, errs := runA(t, append(s.args, base...)...)
		if code != s.code || !strings.Contains(out, s.out) || !strings.Contains(errs, s.err) {
			t.Errorf("%v: exit %d (want %d)\nstdout: %s\nstderr: %s", s.args, code, s.code, out, errs)
		}
	}

	code, out, errs = runA(t, append([]string{"list", "--json", "--status", "all"}, base...)...)
	if code != ExitOK {
		t.Fatalf("list: exit %d: %s", code, errs)
	}
	rows = actionRows(t, out)
	for name, want := range map[string]store.JobStatus{"approve": store.JobPending, "deny": store.JobDenied, "cancel": store.JobCancelled, "auto": store.JobPending} {
		if r := rows[ids[name]]; r.Status != want {
			t.Errorf("%s: %+v, want %s", name, r, want)
		}
	}
	if r := rows[ids["approve"]]; r.DecidedBy != "bob" || r.DecidedAt == nil {
		t.Errorf("approved row %+v", r)
	}
	code, out, _ = runA(t, append([]string{"list", "--json", "--status", "denied,cancelled"}, base...)...)
	if rows := actionRows(t, out); code != ExitOK || len(rows) != 2 {
		t.Errorf("filtered list: exit %d, %d rows", code, len(rows))
	}
	if code, _, errs := runA(t, append([]string{"list", "--status", "bogus"}, base...)...); code != ExitUsage || !strings.Contains(errs, "unknown status") {
		t.Errorf("bad status: exit %d %s", code, errs)
	}

	// The audit log holds each decision with who and why.
	st, err := store.OpenSQLite(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var recs []act.AuditRecord
	_ = st.Audit(context.Background(), 0, func(r store.AuditRecord) error {
		var a act.AuditRecord
		if json.Unmarshal(r.Record, &a) == nil {
			recs = append(recs, a)
		}
		return nil
	})
	if len(recs) != 3 || recs[0].Type != act.AuditApproval || recs[0].By != "bob" || recs[0].Reason != "owner agreed" ||
		recs[1].Type != act.AuditDenial || recs[1].Reason != "website" || recs[2].Type != act.AuditCancellation || recs[2].By != "carol" {
		t.Errorf("audit %+v", recs)
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestActionsRunOnce(t *testing.T) {
	dir, state, ids := actionsRepo(t)
	base := []string{"--policy", dir, "--state", state, "--now", now}

	saved := remediationCreds
	defer func() { remediationCreds = saved }()

	// Without a credentials provider nothing runs and the command says why.
	remediationCreds = nil
	code, _, errs := runA(t, append([]string{"run", "--once"}, base...)...)
	if code != ExitRuntime || !strings.Contains(errs, "no AWS credentials provider") {
		t.Fatalf("exit %d: %s", code, errs)
	}

	// With one, the due job runs the real playbook through the SDK, here
	// against a local S3 endpoint; the delayed and waiting ones are not due.
	// The first run is refused by IAM (the job fails); once the permission
	// is fixed, `actions retry` puts it back and the next run succeeds.
	put := awstest.Expect{Op: "PUT /logs-b4?publicAccessBlock", Check: func(t testing.TB, c *awstest.Call) {
		for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
			if !strings.Contains(string(c.Body), "<"+k+">true</"+k+">") {
				t.Errorf("PutPublicAccessBlock without %s: %s", k, c.Body)
			}
		}
	}}
	denied := put
	denied.Reply = awstest.S3Error(403, "AccessDenied", "not allowed")
	srv := awstest.New(t,
		awstest.Expect{Op: "GET /logs-b4?publicAccessBlock", Reply: awstest.S3Error(404, "NoSuchPublicAccessBlockConfiguration", "none")},
		denied,
		awstest.Expect{Op: "GET /logs-b4?publicAccessBlock", Reply: awstest.S3Error(404, "NoSuchPublicAccessBlockConfiguration", "none")},
		put,
	)
	var sessions []string
	remediationCreds = func(ctx context.Context, ps *policy.Set, _ func(context.Context) (aws.Config, error), _ secret.Resolver) (act.CredsFunc, error) {
		return func(ctx context.Context, accountID, region, session string) (aws.Config, error) {
			sessions = append(sessions, session)
			return srv.Config(region), nil
		}, nil
	}
	code, out, errs := runA(t, append([]string{"run", "--once"}, base...)...)
	if code != ExitFindings {
		t.Fatalf("denied run: exit %d: %s %s", code, out, errs)
	}
	if code, _, errs := runA(t, append([]string{"retry", id(ids["cancel"]), "--by", "bob"}, base...)...); code != ExitFindings || !strings.Contains(errs, "only failed or skipped") {
		t.Fatalf("retry of a pending action: exit %d: %s", code, errs)
	}
	if code, _, errs := runA(t, append([]string{"retry", id(ids["auto"]), "--by", "bob", "--reason", "permission fixed"}, base...)...); code != ExitOK {
		t.Fatalf("retry: exit %d: %s", code, errs)
	}
	code, out, errs = runA(t, append([]string{"run", "--once"}, base...)...)
	if code != ExitOK {
		_, l, _ := runA(t, append([]string{"list", "--json", "--status", "all"}, base...)...)
		t.Fatalf("exit %d: %s\n%s\n%s", code, out, errs, l)
	}
	var stats act.Stats
	if err := json.Unmarshal([]byte(out), &stats); err != nil || stats.Failed != 0 || stats.Done != 1 {
		t.Fatalf("stats %s: %v", out, err)
	}
	code, out, _ = runA(t, append([]string{"list", "--json", "--status", "done"}, base...)...)
	rows := actionRows(t, out)
	if _, ok := rows[ids["auto"]]; code != ExitOK || len(rows) != 1 || !ok {
		t.Errorf("done rows %+v", rows)
	}
	if len(sessions) != 2 || !strings.HasPrefix(sessions[0], "warden-") {
		t.Errorf("sessions %v", sessions)
	}
}

func TestActionsUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{{nil, ExitUsage}, {[]string{"--help"}, ExitOK}, {[]string{"frob"}, ExitUsage}, {[]string{"list", "--help"}, ExitOK}, {[]string{"approve", "1"}, ExitUsage}} {
		code, _, errs := runA(t, c.args...)
		if code != c.code || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
}

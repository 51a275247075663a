package act

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

const (
	testPlaybook = "s3-block-public-access"
	testRule     = "public-buckets"
	testRegion   = "eu-west-1"
	acctA        = "111122223333"
	acctB        = "444455556666"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// storeKinds are the stores every behaviour is checked on.
var storeKinds = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"memory", func(t *testing.T) store.Store { return store.NewMemory() }},
	{"sqlite", func(t *testing.T) store.Store {
		st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "w.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

// bucketPlaybook is a test stand-in for the catalog's
// s3-block-public-access: it makes the real SDK calls
// (GetPublicAccessBlock, PutPublicAccessBlock) with the Env it is given.
type bucketPlaybook struct {
	mu     sync.Mutex
	dry    []bool
	during func(req *remediate.Request) // called inside Run, before any call
}

func (p *bucketPlaybook) Name() string { return testPlaybook }

func (p *bucketPlaybook) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	p.mu.Lock()
	p.dry = append(p.dry, env.DryRun)
	during := p.during
	p.mu.Unlock()
	if during != nil {
		during(req)
	}
	res, ok := req.Resource("AwsS3Bucket")
	if !ok {
		return fmt.Errorf("no bucket: %w", remediate.ErrNotApplicable)
	}
	c := s3.NewFromConfig(env.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	on := false
	err := rec.Step("read-public-access-block", false, func(s *remediate.Step) error {
		s.Request = map[string]string{"operation": "s3:GetBucketPublicAccessBlock", "bucket": res.ID}
		out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(res.ID), ExpectedBucketOwner: aws.String(req.AccountID)})
		var api smithy.APIError
		switch {
		case err == nil:
			on = aws.ToBool(out.PublicAccessBlockConfiguration.BlockPublicAcls)
		case errors.As(err, &api) && api.ErrorCode() == "NoSuchPublicAccessBlockConfiguration":
		case errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket":
			return fmt.Errorf("bucket %s: %w", res.ID, remediate.ErrGone)
		default:
			return err
		}
		s.Before = map[string]bool{"block_public_acls": on}
		return nil
	})
	if err != nil {
		return err
	}
	return rec.Step("block-public-access", true, func(s *remediate.Step) error {
		if on {
			s.Status = remediate.StepUnchanged
			return nil
		}
		s.Request = map[string]string{"operation": "s3:PutBucketPublicAccessBlock", "bucket": res.ID}
		if env.DryRun {
			s.Status = remediate.StepWouldChange
			return nil
		}
		t := aws.Bool(true)
		if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(res.ID), ExpectedBucketOwner: aws.String(req.AccountID),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: t, IgnorePublicAcls: t, BlockPublicPolicy: t, RestrictPublicBuckets: t}}); err != nil {
			return err
		}
		s.Status, s.After = remediate.StepChanged, map[string]bool{"block_public_acls": true}
		rec.Rollback("aws s3api delete-public-access-block --bucket " + res.ID)
		return nil
	})
}

func (p *bucketPlaybook) dryRuns() []bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]bool(nil), p.dry...)
}

// S3 scripts.
func getNone(bucket string) awstest.Expect {
	return awstest.Expect{Op: "GET /" + bucket + "?publicAccessBlock", Check: func(t testing.TB, c *awstest.Call) {
		if c.Service != "s3" || c.Region != testRegion {
			t.Errorf("GetPublicAccessBlock signed for %s in %s", c.Service, c.Region)
		}
	}, Reply: awstest.S3Error(404, "NoSuchPublicAccessBlockConfiguration", "none")}
}

func putAllOn(bucket, owner string) awstest.Expect {
	return awstest.Expect{Op: "PUT /" + bucket + "?publicAccessBlock", Check: func(t testing.TB, c *awstest.Call) {
		body := string(c.Body)
		for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
			if !strings.Contains(body, "<"+k+">true</"+k+">") {
				t.Errorf("PutPublicAccessBlock body lacks %s=true: %s", k, body)
			}
		}
		if got := c.Header.Get("X-Amz-Expected-Bucket-Owner"); got != owner {
			t.Errorf("expected bucket owner %q, want %q", got, owner)
		}
	}}
}

// env is one test's world: a store, a clock, a scripted AWS endpoint, a
// runner and what it announced.
type env struct {
	t     *testing.T
	st    store.Store
	clock *fakeClock
	srv   *awstest.Server
	pb    *bucketPlaybook
	r     *Runner
	ps    *policy.Set

	n        int // findings decided
	mu       sync.Mutex
	items    []notify.Item
	sessions []string
}

func newEnv(t *testing.T, st store.Store, settings policy.RemediationSettings, script ...awstest.Expect) *env {
	e := &env{t: t, st: st, clock: &fakeClock{t: t0}, srv: awstest.New(t, script...), pb: &bucketPlaybook{}}
	e.ps = &policy.Set{Commit: "c0ffee", Settings: policy.Settings{Remediation: settings, Default: policy.DefaultRoute{Notify: []string{"security-team"}}},
		Rules: []*policy.CompiledRule{{Rule: policy.Rule{ID: testRule, Notify: []string{"team"}}}}}
	e.r = &Runner{
		Store: st, Policy: e.ps, Clock: e.clock.Now,
		Creds: func(ctx context.Context, accountID, region, session string) (aws.Config, error) {
			e.mu.Lock()
			e.sessions = append(e.sessions, accountID+"/"+region+"/"+session)
			e.mu.Unlock()
			return e.srv.Config(region), nil
		},
		Announce: func(ctx context.Context, it notify.Item) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.items = append(e.items, it)
			return nil
		},
		Lookup: func(name string) (remediate.Playbook, bool) { return e.pb, name == testPlaybook },
	}
	return e
}

func (e *env) announced() []notify.Item {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]notify.Item(nil), e.items...)
}

// decideOn stores a decision asking for the remediation of bucket, as
// the pipeline does, and returns the job.
func (e *env) decideOn(mode policy.Mode, bucket, account, actor string) store.Job {
	e.t.Helper()
	now := e.clock.Now()
	a := decide.Action{Type: decide.ActionRemediate, Playbook: testPlaybook, Destructive: true, Mode: string(mode), Status: decide.StatusPlanned, Rule: testRule}
	switch mode {
	case policy.ModeDelay:
		nb := now.Add(30 * time.Minute)
		a.NotBefore = &nb
	case policy.ModeApproval:
		ex := now.Add(24 * time.Hour)
		a.Expires = &ex
	}
	e.n++
	fid := fmt.Sprintf("arn:aws:securityhub:eu-west-1:%s:finding/%s-%d", account, bucket, e.n)
	req := remediate.Request{FindingID: fid, Product: "Security Hub", Title: "S3 bucket is public", AccountID: account, Region: testRegion,
		Severity: finding.SeverityHigh, Actor: actor, Resources: []finding.Resource{{Type: "AwsS3Bucket", ID: bucket}}}
	j, ok := NewJob(a, req, now)
	if !ok {
		e.t.Fatalf("NewJob(%s) made no job", mode)
	}
	rec, _ := json.Marshal(map[string]any{"finding_id": fid, "verdict": "remediate"})
	err := e.st.Apply(context.Background(), []store.Entry{{
		State:  store.State{ID: fid, AccountID: account, Region: testRegion, Status: store.StatusActive, FirstSeen: now, LastSeen: now},
		Record: rec, Jobs: []store.Job{j},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	jobs, err := e.st.Jobs(context.Background(), store.JobFilter{FindingID: fid})
	if err != nil || len(jobs) != 1 {
		e.t.Fatalf("stored %d jobs for %s: %v", len(jobs), fid, err)
	}
	return jobs[0]
}

func (e *env) job(id int64) store.Job {
	e.t.Helper()
	j, err := e.st.Job(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

func (e *env) runDue() Stats {
	e.t.Helper()
	st, err := e.r.RunDue(context.Background())
	if err != nil {
		e.t.Fatalf("RunDue: %v", err)
	}
	return st
}

// audits returns the act audit records of a job, in order.
func (e *env) audits(id int64) []AuditRecord {
	e.t.Helper()
	var out []AuditRecord
	err := e.st.Audit(context.Background(), 0, func(r store.AuditRecord) error {
		var a AuditRecord
		if json.Unmarshal(r.Record, &a) == nil && a.Type != "" && a.JobID == id {
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) lastAudit(id int64) AuditRecord {
	e.t.Helper()
	as := e.audits(id)
	if len(as) == 0 {
		e.t.Fatalf("job %d has no audit record", id)
	}
	return as[len(as)-1]
}

func wantStatus(t *testing.T, j store.Job, want store.JobStatus) {
	t.Helper()
	if j.Status != want {
		t.Fatalf("job %d is %s (last error %q), want %s", j.ID, j.Status, j.LastError, want)
	}
}

package outbox

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/writeback"
)

func enqueueWriteback(t *testing.T, st store.Store, ups ...writeback.Update) []int64 {
	t.Helper()
	var jobs []store.Job
	for _, u := range ups {
		p, _ := json.Marshal(u)
		jobs = append(jobs, store.Job{Kind: store.JobWriteback, Status: store.JobPending, FindingID: u.FindingID, Target: "securityhub", Due: t0, Payload: p})
	}
	ids, err := st.EnqueueJobs(context.Background(), jobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestWritebackThroughSDK: write-back jobs go out as one
// BatchUpdateFindings call through the real SDK, with the Jira key of
// the finding as the ticket field; a finding Security Hub does not
// process with a retryable code is rescheduled.
func TestWritebackThroughSDK(t *testing.T) {
	srv := awstest.New(t, awstest.Expect{Op: "PATCH /findings/batchupdate", Check: func(t testing.TB, c *awstest.Call) {
		ids, _ := c.JSON["FindingIdentifiers"].([]any)
		if len(ids) != 2 {
			t.Errorf("FindingIdentifiers %v", c.JSON["FindingIdentifiers"])
		}
		if wf, _ := c.JSON["Workflow"].(map[string]any); wf["Status"] != "NOTIFIED" {
			t.Errorf("Workflow %v", c.JSON["Workflow"])
		}
		if udf, _ := c.JSON["UserDefinedFields"].(map[string]any); udf["ticket"] != "SEC-7" || udf["tier"] != "3" {
			t.Errorf("UserDefinedFields %v", c.JSON["UserDefinedFields"])
		}
	}, Reply: awstest.Reply{Body: `{"ProcessedFindings":[{"Id":"f1","ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/securityhub"}],"UnprocessedFindings":[{"FindingIdentifier":{"Id":"f2","ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/securityhub"},"ErrorCode":"ConcurrentUpdateError","ErrorMessage":"try again"}]}`}},
		// The client sends the unprocessed finding once more; still busy.
		awstest.Expect{Op: "PATCH /findings/batchupdate", Reply: awstest.Reply{Body: `{"ProcessedFindings":[],"UnprocessedFindings":[{"FindingIdentifier":{"Id":"f2","ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/securityhub"},"ErrorCode":"ConcurrentUpdateError","ErrorMessage":"try again"}]}`}})
	st, c := store.NewMemory(), &clock{t0}
	r := &recv{name: "security-jira"}
	d := dispatcher(st, c, r)
	d.Receivers["security-jira"] = jiraLike{r}
	if err := st.SetRefs(context.Background(), []store.Ref{{FindingID: "f1", Target: "security-jira", Value: "SEC-7", Updated: t0}, {FindingID: "f2", Target: "security-jira", Value: "SEC-7", Updated: t0}}); err != nil {
		t.Fatal(err)
	}
	pa := "arn:aws:securityhub:eu-west-1::product/aws/securityhub"
	fields := writeback.Fields{Tier: 3, Environment: "prod"}.Map()
	fields2 := writeback.Fields{Tier: 3, Environment: "prod"}.Map()
	ids := enqueueWriteback(t, st,
		writeback.Update{FindingID: "f1", ProductArn: pa, Format: finding.FormatASFF, AccountID: "123456789012", Region: "eu-west-1", Workflow: "NOTIFIED", UserDefinedFields: fields},
		writeback.Update{FindingID: "f2", ProductArn: pa, Format: finding.FormatASFF, AccountID: "123456789012", Region: "eu-west-1", Workflow: "NOTIFIED", UserDefinedFields: fields2},
	)
	wc := writeback.New(writeback.Options{AWS: func(context.Context) (aws.Config, error) { return srv.Config("eu-west-1"), nil }, UnprocessedRetries: 1,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	s, err := d.Writeback(context.Background(), wc)
	if err != nil {
		t.Fatal(err)
	}
	if s.Jobs != 1 || s.Retried != 1 {
		t.Fatalf("stats %+v", s)
	}
	j1, _ := st.Job(context.Background(), ids[0])
	j2, _ := st.Job(context.Background(), ids[1])
	if j1.Status != store.JobDone || j2.Status != store.JobPending || j2.Due.Before(t0.Add(time.Second)) {
		t.Fatalf("jobs: %+v / %+v", j1, j2)
	}
}

// TestWritebackDryRunMakesNoCall: the kill switch or --dry-run client
// plans the calls and marks the jobs done without any HTTP request.
func TestWritebackDryRunMakesNoCall(t *testing.T) {
	srv := awstest.New(t) // any call fails the test
	_ = srv
	st, c := store.NewMemory(), &clock{t0}
	d := dispatcher(st, c)
	enqueueWriteback(t, st, writeback.Update{FindingID: "f1", ProductArn: "arn:aws:securityhub:eu-west-1::product/aws/securityhub", Format: finding.FormatASFF, Region: "eu-west-1", Workflow: "SUPPRESSED"})
	s, err := d.Writeback(context.Background(), writeback.New(writeback.Options{DryRun: true}))
	if err != nil || s.Jobs != 1 {
		t.Fatalf("%+v %v", s, err)
	}
}

type jiraLike struct{ *recv }

func (jiraLike) Type() string { return "jira" }

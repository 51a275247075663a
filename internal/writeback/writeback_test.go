package writeback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/finding"
)

const (
	opV1 = "PATCH /findings/batchupdate"
	opV2 = "PATCH /findingsv2/batchupdatev2"
	fsbp = "arn:aws:securityhub:eu-west-1::product/aws/securityhub"
)

func asffUpdate(i int) Update {
	return Update{
		FindingID:  fmt.Sprintf("arn:aws:securityhub:eu-west-1:111122223333:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.8/finding/%04d", i),
		ProductArn: fsbp, Format: finding.FormatASFF, AccountID: "111122223333", Region: "eu-west-1",
		Workflow:          WorkflowNotified,
		Note:              map[string]any{"verdict": "notify", "tier": 3},
		UserDefinedFields: Fields{Tier: 3, Environment: "prod", Rules: []string{"s3-public"}, Ticket: "SEC-1"}.Map(),
	}
}

// sleeps records the waits between retries of unprocessed findings.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func newClient(srv *awstest.Server, opts Options) (*Client, *sleeps) {
	var sl sleeps
	if opts.AWS == nil {
		opts.AWS = func(context.Context) (aws.Config, error) { return srv.Config("us-east-1"), nil }
	}
	opts.Sleep = sl.sleep
	return New(opts), &sl
}

// ok is the answer of a call that updated every finding (Security Hub
// lists them as processed; Apply reads only the unprocessed ones).
var ok = awstest.Reply{Body: `{"ProcessedFindings":[],"UnprocessedFindings":[]}`}

func ids(c *awstest.Call) []string {
	var out []string
	list, _ := c.JSON["FindingIdentifiers"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		if id, ok := m["Id"].(string); ok {
			out = append(out, id)
		} else {
			out = append(out, fmt.Sprint(m["FindingInfoUid"]))
		}
	}
	return out
}

func TestBatching(t *testing.T) {
	ups := make([]Update, 250)
	for i := range ups {
		ups[i] = asffUpdate(i)
	}
	var seen []string
	batch := func(n int) awstest.Expect {
		return awstest.Expect{Op: opV1, Check: func(t testing.TB, c *awstest.Call) {
			got := ids(c)
			if len(got) != n || c.Service != "securityhub" || c.Region != "eu-west-1" {
				t.Errorf("batch of %d findings to %s/%s, want %d to securityhub/eu-west-1", len(got), c.Service, c.Region, n)
			}
			seen = append(seen, got...)
			want := map[string]any{
				"Workflow":          map[string]any{"Status": "NOTIFIED"},
				"Note":              map[string]any{"Text": `{"warden":{"tier":3,"verdict":"notify"}}`, "UpdatedBy": "warden"},
				"UserDefinedFields": map[string]any{"tier": "3", "environment": "prod", "rules": "s3-public", "ticket": "SEC-1"},
			}
			for k, v := range want {
				if !reflect.DeepEqual(c.JSON[k], v) {
					t.Errorf("%s = %v, want %v", k, c.JSON[k], v)
				}
			}
			if p := c.JSON["FindingIdentifiers"].([]any)[0].(map[string]any)["ProductArn"]; p != fsbp {
				t.Errorf("ProductArn %v", p)
			}
		}, Reply: ok}
	}
	srv := awstest.New(t, batch(100), batch(100), batch(50))
	cl, _ := newClient(srv, Options{})
	outs, err := cl.Apply(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Ops(); !reflect.DeepEqual(got, []string{opV1, opV1, opV1}) {
		t.Fatalf("ops %v", got)
	}
	for i, o := range outs {
		if o.Status != Updated || o.Err != nil || o.FindingID != ups[i].FindingID || o.Call == nil {
			t.Fatalf("outcome %d: %+v", i, o)
		}
	}
	if len(seen) != 250 || seen[0] != ups[0].FindingID || seen[249] != ups[249].FindingID {
		t.Fatalf("findings sent %d", len(seen))
	}
}

func TestGroupsByRegionAndValues(t *testing.T) {
	a, b, c, d, e := asffUpdate(1), asffUpdate(2), asffUpdate(3), asffUpdate(4), asffUpdate(5)
	c.Workflow = WorkflowResolved
	d.Region = "us-east-2"
	e.ExistingNote = `{"soar":"case-7"}` // another note text: another call
	check := func(region string, want ...Update) func(t testing.TB, c *awstest.Call) {
		return func(t testing.TB, c *awstest.Call) {
			var w []string
			for _, u := range want {
				w = append(w, u.FindingID)
			}
			if got := ids(c); !reflect.DeepEqual(got, w) || c.Region != region {
				t.Errorf("call to %s with %v, want %s with %v", c.Region, got, region, w)
			}
		}
	}
	srv := awstest.New(t,
		awstest.Expect{Op: opV1, Check: check("eu-west-1", a, b), Reply: ok},
		awstest.Expect{Op: opV1, Check: check("eu-west-1", c), Reply: ok},
		awstest.Expect{Op: opV1, Check: check("us-east-2", d), Reply: ok},
		awstest.Expect{Op: opV1, Check: func(t testing.TB, c *awstest.Call) {
			check("eu-west-1", e)(t, c)
			if n := c.JSON["Note"].(map[string]any)["Text"]; n != `{"soar":"case-7","warden":{"tier":3,"verdict":"notify"}}` {
				t.Errorf("note %v", n)
			}
		}, Reply: ok},
	)
	cl, _ := newClient(srv, Options{})
	if _, err := cl.Apply(context.Background(), []Update{a, b, c, d, e}); err != nil {
		t.Fatal(err)
	}

	// One aggregation region for all: the regions' groups merge.
	srv2 := awstest.New(t, awstest.Expect{Op: opV1, Check: check("eu-central-1", a, b, d), Reply: ok})
	cl2, _ := newClient(srv2, Options{Region: "eu-central-1"})
	outs, err := cl2.Apply(context.Background(), []Update{a, b, d})
	if err != nil || outs[2].Region != "eu-central-1" {
		t.Fatalf("%v %+v", err, outs)
	}
}

func unprocessedASFF(code string, us ...Update) awstest.Reply {
	var list []string
	for _, u := range us {
		list = append(list, fmt.Sprintf(`{"FindingIdentifier":{"Id":%q,"ProductArn":%q},"ErrorCode":%q,"ErrorMessage":"msg for %s"}`, u.FindingID, u.ProductArn, code, code))
	}
	return awstest.Reply{Body: `{"ProcessedFindings":[],"UnprocessedFindings":[` + strings.Join(list, ",") + `]}`}
}

func TestUnprocessed(t *testing.T) {
	a, b, c := asffUpdate(1), asffUpdate(2), asffUpdate(3)
	want := func(us ...Update) func(t testing.TB, c *awstest.Call) {
		return func(t testing.TB, call *awstest.Call) {
			var w []string
			for _, u := range us {
				w = append(w, u.FindingID)
			}
			if got := ids(call); !reflect.DeepEqual(got, w) {
				t.Errorf("sent %v, want %v", got, w)
			}
		}
	}
	both := unprocessedASFF("FindingNotFound", b)
	both.Body = strings.Replace(both.Body, `]}`, `,`+strings.TrimSuffix(strings.TrimPrefix(unprocessedASFF("ConcurrentUpdateError", c).Body, `{"ProcessedFindings":[],"UnprocessedFindings":[`), `]}`)+`]}`, 1)
	srv := awstest.New(t,
		awstest.Expect{Op: opV1, Check: want(a, b, c), Reply: both},
		awstest.Expect{Op: opV1, Check: want(c), Reply: unprocessedASFF("ConcurrentUpdateError", c)},
		awstest.Expect{Op: opV1, Check: want(c), Reply: ok},
	)
	cl, sl := newClient(srv, Options{Backoff: 200 * time.Millisecond})
	outs, err := cl.Apply(context.Background(), []Update{a, b, c})
	if err == nil || !strings.Contains(err.Error(), "finding "+b.FindingID+" not updated: FindingNotFound: msg for FindingNotFound") {
		t.Fatalf("err = %v", err)
	}
	if outs[0].Status != Updated || outs[2].Status != Updated || outs[2].Err != nil {
		t.Errorf("outcomes %+v", outs)
	}
	if o := outs[1]; o.Status != Failed || o.ErrorCode != "FindingNotFound" || o.Retryable {
		t.Errorf("not found: %+v", o)
	}
	if !reflect.DeepEqual(sl.d, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}) {
		t.Errorf("waits %v", sl.d)
	}
	if got := ids(&awstest.Call{JSON: mustMap(t, outs[2].Call.Input)}); !reflect.DeepEqual(got, []string{c.FindingID}) {
		t.Errorf("outcome's call is not the last one: %v", got)
	}

	// Still concurrent after the retries: failed, retryable.
	srv2 := awstest.New(t,
		awstest.Expect{Op: opV1, Reply: unprocessedASFF("ConcurrentUpdateError", a)},
		awstest.Expect{Op: opV1, Reply: unprocessedASFF("ConcurrentUpdateError", a)},
	)
	cl2, _ := newClient(srv2, Options{UnprocessedRetries: 1})
	outs, err = cl2.Apply(context.Background(), []Update{a})
	if err == nil || outs[0].Status != Failed || outs[0].ErrorCode != "ConcurrentUpdateError" || !outs[0].Retryable {
		t.Fatalf("%v %+v", err, outs[0])
	}
}

func mustMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCallErrors(t *testing.T) {
	throttled := awstest.JSONError(429, "TooManyRequestsException", "Rate exceeded")
	for _, tc := range []struct {
		name      string
		attempts  int
		script    []awstest.Reply
		status    Status
		code      string
		retryable bool
	}{
		{name: "throttled then ok", script: []awstest.Reply{throttled, awstest.JSONError(400, "ThrottlingException", "slow"), ok}, status: Updated},
		{name: "throttled throughout", attempts: 2, script: []awstest.Reply{throttled, throttled}, status: Failed, code: "TooManyRequestsException", retryable: true},
		{name: "service error throughout", attempts: 2, script: []awstest.Reply{awstest.JSONError(500, "InternalException", "oops"), awstest.JSONError(500, "InternalException", "oops")},
			status: Failed, code: "InternalException", retryable: true},
		{name: "access denied", script: []awstest.Reply{awstest.JSONError(403, "AccessDeniedException", "User is not authorized to perform: securityhub:BatchUpdateFindings")},
			status: Failed, code: "AccessDeniedException"},
		{name: "invalid input", script: []awstest.Reply{awstest.JSONError(400, "InvalidInputException", "bad")}, status: Failed, code: "InvalidInputException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var script []awstest.Expect
			for _, r := range tc.script {
				script = append(script, awstest.Expect{Op: opV1, Reply: r})
			}
			srv := awstest.New(t, script...)
			cl, _ := newClient(srv, Options{MaxAttempts: tc.attempts})
			outs, err := cl.Apply(context.Background(), []Update{asffUpdate(1), asffUpdate(2)})
			for _, o := range outs {
				if o.Status != tc.status || o.ErrorCode != tc.code || o.Retryable != tc.retryable {
					t.Errorf("outcome %+v", o)
				}
			}
			if (err != nil) != (tc.status == Failed) {
				t.Errorf("err = %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "BatchUpdateFindings in eu-west-1: ") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestAWSConfigError(t *testing.T) {
	cl := New(Options{AWS: func(context.Context) (aws.Config, error) { return aws.Config{}, errors.New("no credentials") }})
	outs, err := cl.Apply(context.Background(), []Update{asffUpdate(1)})
	if err == nil || outs[0].Status != Failed || !outs[0].Retryable || !strings.Contains(err.Error(), "security hub in eu-west-1: loading AWS configuration: no credentials") {
		t.Fatalf("%v %+v", err, outs)
	}
}

func ocsfUpdate(i int) Update {
	return Update{
		FindingID: fmt.Sprintf("arn:aws:guardduty:eu-west-1:111122223333:detector/d1/finding/f%d", i), ProductArn: "arn:aws:securityhub:eu-west-1::productv2/aws/guardduty",
		Format: finding.FormatOCSF, AccountID: "111122223333", Region: "eu-west-1", Workflow: WorkflowResolved,
		Note: map[string]any{"verdict": "resolved"}, ExistingNote: "triaged by SOC",
		UserDefinedFields: map[string]string{"tier": "1"},
	}
}

func TestOCSF(t *testing.T) {
	a, b, m := ocsfUpdate(1), ocsfUpdate(2), ocsfUpdate(3)
	m.MetadataUID = "6f0a3c3e-a0e1-4b1e-9d0d-1f2e3c4d5e6f"
	srv := awstest.New(t,
		awstest.Expect{Op: opV2, Check: func(t testing.TB, c *awstest.Call) {
			want := map[string]any{
				"Comment":  `{"text":"triaged by SOC","warden":{"verdict":"resolved"}}`,
				"StatusId": float64(4),
				"FindingIdentifiers": []any{
					map[string]any{"CloudAccountUid": "111122223333", "FindingInfoUid": a.FindingID, "MetadataProductUid": a.ProductArn},
					map[string]any{"CloudAccountUid": "111122223333", "FindingInfoUid": b.FindingID, "MetadataProductUid": b.ProductArn},
				},
			}
			if !reflect.DeepEqual(c.JSON, want) || c.Service != "securityhub" {
				t.Errorf("V2 body %v", c.JSON)
			}
		}, Reply: awstest.Reply{Body: `{"ProcessedFindings":[],"UnprocessedFindings":[{"FindingIdentifier":{"CloudAccountUid":"111122223333","FindingInfoUid":"` + b.FindingID + `","MetadataProductUid":"` + b.ProductArn + `"},"ErrorCode":"ConflictException","ErrorMessage":"busy"}]}`}},
		awstest.Expect{Op: opV2, Check: func(t testing.TB, c *awstest.Call) {
			if got := ids(c); !reflect.DeepEqual(got, []string{b.FindingID}) {
				t.Errorf("retry sent %v", got)
			}
		}, Reply: ok},
		awstest.Expect{Op: opV2, Check: func(t testing.TB, c *awstest.Call) {
			if !reflect.DeepEqual(c.JSON["MetadataUids"], []any{m.MetadataUID}) || c.JSON["FindingIdentifiers"] != nil {
				t.Errorf("metadata uid call %v", c.JSON)
			}
		}, Reply: awstest.Reply{Body: `{"ProcessedFindings":[],"UnprocessedFindings":[{"MetadataUid":"` + m.MetadataUID + `","ErrorCode":"ResourceNotFoundException","ErrorMessage":"gone"}]}`}},
	)
	cl, _ := newClient(srv, Options{})
	outs, err := cl.Apply(context.Background(), []Update{a, b, m})
	if err == nil || !strings.Contains(err.Error(), "BatchUpdateFindingsV2 in eu-west-1: finding "+m.FindingID+" not updated: ResourceNotFoundException: gone") {
		t.Fatalf("err = %v", err)
	}
	if outs[0].Status != Updated || outs[1].Status != Updated || outs[2].Status != Failed || outs[2].Retryable {
		t.Fatalf("outcomes %+v", outs)
	}
	if !reflect.DeepEqual(outs[0].Notes, []string{"user-defined fields left out: BatchUpdateFindingsV2 has none"}) {
		t.Errorf("notes %v", outs[0].Notes)
	}
}

// TestDryRun: the planned calls are exactly what Apply sends, and a dry
// run calls nothing (the server has no script: any call fails the test).
func TestDryRun(t *testing.T) {
	ups := []Update{asffUpdate(1), asffUpdate(2), ocsfUpdate(1)}
	ups[1].Workflow = WorkflowSuppressed
	srv := awstest.New(t)
	dry := New(Options{DryRun: true, AWS: func(context.Context) (aws.Config, error) {
		t.Error("dry run loaded the AWS configuration")
		return srv.Config("us-east-1"), nil
	}})
	calls, planned := dry.Plan(ups)
	outs, err := dry.Apply(context.Background(), ups)
	if err != nil || len(srv.Calls()) != 0 {
		t.Fatalf("dry run: %v, %d calls", err, len(srv.Calls()))
	}
	if len(calls) != 3 || calls[0].Op != OpASFF || calls[2].Op != OpOCSF || !reflect.DeepEqual(calls[1].FindingIDs, []string{ups[1].FindingID}) {
		t.Fatalf("calls %+v", calls)
	}
	for i, o := range outs {
		if o.Status != DryRun || o.Call == nil || string(o.Call.Input) != string(planned[i].Call.Input) {
			t.Fatalf("outcome %d: %+v", i, o)
		}
	}
	var script []awstest.Expect
	for _, c := range calls {
		want := mustMap(t, c.Input)
		op := opV1
		if c.Op == OpOCSF {
			op = opV2
		}
		script = append(script, awstest.Expect{Op: op, Check: func(t testing.TB, call *awstest.Call) {
			if !reflect.DeepEqual(call.JSON, want) {
				t.Errorf("sent %v\nplanned %v", call.JSON, want)
			}
		}, Reply: ok})
	}
	real := awstest.New(t, script...)
	cl, _ := newClient(real, Options{})
	if _, err := cl.Apply(context.Background(), ups); err != nil {
		t.Fatal(err)
	}
}

func TestSkipped(t *testing.T) {
	big := asffUpdate(9)
	big.ExistingNote = `{"soar":"` + strings.Repeat("s", 600) + `"}`
	dup1, dup2 := asffUpdate(8), asffUpdate(8)
	dup1.Workflow = WorkflowNew
	cases := []struct {
		u    Update
		want string
	}{
		{func() Update { u := asffUpdate(1); u.Format = finding.FormatDetection; return u }(), "a Warden detection is not a Security Hub finding"},
		{func() Update { u := asffUpdate(2); u.Region = ""; return u }(), "no region"},
		{func() Update { u := asffUpdate(3); u.ProductArn = ""; return u }(), "needs its Id and ProductArn"},
		{func() Update { u := asffUpdate(4); u.Workflow = "CLOSED"; return u }(), `workflow status "CLOSED"`},
		{func() Update { return Update{FindingID: "x", ProductArn: fsbp, Region: "eu-west-1"} }(), "nothing to update"},
		{func() Update { u := ocsfUpdate(5); u.AccountID = ""; return u }(), "an OCSF finding needs"},
		{dup1, "superseded by a later update"},
	}
	var ups []Update
	for _, c := range cases {
		ups = append(ups, c.u)
	}
	ups = append(ups, dup2, big)
	srv := awstest.New(t,
		awstest.Expect{Op: opV1, Check: func(t testing.TB, c *awstest.Call) {
			if got := ids(c); !reflect.DeepEqual(got, []string{dup2.FindingID}) {
				t.Errorf("sent %v", got)
			}
		}, Reply: ok},
		awstest.Expect{Op: opV1, Check: func(t testing.TB, c *awstest.Call) {
			if _, has := c.JSON["Note"]; has || c.JSON["Workflow"] == nil {
				t.Errorf("note written over other keys: %v", c.JSON)
			}
		}, Reply: ok},
	)
	cl, _ := newClient(srv, Options{})
	outs, err := cl.Apply(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if o := outs[i]; o.Status != Skipped || o.Err == nil || !strings.Contains(o.Err.Error(), c.want) || o.Call != nil {
			t.Errorf("case %d: %+v, want skipped: %s", i, o, c.want)
		}
	}
	last := outs[len(outs)-1]
	if last.Status != Updated || len(last.Notes) != 1 || !strings.Contains(last.Notes[0], "the note's other keys take 611 of its 512 characters") {
		t.Errorf("big note: %+v", last)
	}
}

package playbook

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/remediate"
)

// testNow is the clock of every playbook test.
var testNow = time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// pbEnv is an Env pointed at a scripted AWS endpoint.
func pbEnv(srv *awstest.Server, dryRun bool) *remediate.Env {
	return &remediate.Env{AWS: srv.Config("eu-west-1"), DryRun: dryRun, Now: fixedNow}
}

// runPB runs a playbook the way the runner does and returns its record.
func runPB(t *testing.T, name string, env *remediate.Env, req *remediate.Request) (*remediate.Result, error) {
	t.Helper()
	p, ok := remediate.Get(name)
	if !ok {
		t.Fatalf("playbook %s is not registered", name)
	}
	if req.Playbook == "" {
		req.Playbook = name
	}
	if req.CaseID == "" {
		req.CaseID = "warden-42"
	}
	if req.AccountID == "" {
		req.AccountID = "111122223333"
	}
	if req.Region == "" {
		req.Region = "eu-west-1"
	}
	rec := remediate.NewRecorder(name, req.CaseID, env.DryRun, fixedNow)
	err := p.Run(context.Background(), env, req, rec)
	return rec.Result(), err
}

// stepStatuses renders a result's steps as "name=status" for comparison.
func stepStatuses(r *remediate.Result) []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Name+"="+string(s.Status))
	}
	return out
}

func wantSteps(t *testing.T, r *remediate.Result, want ...string) {
	t.Helper()
	if got := stepStatuses(r); !reflect.DeepEqual(got, want) {
		t.Errorf("steps = %v, want %v", got, want)
	}
}

// wantErr checks err against the expectation: "" none, else a substring,
// and a sentinel (nil: any).
func wantErr(t *testing.T, err error, substr string, sentinel error) {
	t.Helper()
	switch {
	case substr == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case substr == "":
		return
	case err == nil:
		t.Fatalf("no error, want one containing %q", substr)
	case !strings.Contains(err.Error(), substr):
		t.Errorf("error %q does not contain %q", err, substr)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("error %q is not %v", err, sentinel)
	}
}

func must(t testing.TB, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Errorf(format, args...)
	}
}

func form(key, want string) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		if got := c.Form.Get(key); got != want {
			t.Errorf("%s: %s = %q, want %q", c.Op, key, got, want)
		}
	}
}

func checks(fns ...func(testing.TB, *awstest.Call)) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		for _, f := range fns {
			f(t, c)
		}
	}
}

// inRegion checks the region a call was signed for.
func inRegion(want string) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		if c.Region != want {
			t.Errorf("%s: signed for region %q, want %q", c.Op, c.Region, want)
		}
	}
}

func jsonField(key string, want any) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		if got := c.JSON[key]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s = %#v, want %#v", c.Op, key, got, want)
		}
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func res(typ, id string) []finding.Resource {
	return []finding.Resource{{Type: typ, ID: id, Region: "eu-west-1", Partition: "aws"}}
}

// restActions maps the REST calls of the scripted endpoint to the IAM
// action that allows them.
var restActions = map[string]string{
	"GET ?publicAccessBlock":      "s3:GetBucketPublicAccessBlock",
	"PUT ?publicAccessBlock":      "s3:PutBucketPublicAccessBlock",
	"POST /findings":              "securityhub:GetFindings",
	"PATCH /findings/batchupdate": "securityhub:BatchUpdateFindings",
}

// actionOf returns the IAM action a call needed.
func actionOf(c awstest.Call) string {
	if c.Form != nil || c.Header.Get("X-Amz-Target") != "" {
		return c.Service + ":" + c.Op
	}
	if a, ok := restActions[c.Op]; ok {
		return a
	}
	if i := strings.IndexByte(c.Op, '?'); i >= 0 {
		if a, ok := restActions[c.Method+" "+c.Op[i:]]; ok {
			return a
		}
	}
	return c.Service + ":" + c.Op
}

// actionLog collects the IAM actions a playbook's tests made, to check
// that the catalog lists exactly those.
type actionLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (l *actionLog) add(srv *awstest.Server) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	for _, c := range srv.Calls() {
		if c.Service != "" {
			l.seen[actionOf(c)] = true
		}
	}
}

// check compares the actions seen with the catalog, unless -run selected
// single subtests (then not every path ran).
func (l *actionLog) check(t *testing.T, playbook string) {
	t.Helper()
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "/") {
		return
	}
	var got []string
	for a := range l.seen {
		got = append(got, a)
	}
	want := append([]string(nil), remediate.Catalog[playbook].IAMActions...)
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: calls made need %v; the catalog lists %v", playbook, got, want)
	}
}

func TestDocLookups(t *testing.T) {
	d := parseDoc(json.RawMessage(`{"detail":{"requestParameters":{"name":"t1"}},"Resources":[{"Type":"X"},{"Details":{"AwsS3Bucket":{"Name":"b"}}}],"ProductFields":{"warden/actor":"arn:a"},"list":["", "v"]}`))
	tests := []struct {
		got, want string
	}{
		{d.event("requestParameters", "name"), "t1"},
		{d.str("Resources", "Details", "AwsS3Bucket", "Name"), "b"},
		{d.str("ProductFields", "warden/actor"), "arn:a"},
		{d.str("list"), "v"},
		{d.str("missing", "x"), ""},
		{parseDoc(json.RawMessage(`not json`)).str("a"), ""},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestIAMName(t *testing.T) {
	tests := []struct {
		in, kind, name, acct string
		ok                   bool
	}{
		{"alice", "user", "alice", "", true},
		{"arn:aws:iam::111122223333:user/dev/alice", "user", "alice", "111122223333", true},
		{"arn:aws:iam::111122223333:role/app/Deployer", "role", "Deployer", "111122223333", true},
		{"arn:aws:sts::111122223333:assumed-role/Deployer/sess", "role", "Deployer", "111122223333", true},
		{"arn:aws:iam::111122223333:role/Deployer", "user", "", "", false},
		{"arn:aws:s3:::bucket", "user", "", "", false},
		{"", "user", "", "", false},
	}
	for _, tt := range tests {
		name, acct, ok := iamName(tt.in, tt.kind)
		if name != tt.name || acct != tt.acct || ok != tt.ok {
			t.Errorf("iamName(%q, %s) = %q %q %t, want %q %q %t", tt.in, tt.kind, name, acct, ok, tt.name, tt.acct, tt.ok)
		}
	}
}

func TestParamDuration(t *testing.T) {
	tests := []struct {
		v    any
		want time.Duration
		err  bool
	}{
		{nil, time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{float64(30), 30 * time.Second, false},
		{"soon", 0, true},
		{"-1s", 0, true},
		{true, 0, true},
	}
	for _, tt := range tests {
		req := &remediate.Request{Params: map[string]any{}}
		if tt.v != nil {
			req.Params["d"] = tt.v
		}
		got, err := paramDuration(req, "d", time.Hour)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("paramDuration(%v) = %v, %v", tt.v, got, err)
		}
	}
}

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/outbox"
	"github.com/wardenhq/warden/internal/pipeline"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/source"
	"github.com/wardenhq/warden/internal/store"
)

// pdServer emulates PagerDuty Events v2: it checks each event and keeps
// the state of every alert by dedup key.
type pdServer struct {
	t      *testing.T
	mu     sync.Mutex
	events []map[string]any
	open   map[string]bool // dedup key → triggered and not resolved
	down   bool
}

func (s *pdServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var ev map[string]any
	body, _ := io.ReadAll(r.Body)
	if r.Method != "POST" || r.URL.Path != "/v2/enqueue" || json.Unmarshal(body, &ev) != nil {
		s.t.Errorf("pagerduty: bad request %s %s %s", r.Method, r.URL.Path, body)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key, _ := ev["dedup_key"].(string)
	if ev["routing_key"] != "pd-routing-key" || key == "" {
		s.t.Errorf("pagerduty: routing key or dedup key wrong: %s", body)
	}
	switch ev["event_action"] {
	case "trigger":
		s.open[key] = true
	case "resolve":
		delete(s.open, key)
	default:
		s.t.Errorf("pagerduty: event_action %v", ev["event_action"])
	}
	s.events = append(s.events, ev)
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"status":"success","message":"Event processed","dedup_key":%q}`, key)
}

func (s *pdServer) actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.events {
		out = append(out, e["event_action"].(string))
	}
	return out
}

// jiraServer emulates the Jira Cloud REST v2 calls Warden makes: search
// by label, create, comment, status, transitions.
type jiraServer struct {
	t        *testing.T
	mu       sync.Mutex
	issues   map[string]*jiraIssue
	comments map[string]int
}

type jiraIssue struct {
	labels []string
	done   bool
}

func (s *jiraServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != "bot@example.com" || p != "jira-token" {
		s.t.Errorf("jira: auth %q", r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	status := func(done bool) map[string]any {
		if done {
			return map[string]any{"name": "Done", "statusCategory": map[string]any{"key": "done"}}
		}
		return map[string]any{"name": "To Do", "statusCategory": map[string]any{"key": "new"}}
	}
	path := r.URL.Path
	switch {
	case r.Method == "POST" && path == "/rest/api/2/search/jql":
		jql, _ := body["jql"].(string)
		issues := []any{}
		for key, is := range s.issues {
			for _, l := range is.labels {
				if strings.Contains(jql, `"`+l+`"`) {
					issues = append(issues, map[string]any{"id": "1", "key": key, "fields": map[string]any{"status": status(is.done)}})
				}
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"issues": issues})
	case r.Method == "POST" && path == "/rest/api/2/issue":
		f, _ := body["fields"].(map[string]any)
		if f["summary"] == nil || f["project"] == nil || f["issuetype"] == nil {
			s.t.Errorf("jira: create without required fields: %v", body)
		}
		var labels []string
		for _, l := range f["labels"].([]any) {
			labels = append(labels, l.(string))
		}
		key := fmt.Sprintf("SEC-%d", len(s.issues)+1)
		s.issues[key] = &jiraIssue{labels: labels}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":"1","key":%q}`, key)
	case strings.HasPrefix(path, "/rest/api/2/issue/"):
		rest := strings.TrimPrefix(path, "/rest/api/2/issue/")
		key, sub, _ := strings.Cut(rest, "/")
		is := s.issues[key]
		if is == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		switch {
		case sub == "comment" && r.Method == "POST":
			s.comments[key]++
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"c"}`)
		case sub == "transitions" && r.Method == "GET":
			fmt.Fprint(w, `{"transitions":[{"id":"31","name":"Done","to":{"name":"Done","statusCategory":{"key":"done"}}},{"id":"11","name":"Reopen","to":{"name":"To Do","statusCategory":{"key":"new"}}}]}`)
		case sub == "transitions" && r.Method == "POST":
			tr, _ := body["transition"].(map[string]any)
			is.done = tr["id"] == "31"
			w.WriteHeader(http.StatusNoContent)
		case sub == "" && r.Method == "GET":
			_ = json.NewEncoder(w).Encode(map[string]any{"id": "1", "key": key, "fields": map[string]any{"status": status(is.done)}})
		default:
			s.t.Errorf("jira: unexpected %s %s", r.Method, path)
			w.WriteHeader(http.StatusNotFound)
		}
	default:
		s.t.Errorf("jira: unexpected %s %s", r.Method, path)
		w.WriteHeader(http.StatusNotFound)
	}
}

func writeRepo(t *testing.T, pdURL, jiraURL string) string {
	dir := t.TempDir()
	files := map[string]string{
		"warden.yaml": `version: 1
tracking:
  renotify_after: 15d
default:
  tier: 3
  notify: []
`,
		"accounts.yaml": `accounts:
  - {id: "111111111111", name: payments-prod, environment: prod, owner: alice@example.com}
`,
		"receivers.yaml": `receivers:
  - name: soc-pager
    type: pagerduty
    config: {routing_key: env:PD_KEY, url: "` + pdURL + `/v2/enqueue"}
  - name: security-jira
    type: jira
    config: {url: "` + jiraURL + `", project: SEC, user: bot@example.com, api_token: env:JIRA_TOKEN}
`,
		"rules/10.yaml": `rules:
  - id: guardduty-high
    match:
      finding: {ProductName: [GuardDuty]}
    tier: 3
    notify: [soc-pager, security-jira]
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// asff is one version of a GuardDuty finding in Security Hub.
func asff(updated time.Time, state string) []byte {
	return []byte(fmt.Sprintf(`{"SchemaVersion":"2018-10-08","Id":"arn:aws:guardduty:us-east-1:111111111111:detector/d1/finding/f1",
"ProductArn":"arn:aws:securityhub:us-east-1::product/aws/guardduty","ProductName":"GuardDuty","GeneratorId":"arn:aws:guardduty:us-east-1:111111111111:detector/d1",
"AwsAccountId":"111111111111","Region":"us-east-1","Types":["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"],
"CreatedAt":"2026-11-01T00:00:00Z","UpdatedAt":%q,"Severity":{"Label":"HIGH","Normalized":70},
"Title":"Command and Control server domain name queried by EC2 instance i-0a1b2c3d4e5f60718","Description":"<script>alert(1)</script> queried evil.example",
"Resources":[{"Type":"AwsEc2Instance","Id":"arn:aws:ec2:us-east-1:111111111111:instance/i-0a1b2c3d4e5f60718","Region":"us-east-1"}],
"RecordState":%q,"Workflow":{"Status":"NEW"}}`, updated.Format(time.RFC3339), state))
}

// TestNotificationLifecycle drives the whole act stage with a fake
// clock: decisions through the pipeline into a SQLite outbox, delivered
// by the dispatcher through the real PagerDuty and Jira receivers to
// local servers. A new finding notifies once; seen 50 times in a day it
// still notified once; still active after 15 days it notifies once more;
// resolved, the PagerDuty alert resolves and the Jira issue is done;
// reopened, both open again. A receiver that is down for a while gets
// every message once when it is back, across a restart.
func TestNotificationLifecycle(t *testing.T) {
	pd := &pdServer{t: t, open: map[string]bool{}}
	pdSrv := httptest.NewServer(pd)
	defer pdSrv.Close()
	js := &jiraServer{t: t, issues: map[string]*jiraIssue{}, comments: map[string]int{}}
	jiraSrv := httptest.NewServer(js)
	defer jiraSrv.Close()
	t.Setenv("PD_KEY", "pd-routing-key")
	t.Setenv("JIRA_TOKEN", "jira-token")
	dir := writeRepo(t, pdSrv.URL, jiraSrv.URL)
	ps, err := policy.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "state.db")
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	var st *store.SQLite
	var d *outbox.Dispatcher
	open := func() {
		st, err = store.OpenSQLite(ctx, dbPath)
		if err != nil {
			t.Fatal(err)
		}
		d, err = Dispatcher(Options{Policy: ps, Store: st, Clock: clock, HTTP: &http.Client{Timeout: 5 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		d.Backoff, d.MaxBackoff, d.Jitter = time.Minute, 10*time.Minute, func() float64 { return 0 }
	}
	open()
	defer func() { st.Close() }()
	feed := func(docs ...[]byte) {
		t.Helper()
		p := pipeline.New(pipeline.Options{Policy: ps, Store: st, Clock: clock})
		err := p.Feed(ctx, func(ctx context.Context, send func(source.Record) error) error {
			for i, doc := range docs {
				if err := send(source.Record{Data: doc, Origin: finding.Origin{Source: "test", Index: i}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deliver := func() outbox.Stats {
		t.Helper()
		s, err := d.RunDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	key := "arn:aws:guardduty:us-east-1:111111111111:detector/d1/finding/f1"
	pdKeys := func() []string {
		var out []string
		for k := range pd.open {
			out = append(out, k)
		}
		return out
	}

	// New: one PagerDuty trigger, one Jira issue.
	feed(asff(now, "ACTIVE"))
	deliver()
	if got := pd.actions(); len(got) != 1 || got[0] != "trigger" {
		t.Fatalf("after new: pagerduty events %v", got)
	}
	if len(js.issues) != 1 {
		t.Fatalf("after new: %d jira issues", len(js.issues))
	}
	// Seen 50 more times in the day: nothing more is sent.
	for i := 1; i <= 50; i++ {
		now = now.Add(25 * time.Minute)
		feed(asff(now, "ACTIVE"))
		deliver()
	}
	if got := pd.actions(); len(got) != 1 || len(js.issues) != 1 || js.comments["SEC-1"] != 0 {
		t.Fatalf("after 50 repeats: pagerduty %v, jira issues %d, comments %d", got, len(js.issues), js.comments["SEC-1"])
	}
	// Still active 15 days later: once more (a PagerDuty re-trigger of the
	// same dedup key, a Jira comment), then quiet again.
	now = now.Add(15 * 24 * time.Hour)
	feed(asff(now, "ACTIVE"))
	deliver()
	now = now.Add(time.Hour)
	feed(asff(now, "ACTIVE"))
	deliver()
	if got := pd.actions(); len(got) != 2 || got[1] != "trigger" || len(pd.open) != 1 {
		t.Fatalf("after 15 days: pagerduty %v open %v", got, pdKeys())
	}
	if len(js.issues) != 1 || js.comments["SEC-1"] != 1 {
		t.Fatalf("after 15 days: jira issues %d comments %d", len(js.issues), js.comments["SEC-1"])
	}
	// Resolved: the alert resolves and the issue is done. PagerDuty is
	// down at first; the message waits and arrives once, after a restart.
	pd.mu.Lock()
	pd.down = true
	pd.mu.Unlock()
	now = now.Add(time.Hour)
	feed(asff(now, "ARCHIVED"))
	s := deliver()
	if s.Retried != 1 || s.Messages != 1 {
		t.Fatalf("pagerduty down: %+v", s)
	}
	if !js.issues["SEC-1"].done {
		t.Fatal("jira issue not done after resolve")
	}
	st.Close()
	pd.mu.Lock()
	pd.down = false
	pd.mu.Unlock()
	open()
	now = now.Add(2 * time.Minute)
	deliver()
	if got := pd.actions(); len(got) != 3 || got[2] != "resolve" || len(pd.open) != 0 {
		t.Fatalf("after resolve: pagerduty %v open %v", got, pdKeys())
	}
	now = now.Add(time.Hour)
	deliver()
	if got := pd.actions(); len(got) != 3 {
		t.Fatalf("resolve sent twice: %v", got)
	}
	// Reopened: PagerDuty triggers again, Jira reopens the same issue.
	now = now.Add(24 * time.Hour)
	feed(asff(now, "ACTIVE"))
	deliver()
	if got := pd.actions(); len(got) != 4 || got[3] != "trigger" || !pd.open[pd.events[0]["dedup_key"].(string)] {
		t.Fatalf("after reopen: pagerduty %v", got)
	}
	if len(js.issues) != 1 || js.issues["SEC-1"].done {
		t.Fatalf("after reopen: jira issues %d, SEC-1 done %v", len(js.issues), js.issues["SEC-1"].done)
	}
	_ = key
	// Every delivery is in the audit chain, which verifies.
	jobs, err := st.Jobs(ctx, store.JobFilter{Kind: store.JobNotify, Status: []store.JobStatus{store.JobPending, store.JobDead}})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("open or dead outbox jobs left: %d %v", len(jobs), err)
	}
}

package jira

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/notifytest"
	"github.com/wardenhq/warden/internal/notify/tmpl"
	"github.com/wardenhq/warden/internal/secret"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	botUser  = "warden-bot@example.com"
	apiToken = "ATATT3xFfGF0-very-secret-token"
	patToken = "NjQ0ODk2-pat-secret"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func cloudSettings(url string) map[string]any {
	return map[string]any{
		"url": url, "project": "SEC", "user": botUser, "api_token": "env:JIRA_TOKEN",
		"labels": []any{"security", "warden"}, "components": []any{"Cloud"},
		"priority": map[string]any{"CRITICAL": "Highest", "HIGH": "High"},
		"assignee": "{owner}",
	}
}

type env struct {
	f   *fakeJira
	r   notify.Receiver
	log *bytes.Buffer
}

func newEnv(t *testing.T, cloud bool, settings func(url string) map[string]any) *env {
	t.Helper()
	auth := cloudAuth(botUser, apiToken)
	if !cloud {
		auth = "Bearer " + patToken
	}
	f := newFakeJira(t, cloud, auth)
	f.users["alice@example.com"] = "5b10ac8d82e05b22cc7d4ef5"
	tpl, err := tmpl.Default()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"JIRA_TOKEN": apiToken, "JIRA_PAT": patToken, "WRONG": "nope-" + apiToken}
	var buf bytes.Buffer
	r, err := notify.New(notify.Config{
		Name: "security-jira", Type: Type, Settings: settings(f.srv.URL),
		Secrets:   secret.New(secret.Options{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}),
		HTTP:      f.srv.Client(),
		Templates: tpl,
		Log:       slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range []string{apiToken, patToken} {
			if strings.Contains(buf.String(), s) {
				t.Errorf("log contains a secret:\n%s", buf.String())
			}
		}
	})
	return &env{f: f, r: r, log: &buf}
}

func item(kind notify.Kind, fid string) notify.Item {
	return notify.Item{
		Kind: kind,
		Record: decide.Record{
			FindingID: fid, Product: "Security Hub", Format: finding.FormatASFF,
			Title: "S3 general purpose buckets should block public access", AccountID: "111122223333", Region: "eu-west-1",
			Severity: finding.SeverityHigh, ResourceID: "arn:aws:s3:::payments-exports", Verdict: decide.Notify,
			Reason: "matched rule s3-public-bucket", Tier: 3, MatchedRules: []string{"s3-public-bucket", "route-payments"},
			Enrichment: enrich.Context{AccountName: "payments-prod", Environment: "prod", Owner: "alice@example.com"},
			Actions: []decide.Action{
				{Type: decide.ActionNotify, Receiver: "security-jira", Mode: "auto", Status: decide.StatusPlanned},
				{Type: decide.ActionRemediate, Playbook: "s3-block-public-access", Mode: "ticket", Status: decide.StatusPlanned},
			},
			FirstSeen: t0.Add(-26 * time.Hour), NotifyCount: 1, DecidedAt: t0,
		},
		Description:     "This AWS control checks whether S3 general purpose buckets block public access.",
		ResourceType:    "AwsS3Bucket",
		RemediationText: "Turn on Block Public Access for the bucket.",
		RemediationURL:  "https://docs.aws.amazon.com/console/securityhub/S3.8/remediation",
		ConsoleURL:      "https://eu-west-1.console.aws.amazon.com/securityhub/home?region=eu-west-1#/findings?search=Id%3Dx",
	}
}

func message(kind notify.Kind, refs map[string]string, items ...notify.Item) *notify.Message {
	return &notify.Message{Receiver: "security-jira", Kind: kind, Items: items, Refs: refs, Now: t0}
}

func send(t *testing.T, e *env, msg *notify.Message) notify.Result {
	t.Helper()
	res, err := e.r.Send(context.Background(), msg)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return res
}

const fid = "arn:aws:securityhub:eu-west-1:111122223333:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.8/finding/0f1e"

func TestCreate(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	res := send(t, e, message(notify.KindFiring, nil, item(notify.KindFiring, fid)))
	if res.Refs[fid] != "SEC-1" || !strings.Contains(res.Detail, "SEC-1 created") {
		t.Fatalf("result %+v", res)
	}
	want := []string{"POST /rest/api/2/search/jql", "GET /rest/api/2/user/search", "POST /rest/api/2/issue"}
	if got := e.f.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	is := e.f.issue("SEC-1")
	fl := is.Fields
	if got := fl["summary"]; got != "[HIGH] payments-prod: S3 general purpose buckets should block public access" {
		t.Errorf("summary %q", got)
	}
	if got := fl["labels"]; !reflect.DeepEqual(got, []any{"security", "warden", Label(fid)}) {
		t.Errorf("labels %v", got)
	}
	if got := fl["priority"]; !reflect.DeepEqual(got, map[string]any{"name": "High"}) {
		t.Errorf("priority %v", got)
	}
	if got := fl["assignee"]; !reflect.DeepEqual(got, map[string]any{"accountId": "5b10ac8d82e05b22cc7d4ef5"}) {
		t.Errorf("assignee %v", got)
	}
	if got := fl["components"]; !reflect.DeepEqual(got, []any{map[string]any{"name": "Cloud"}}) {
		t.Errorf("components %v", got)
	}
	desc := fl["description"].(string)
	for _, s := range []string{
		"||Account|111122223333 (payments\\-prod)|",
		"||Owner|alice\\@example.com|",
		"||First seen|2026-03-01 07:00 UTC (26 hours ago)|",
		"||Times notified|1|",
		"[Remediation guide|https://docs.aws.amazon.com/console/securityhub/S3.8/remediation]",
		"[Open the finding in the AWS console|https://eu-west-1.console.aws.amazon.com/securityhub/home?region=eu-west-1#/findings?search=Id%3Dx]",
	} {
		if !strings.Contains(desc, s) {
			t.Errorf("description lacks %q:\n%s", s, desc)
		}
	}
}

func TestLabel(t *testing.T) {
	// printf f-1 | sha256sum
	if got := Label("f-1"); got != "warden-3defc6e632408e5a" {
		t.Fatalf("Label = %q", got)
	}
}

// TestFindByLabelInsteadOfDuplicate: the issue was opened by a send
// whose result was lost (a crash before the dispatcher stored the ref).
func TestFindByLabelInsteadOfDuplicate(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	key := e.f.add([]string{Label(fid)}, "In Progress")
	res := send(t, e, message(notify.KindFiring, nil, item(notify.KindFiring, fid)))
	if res.Refs[fid] != key || !strings.Contains(res.Detail, "already open") {
		t.Fatalf("result %+v", res)
	}
	if got := e.f.Calls(); !reflect.DeepEqual(got, []string{"POST /rest/api/2/search/jql"}) {
		t.Fatalf("calls %v", got)
	}
	if n := len(e.f.issue(key).Comments); n != 0 {
		t.Fatalf("%d comments on a retried send", n)
	}
}

func TestRenotifyComments(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	key := e.f.add([]string{Label(fid)}, "To Do")
	it := item(notify.KindRenotify, fid)
	it.Record.NotifyCount = 3
	res := send(t, e, message(notify.KindRenotify, map[string]string{fid: key}, it))
	if res.Refs[fid] != key {
		t.Fatalf("refs %v", res.Refs)
	}
	if got := e.f.Calls(); !reflect.DeepEqual(got, []string{"POST /rest/api/2/issue/SEC-1/comment"}) {
		t.Fatalf("calls %v", got)
	}
	c := e.f.issue(key).Comments
	if len(c) != 1 || !strings.HasPrefix(c[0], "*Still open*: the finding is still active, first seen 2026-03-01 07:00 UTC; notified 3 times.") {
		t.Fatalf("comments %q", c)
	}
}

func TestResolveTransitions(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	key := e.f.add([]string{Label(fid)}, "In Progress")
	it := item(notify.KindResolved, fid)
	it.Record.Verdict, it.Record.Reason = decide.Resolved, "Compliance PASSED"
	res := send(t, e, message(notify.KindResolved, map[string]string{fid: key}, it))
	if !strings.Contains(res.Detail, "SEC-1 moved by Done") {
		t.Fatalf("detail %q", res.Detail)
	}
	want := []string{"GET /rest/api/2/issue/SEC-1", "GET /rest/api/2/issue/SEC-1/transitions", "POST /rest/api/2/issue/SEC-1/transitions", "POST /rest/api/2/issue/SEC-1/comment"}
	if got := e.f.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	is := e.f.issue(key)
	if is.Status != "Done" || len(is.Comments) != 1 || !strings.HasPrefix(is.Comments[0], "*Resolved*: Warden no longer sees this finding as active (Compliance PASSED).") {
		t.Fatalf("status %s comments %q", is.Status, is.Comments)
	}

	// Already done: no transition, the comment only.
	res = send(t, e, message(notify.KindResolved, map[string]string{fid: key}, it))
	if !strings.Contains(res.Detail, "already Done") {
		t.Fatalf("detail %q", res.Detail)
	}
	calls := e.f.Calls()[len(want):]
	if !reflect.DeepEqual(calls, []string{"GET /rest/api/2/issue/SEC-1", "POST /rest/api/2/issue/SEC-1/comment"}) {
		t.Fatalf("second resolve calls %v", calls)
	}

	// No issue at all: nothing to do.
	res = send(t, e, message(notify.KindResolved, nil, item(notify.KindResolved, "other")))
	if res.Detail != "no issue to resolve" || len(res.Refs) != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestReopen(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noReopen bool
		settings map[string]any
		want     string
		status   string
	}{
		{name: "Reopen", want: "SEC-1 reopened by Reopen", status: "To Do"},
		{name: "fallback To Do", noReopen: true, want: "SEC-1 reopened by To Do", status: "To Do"},
		{name: "configured missing", settings: map[string]any{"reopen_transition": "Back to work"}, want: `SEC-1 left Done: no transition Back to work (offered: Reopen)`, status: "Done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, true, func(u string) map[string]any {
				s := cloudSettings(u)
				for k, v := range tc.settings {
					s[k] = v
				}
				return s
			})
			e.f.noReopen = tc.noReopen
			key := e.f.add([]string{Label(fid)}, "Done")
			it := item(notify.KindFiring, fid)
			it.Record.Verdict, it.Record.Reason = decide.Reopened, "RecordState ACTIVE again"
			res := send(t, e, message(notify.KindFiring, map[string]string{fid: key}, it))
			if res.Detail != tc.want || res.Refs[fid] != key {
				t.Fatalf("result %+v, want detail %q", res, tc.want)
			}
			is := e.f.issue(key)
			if is.Status != tc.status || len(is.Comments) != 1 || !strings.HasPrefix(is.Comments[0], "*Reopened*: the finding is active again (RecordState ACTIVE again).") {
				t.Fatalf("status %s comments %q", is.Status, is.Comments)
			}
		})
	}
}

// TestFoundDoneIssueReopens: a firing finding whose old issue (found by
// label, no ref kept) was closed gets it back rather than a new one.
func TestFoundDoneIssueReopens(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	key := e.f.add([]string{Label(fid)}, "Done")
	res := send(t, e, message(notify.KindFiring, nil, item(notify.KindFiring, fid)))
	if res.Refs[fid] != key || res.Detail != "SEC-1 reopened by Reopen" || e.f.issue(key).Status != "To Do" {
		t.Fatalf("result %+v status %s", res, e.f.issue(key).Status)
	}
}

func TestGroupedMessage(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	old := e.f.add([]string{Label("f-3")}, "To Do")
	a, b, c := item(notify.KindFiring, "f-1"), item(notify.KindFiring, "f-2"), item(notify.KindResolved, "f-3")
	b.Record.Severity = finding.SeverityCritical
	res := send(t, e, message(notify.KindFiring, map[string]string{"f-3": old}, a, b, c))
	want := map[string]string{"f-1": "SEC-2", "f-2": "SEC-3", "f-3": old}
	if !reflect.DeepEqual(res.Refs, want) {
		t.Fatalf("refs %v, want %v", res.Refs, want)
	}
	if p := e.f.issue("SEC-3").Fields["priority"]; !reflect.DeepEqual(p, map[string]any{"name": "Highest"}) {
		t.Errorf("critical priority %v", p)
	}
	if e.f.issue(old).Status != "Done" {
		t.Errorf("f-3 not resolved")
	}
}

// TestDeletedIssue: the issue a ref names was deleted; the finding gets a
// new one.
func TestDeletedIssue(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	res := send(t, e, message(notify.KindRenotify, map[string]string{fid: "SEC-99"}, item(notify.KindRenotify, fid)))
	if res.Refs[fid] != "SEC-1" {
		t.Fatalf("refs %v", res.Refs)
	}
	want := []string{"POST /rest/api/2/issue/SEC-99/comment", "POST /rest/api/2/search/jql", "GET /rest/api/2/user/search", "POST /rest/api/2/issue"}
	if got := e.f.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

func TestOptionalFieldRejected(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	delete(e.f.priorities, "High")
	res := send(t, e, message(notify.KindFiring, nil, item(notify.KindFiring, fid)))
	if res.Refs[fid] != "SEC-1" || !strings.Contains(res.Detail, "SEC-1 created without priority") {
		t.Fatalf("result %+v", res)
	}
	if _, ok := e.f.issue("SEC-1").Fields["priority"]; ok {
		t.Fatal("priority kept")
	}
}

func TestHostileText(t *testing.T) {
	e := newEnv(t, true, cloudSettings)
	it := item(notify.KindFiring, "evil-1")
	it.Record.Title = "Bucket [click|http://evil] {code}x{code} !x.png!"
	it.Record.Enrichment.AccountName = "prod\nh1. fake heading"
	it.Description = "line one\nh1. Injected heading\n{noformat}\n[~admin] *bold* -strike- {color:red}red{color} \\\\ break\n|| fake | table ||\n!https://evil/x.png|width=1!"
	it.RemediationText = "Run [this|javascript:alert(1)] now"
	it.RemediationURL = "javascript:alert(1)"
	it.ConsoleURL = "https://evil.example/x]|[y"
	it.Record.ResourceID = "arn:aws:s3:::b|x]"
	send(t, e, message(notify.KindFiring, nil, it))
	is := e.f.issue("SEC-1")
	desc, summary := is.Fields["description"].(string), is.Fields["summary"].(string)
	if summary != "[HIGH] prod h1. fake heading: Bucket [click|http://evil] {code}x{code} !x.png!" {
		t.Errorf("summary %q (plain text, one line)", summary)
	}
	for _, raw := range []string{"[click|", "{code}", "!x.png!", "{noformat}", "[~admin]", "*bold*", "{color:red}", "[this|", "|| fake", "|javascript:", "\nh1. ", "b|x]", "x]|[y"} {
		for i := 0; ; {
			j := strings.Index(desc[i:], raw)
			if j < 0 {
				break
			}
			if i+j == 0 || desc[i+j-1] != '\\' {
				t.Errorf("description contains %q unescaped", raw)
			}
			i += j + 1
		}
	}
	golden(t, "hostile-description.golden", desc)
}

func TestDataCenter(t *testing.T) {
	e := newEnv(t, false, func(u string) map[string]any {
		return map[string]any{"url": u + "/", "project": "SEC", "token": "env:JIRA_PAT", "assignee": "{owner}"}
	})
	res := send(t, e, message(notify.KindFiring, nil, item(notify.KindFiring, fid)))
	if res.Refs[fid] != "SEC-1" {
		t.Fatalf("refs %v", res.Refs)
	}
	if got := e.f.Calls(); !reflect.DeepEqual(got, []string{"POST /rest/api/2/search", "POST /rest/api/2/issue"}) {
		t.Fatalf("calls %v", got)
	}
	if a := e.f.issue("SEC-1").Fields["assignee"]; !reflect.DeepEqual(a, map[string]any{"name": "alice@example.com"}) {
		t.Fatalf("assignee %v", a)
	}
	if got := send(t, e, message(notify.KindTest, nil)); got.Detail != "project SEC (Security) is reachable" {
		t.Fatalf("test detail %q", got.Detail)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		settings  map[string]any
		inject    map[string]fakeReply
		kind      notify.Kind
		permanent bool
		delay     time.Duration
		contains  string
	}{
		{name: "wrong token", settings: map[string]any{"api_token": "env:WRONG"}, permanent: true, contains: "HTTP 401: You are not authenticated"},
		{name: "forbidden", inject: map[string]fakeReply{"POST /rest/api/2/issue": {status: 403, body: `{"errorMessages":["You do not have permission to create issues in this project."]}`}},
			permanent: true, contains: "HTTP 403: You do not have permission"},
		{name: "unknown project", settings: map[string]any{"project": "NOPE"}, kind: notify.KindTest, permanent: true, contains: "HTTP 404: No project could be found with key 'NOPE'"},
		{name: "rate limited", inject: map[string]fakeReply{"POST /rest/api/2/search/jql": {status: 429, header: map[string]string{"Retry-After": "7"}}},
			delay: 7 * time.Second, contains: "HTTP 429"},
		{name: "unavailable", inject: map[string]fakeReply{"POST /rest/api/2/issue": {status: 503, body: "<html>down</html>"}}, contains: "HTTP 503"},
		{name: "missing secret", settings: map[string]any{"api_token": "env:UNSET"}, contains: "environment variable UNSET is not set"},
		{name: "digest", kind: notify.KindDigest, permanent: true, contains: "digests are not filed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, true, func(u string) map[string]any {
				s := cloudSettings(u)
				for k, v := range tc.settings {
					s[k] = v
				}
				return s
			})
			for call, r := range tc.inject {
				e.f.fail(call, r)
			}
			kind := tc.kind
			if kind == "" {
				kind = notify.KindFiring
			}
			_, err := e.r.Send(context.Background(), message(kind, nil, item(kind, fid)))
			if err == nil || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("err = %v, want %q", err, tc.contains)
			}
			if notify.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v", !tc.permanent, tc.permanent)
			}
			if d, _ := notify.RetryDelay(err); d != tc.delay {
				t.Errorf("retry delay %v, want %v", d, tc.delay)
			}
			for _, s := range []string{apiToken, patToken, "nope-"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks a secret: %v", err)
				}
			}
		})
	}
}

func TestCombine(t *testing.T) {
	perm := notify.Permanent(errString("bad"))
	wait := notify.RetryAfter(errString("slow"), 5*time.Second)
	plain := errString("down")
	for _, tc := range []struct {
		errs      []error
		permanent bool
		delay     time.Duration
	}{
		{[]error{perm, perm}, true, 0},
		{[]error{perm, plain}, false, 0},
		{[]error{perm, wait}, false, 5 * time.Second},
	} {
		err := combine(tc.errs)
		d, _ := notify.RetryDelay(err)
		if notify.IsPermanent(err) != tc.permanent || d != tc.delay {
			t.Errorf("combine(%v): permanent %v delay %v", tc.errs, notify.IsPermanent(err), d)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]any
		want     []string
	}{
		{name: "empty", settings: map[string]any{}, want: []string{"url: required", "project: required", "user: required", "api_token: required"}},
		{name: "inline token", settings: map[string]any{"url": "https://x.atlassian.net", "project": "SEC", "user": "a@b", "api_token": "ATATT-inline"},
			want: []string{"api_token: must be a reference"}},
		{name: "both auths", settings: map[string]any{"url": "https://x", "project": "SEC", "user": "a@b", "api_token": "env:A", "token": "env:B"},
			want: []string{"token: is the Data Center setting"}},
		{name: "bad values", settings: map[string]any{"url": "ftp://x", "project": "SEC", "token": "env:T", "labels": []any{"has space"},
			"priority": map[string]any{"URGENT": "Highest"}, "assignee": "{nobody}", "colour": "red"},
			want: []string{"colour: unknown setting", `url: "ftp://x" is not`, `labels: "has space"`, `priority: "URGENT" is not a severity`, `assignee: unknown token "{nobody}"`}},
		{name: "types", settings: map[string]any{"url": 3, "project": "SEC", "token": "env:T", "labels": 5}, want: []string{"url: want a string, got int", "labels: want a list of strings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(notify.Config{Name: "j", Type: Type, Settings: tc.settings, Templates: &tmpl.Set{}})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "ATATT-inline") {
				t.Errorf("error shows the inline token")
			}
		})
	}
}

func TestCommentKinds(t *testing.T) {
	for _, tc := range []struct {
		kind notify.Kind
		edit func(it *notify.Item)
		want string
	}{
		{kind: notify.KindEscalated, edit: func(it *notify.Item) { it.Record.NotifyCount = 4 },
			want: "*Escalated*: the finding is still active after 4 notifications, first seen 2026-03-01 07:00 UTC.\n* Severity: HIGH\n* Decision: notify, tier 3\n* ask the owner to run s3\\-block\\-public\\-access; not run automatically\n* [Open the finding in the AWS console|https://eu-west-1.console.aws.amazon.com/securityhub/home?region=eu-west-1#/findings?search=Id%3Dx]"},
		{kind: notify.KindAction, edit: func(it *notify.Item) {
			it.Action = &notify.ActionInfo{JobID: 7, Playbook: "s3-block-public-access", Mode: "approval", Status: "waiting", Summary: "block [public] access", ApproveCommand: "warden approve 7"}
		}, want: "*Remediation* s3\\-block\\-public\\-access: waiting for approval \\(approval\\). block \\[public\\] access. Approve with: warden approve 7\n"},
		{kind: notify.KindFiring, edit: func(it *notify.Item) {
			it.Record.Verdict, it.Record.Reason = decide.Escalate, "severity rose to CRITICAL"
		},
			want: "*Updated*: escalate (severity rose to CRITICAL).\n"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			e := newEnv(t, true, cloudSettings)
			key := e.f.add([]string{Label(fid)}, "To Do")
			it := item(tc.kind, fid)
			tc.edit(&it)
			res := send(t, e, message(tc.kind, map[string]string{fid: key}, it))
			c := e.f.issue(key).Comments
			if res.Detail != key+" commented" || len(c) != 1 || !strings.HasPrefix(c[0], tc.want) {
				t.Fatalf("detail %q comments %q\nwant prefix %q", res.Detail, c, tc.want)
			}
		})
	}
}

// TestTemplatesTolerateEmpty: the parts render (to nothing useful, but
// without an error) for a message without items.
func TestTemplatesTolerateEmpty(t *testing.T) {
	tpl, err := tmpl.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"summary", "description", "comment"} {
		if _, err := tpl.Render("j", Type, part, &notify.Message{Kind: notify.KindFiring}); err != nil {
			t.Errorf("%s: %v", part, err)
		}
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	notifytest.Golden(t, filepath.Join("testdata", name), []byte(got), *update)
}

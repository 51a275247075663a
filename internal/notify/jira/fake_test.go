package jira

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// fakeJira emulates the parts of Jira's REST API v2 the receiver uses,
// checking requests the way Jira documents them: authentication, JSON
// bodies, required fields, field limits, the search endpoint of the
// deployment, and the workflow's transitions.
type fakeJira struct {
	t     *testing.T
	srv   *httptest.Server
	cloud bool
	auth  string // the Authorization header Jira accepts

	mu         sync.Mutex
	issues     map[string]*fakeIssue
	order      []string
	calls      []string // "METHOD path"
	priorities map[string]bool
	users      map[string]string // email → accountId (Cloud)
	noReopen   bool              // the workflow has no "Reopen" transition
	inject     map[string][]fakeReply
}

type fakeIssue struct {
	Key      string
	Fields   map[string]any
	Status   string // To Do, In Progress, Done
	Comments []string
}

type fakeReply struct {
	status int
	header map[string]string
	body   string
}

func newFakeJira(t *testing.T, cloud bool, auth string) *fakeJira {
	f := &fakeJira{t: t, cloud: cloud, auth: auth, issues: map[string]*fakeIssue{},
		priorities: map[string]bool{"Highest": true, "High": true, "Medium": true, "Low": true, "Lowest": true},
		users:      map[string]string{}, inject: map[string][]fakeReply{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func cloudAuth(user, token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
}

// fail makes the next call to "METHOD path" answer with r.
func (f *fakeJira) fail(call string, r fakeReply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject[call] = append(f.inject[call], r)
}

func (f *fakeJira) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeJira) issue(key string) *fakeIssue {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issues[key]
}

// add puts an issue in the project directly (made by an earlier run).
func (f *fakeJira) add(labels []string, status string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := fmt.Sprintf("SEC-%d", len(f.order)+1)
	ls := make([]any, len(labels))
	for i, l := range labels {
		ls[i] = l
	}
	f.issues[key] = &fakeIssue{Key: key, Status: status, Fields: map[string]any{"labels": ls, "summary": "earlier"}}
	f.order = append(f.order, key)
	return key
}

func category(status string) string {
	switch status {
	case "Done":
		return "done"
	case "In Progress":
		return "indeterminate"
	}
	return "new"
}

func statusJSON(s string) map[string]any {
	return map[string]any{"name": s, "statusCategory": map[string]any{"key": category(s)}}
}

var (
	issueRE = regexp.MustCompile(`^/rest/api/2/issue/([A-Z]+-[0-9]+)(/comment|/transitions)?$`)
	jqlRE   = regexp.MustCompile(`^project = "([^"]+)" AND labels = "([^"]+)" ORDER BY created ASC$`)
)

func (f *fakeJira) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := r.Method + " " + r.URL.Path
	f.calls = append(f.calls, call)
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if v != nil {
			_ = json.NewEncoder(w).Encode(v)
		}
	}
	bad := func(status int, field, msg string) {
		if field == "" {
			reply(status, map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{}})
			return
		}
		reply(status, map[string]any{"errorMessages": []string{}, "errors": map[string]string{field: msg}})
	}
	if r.Header.Get("Authorization") != f.auth {
		bad(http.StatusUnauthorized, "", "You are not authenticated. Authentication required to perform this operation.")
		return
	}
	if q := f.inject[call]; len(q) > 0 {
		f.inject[call] = q[1:]
		for k, v := range q[0].header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(q[0].status)
		_, _ = io.WriteString(w, q[0].body)
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			bad(http.StatusUnsupportedMediaType, "", "Content-Type must be application/json, got "+ct)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			bad(http.StatusBadRequest, "", "Unexpected character: "+err.Error())
			return
		}
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/rest/api/2/project/SEC":
		reply(200, map[string]any{"id": "10000", "key": "SEC", "name": "Security"})
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/rest/api/2/project/"):
		bad(404, "", "No project could be found with key '"+strings.TrimPrefix(r.URL.Path, "/rest/api/2/project/")+"'.")
	case r.Method == "POST" && r.URL.Path == "/rest/api/2/search/jql" && !f.cloud,
		r.Method == "POST" && r.URL.Path == "/rest/api/2/search" && f.cloud:
		if f.cloud {
			bad(http.StatusGone, "", "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.")
		} else {
			bad(http.StatusNotFound, "", "null for uri")
		}
	case r.Method == "POST" && (r.URL.Path == "/rest/api/2/search" || r.URL.Path == "/rest/api/2/search/jql"):
		f.search(body, reply, bad)
	case r.Method == "POST" && r.URL.Path == "/rest/api/2/issue":
		f.create(body, reply, bad)
	case r.Method == "GET" && r.URL.Path == "/rest/api/2/user/search" && f.cloud:
		var out []map[string]string
		if id, ok := f.users[r.URL.Query().Get("query")]; ok {
			out = append(out, map[string]string{"accountId": id})
		}
		reply(200, out)
	case issueRE.MatchString(r.URL.Path):
		m := issueRE.FindStringSubmatch(r.URL.Path)
		is, ok := f.issues[m[1]]
		if !ok {
			bad(404, "", "Issue does not exist or you do not have permission to see it.")
			return
		}
		f.issueCall(r, m[2], is, body, reply, bad)
	default:
		bad(404, "", "no route for "+call)
	}
}

func (f *fakeJira) search(body map[string]any, reply func(int, any), bad func(int, string, string)) {
	jql, _ := body["jql"].(string)
	m := jqlRE.FindStringSubmatch(jql)
	if m == nil {
		bad(400, "", "Error in the JQL Query: "+jql)
		return
	}
	if m[1] != "SEC" {
		bad(400, "", "The value '"+m[1]+"' does not exist for the field 'project'.")
		return
	}
	issues := []any{}
	for _, k := range f.order {
		is := f.issues[k]
		ls, _ := is.Fields["labels"].([]any)
		for _, l := range ls {
			if l == m[2] {
				issues = append(issues, map[string]any{"id": "1" + k[4:], "key": k, "fields": map[string]any{"status": statusJSON(is.Status)}})
				break
			}
		}
	}
	if max, ok := body["maxResults"].(float64); ok && len(issues) > int(max) {
		issues = issues[:int(max)]
	}
	reply(200, map[string]any{"issues": issues})
}

func (f *fakeJira) create(body map[string]any, reply func(int, any), bad func(int, string, string)) {
	fields, _ := body["fields"].(map[string]any)
	if fields == nil {
		bad(400, "", "fields are required")
		return
	}
	if p, _ := fields["project"].(map[string]any); p == nil || p["key"] != "SEC" {
		bad(400, "project", "valid project is required")
		return
	}
	if it, _ := fields["issuetype"].(map[string]any); it == nil || it["name"] != "Task" {
		bad(400, "issuetype", "valid issue type is required")
		return
	}
	s, _ := fields["summary"].(string)
	switch {
	case s == "":
		bad(400, "summary", "You must specify a summary of the issue.")
		return
	case utf8.RuneCountInString(s) > 255:
		bad(400, "summary", "Summary must be less than 255 characters.")
		return
	case strings.ContainsAny(s, "\r\n"):
		bad(400, "summary", "The summary is invalid because it contains newline characters.")
		return
	}
	if d, ok := fields["description"].(string); !ok || utf8.RuneCountInString(d) > 32767 {
		bad(400, "description", "description must be a string of at most 32767 characters")
		return
	}
	if ls, ok := fields["labels"].([]any); ok {
		for _, l := range ls {
			if s, _ := l.(string); s == "" || strings.ContainsAny(s, " \t") {
				bad(400, "labels", "The label '"+fmt.Sprint(l)+"' contains spaces which is invalid.")
				return
			}
		}
	}
	if p, ok := fields["priority"].(map[string]any); ok {
		if n, _ := p["name"].(string); !f.priorities[n] {
			bad(400, "priority", "Specify a valid value for priority")
			return
		}
	}
	if a, ok := fields["assignee"].(map[string]any); ok {
		if _, hasID := a["accountId"]; f.cloud && !hasID {
			bad(400, "assignee", "Specify the user by accountId")
			return
		}
		if _, hasName := a["name"]; !f.cloud && !hasName {
			bad(400, "assignee", "Specify the user by name")
			return
		}
	}
	key := fmt.Sprintf("SEC-%d", len(f.order)+1)
	f.issues[key] = &fakeIssue{Key: key, Fields: fields, Status: "To Do"}
	f.order = append(f.order, key)
	reply(201, map[string]any{"id": "1" + key[4:], "key": key, "self": f.srv.URL + "/rest/api/2/issue/1" + key[4:]})
}

// transitionsOf is the workflow: To Do ⇄ In Progress → Done → Reopen.
func (f *fakeJira) transitionsOf(status string) []map[string]any {
	tr := func(id, name, to string) map[string]any {
		return map[string]any{"id": id, "name": name, "to": statusJSON(to)}
	}
	if status == "Done" {
		if f.noReopen {
			return []map[string]any{tr("11", "To Do", "To Do")}
		}
		return []map[string]any{tr("41", "Reopen", "To Do")}
	}
	return []map[string]any{tr("21", "In Progress", "In Progress"), tr("31", "Done", "Done")}
}

func (f *fakeJira) issueCall(r *http.Request, sub string, is *fakeIssue, body map[string]any, reply func(int, any), bad func(int, string, string)) {
	switch {
	case r.Method == "GET" && sub == "":
		if r.URL.Query().Get("fields") != "status" {
			bad(400, "", "test server: ask for fields=status")
			return
		}
		reply(200, map[string]any{"key": is.Key, "fields": map[string]any{"status": statusJSON(is.Status)}})
	case r.Method == "POST" && sub == "/comment":
		b, _ := body["body"].(string)
		if strings.TrimSpace(b) == "" {
			bad(400, "comment", "Comment body can not be empty!")
			return
		}
		is.Comments = append(is.Comments, b)
		reply(201, map[string]any{"id": "1", "body": b})
	case r.Method == "GET" && sub == "/transitions":
		reply(200, map[string]any{"transitions": f.transitionsOf(is.Status)})
	case r.Method == "POST" && sub == "/transitions":
		t, _ := body["transition"].(map[string]any)
		id, _ := t["id"].(string)
		for _, tr := range f.transitionsOf(is.Status) {
			if tr["id"] == id {
				is.Status = tr["to"].(map[string]any)["name"].(string)
				w := reply
				w(204, nil)
				return
			}
		}
		bad(400, "", "Transition id '"+id+"' is not valid for this issue.")
	default:
		bad(405, "", "method not allowed")
	}
}

package playbook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/remediate"
)

const apiToken = "tok-3f9c2e7a1b"

// mapSecrets resolves references from a map.
type mapSecrets map[string]string

func (m mapSecrets) Resolve(_ context.Context, ref string) (string, error) {
	if v, ok := m[ref]; ok {
		return v, nil
	}
	return "", errors.New("secret " + ref + " not found")
}

// hostileTitle tries to break out of a JSON string.
const hostileTitle = "x\", \"isolate_all\": true, \"y\": \"\n</script>\u2028"

const containBody = `{"finding": {{json .FindingID}}, "title": {{.Title | json}}, "severity": {{json .Severity}},
 "hosts": [{{range $i, $r := .Resources}}{{if $i}}, {{end}}{{json $r.ID}}{{end}}]}`

// edrAPI is a third-party containment API as its documentation describes
// it: POST /v1/contain with a bearer token and a JSON body.
type edrAPI struct {
	mu       sync.Mutex
	statuses []int // answers in order; then 200
	bodies   []map[string]any
	calls    int
}

func (a *edrAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	if r.Header.Get("Authorization") != "Bearer "+apiToken {
		http.Error(w, `{"error":"bad token `+r.Header.Get("Authorization")+`"}`, http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/contain" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad request line "+r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"), http.StatusBadRequest)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "body is not JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	a.bodies = append(a.bodies, body)
	if len(a.statuses) > 0 {
		st := a.statuses[0]
		a.statuses = a.statuses[1:]
		if st == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		http.Error(w, `{"error":"busy"}`, st)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"job":"c-123","state":"queued"}`)
}

// fakeWait records back-off waits instead of sleeping.
type fakeWait struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeWait) wait(_ context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	return nil
}

func httpReq(url string, extra map[string]any) *remediate.Request {
	p := map[string]any{
		"url":     url,
		"headers": []any{"Authorization: Bearer {secret}", "X-Source: warden"},
		"secret":  "env:EDR_TOKEN",
		"body":    containBody,
	}
	for k, v := range extra {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return &remediate.Request{
		CaseID: "warden-42", Playbook: "http-request", FindingID: "arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/f1",
		Title: hostileTitle, Severity: finding.SeverityHigh, AccountID: "111122223333", Region: "eu-west-1",
		Resources: []finding.Resource{{Type: "AwsEc2Instance", ID: "i-0abc"}, {Type: "AwsEc2Instance", ID: "i-0def"}},
		Params:    p,
	}
}

func runHTTP(t *testing.T, env *remediate.Env, req *remediate.Request, fw *fakeWait) (*remediate.Result, error) {
	t.Helper()
	if env.Secrets == nil {
		env.Secrets = mapSecrets{"env:EDR_TOKEN": apiToken}
	}
	if env.Now == nil {
		env.Now = fixedNow
	}
	rec := remediate.NewRecorder("http-request", req.CaseID, env.DryRun, fixedNow)
	err := HTTPRequest{wait: fw.wait}.Run(context.Background(), env, req, rec)
	// The secret never reaches the record or the error.
	b, _ := json.Marshal(rec.Result())
	if strings.Contains(string(b), apiToken) {
		t.Errorf("the step record holds the secret: %s", b)
	}
	if err != nil && strings.Contains(err.Error(), apiToken) {
		t.Errorf("the error holds the secret: %v", err)
	}
	return rec.Result(), err
}

func TestHTTPRequest(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		extra    map[string]any
		dry      bool
		steps    []string
		err      string
		calls    int
		waits    []time.Duration
	}{
		{name: "contain: 2xx", steps: []string{"render-request=read", "send-request=changed"}, calls: 1},
		{name: "5xx and 429 are retried with back-off and Retry-After", statuses: []int{503, 429}, steps: []string{"render-request=read", "send-request=changed"}, calls: 3, waits: []time.Duration{500 * time.Millisecond, 2 * time.Second}},
		{name: "persistent 500 gives up after 4 attempts", statuses: []int{500, 500, 500, 500}, steps: []string{"render-request=read", "send-request=failed"}, err: "giving up after 4 attempts: POST", calls: 4, waits: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
		{name: "4xx is not retried", statuses: []int{422}, steps: []string{"render-request=read", "send-request=failed"}, err: "HTTP 422", calls: 1},
		{name: "dry run sends nothing", dry: true, steps: []string{"render-request=read", "send-request=would-change"}},
		{name: "unescaped value in body is refused", extra: map[string]any{"body": `{"title": "{{.Title}}"}`}, steps: []string{"render-request=failed"}, err: "writes a value without json"},
		{name: "unknown field in body", extra: map[string]any{"body": `{{json .Nope}}`}, steps: []string{"render-request=failed"}, err: "params.body: rendering"},
		{name: "wrong token is a 401", extra: map[string]any{"headers": []any{"Authorization: Bearer wrong"}, "secret": nil}, steps: []string{"render-request=read", "send-request=failed"}, err: "HTTP 401", calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &edrAPI{statuses: tt.statuses}
			srv := httptest.NewServer(api)
			defer srv.Close()
			fw := &fakeWait{}
			r, err := runHTTP(t, &remediate.Env{DryRun: tt.dry}, httpReq(srv.URL+"/v1/contain", tt.extra), fw)
			wantErr(t, err, tt.err, nil)
			wantSteps(t, r, tt.steps...)
			if api.calls != tt.calls {
				t.Errorf("%d calls, want %d", api.calls, tt.calls)
			}
			if !reflect.DeepEqual(fw.waits, tt.waits) {
				t.Errorf("waits %v, want %v", fw.waits, tt.waits)
			}
			if tt.calls > 0 && tt.err == "" {
				got := api.bodies[len(api.bodies)-1]
				want := map[string]any{"finding": "arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/f1", "title": hostileTitle, "severity": "HIGH", "hosts": []any{"i-0abc", "i-0def"}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("body %v, want %v", got, want)
				}
			}
		})
	}
}

func TestHTTPRequestRecordRedactsSecret(t *testing.T) {
	// The server echoes the key and the path back in an error.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "rejected "+r.Header.Get("X-Api-Key")+" for "+r.URL.Path, http.StatusForbidden)
	}))
	defer srv.Close()
	req := httpReq(srv.URL+"/hooks/{secret}/notify", map[string]any{"headers": []any{"X-Api-Key: {secret}", "X-Trace: abc"}})
	r, err := runHTTP(t, &remediate.Env{}, req, &fakeWait{})
	wantErr(t, err, "HTTP 403: rejected [redacted] for /hooks/[redacted]/notify", nil)
	send := r.Steps[1]
	rq, _ := send.Request.(map[string]any)
	if rq["url"] != srv.URL+"/hooks/{secret}/notify" {
		t.Errorf("recorded url %v", rq["url"])
	}
	if h := rq["headers"]; !reflect.DeepEqual(h, []string{"X-Api-Key: [redacted]", "X-Trace: abc"}) {
		t.Errorf("recorded headers %v", h)
	}
}

func TestHTTPRequestSecretInURLAndNoRedirects(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "https://attacker.example/steal", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	secrets := mapSecrets{"env:EDR_TOKEN": "a/b c"}
	req := httpReq(srv.URL+"/in/{secret}?key={secret}", map[string]any{"headers": nil, "method": "put"})
	r, err := runHTTP(t, &remediate.Env{Secrets: secrets}, req, &fakeWait{})
	wantErr(t, err, "", nil)
	wantSteps(t, r, "render-request=read", "send-request=changed")
	if len(paths) != 1 || paths[0] != "/in/a%2Fb%20c?key=a%2Fb+c" {
		t.Errorf("paths %q", paths)
	}
	_, err = runHTTP(t, &remediate.Env{Secrets: secrets}, httpReq(srv.URL+"/moved", map[string]any{"headers": nil}), &fakeWait{})
	wantErr(t, err, "HTTP 302", nil)
	if len(paths) != 2 {
		t.Errorf("redirect followed: %q", paths)
	}
}

func TestHTTPRequestTLSAndTimeout(t *testing.T) {
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != apiToken {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer tls.Close()
	req := httpReq(tls.URL+"/x", map[string]any{"headers": []any{"X-Api-Key: {secret}"}, "body": nil, "method": "GET"})
	r, err := runHTTP(t, &remediate.Env{HTTP: tls.Client()}, req, &fakeWait{})
	wantErr(t, err, "", nil)
	wantSteps(t, r, "render-request=read", "send-request=changed")

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	fw := &fakeWait{}
	_, err = runHTTP(t, &remediate.Env{}, httpReq(slow.URL+"/x", map[string]any{"timeout": "20ms"}), fw)
	wantErr(t, err, "giving up after 4 attempts", nil)
	if len(fw.waits) != 3 {
		t.Errorf("waits %v", fw.waits)
	}
}

func TestHTTPRequestParams(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]any
		env   *remediate.Env
		err   string
	}{
		{"plain http to a remote host", map[string]any{"url": "http://example.com/x"}, nil, "plain http is allowed only to localhost"},
		{"credentials in the URL", map[string]any{"url": "https://user:pw@example.com/x"}, nil, "credentials in the URL"},
		{"secret as host", map[string]any{"url": "https://{secret}/x"}, nil, "host cannot hold the secret"},
		{"ftp", map[string]any{"url": "ftp://example.com/x"}, nil, "scheme must be https"},
		{"no url", map[string]any{"url": nil}, nil, "params.url: required"},
		{"bad method", map[string]any{"method": "TRACE"}, nil, "params.method"},
		{"bad header", map[string]any{"headers": []any{"no colon"}}, nil, "params.headers[0]"},
		{"placeholder without secret", map[string]any{"secret": nil}, nil, "no secret reference is set"},
		{"timeout too long", map[string]any{"timeout": "1h"}, nil, "params.timeout"},
		{"no resolver", nil, &remediate.Env{}, "no secret resolver"},
		{"unresolvable secret", map[string]any{"secret": "env:MISSING"}, nil, "resolving params.secret env:MISSING"},
		{"secret with a line break", nil, &remediate.Env{Secrets: mapSecrets{"env:EDR_TOKEN": "a\r\nX-Evil: 1"}}, "line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == nil {
				env = &remediate.Env{}
			}
			var err error
			if tt.name == "no resolver" {
				rec := remediate.NewRecorder("http-request", "c", false, fixedNow)
				err = HTTPRequest{}.Run(context.Background(), env, httpReq("https://127.0.0.1:1/x", tt.extra), rec)
			} else {
				_, err = runHTTP(t, env, httpReq("https://127.0.0.1:1/x", tt.extra), &fakeWait{})
			}
			wantErr(t, err, tt.err, nil)
		})
	}
}

// FuzzBodyEscaping: whatever a finding's title holds, a body template
// that uses json renders valid JSON with the title intact.
func FuzzBodyEscaping(f *testing.F) {
	for _, s := range []string{hostileTitle, `"}`, "\x00\x1f", "{{.Title}}", "\u2028</script>", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		b, err := renderBody(`{"title": {{json .Title}}, "n": 1}`, &remediate.Request{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Title string `json:"title"`
			N     int    `json:"n"`
		}
		if err := json.Unmarshal(b, &got); err != nil || got.N != 1 {
			t.Fatalf("body %q is not the intended JSON: %v", b, err)
		}
		if utf8.ValidString(title) && got.Title != title {
			t.Fatalf("title %q came back as %q", title, got.Title)
		}
	})
}

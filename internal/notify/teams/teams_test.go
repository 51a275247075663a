package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/notifytest"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type secrets = notifytest.Secrets

// hookPath is a Workflows trigger URL's path and query; sig is its secret.
const hookPath = "/workflows/9f8e7d/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cr3tWorkflowSig"

func templates(t *testing.T) notify.Renderer {
	t.Helper()
	set, err := tmpl.Default()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func newReceiver(t *testing.T, url string, log *slog.Logger) *Receiver {
	t.Helper()
	r, err := notify.New(notify.Config{Name: "secops-teams", Type: Type, Settings: map[string]any{"webhook_url": "env:TEAMS_URL"},
		Secrets: secrets{"env:TEAMS_URL": url}, Templates: templates(t), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	rc := r.(*Receiver)
	rc.now = func() time.Time { return now }
	return rc
}

type reply struct {
	status int
	header map[string]string
	body   string
}

// server is a local Workflows endpoint: it checks the request and
// answers 202 Accepted unless told otherwise.
func server(t *testing.T, bodies *[][]byte, replies ...reply) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/workflows/9f8e7d/triggers/manual/paths/invoke" || r.URL.Query().Get("sig") != "s3cr3tWorkflowSig" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		b, _ := io.ReadAll(r.Body)
		*bodies = append(*bodies, b)
		checkCard(t, b)
		rep := reply{status: http.StatusAccepted}
		if len(replies) > 0 {
			rep, replies = replies[0], replies[1:]
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// checkCard validates a request against the Workflows message format and
// the Adaptive Card 1.4 schema for the elements Warden uses.
func checkCard(t *testing.T, body []byte) {
	t.Helper()
	if len(body) > maxBytes {
		t.Errorf("request of %d bytes, Teams takes %d", len(body), maxBytes)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var typ string
	_ = json.Unmarshal(env["type"], &typ)
	var atts []map[string]json.RawMessage
	_ = json.Unmarshal(env["attachments"], &atts)
	if typ != "message" || len(atts) != 1 {
		t.Fatalf("type %q with %d attachments, want a message with one", typ, len(atts))
	}
	a := atts[0]
	if string(a["contentType"]) != `"application/vnd.microsoft.card.adaptive"` {
		t.Errorf("contentType %s", a["contentType"])
	}
	if u, ok := a["contentUrl"]; !ok || string(u) != "null" {
		t.Errorf("contentUrl %s, want null", u)
	}
	var card struct {
		Schema  string `json:"$schema"`
		Type    string `json:"type"`
		Version string `json:"version"`
		Body    []struct {
			Type  string `json:"type"`
			Text  string `json:"text"`
			Wrap  *bool  `json:"wrap"`
			Size  string `json:"size"`
			Color string `json:"color"`
			Facts []Fact `json:"facts"`
		} `json:"body"`
		Actions []Action `json:"actions"`
	}
	if err := json.Unmarshal(a["content"], &card); err != nil {
		t.Fatal(err)
	}
	if card.Schema != "http://adaptivecards.io/schemas/adaptive-card.json" || card.Type != "AdaptiveCard" || card.Version != "1.4" {
		t.Errorf("card %q %q %q", card.Schema, card.Type, card.Version)
	}
	if len(card.Body) < 2 {
		t.Errorf("card body of %d elements", len(card.Body))
	}
	enum := func(v string, allowed ...string) bool {
		for _, a := range allowed {
			if v == a {
				return true
			}
		}
		return false
	}
	for i, e := range card.Body {
		switch e.Type {
		case "TextBlock":
			if e.Text == "" || e.Wrap == nil || !*e.Wrap {
				t.Errorf("body[%d]: TextBlock %q without text or wrap", i, e.Text)
			}
			if !enum(e.Size, "", "Small", "Default", "Medium", "Large", "ExtraLarge") || !enum(e.Color, "", "Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention") {
				t.Errorf("body[%d]: size %q color %q", i, e.Size, e.Color)
			}
		case "FactSet":
			if len(e.Facts) == 0 {
				t.Errorf("body[%d]: empty FactSet", i)
			}
			for _, f := range e.Facts {
				if f.Title == "" || f.Value == "" {
					t.Errorf("body[%d]: fact %+v", i, f)
				}
			}
		default:
			t.Errorf("body[%d]: element type %q", i, e.Type)
		}
	}
	for _, ac := range card.Actions {
		if ac.Type != "Action.OpenUrl" || ac.Title == "" || !strings.HasPrefix(ac.URL, "https://") {
			t.Errorf("action %+v", ac)
		}
	}
}

func TestGolden(t *testing.T) {
	msgs := sampleMessages("secops-teams")
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var bodies [][]byte
			srv := server(t, &bodies)
			res, err := newReceiver(t, srv.URL+hookPath, nil).Send(context.Background(), msgs[name])
			if err != nil {
				t.Fatal(err)
			}
			if res.Detail != "teams: HTTP 202" || len(bodies) != 1 {
				t.Fatalf("detail %q, %d requests", res.Detail, len(bodies))
			}
			golden(t, filepath.Join("testdata", name+".json"), bodies[0])
		})
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name      string
		reply     reply
		permanent bool
		retry     time.Duration
		want      string
	}{
		{"bad request", reply{status: 400, body: `{"error":{"code":"InvalidRequestContent","message":"The input body for trigger 'manual' of type 'Request' did not match its schema definition."}}`}, true, 0, "InvalidRequestContent"},
		{"unauthorized", reply{status: 401, body: `{"error":{"code":"DirectApiAuthorizationRequired"}}`}, true, 0, "HTTP 401"},
		{"flow off", reply{status: 404, body: `{"error":{"code":"WorkflowNotFound"}}`}, true, 0, "WorkflowNotFound"},
		{"throttled", reply{status: 429, header: map[string]string{"Retry-After": "12"}}, false, 12 * time.Second, "HTTP 429"},
		{"server error", reply{status: 502, body: "Bad Gateway"}, false, 0, "HTTP 502"},
		{"legacy connector failure", reply{status: 200, body: "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0"}, false, 0, "delivery failed"},
		{"error echoes the URL", reply{status: 400, body: "bad trigger " + hookPath}, true, 0, "[redacted]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var bodies [][]byte
			var logs bytes.Buffer
			srv := server(t, &bodies, c.reply)
			r := newReceiver(t, srv.URL+hookPath, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			_, err := r.Send(context.Background(), sampleMessages("secops-teams")["firing"])
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if notify.IsPermanent(err) != c.permanent {
				t.Errorf("permanent = %v, want %v", notify.IsPermanent(err), c.permanent)
			}
			if d, ok := notify.RetryDelay(err); ok != (c.retry > 0) || d != c.retry {
				t.Errorf("retry delay %v %v, want %v", d, ok, c.retry)
			}
			if strings.Contains(err.Error()+logs.String(), "s3cr3tWorkflowSig") {
				t.Errorf("secret leaked: %v\n%s", err, logs.String())
			}
		})
	}
}

func TestSettings(t *testing.T) {
	cases := []struct {
		settings map[string]any
		want     string
	}{
		{map[string]any{"webhook_url": "secretsmanager:warden/teams"}, ""},
		{map[string]any{}, "setting webhook_url: required"},
		{map[string]any{"webhook_url": "https://prod.westeurope.logic.azure.com" + hookPath}, "setting webhook_url: is a secret"},
		{map[string]any{"webhook_url": "env:X", "title": "x"}, "setting title: unknown"},
	}
	for _, c := range cases {
		_, err := notify.New(notify.Config{Name: "t", Type: Type, Settings: c.settings, Secrets: secrets{}, Templates: templates(t)})
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: error %v, want %q", c.settings, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("secret in error: %v", err)
		}
	}
}

// cardTexts returns every Markdown text of a card.
func cardTexts(env Envelope) []string {
	var out []string
	for _, e := range env.Attachments[0].Content.Body {
		if e.Text != "" {
			out = append(out, e.Text)
		}
		for _, f := range e.Facts {
			out = append(out, f.Title, f.Value)
		}
	}
	return out
}

func TestHostileText(t *testing.T) {
	act := hostileItem()
	act.Kind = notify.KindAction
	act.Action = &notify.ActionInfo{JobID: 1, Playbook: hostile, Mode: "approval", Status: "waiting", Summary: hostile, ApproveCommand: hostile, CancelCommand: hostile}
	msgs := map[string]*notify.Message{
		"one":    {Receiver: hostile, Kind: notify.KindFiring, Items: []notify.Item{hostileItem()}, Now: now},
		"group":  {Kind: notify.KindFiring, Items: []notify.Item{hostileItem(), gdItem(), act}, GroupLabels: map[string]string{hostile: hostile}, Now: now},
		"action": {Kind: notify.KindAction, Items: []notify.Item{act}, Now: now},
		"digest": {Kind: notify.KindDigest, Title: hostile, Items: []notify.Item{hostileItem(), act}, Now: now},
	}
	r := newReceiver(t, "https://teams.example"+hookPath, nil)
	for name, msg := range msgs {
		t.Run(name, func(t *testing.T) {
			env, err := r.Envelope(msg, maxLines)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range cardTexts(env) {
				for _, bad := range []string{"[click]", "<at>", "*bold*", "_it_", "`code`", "{{DATE", "<!channel>", "javascript:", "\u202e", "\x1b"} {
					if strings.Contains(s, bad) {
						t.Errorf("card text contains %q:\n%s", bad, s)
					}
				}
				// The only links are the receiver's own "[console](https://…)".
				for rest := s; strings.Contains(rest, "]("); {
					i := strings.Index(rest, "](")
					if !strings.HasSuffix(rest[:i], "[console") || !strings.HasPrefix(rest[i+2:], "https://") {
						t.Errorf("unexpected link in %q", s)
						break
					}
					rest = rest[i+2:]
					if end := strings.IndexByte(rest, ')'); end < 0 || strings.ContainsAny(rest[:end], " []()<>") {
						t.Errorf("link target not closed safely in %q", s)
						break
					}
				}
			}
			for _, a := range env.Attachments[0].Content.Actions {
				if !strings.HasPrefix(a.URL, "https://") || strings.ContainsAny(a.URL, "<>|()[] ") {
					t.Errorf("action URL %q", a.URL)
				}
			}
		})
	}
}

func TestSizeLimit(t *testing.T) {
	long := strings.Repeat("<very> long *title* ", 200)
	many := make([]notify.Item, 500)
	for i := range many {
		many[i] = gdItem()
		many[i].Record.Title, many[i].Record.ResourceID = long, long
	}
	var bodies [][]byte
	srv := server(t, &bodies)
	r := newReceiver(t, srv.URL+hookPath, nil)
	if _, err := r.Send(context.Background(), &notify.Message{Kind: notify.KindFiring, Items: many, Now: now}); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 1 || !bytes.Contains(bodies[0], []byte("…and 480 more")) {
		t.Fatalf("want one request listing 20 findings and 480 more")
	}
}

func TestColor(t *testing.T) {
	done := gdItem()
	done.Action = &notify.ActionInfo{Status: "done"}
	low := gdItem()
	low.Record.Severity = 2 // LOW
	med := controlItem()
	for _, c := range []struct {
		msg  notify.Message
		want string
	}{
		{notify.Message{Kind: notify.KindFiring, Items: []notify.Item{gdItem()}}, "Attention"},
		{notify.Message{Kind: notify.KindFiring, Items: []notify.Item{med}}, "Warning"},
		{notify.Message{Kind: notify.KindFiring, Items: []notify.Item{low}}, "Default"},
		{notify.Message{Kind: notify.KindFiring, Items: []notify.Item{low, gdItem()}}, "Attention"},
		{notify.Message{Kind: notify.KindResolved, Items: []notify.Item{gdItem()}}, "Good"},
		{notify.Message{Kind: notify.KindAction, Items: []notify.Item{done}}, "Good"},
		{notify.Message{Kind: notify.KindTest}, "Default"},
	} {
		if got := color(&c.msg); got != c.want {
			t.Errorf("%s with %d items: color %s, want %s", c.msg.Kind, len(c.msg.Items), got, c.want)
		}
	}
}

func golden(t *testing.T, path string, body []byte) {
	t.Helper()
	notifytest.GoldenJSON(t, path, body, *update)
}

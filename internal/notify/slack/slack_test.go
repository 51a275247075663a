package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/notifytest"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type secrets = notifytest.Secrets

const (
	hookPath = "/services/T0001/B0001/s3cr3tHookToken"
	botToken = "xoxb-1111-2222-s3cr3tBotToken"
)

func templates(t *testing.T) notify.Renderer {
	t.Helper()
	set, err := tmpl.Default()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// newReceiver builds a receiver through the registry, as the daemon does.
func newReceiver(t *testing.T, settings map[string]any, sec secrets, log *slog.Logger) *Receiver {
	t.Helper()
	r, err := notify.New(notify.Config{Name: "payments-slack", Type: Type, Settings: settings, Secrets: sec, Templates: templates(t), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	rc := r.(*Receiver)
	rc.now = func() time.Time { return now }
	return rc
}

// server is a local Slack: it checks each request the way Slack
// documents it and answers with the scripted replies in order.
type server struct {
	t       *testing.T
	srv     *httptest.Server
	bot     bool
	replies []reply
	bodies  [][]byte
}

type reply struct {
	status int
	header map[string]string
	body   string
}

func newServer(t *testing.T, bot bool, replies ...reply) *server {
	s := &server{t: t, bot: bot, replies: replies}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	t := s.t
	if r.Method != http.MethodPost {
		t.Errorf("method %s, want POST", r.Method)
	}
	body, _ := io.ReadAll(r.Body)
	s.bodies = append(s.bodies, body)
	if s.bot {
		if r.URL.Path != "/api/chat.postMessage" {
			t.Errorf("path %s, want /api/chat.postMessage", r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+botToken {
			t.Errorf("Authorization %q, want the bot token as Bearer", got)
		}
		if got := r.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
	} else {
		if r.URL.Path != hookPath {
			t.Errorf("path %s, want the webhook's", r.URL.Path)
		}
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type %q", got)
		}
		if r.Header.Get("Authorization") != "" {
			t.Error("webhook request carries an Authorization header")
		}
	}
	checkPayload(t, body, s.bot)
	rep := reply{status: 200, body: "ok"}
	if s.bot {
		rep.body = `{"ok":true,"channel":"C0PAYMENTS","ts":"1764066000.000100"}`
	}
	if len(s.replies) > 0 {
		rep, s.replies = s.replies[0], s.replies[1:]
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

// checkPayload validates a message against Block Kit's documented shape
// and limits.
func checkPayload(t *testing.T, body []byte, bot bool) {
	t.Helper()
	var p struct {
		Channel string `json:"channel"`
		Text    string `json:"text"`
		Blocks  []struct {
			Type     string           `json:"type"`
			Text     *json.RawMessage `json:"text"`
			Fields   []Text           `json:"fields"`
			Elements []Text           `json:"elements"`
		} `json:"blocks"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("body is not a JSON object: %v", err)
	}
	if bot != (p.Channel != "") {
		t.Errorf("channel %q (bot mode %v)", p.Channel, bot)
	}
	if strings.TrimSpace(p.Text) == "" {
		t.Error("no fallback text")
	}
	if n := len(p.Blocks); n == 0 || n > 50 {
		t.Errorf("%d blocks, want 1..50", n)
	}
	chars := utf8.RuneCountInString
	for i, b := range p.Blocks {
		var txt Text
		if b.Text != nil {
			if err := json.Unmarshal(*b.Text, &txt); err != nil {
				t.Fatalf("block %d text: %v", i, err)
			}
		}
		switch b.Type {
		case "header":
			if i != 0 || txt.Type != "plain_text" || txt.Text == "" || chars(txt.Text) > 150 {
				t.Errorf("block %d: header %q (%s, %d chars): want plain_text of 1..150 first", i, txt.Text, txt.Type, chars(txt.Text))
			}
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				t.Errorf("block %d: section without text or fields", i)
			}
			if b.Text != nil && (txt.Type != "mrkdwn" || txt.Text == "" || chars(txt.Text) > 3000) {
				t.Errorf("block %d: section text %s of %d chars, want mrkdwn of 1..3000", i, txt.Type, chars(txt.Text))
			}
			if len(b.Fields) > 10 {
				t.Errorf("block %d: %d fields, want at most 10", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if f.Type != "mrkdwn" || f.Text == "" || chars(f.Text) > 2000 {
					t.Errorf("block %d: field %q, want mrkdwn of 1..2000", i, f.Text)
				}
			}
		case "context":
			if n := len(b.Elements); n == 0 || n > 10 {
				t.Errorf("block %d: %d context elements, want 1..10", i, n)
			}
			for _, e := range b.Elements {
				if e.Type != "mrkdwn" || e.Text == "" || chars(e.Text) > 3000 {
					t.Errorf("block %d: context element %q, want mrkdwn of 1..3000", i, e.Text)
				}
			}
		default:
			t.Errorf("block %d: type %q, want header, section or context", i, b.Type)
		}
	}
}

// mrkdwnTexts returns every text of a payload that Slack parses as
// mrkdwn.
func mrkdwnTexts(t *testing.T, p Payload) []string {
	t.Helper()
	out := []string{p.Text}
	for _, b := range p.Blocks {
		if b.Text != nil && b.Text.Type == "mrkdwn" {
			out = append(out, b.Text.Text)
		}
		for _, f := range append(b.Fields, b.Elements...) {
			out = append(out, f.Text)
		}
	}
	return out
}

func TestGolden(t *testing.T) {
	msgs := sampleMessages("payments-slack")
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, false)
			r := newReceiver(t, map[string]any{"webhook_url": "env:SLACK_HOOK"}, secrets{"env:SLACK_HOOK": srv.srv.URL + hookPath}, nil)
			if _, err := r.Send(context.Background(), msgs[name]); err != nil {
				t.Fatal(err)
			}
			if len(srv.bodies) != 1 {
				t.Fatalf("%d requests, want 1", len(srv.bodies))
			}
			golden(t, filepath.Join("testdata", name+".json"), srv.bodies[0])
		})
	}
}

func TestBotSend(t *testing.T) {
	srv := newServer(t, true)
	r := newReceiver(t, map[string]any{"token": "env:SLACK_TOKEN", "channel": "#payments-security", "api_url": srv.srv.URL + "/api/chat.postMessage"},
		secrets{"env:SLACK_TOKEN": botToken}, nil)
	res, err := r.Send(context.Background(), sampleMessages("payments-slack")["firing"])
	if err != nil {
		t.Fatal(err)
	}
	if res.Detail != "slack: channel C0PAYMENTS ts 1764066000.000100" {
		t.Errorf("detail %q", res.Detail)
	}
	var p Payload
	if err := json.Unmarshal(srv.bodies[0], &p); err != nil || p.Channel != "#payments-security" {
		t.Errorf("channel %q (%v)", p.Channel, err)
	}
}

func TestErrors(t *testing.T) {
	date := now.Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name      string
		bot       bool
		reply     reply
		permanent bool
		retry     time.Duration // >0: a RetryAfter error
		want      string
	}{
		{"webhook invalid_blocks", false, reply{status: 400, body: "invalid_blocks"}, true, 0, "HTTP 400 Bad Request: invalid_blocks"},
		{"webhook no_service", false, reply{status: 404, body: "no_service"}, true, 0, "no_service"},
		{"webhook archived", false, reply{status: 410, body: "channel_is_archived"}, true, 0, "channel_is_archived"},
		{"webhook forbidden", false, reply{status: 403, body: "action_prohibited"}, true, 0, "action_prohibited"},
		{"webhook rollup_error", false, reply{status: 500, body: "rollup_error"}, false, 0, "HTTP 500"},
		{"webhook 429 seconds", false, reply{status: 429, header: map[string]string{"Retry-After": "30"}, body: "rate limited"}, false, 30 * time.Second, "HTTP 429"},
		{"webhook 429 date", false, reply{status: 429, header: map[string]string{"Retry-After": date}}, false, 90 * time.Second, "HTTP 429"},
		{"webhook 429 without Retry-After", false, reply{status: 429}, false, 0, "HTTP 429"},
		{"webhook redirect", false, reply{status: 302, header: map[string]string{"Location": "https://elsewhere.example/"}}, true, 0, "redirects are not followed"},
		{"webhook echoes its URL", false, reply{status: 400, body: "bad request to " + hookPath}, true, 0, "[redacted]"},
		{"bot channel_not_found", true, reply{status: 200, body: `{"ok":false,"error":"channel_not_found"}`}, true, 0, "slack error: channel_not_found"},
		{"bot invalid_auth", true, reply{status: 200, body: `{"ok":false,"error":"invalid_auth"}`}, true, 0, "invalid_auth"},
		{"bot not_in_channel", true, reply{status: 200, body: `{"ok":false,"error":"not_in_channel"}`}, true, 0, "not_in_channel"},
		{"bot ratelimited 429", true, reply{status: 429, header: map[string]string{"Retry-After": "5"}, body: `{"ok":false,"error":"ratelimited"}`}, false, 5 * time.Second, "HTTP 429"},
		{"bot ratelimited 200", true, reply{status: 200, header: map[string]string{"Retry-After": "3"}, body: `{"ok":false,"error":"ratelimited"}`}, false, 3 * time.Second, "ratelimited"},
		{"bot internal_error", true, reply{status: 200, body: `{"ok":false,"error":"internal_error"}`}, false, 0, "internal_error"},
		{"bot 503", true, reply{status: 503, body: "upstream down"}, false, 0, "HTTP 503"},
		{"bot not JSON", true, reply{status: 200, body: "<html>proxy</html>"}, false, 0, "not JSON"},
		{"bot echoes the token", true, reply{status: 200, body: `{"ok":false,"error":"invalid_auth ` + botToken + `"}`}, true, 0, "[redacted]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv := newServer(t, c.bot, c.reply)
			settings := map[string]any{"webhook_url": "env:SLACK_HOOK"}
			if c.bot {
				settings = map[string]any{"token": "env:SLACK_TOKEN", "channel": "C0PAYMENTS", "api_url": srv.srv.URL + "/api/chat.postMessage"}
			}
			r := newReceiver(t, settings, secrets{"env:SLACK_HOOK": srv.srv.URL + hookPath, "env:SLACK_TOKEN": botToken}, log)
			_, err := r.Send(context.Background(), sampleMessages("payments-slack")["firing"])
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if notify.IsPermanent(err) != c.permanent {
				t.Errorf("permanent = %v, want %v (%v)", notify.IsPermanent(err), c.permanent, err)
			}
			d, ok := notify.RetryDelay(err)
			if ok != (c.retry > 0) || d != c.retry {
				t.Errorf("retry delay %v, %v; want %v", d, ok, c.retry)
			}
			noSecret(t, err.Error()+logs.String())
		})
	}
}

func noSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{"s3cr3tHookToken", "s3cr3tBotToken"} {
		if strings.Contains(s, secret) {
			t.Errorf("secret leaked: %s", s)
		}
	}
}

func TestTransportErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + hookPath
	srv.Close() // connection refused from now on
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newReceiver(t, map[string]any{"webhook_url": "env:SLACK_HOOK"}, secrets{"env:SLACK_HOOK": url}, log)
	_, err := r.Send(context.Background(), sampleMessages("payments-slack")["firing"])
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("error %v, want a retryable one", err)
	}
	noSecret(t, err.Error()+logs.String())
}

func TestResolvedURLMustBeHTTPS(t *testing.T) {
	r := newReceiver(t, map[string]any{"webhook_url": "env:SLACK_HOOK"}, secrets{"env:SLACK_HOOK": "http://hooks.slack.example" + hookPath}, nil)
	_, err := r.Send(context.Background(), sampleMessages("payments-slack")["firing"])
	if err == nil || !notify.IsPermanent(err) || !strings.Contains(err.Error(), "env:SLACK_HOOK") {
		t.Fatalf("error %v, want a permanent one naming the reference", err)
	}
	noSecret(t, err.Error())
}

func TestSettings(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]any
		want     string // "" for no error
	}{
		{"webhook", map[string]any{"webhook_url": "secretsmanager:warden/slack", "channel": "#sec"}, ""},
		{"bot", map[string]any{"token": "ssm:/warden/slack-token", "channel": "C0123"}, ""},
		{"bot with api_url", map[string]any{"token": "env:T", "channel": "C0123", "api_url": "https://slack.example/api/chat.postMessage"}, ""},
		{"neither", map[string]any{"channel": "#sec"}, "setting webhook_url: required"},
		{"both", map[string]any{"webhook_url": "env:A", "token": "env:B", "channel": "C1"}, "setting token: set either webhook_url or token"},
		{"bot without channel", map[string]any{"token": "env:T"}, "setting channel: required with token"},
		{"inline webhook", map[string]any{"webhook_url": "https://hooks.slack.com" + hookPath}, "setting webhook_url: is a secret"},
		{"inline token", map[string]any{"token": botToken, "channel": "C1"}, "setting token: is a secret"},
		{"channel not a string", map[string]any{"token": "env:T", "channel": 12.0}, "setting channel: must be a string"},
		{"plain http api_url", map[string]any{"token": "env:T", "channel": "C1", "api_url": "http://slack.example/api"}, "setting api_url: must use https"},
		{"api_url with webhook", map[string]any{"webhook_url": "env:A", "api_url": "https://slack.example/api"}, "setting api_url: only used with token"},
		{"unknown", map[string]any{"webhook_url": "env:A", "icon": ":x:"}, "setting icon: unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := notify.New(notify.Config{Name: "s", Type: Type, Settings: c.settings, Secrets: secrets{}, Templates: templates(t)})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if err != nil {
				noSecret(t, err.Error())
			}
		})
	}
}

// TestHostileText sends finding text that tries to mention, link and
// format, and checks that none of it survives in any mrkdwn text.
func TestHostileText(t *testing.T) {
	one := &notify.Message{Receiver: "payments-slack", Kind: notify.KindFiring, Items: []notify.Item{hostileItem()}, Now: now}
	group := &notify.Message{Receiver: "payments-slack", Kind: notify.KindFiring, Items: []notify.Item{hostileItem(), hostileItem(), gdItem()}, Now: now,
		GroupLabels: map[string]string{"owner": hostile, hostile: "x"}}
	act := hostileItem()
	act.Kind = notify.KindAction
	act.Action = &notify.ActionInfo{JobID: 1, Playbook: hostile, Mode: "approval", Status: "waiting", Summary: hostile, ApproveCommand: hostile, CancelCommand: hostile}
	action := &notify.Message{Receiver: "payments-slack", Kind: notify.KindAction, Items: []notify.Item{act}, Now: now}
	digest := &notify.Message{Receiver: hostile, Kind: notify.KindDigest, Title: hostile, Items: []notify.Item{hostileItem(), act}, Now: now}
	r := newReceiver(t, map[string]any{"webhook_url": "env:SLACK_HOOK"}, secrets{}, nil)
	for name, msg := range map[string]*notify.Message{"one": one, "group": group, "action": action, "digest": digest} {
		t.Run(name, func(t *testing.T) {
			p, err := r.Payload(msg)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range mrkdwnTexts(t, p) {
				for _, bad := range []string{"<!", "<@", "<http://evil", "*bold*", "_it_", "`code`", "javascript:", "\u202e", "\x1b"} {
					if strings.Contains(s, bad) {
						t.Errorf("mrkdwn text contains %q:\n%s", bad, s)
					}
				}
				// The only links are the receiver's own, to safe URLs.
				for rest := s; strings.Contains(rest, "<"); {
					i := strings.Index(rest, "<")
					rest = rest[i+1:]
					end := strings.IndexAny(rest, "|>")
					if !strings.HasPrefix(rest, "https://") || end < 0 || strings.ContainsAny(rest[:end], " <\"()[]") {
						t.Errorf("unexpected link in %q", s)
						break
					}
				}
			}
			hdr := p.Blocks[0].Text.Text
			if strings.ContainsAny(hdr, "\n\x1b\u202e") {
				t.Errorf("header has control characters: %q", hdr)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	long := strings.Repeat("very long title ", 400)
	many := make([]notify.Item, 1000)
	for i := range many {
		many[i] = gdItem()
		many[i].Record.Title = long
		many[i].Record.ResourceID = long
	}
	big := gdItem()
	big.Record.Title, big.Description, big.RemediationText = long, long, long
	big.Record.Notes = []string{long, long, long, long, long, long, long, long}
	big.Action = &notify.ActionInfo{Playbook: "ec2-isolate", Status: "waiting", Summary: long}
	r := newReceiver(t, map[string]any{"webhook_url": "env:SLACK_HOOK"}, secrets{}, nil)
	for name, msg := range map[string]*notify.Message{
		"many":  {Kind: notify.KindFiring, Items: many, Now: now, GroupLabels: map[string]string{"title": long}},
		"large": {Kind: notify.KindFiring, Items: []notify.Item{big}, Now: now},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := r.Payload(msg)
			if err != nil {
				t.Fatal(err)
			}
			body, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			checkPayload(t, body, false)
			if name == "many" && !strings.Contains(string(body), "…and 980 more") {
				t.Error(`no "and 980 more" line`)
			}
		})
	}
}

func TestLimitBlocks(t *testing.T) {
	blocks := make([]Block, 60)
	for i := range blocks {
		blocks[i] = Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: "x"}}
	}
	got := limitBlocks(blocks)
	if len(got) != maxBlocks || got[maxBlocks-1].Type != "context" || !strings.Contains(got[maxBlocks-1].Elements[0].Text, "11 more blocks") {
		t.Fatalf("limitBlocks: %d blocks, last %+v", len(got), got[len(got)-1])
	}
	if len(limitBlocks(blocks[:50])) != 50 {
		t.Error("limitBlocks shortened a message within the limit")
	}
}

func TestPackAndCut(t *testing.T) {
	lines := []string{strings.Repeat("a", 2000), strings.Repeat("b", 2000), strings.Repeat("c", 5000), "d"}
	blocks := pack(lines)
	if len(blocks) != 4 { // a | b | c (cut to 3000) | d
		t.Fatalf("%d sections, want 4", len(blocks))
	}
	for _, b := range blocks {
		if n := utf8.RuneCountInString(b.Text.Text); n > maxSection {
			t.Errorf("section of %d characters", n)
		}
	}
	if got := cut(10, "abc\ndefghijklmn"); got != "abc\ndefgh…" {
		t.Errorf("cut = %q", got)
	}
	if got := cut(10, "abcdef\nghijklmn"); got != "abcdef…" {
		t.Errorf("cut at a line end = %q", got)
	}
}

func TestPermanentOnTemplateError(t *testing.T) {
	r := newReceiver(t, map[string]any{"webhook_url": "env:SLACK_HOOK"}, secrets{}, nil)
	r.templates = failing{}
	_, err := r.Send(context.Background(), sampleMessages("payments-slack")["firing"])
	if err == nil || !notify.IsPermanent(err) {
		t.Fatalf("error %v, want permanent", err)
	}
}

type failing struct{}

func (failing) Render(string, string, string, *notify.Message) (string, error) {
	return "", errors.New("template broken")
}

// FuzzPayload puts arbitrary text into every finding field and checks
// that no mrkdwn text can mention, link or leave the Block Kit limits.
func FuzzPayload(f *testing.F) {
	for _, s := range []string{hostile, "<!here>", "<@U1|x>", "&lt;!channel&gt;", "<<!channel>>", "\u202e<!channel>", strings.Repeat("_*~`", 900)} {
		f.Add(s)
	}
	set, err := tmpl.Default()
	if err != nil {
		f.Fatal(err)
	}
	r := &Receiver{name: "fuzz", templates: set}
	f.Fuzz(func(t *testing.T, s string) {
		it := gdItem()
		rec := &it.Record
		rec.Title, rec.ResourceID, rec.Region, rec.Enrichment.AccountName, rec.Enrichment.Owner = s, s, s, s, s
		rec.Notes = []string{s}
		it.Description, it.RemediationText, it.ConsoleURL = s, s, s
		for _, msg := range []*notify.Message{
			{Kind: notify.KindFiring, Items: []notify.Item{it}, Receiver: s},
			{Kind: notify.KindRenotify, Items: []notify.Item{it, it}, GroupLabels: map[string]string{s: s}},
		} {
			p, err := r.Payload(msg)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(p)
			checkPayload(t, body, false)
			for _, m := range mrkdwnTexts(t, p) {
				if strings.Contains(m, "<!") || strings.Contains(m, "<@") || strings.Contains(m, "<#") {
					t.Fatalf("mrkdwn text can mention: %q", m)
				}
			}
		}
	})
}

func golden(t *testing.T, path string, body []byte) {
	t.Helper()
	notifytest.GoldenJSON(t, path, body, *update)
}

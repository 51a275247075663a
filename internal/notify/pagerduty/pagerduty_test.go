package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/notifytest"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type secrets = notifytest.Secrets

// routingKey is an integration key (32 characters; PagerDuty's
// documentation example).
const routingKey = "e93facc04764012d7bfb002500d5d1a6"

type reply struct {
	status int
	header map[string]string
	body   string
}

// events is a local Events API v2: it validates every event against the
// documented schema (required fields, enums, lengths), keeps the state of
// each alert by dedup key, and answers 202 unless a reply is scripted.
type events struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	alerts  map[string]string // dedup key → triggered or resolved
	replies []reply           // the first requests' answers
	at      map[int]reply     // the answer to the nth request (1-based)
}

// answerAt scripts the answer to the nth request.
func (e *events) answerAt(n int, rep reply) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.at[n] = rep
}

func newEvents(t *testing.T, replies ...reply) *events {
	e := &events{t: t, alerts: map[string]string{}, replies: replies, at: map[int]reply{}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.handle))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *events) handle(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" {
		e.t.Errorf("request %s %s, want POST /v2/enqueue", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Errorf("Content-Type %q", ct)
	}
	body, _ := io.ReadAll(r.Body)
	e.bodies = append(e.bodies, body)
	rep, scripted := e.at[len(e.bodies)]
	if !scripted && len(e.replies) > 0 {
		rep, scripted = e.replies[0], true
		e.replies = e.replies[1:]
	}
	if scripted {
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
		return
	}
	ev, problems := validate(body)
	if len(problems) > 0 {
		e.t.Errorf("invalid event: %v\n%s", problems, body)
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": problems})
		return
	}
	switch ev.EventAction {
	case "trigger":
		e.alerts[ev.DedupKey] = "triggered"
	case "resolve":
		e.alerts[ev.DedupKey] = "resolved"
	}
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

// validate checks an event the way PagerDuty documents it
// (https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty).
func validate(body []byte) (Event, []string) {
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return Event{}, []string{"not a JSON object"}
	}
	for k := range raw {
		switch k {
		case "routing_key", "event_action", "dedup_key", "payload", "client", "client_url", "links", "images":
		default:
			bad("unknown field %s", k)
		}
	}
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		bad("decoding: %v", err)
	}
	if ev.RoutingKey != routingKey {
		bad("routing_key %q", ev.RoutingKey)
	}
	if n := len(ev.DedupKey); n > 255 {
		bad("dedup_key of %d characters", n)
	}
	switch ev.EventAction {
	case "trigger":
		p := ev.Payload
		if p == nil {
			bad("trigger without payload")
			break
		}
		if n := utf8.RuneCountInString(p.Summary); n == 0 || n > 1024 {
			bad("payload.summary of %d characters", n)
		}
		if p.Source == "" {
			bad("payload.source missing")
		}
		switch p.Severity {
		case "critical", "error", "warning", "info":
		default:
			bad("payload.severity %q", p.Severity)
		}
		if p.Timestamp != "" {
			if _, err := time.Parse(time.RFC3339, p.Timestamp); err != nil {
				bad("payload.timestamp %q", p.Timestamp)
			}
		}
	case "acknowledge", "resolve":
		if ev.DedupKey == "" {
			bad("%s without dedup_key", ev.EventAction)
		}
	default:
		bad("event_action %q", ev.EventAction)
	}
	for _, l := range ev.Links {
		if !strings.HasPrefix(l.Href, "https://") && !strings.HasPrefix(l.Href, "http://") {
			bad("link href %q", l.Href)
		}
	}
	return ev, problems
}

func (e *events) sent() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Event, len(e.bodies))
	for i, b := range e.bodies {
		_ = json.Unmarshal(b, &out[i])
	}
	return out
}

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
	r, err := notify.New(notify.Config{Name: "soc-pager", Type: Type, Settings: map[string]any{"routing_key": "ssm:/warden/pd-key", "url": url + "/v2/enqueue"},
		Secrets: secrets{"ssm:/warden/pd-key": routingKey}, Templates: templates(t), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	rc := r.(*Receiver)
	rc.now = func() time.Time { return now }
	return rc
}

func TestGolden(t *testing.T) {
	msgs := sampleMessages("soc-pager")
	delete(msgs, "digest") // refused: TestDigestRefused
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			srv := newEvents(t)
			if _, err := newReceiver(t, srv.srv.URL, nil).Send(context.Background(), msgs[name]); err != nil {
				t.Fatal(err)
			}
			// The golden file holds the requests, in order, as one array.
			all := append([]byte("["), bytes.Join(srv.bodies, []byte(","))...)
			golden(t, filepath.Join("testdata", name+".json"), append(all, ']'))
		})
	}
}

func TestTriggerThenResolve(t *testing.T) {
	srv := newEvents(t)
	r := newReceiver(t, srv.srv.URL, nil)
	msgs := sampleMessages("soc-pager")
	id := gdItem().Record.FindingID
	res, err := r.Send(context.Background(), msgs["firing"])
	if err != nil {
		t.Fatal(err)
	}
	if res.Refs[id] != id || srv.alerts[id] != "triggered" {
		t.Fatalf("refs %v, alerts %v", res.Refs, srv.alerts)
	}
	resolved := msgs["resolved"]
	resolved.Refs = res.Refs // as the dispatcher passes them back
	res, err = r.Send(context.Background(), resolved)
	if err != nil {
		t.Fatal(err)
	}
	ev := srv.sent()
	if len(ev) != 2 || ev[0].EventAction != "trigger" || ev[1].EventAction != "resolve" || ev[0].DedupKey != ev[1].DedupKey || ev[1].Payload != nil {
		t.Fatalf("events %+v", ev)
	}
	if srv.alerts[id] != "resolved" || res.Refs[id] != id || !strings.Contains(res.Detail, "1 events accepted") {
		t.Errorf("alerts %v, refs %v, detail %q", srv.alerts, res.Refs, res.Detail)
	}
	if !r.Idempotent() {
		t.Error("not idempotent")
	}
}

func TestGroupSendsOneEventPerItem(t *testing.T) {
	srv := newEvents(t)
	res, err := newReceiver(t, srv.srv.URL, nil).Send(context.Background(), sampleMessages("soc-pager")["group"])
	if err != nil {
		t.Fatal(err)
	}
	ev := srv.sent()
	if len(ev) != 2 || ev[0].DedupKey == ev[1].DedupKey {
		t.Fatalf("events %+v", ev)
	}
	if ev[0].Payload.Severity != "error" || ev[1].Payload.Severity != "warning" || ev[1].Payload.Class != "Security Hub" || ev[0].Payload.Component != "AwsEc2Instance" {
		t.Errorf("payloads %+v %+v", ev[0].Payload, ev[1].Payload)
	}
	if len(res.Refs) != 2 || res.Refs[controlItem().Record.FindingID] != ev[1].DedupKey {
		t.Errorf("refs %v", res.Refs)
	}
}

func TestRateLimitedThenAccepted(t *testing.T) {
	for name, c := range map[string]struct {
		header map[string]string
		retry  time.Duration
	}{
		"without Retry-After": {nil, 0},
		"with Retry-After":    {map[string]string{"Retry-After": "20"}, 20 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newEvents(t, reply{status: 429, header: c.header, body: `{"status":"throttle event","message":"Requests for this service are arriving too quickly. Please retry later."}`})
			r := newReceiver(t, srv.srv.URL, nil)
			msg := sampleMessages("soc-pager")["firing"]
			_, err := r.Send(context.Background(), msg)
			if err == nil || notify.IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 429") {
				t.Fatalf("error %v, want a retryable 429", err)
			}
			if d, ok := notify.RetryDelay(err); ok != (c.retry > 0) || d != c.retry {
				t.Errorf("retry delay %v %v, want %v", d, ok, c.retry)
			}
			if _, err := r.Send(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			if ev := srv.sent(); len(ev) != 2 || ev[0].DedupKey != ev[1].DedupKey || len(srv.alerts) != 1 {
				t.Errorf("events %d, alerts %v: the retry must reuse the dedup key", len(ev), srv.alerts)
			}
		})
	}
}

func TestPartialFailureRetriesIdempotently(t *testing.T) {
	srv := newEvents(t)
	r := newReceiver(t, srv.srv.URL, nil)
	msg := sampleMessages("soc-pager")["group"]
	// The first event goes through, the second meets a 500.
	srv.answerAt(2, reply{status: 500, body: "internal"})
	_, err := r.Send(context.Background(), msg)
	if err == nil || notify.IsPermanent(err) || !strings.Contains(err.Error(), "event 2 of 2") {
		t.Fatalf("error %v, want a retryable failure of event 2 of 2", err)
	}
	if _, err := r.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if len(srv.alerts) != 2 {
		t.Errorf("alerts %v, want the two findings once each", srv.alerts)
	}
}

func TestInvalidEventIsPermanent(t *testing.T) {
	var logs bytes.Buffer
	srv := newEvents(t, reply{status: 400, body: `{"status":"invalid event","message":"Event object is invalid","errors":["'routing_key' ` + routingKey + ` is invalid"]}`})
	r := newReceiver(t, srv.srv.URL, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	_, err := r.Send(context.Background(), sampleMessages("soc-pager")["firing"])
	if err == nil || !notify.IsPermanent(err) || !strings.Contains(err.Error(), "Event object is invalid") {
		t.Fatalf("error %v, want a permanent invalid event", err)
	}
	if strings.Contains(err.Error()+logs.String(), routingKey) {
		t.Errorf("routing key leaked: %v\n%s", err, logs.String())
	}
}

func TestTransportErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := newReceiver(t, srv.URL, nil).Send(context.Background(), sampleMessages("soc-pager")["firing"])
	if err == nil || notify.IsPermanent(err) || strings.Contains(err.Error(), routingKey) {
		t.Fatalf("error %v", err)
	}
}

func TestDigestRefused(t *testing.T) {
	srv := newEvents(t)
	_, err := newReceiver(t, srv.srv.URL, nil).Send(context.Background(), sampleMessages("soc-pager")["digest"])
	if err == nil || !notify.IsPermanent(err) || !strings.Contains(err.Error(), "does not take digests") || len(srv.sent()) != 0 {
		t.Fatalf("error %v after %d events", err, len(srv.sent()))
	}
}

func TestActionEvents(t *testing.T) {
	srv := newEvents(t)
	r := newReceiver(t, srv.srv.URL, nil)
	msg := sampleMessages("soc-pager")["action"]
	res, err := r.Send(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	key := gdItem().Record.FindingID + ":action:4711"
	if srv.alerts[key] != "triggered" || len(res.Refs) != 0 {
		t.Fatalf("alerts %v, refs %v: an action has its own alert and leaves the finding's ref alone", srv.alerts, res.Refs)
	}
	ev := srv.sent()[0]
	details := ev.Payload.CustomDetails["remediation_action"].(map[string]any)
	if details["approve_command"] != "warden approve 4711" || !strings.HasPrefix(ev.Payload.Summary, "Approval needed: ec2-isolate for [HIGH]") {
		t.Errorf("event %+v", ev.Payload)
	}
	msg.Items[0].Action.Status = "done"
	if _, err := r.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if srv.alerts[key] != "resolved" {
		t.Errorf("alerts %v: a done remediation resolves its alert", srv.alerts)
	}
}

func TestTestMessage(t *testing.T) {
	srv := newEvents(t)
	if _, err := newReceiver(t, srv.srv.URL, nil).Send(context.Background(), sampleMessages("soc-pager")["test"]); err != nil {
		t.Fatal(err)
	}
	ev := srv.sent()
	if len(ev) != 2 || ev[0].EventAction != "trigger" || ev[1].EventAction != "resolve" || ev[0].DedupKey != ev[1].DedupKey {
		t.Fatalf("events %+v: want a trigger and its resolve", ev)
	}
}

func TestDedupKey(t *testing.T) {
	short := strings.Repeat("a", 255)
	if DedupKey(short) != short {
		t.Error("a 255-character id was changed")
	}
	long := strings.Repeat("a", 256)
	k := DedupKey(long)
	if !strings.HasPrefix(k, "sha256:") || len(k) != 71 || k != DedupKey(long) || k == DedupKey(long+"b") {
		t.Errorf("DedupKey(long) = %q", k)
	}
	srv := newEvents(t)
	it := gdItem()
	it.Record.FindingID = long
	msg := &notify.Message{Kind: notify.KindFiring, Items: []notify.Item{it}, Now: now}
	res, err := newReceiver(t, srv.srv.URL, nil).Send(context.Background(), msg)
	if err != nil || res.Refs[long] != k {
		t.Fatalf("refs %v, %v", res.Refs, err)
	}
	// A reference kept from an earlier send wins.
	msg.Refs = map[string]string{long: "earlier-key"}
	if res, err = newReceiver(t, srv.srv.URL, nil).Send(context.Background(), msg); err != nil || res.Refs[long] != "earlier-key" {
		t.Fatalf("refs %v, %v", res.Refs, err)
	}
}

func TestSeverity(t *testing.T) {
	for s, want := range map[finding.Severity]string{
		finding.SeverityCritical: "critical", finding.SeverityHigh: "error", finding.SeverityMedium: "warning",
		finding.SeverityLow: "info", finding.SeverityInformational: "info", finding.SeverityUnknown: "warning",
	} {
		if got := Severity(s); got != want {
			t.Errorf("Severity(%v) = %s, want %s", s, got, want)
		}
	}
}

func TestHostileAndLongText(t *testing.T) {
	it := hostileItem()
	it.Record.Title = strings.Repeat("long title \x1b ", 300)
	srv := newEvents(t)
	if _, err := newReceiver(t, srv.srv.URL, nil).Send(context.Background(), &notify.Message{Kind: notify.KindFiring, Items: []notify.Item{it}, Now: now}); err != nil {
		t.Fatal(err)
	}
	ev := srv.sent()[0]
	if strings.ContainsAny(ev.Payload.Summary, "\n\x1b\u202e") {
		t.Errorf("summary %q has control characters", ev.Payload.Summary)
	}
	for _, l := range ev.Links {
		if strings.HasPrefix(l.Href, "javascript:") || strings.ContainsAny(l.Href, "<>|") {
			t.Errorf("link %q", l.Href)
		}
	}
}

func TestSettings(t *testing.T) {
	cases := []struct {
		settings map[string]any
		want     string
	}{
		{map[string]any{"routing_key": "ssm:/warden/pd"}, ""},
		{map[string]any{"routing_key": "env:PD", "url": "https://events.eu.pagerduty.com/v2/enqueue"}, ""},
		{map[string]any{}, "setting routing_key: required"},
		{map[string]any{"routing_key": routingKey}, "setting routing_key: is a secret"},
		{map[string]any{"routing_key": "env:PD", "url": "http://events.pagerduty.com/v2/enqueue"}, "setting url: must use https"},
		{map[string]any{"routing_key": "env:PD", "severity": "critical"}, "setting severity: unknown"},
	}
	for _, c := range cases {
		_, err := notify.New(notify.Config{Name: "p", Type: Type, Settings: c.settings, Secrets: secrets{}, Templates: templates(t)})
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: error %v, want %q", c.settings, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), routingKey) {
			t.Errorf("routing key in error: %v", err)
		}
	}
}

func golden(t *testing.T, path string, body []byte) {
	t.Helper()
	notifytest.GoldenJSON(t, path, body, *update)
}

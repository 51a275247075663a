package webhook

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
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/notifytest"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type secrets = notifytest.Secrets

const (
	signingKey = "whsec-s3cr3tSigningKey"
	apiKey     = "s3cr3tApiKeyForTheSOAR"
)

func templates(t *testing.T) notify.Renderer {
	t.Helper()
	set, err := tmpl.Default()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func newReceiver(t *testing.T, settings map[string]any, sec secrets, log *slog.Logger) *Receiver {
	t.Helper()
	r, err := notify.New(notify.Config{Name: "soar", Type: Type, Settings: settings, Secrets: sec, Templates: templates(t), Log: log})
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

// receiverServer is a consumer of Warden's webhooks: it checks the
// headers and the signature with Verify, as a consumer would.
type receiverServer struct {
	t       *testing.T
	srv     *httptest.Server
	bodies  [][]byte
	headers []http.Header
	replies []reply
	hits    atomic.Int32
}

func newReceiverServer(t *testing.T, replies ...reply) *receiverServer {
	s := &receiverServer{t: t, replies: replies}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/hooks/warden" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		body, _ := io.ReadAll(r.Body)
		s.bodies = append(s.bodies, body)
		s.headers = append(s.headers, r.Header.Clone())
		if err := Verify([]byte(signingKey), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, now.Add(30*time.Second), time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		var p struct {
			Version int           `json:"version"`
			Summary string        `json:"summary"`
			Kind    notify.Kind   `json:"kind"`
			Items   []notify.Item `json:"items"`
		}
		if err := json.Unmarshal(body, &p); err != nil || p.Version != 1 || p.Summary == "" || p.Kind == "" {
			t.Errorf("body: version %d, summary %q, kind %q, %v", p.Version, p.Summary, p.Kind, err)
		}
		rep := reply{status: http.StatusNoContent}
		if len(s.replies) > 0 {
			rep, s.replies = s.replies[0], s.replies[1:]
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func signed(url string) (map[string]any, secrets) {
	return map[string]any{"url": url, "secret": "env:WEBHOOK_SECRET"}, secrets{"env:WEBHOOK_SECRET": signingKey}
}

func TestGolden(t *testing.T) {
	msgs := sampleMessages("soar")
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			srv := newReceiverServer(t)
			settings, sec := signed(srv.srv.URL + "/hooks/warden")
			res, err := newReceiver(t, settings, sec, nil).Send(context.Background(), msgs[name])
			if err != nil {
				t.Fatal(err)
			}
			if len(srv.bodies) != 1 || !strings.HasPrefix(res.Detail, "HTTP 204, delivery ") {
				t.Fatalf("%d requests, detail %q", len(srv.bodies), res.Detail)
			}
			golden(t, filepath.Join("testdata", name+".json"), srv.bodies[0])
		})
	}
}

func TestHeaders(t *testing.T) {
	srv := newReceiverServer(t)
	settings, sec := signed("env:WEBHOOK_URL")
	settings["headers"] = map[string]any{"X-Api-Key": "env:SOAR_KEY", "x-tenant": "payments"}
	sec["env:WEBHOOK_URL"] = srv.srv.URL + "/hooks/warden"
	sec["env:SOAR_KEY"] = apiKey
	msg := sampleMessages("soar")["firing"]
	if _, err := newReceiver(t, settings, sec, nil).Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	h := srv.headers[0]
	for k, want := range map[string]string{
		"X-Api-Key":     apiKey,
		"X-Tenant":      "payments",
		"User-Agent":    "Warden",
		HeaderTimestamp: strconv.FormatInt(now.Unix(), 10),
		HeaderDelivery:  DeliveryID("soar", msg),
		HeaderSignature: Sign([]byte(signingKey), strconv.FormatInt(now.Unix(), 10), srv.bodies[0]),
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestUnsigned(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	r := newReceiver(t, map[string]any{"url": srv.URL}, nil, nil)
	if _, err := r.Send(context.Background(), sampleMessages("soar")["firing"]); err != nil {
		t.Fatal(err)
	}
	if got.Get(HeaderSignature) != "" || got.Get(HeaderTimestamp) != "" || len(got.Get(HeaderDelivery)) != 32 {
		t.Errorf("headers %v: want a delivery id and no signature", got)
	}
}

func TestDeliveryID(t *testing.T) {
	base := sampleMessages("soar")["firing"]
	id := DeliveryID("soar", base)
	later := *base
	later.Now = base.Now.Add(time.Hour) // a retry an hour later
	if DeliveryID("soar", &later) != id {
		t.Error("a retry of the same message has another delivery id")
	}
	renotified := *base
	renotified.Items = []notify.Item{gdItem()}
	renotified.Items[0].Record.DecidedAt = t0.Add(15 * 24 * time.Hour)
	digest := sampleMessages("soar")["digest"]
	digestRetry := *digest
	digestRetry.Now = digest.Now.Add(30 * time.Minute)
	if DeliveryID("soar", &digestRetry) != DeliveryID("soar", digest) {
		t.Error("a retry of a digest within the hour has another delivery id")
	}
	nextDigest := *digest
	nextDigest.Now = digest.Now.Add(24 * time.Hour)
	resolved := sampleMessages("soar")["resolved"]
	action := sampleMessages("soar")["action"]
	done := *action
	done.Items = []notify.Item{action.Items[0]}
	done.Items[0].Action = &notify.ActionInfo{JobID: 4711, Status: "done"}
	seen := map[string]string{}
	for name, m := range map[string]*notify.Message{
		"firing": base, "renotified": &renotified, "digest": digest, "next digest": &nextDigest,
		"resolved": resolved, "action": action, "action done": &done,
	} {
		d := DeliveryID("soar", m)
		if other, dup := seen[d]; dup {
			t.Errorf("%s and %s share delivery id %s", name, other, d)
		}
		seen[d] = name
	}
	if DeliveryID("other", base) == id {
		t.Error("two receivers share a delivery id")
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
		{"bad request", reply{status: 400, body: `{"error":"unknown field kind"}`}, true, 0, `HTTP 400 Bad Request: {"error":"unknown field kind"}`},
		{"unauthorized", reply{status: 401}, true, 0, "HTTP 401 Unauthorized"},
		{"gone", reply{status: 410}, true, 0, "HTTP 410"},
		{"too many", reply{status: 429, header: map[string]string{"Retry-After": "120"}}, false, 2 * time.Minute, "HTTP 429"},
		{"unavailable with Retry-After", reply{status: 503, header: map[string]string{"Retry-After": now.Add(time.Minute).Format(http.TimeFormat)}}, false, time.Minute, "HTTP 503"},
		{"server error", reply{status: 500, body: strings.Repeat("x", 5000)}, false, 0, "HTTP 500"},
		{"timeout", reply{status: 408}, false, 0, "HTTP 408"},
		{"redirect", reply{status: 307, header: map[string]string{"Location": "/elsewhere"}}, true, 0, "redirects are not followed"},
		{"echoes secrets", reply{status: 400, body: "bad key " + apiKey + " and " + signingKey}, true, 0, "[redacted]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newReceiverServer(t, c.reply)
			var logs bytes.Buffer
			settings, sec := signed(srv.srv.URL + "/hooks/warden")
			settings["headers"] = map[string]any{"X-Api-Key": "env:SOAR_KEY"}
			sec["env:SOAR_KEY"] = apiKey
			r := newReceiver(t, settings, sec, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			_, err := r.Send(context.Background(), sampleMessages("soar")["firing"])
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error of %d bytes: the response is not cut", len(err.Error()))
			}
			if notify.IsPermanent(err) != c.permanent {
				t.Errorf("permanent = %v, want %v", notify.IsPermanent(err), c.permanent)
			}
			if d, ok := notify.RetryDelay(err); ok != (c.retry > 0) || d != c.retry {
				t.Errorf("retry delay %v %v, want %v", d, ok, c.retry)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("%d requests, want 1 (redirects are not followed)", n)
			}
			for _, s := range []string{apiKey, signingKey} {
				if strings.Contains(err.Error()+logs.String(), s) {
					t.Errorf("secret leaked: %v\n%s", err, logs.String())
				}
			}
		})
	}
}

func TestSecretURL(t *testing.T) {
	const token = "T0K3Ns3cr3tInThePath"
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hooks/" + token
	srv.Close()
	for name, target := range map[string]string{"refused": url, "plain http": "http://soar.example/hooks/" + token, "not a URL": "::" + token} {
		t.Run(name, func(t *testing.T) {
			r := newReceiver(t, map[string]any{"url": "env:WEBHOOK_URL"}, secrets{"env:WEBHOOK_URL": target}, nil)
			_, err := r.Send(context.Background(), sampleMessages("soar")["firing"])
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("secret URL in error: %v", err)
			}
			if name != "refused" && (!notify.IsPermanent(err) || !strings.Contains(err.Error(), "env:WEBHOOK_URL")) {
				t.Errorf("error %v: want a permanent one naming the reference", err)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]any
		want     string
	}{
		{"https literal", map[string]any{"url": "https://soar.example/hooks/warden"}, ""},
		{"reference", map[string]any{"url": "ssm:/warden/soar-url", "secret": "env:S", "headers": map[string]any{"X-Api-Key": "env:K", "X-Tenant": "payments"}}, ""},
		{"localhost http", map[string]any{"url": "http://127.0.0.1:8080/hook"}, ""},
		{"localhost name", map[string]any{"url": "http://localhost:8080/hook"}, ""},
		{"missing url", map[string]any{}, "setting url: required"},
		{"remote http", map[string]any{"url": "http://soar.example/hook"}, "setting url: must use https"},
		{"ftp", map[string]any{"url": "ftp://soar.example/hook"}, "setting url: must be an https URL"},
		{"relative", map[string]any{"url": "/hook"}, "setting url: is not an absolute URL"},
		{"credentials", map[string]any{"url": "https://user:pw@soar.example/hook"}, "setting url: must not carry credentials"},
		{"inline secret", map[string]any{"url": "https://soar.example", "secret": signingKey}, "setting secret: is a secret"},
		{"headers not a map", map[string]any{"url": "https://soar.example", "headers": "X-A: b"}, "setting headers: must be a map"},
		{"header value not a string", map[string]any{"url": "https://soar.example", "headers": map[string]any{"X-A": 1.0}}, "setting headers.X-A: must be a string"},
		{"reserved header", map[string]any{"url": "https://soar.example", "headers": map[string]any{"x-warden-signature": "x"}}, "setting headers.x-warden-signature"},
		{"content type", map[string]any{"url": "https://soar.example", "headers": map[string]any{"Content-Type": "text/plain"}}, "setting headers.Content-Type"},
		{"bad header name", map[string]any{"url": "https://soar.example", "headers": map[string]any{"X A": "b"}}, "setting headers.X A"},
		{"header injection", map[string]any{"url": "https://soar.example", "headers": map[string]any{"X-A": "b\r\nX-Evil: 1"}}, "control characters"},
		{"unknown", map[string]any{"url": "https://soar.example", "method": "PUT"}, "setting method: unknown"},
		{"url not a string", map[string]any{"url": []any{"https://a"}}, "setting url: must be a string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := notify.New(notify.Config{Name: "soar", Type: Type, Settings: c.settings, Secrets: secrets{}, Templates: templates(t)})
			if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("secret in error: %v", err)
			}
		})
	}
	if _, err := New(notify.Config{Name: "soar", Settings: map[string]any{"url": "env:U"}, Templates: templates(t)}); err == nil {
		t.Error("a reference without a resolver was accepted")
	}
}

func TestHeaderSecretWithNewline(t *testing.T) {
	srv := newReceiverServer(t)
	settings, sec := signed(srv.srv.URL + "/hooks/warden")
	settings["headers"] = map[string]any{"X-Api-Key": "env:SOAR_KEY"}
	sec["env:SOAR_KEY"] = apiKey + "\r\nX-Evil: 1"
	_, err := newReceiver(t, settings, sec, nil).Send(context.Background(), sampleMessages("soar")["firing"])
	if err == nil || !notify.IsPermanent(err) || strings.Contains(err.Error(), apiKey) || srv.hits.Load() != 0 {
		t.Fatalf("error %v after %d requests: want a permanent one before sending, without the value", err, srv.hits.Load())
	}
}

func TestHostileLinksDropped(t *testing.T) {
	it := hostileItem()
	r := newReceiver(t, map[string]any{"url": "https://soar.example"}, nil, nil)
	body, err := r.Body(&notify.Message{Kind: notify.KindFiring, Items: []notify.Item{it}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Summary string `json:"summary"`
		Items   []struct {
			ConsoleURL     string `json:"console_url"`
			RemediationURL string `json:"remediation_url"`
			Description    string `json:"description"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	got := p.Items[0]
	if got.ConsoleURL != "" || strings.ContainsAny(got.RemediationURL, "<>|()[]") || !strings.HasPrefix(got.RemediationURL, "https://docs.example.com/") {
		t.Errorf("links %q %q", got.ConsoleURL, got.RemediationURL)
	}
	if got.Description != hostile {
		t.Error("finding text was changed: the body carries it as it is")
	}
	if strings.ContainsAny(p.Summary, "\n\x1b\u202e") {
		t.Errorf("summary %q has control characters", p.Summary)
	}
}

func golden(t *testing.T, path string, body []byte) {
	t.Helper()
	notifytest.GoldenJSON(t, path, body, *update)
}

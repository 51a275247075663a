package playbook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/wardenhq/warden/internal/remediate"
)

// HTTPRequest makes one templated call to a third-party security platform
// (an EDR's containment API, a SOAR webhook, a ticketing system).
//
// Parameters:
//
//   - url: https only (http only to localhost, 127.0.0.1 and ::1). It is
//     not a template; it may contain the placeholder {secret}.
//   - method: default POST.
//   - headers: a list of "Name: value"; a value may contain {secret}.
//   - secret: a secret reference (env:, file:, ssm:, secretsmanager:)
//     resolved through Env.Secrets and put where {secret} stands. The
//     secret never appears in the step record, errors or logs.
//   - body: a Go text/template rendered with the remediate.Request as
//     data ({{.FindingID}}, {{.Title}}, {{.AccountID}}, {{.Severity}},
//     {{.Resources}}, …). Finding values are attacker-controlled, so every
//     value the template writes must go through the json function, which
//     writes it as a JSON value with its quotes: {"title": {{json
//     .Title}}} or {{.Title | json}}. A body that writes a value without
//     json is refused when the playbook runs. Bodies are JSON; without a
//     Content-Type header, application/json is sent.
//   - timeout: per attempt (default 10s, at most 2m).
//
// A 2xx answer is success. 429 and 5xx answers and network errors are
// retried (4 attempts in all, with back-off 0.5s, 1s, 2s, or the server's
// Retry-After up to a minute); other answers fail the run with the status.
// Redirects are not followed (headers would travel to another host).
type HTTPRequest struct {
	// wait sleeps between attempts; nil is a timer that honours ctx.
	wait func(ctx context.Context, d time.Duration) error
}

// Name implements remediate.Playbook.
func (HTTPRequest) Name() string { return "http-request" }

const (
	httpAttempts       = 4
	httpFirstBackoff   = 500 * time.Millisecond
	httpMaxRetryAfter  = time.Minute
	httpDefaultTimeout = 10 * time.Second
	httpMaxTimeout     = 2 * time.Minute
	httpMaxBody        = 1 << 20 // rendered request body
	httpKeepResponse   = 1024    // response bytes kept in the record
	httpKeepBody       = 4096    // request body bytes kept in the record
	secretPlaceholder  = "{secret}"
	redacted           = "[redacted]"
)

var (
	headerNameRe = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	methods      = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}
	// sensitiveHeaders are recorded without their values even when they
	// hold no {secret}.
	sensitiveHeaders = regexp.MustCompile(`(?i)(authorization|cookie|token|secret|key|signature|password|auth)`)
)

// Run implements remediate.Playbook.
func (p HTTPRequest) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	cfg, err := httpParams(req)
	if err != nil {
		return err
	}
	var body []byte
	err = rec.Step("render-request", false, func(s *remediate.Step) error {
		if cfg.body != "" {
			if body, err = renderBody(cfg.body, req); err != nil {
				return err
			}
		}
		s.After = map[string]any{"method": cfg.method, "url": cfg.url, "headers": cfg.recordHeaders(), "body": clip(string(body), httpKeepBody)}
		return nil
	})
	if err != nil {
		return err
	}

	return rec.Step("send-request", false, func(s *remediate.Step) error {
		s.Request = map[string]any{"method": cfg.method, "url": cfg.url, "headers": cfg.recordHeaders()}
		secretValue := ""
		if cfg.secretRef != "" {
			if env.Secrets == nil {
				return fmt.Errorf("params.secret: no secret resolver is configured")
			}
			v, err := env.Secrets.Resolve(ctx, cfg.secretRef)
			if err != nil {
				return fmt.Errorf("resolving params.secret %s: %w", cfg.secretRef, err)
			}
			if strings.ContainsAny(v, "\r\n\x00") {
				return fmt.Errorf("params.secret %s: the value contains a line break or NUL and cannot go into a header", cfg.secretRef)
			}
			secretValue = v
		}
		red := redactor(secretValue)
		if env.DryRun {
			s.Status, s.Detail = remediate.StepWouldChange, "would send "+cfg.method+" "+cfg.url
			return nil
		}
		hreq := cfg.build(secretValue)
		client := noRedirects(env.HTTP)
		wait := p.wait
		if wait == nil {
			wait = sleepCtx
		}
		var lastStatus int
		var lastErr error
		for attempt := 1; attempt <= httpAttempts; attempt++ {
			status, resp, retryAfter, err := send(ctx, client, hreq, body, cfg.timeout)
			s.After = map[string]any{"attempts": attempt}
			if err == nil && status >= 200 && status < 300 {
				s.After = map[string]any{"attempts": attempt, "status": status, "response": red(clip(string(resp), httpKeepResponse))}
				s.Status, s.Detail = remediate.StepChanged, fmt.Sprintf("%s %s answered %d", cfg.method, cfg.url, status)
				return nil
			}
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("sending %s %s: %w", cfg.method, cfg.url, ctx.Err())
				}
				// The transport error names the URL, which may hold the secret.
				lastErr, lastStatus = errors.New(red(err.Error())), 0
			} else {
				lastErr, lastStatus = fmt.Errorf("%s %s: HTTP %d: %s", cfg.method, cfg.url, status, red(clip(strings.TrimSpace(string(resp)), 256))), status
				s.After = map[string]any{"attempts": attempt, "status": status, "response": red(clip(string(resp), httpKeepResponse))}
				if status != http.StatusTooManyRequests && status < 500 {
					return lastErr
				}
			}
			if attempt == httpAttempts {
				break
			}
			d := httpFirstBackoff << (attempt - 1)
			if retryAfter > 0 {
				d = min(retryAfter, httpMaxRetryAfter)
			}
			if err := wait(ctx, d); err != nil {
				return fmt.Errorf("waiting to retry %s %s: %w", cfg.method, cfg.url, err)
			}
		}
		if lastStatus != 0 {
			return fmt.Errorf("giving up after %d attempts: %w", httpAttempts, lastErr)
		}
		return fmt.Errorf("sending %s %s: giving up after %d attempts: %w", cfg.method, cfg.url, httpAttempts, lastErr)
	})
}

// httpConfig is the checked parameters.
type httpConfig struct {
	method, url, body, secretRef string
	headers                      [][2]string
	timeout                      time.Duration
}

func httpParams(req *remediate.Request) (*httpConfig, error) {
	c := &httpConfig{method: strings.ToUpper(first(paramString(req, "method"), "POST")), url: paramString(req, "url"),
		body: stringParamRaw(req, "body"), secretRef: paramString(req, "secret")}
	if !methods[c.method] {
		return nil, fmt.Errorf("params.method: %q is not one of GET, POST, PUT, PATCH, DELETE", c.method)
	}
	if err := checkURL(c.url); err != nil {
		return nil, fmt.Errorf("params.url: %w", err)
	}
	usesSecret := strings.Contains(c.url, secretPlaceholder)
	for i, h := range paramStrings(req, "headers") {
		name, value, ok := strings.Cut(h, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !headerNameRe.MatchString(name) {
			return nil, fmt.Errorf("params.headers[%d]: want \"Name: value\", got %q", i, h)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, fmt.Errorf("params.headers[%d]: the value contains a line break", i)
		}
		usesSecret = usesSecret || strings.Contains(value, secretPlaceholder)
		c.headers = append(c.headers, [2]string{http.CanonicalHeaderKey(name), value})
	}
	if usesSecret && c.secretRef == "" {
		return nil, fmt.Errorf("params.secret: the url or a header uses %s but no secret reference is set", secretPlaceholder)
	}
	var err error
	if c.timeout, err = paramDuration(req, "timeout", httpDefaultTimeout); err != nil {
		return nil, err
	}
	if c.timeout > httpMaxTimeout {
		return nil, fmt.Errorf("params.timeout: %s is over the maximum %s", c.timeout, httpMaxTimeout)
	}
	return c, nil
}

// stringParamRaw is a string parameter without trimming (bodies keep their
// layout).
func stringParamRaw(req *remediate.Request, name string) string {
	s, _ := req.Params[name].(string)
	return s
}

// checkURL allows https, and http to the local host only.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("required")
	}
	const sentinel = "warden-secret-placeholder"
	u, err := url.Parse(strings.ReplaceAll(raw, secretPlaceholder, sentinel))
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if u.User != nil {
		return errors.New("credentials in the URL: put them in a header with {secret}")
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if strings.Contains(u.Host, sentinel) {
		return errors.New("the host cannot hold the secret")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		switch u.Hostname() {
		case "localhost", "127.0.0.1", "::1":
			return nil
		}
		return fmt.Errorf("%q: plain http is allowed only to localhost; use https", raw)
	}
	return fmt.Errorf("%q: scheme must be https", raw)
}

// recordHeaders is the headers as the step record shows them.
func (c *httpConfig) recordHeaders() []string {
	out := make([]string, 0, len(c.headers))
	for _, h := range c.headers {
		v := h[1]
		if strings.Contains(v, secretPlaceholder) || sensitiveHeaders.MatchString(h[0]) {
			v = redacted
		}
		out = append(out, h[0]+": "+v)
	}
	return out
}

// build makes the request template with the secret in place.
func (c *httpConfig) build(secret string) *http.Request {
	// The secret is escaped for where it stands: path or query.
	path, query, hasQuery := strings.Cut(c.url, "?")
	u := strings.ReplaceAll(path, secretPlaceholder, url.PathEscape(secret))
	if hasQuery {
		u += "?" + strings.ReplaceAll(query, secretPlaceholder, url.QueryEscape(secret))
	}
	h := http.Header{}
	for _, kv := range c.headers {
		h.Add(kv[0], strings.ReplaceAll(kv[1], secretPlaceholder, secret))
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", "Warden")
	}
	return &http.Request{Method: c.method, URL: mustParse(u), Header: h}
}

func mustParse(u string) *url.URL {
	p, err := url.Parse(u)
	if err != nil {
		return &url.URL{Scheme: "https", Host: "invalid.invalid"}
	}
	return p
}

// send makes one attempt; it returns the status, the start of the
// response body and the Retry-After wait.
func send(ctx context.Context, client *http.Client, tmpl *http.Request, body []byte, timeout time.Duration) (int, []byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r := tmpl.Clone(ctx)
	if len(body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if r.Header.Get("Content-Type") == "" {
			r.Header.Set("Content-Type", "application/json")
		}
	}
	resp, err := client.Do(r)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, httpKeepResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	return resp.StatusCode, b, retryAfter(resp.Header.Get("Retry-After"), time.Now()), nil
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// noRedirects returns a copy of c (nil: a default client) that does not
// follow redirects.
func noRedirects(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// redactor returns a function that blanks the secret (and its URL-escaped
// forms) out of text.
func redactor(secret string) func(string) string {
	if secret == "" {
		return func(s string) string { return s }
	}
	forms := []string{secret, url.PathEscape(secret), url.QueryEscape(secret)}
	return func(s string) string {
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, redacted)
		}
		return s
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return truncateRunes(s, n)
}

// renderBody renders the body template with the request as data, after
// checking that every value it writes goes through json.
func renderBody(src string, req *remediate.Request) ([]byte, error) {
	t, err := template.New("body").Funcs(template.FuncMap{"json": jsonValue}).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("params.body: %w", err)
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		if err := checkJSONEscaped(tt.Tree.Root); err != nil {
			return nil, fmt.Errorf("params.body: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&limitWriter{w: &buf, n: httpMaxBody}, req); err != nil {
		return nil, fmt.Errorf("params.body: rendering: %w", err)
	}
	return buf.Bytes(), nil
}

// jsonValue writes v as a JSON value (strings with their quotes).
func jsonValue(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// checkJSONEscaped refuses template actions that write a value without
// passing it through json last.
func checkJSONEscaped(n parse.Node) error {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return nil
		}
		for _, c := range x.Nodes {
			if err := checkJSONEscaped(c); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		if len(x.Pipe.Decl) > 0 {
			return nil // $x := … writes nothing
		}
		cmds := x.Pipe.Cmds
		if len(cmds) > 0 && len(cmds[len(cmds)-1].Args) > 0 {
			if id, ok := cmds[len(cmds)-1].Args[0].(*parse.IdentifierNode); ok && id.Ident == "json" {
				return nil
			}
		}
		return fmt.Errorf("line %d: %s writes a value without json: finding values must be written as {{json .Field}} or {{.Field | json}}", x.Line, x.String())
	case *parse.IfNode:
		return checkBranches(x.List, x.ElseList)
	case *parse.RangeNode:
		return checkBranches(x.List, x.ElseList)
	case *parse.WithNode:
		return checkBranches(x.List, x.ElseList)
	}
	return nil
}

func checkBranches(lists ...*parse.ListNode) error {
	for _, l := range lists {
		if l != nil {
			if err := checkJSONEscaped(l); err != nil {
				return err
			}
		}
	}
	return nil
}

// limitWriter fails writes past n bytes.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, fmt.Errorf("body over %d bytes", httpMaxBody)
	}
	l.n -= len(p)
	return l.w.Write(p)
}

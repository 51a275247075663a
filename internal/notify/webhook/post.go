package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

// Request is one JSON POST.
type Request struct {
	URL    string
	Body   []byte
	Header http.Header
	// Secrets are values that must never appear in an error (a token, a
	// webhook URL that carries its credential): they are cut out of
	// transport errors and response excerpts.
	Secrets []string
	// Now is the time Retry-After dates are measured from.
	Now time.Time
}

// Response is what the destination answered.
type Response struct {
	Status int
	Header http.Header
	// Body holds at most MaxBody bytes of the response.
	Body []byte
}

// MaxBody caps how much of a response is read.
const MaxBody = 64 << 10

// MaxRetryAfter caps the wait a destination may ask for.
const MaxRetryAfter = time.Hour

// Post sends r.Body as JSON and classifies the outcome the way the
// dispatcher expects: a 2xx returns a nil error; 429 (and 503 with
// Retry-After) returns a notify.RetryAfter error; 408, other 5xx and
// transport errors return plain (retryable) errors; redirects (never
// followed, so a signed body or a token cannot be sent elsewhere) and
// other 4xx return notify.Permanent errors. Errors quote the status and
// up to 200 characters of the response, never the URL or r.Secrets.
func Post(ctx context.Context, c *http.Client, r Request) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Response{}, notify.Permanent(errors.New("building request: invalid URL"))
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Warden")
	}
	secrets := append(urlParts(r.URL), r.Secrets...)
	nc := noRedirects(c)
	resp, err := nc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Response{}, redacted{msg: "sending request: " + redact(err.Error(), secrets), err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	out := Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	return out, Classify(out, r.Now, secrets)
}

// urlParts are the pieces of a URL that may carry its credential (a
// webhook token in the path, a signature in the query), to cut out of
// errors: the URL, its path and query, and every path segment and query
// value of 12 characters or more.
func urlParts(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	out = append(out, u.EscapedPath(), u.Path, u.RawQuery)
	for _, seg := range strings.Split(u.Path, "/") {
		out = append(out, seg, url.PathEscape(seg))
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			out = append(out, v, url.QueryEscape(v))
		}
	}
	long := out[:1]
	for _, s := range out[1:] {
		if len(s) >= 12 {
			long = append(long, s)
		}
	}
	return long
}

func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = notify.DefaultHTTPClient()
	}
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &nc
}

// Classify turns a response status into the error Post returns for it
// (nil for 2xx). now is the time Retry-After dates are measured from;
// secrets are cut out of the quoted response.
func Classify(resp Response, now time.Time, secrets []string) error {
	st := resp.Status
	if st >= 200 && st < 300 {
		return nil
	}
	err := fmt.Errorf("HTTP %d %s%s", st, http.StatusText(st), Excerpt(resp.Body, secrets))
	switch {
	case st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable:
		if d, ok := RetryAfterHeader(resp.Header.Get("Retry-After"), now); ok {
			return notify.RetryAfter(err, d)
		}
		return err
	case st == http.StatusRequestTimeout || st >= 500:
		return err
	case st >= 300 && st < 400:
		return notify.Permanent(fmt.Errorf("%w: redirects are not followed; check the URL", err))
	}
	return notify.Permanent(err)
}

// RetryAfterHeader reads a Retry-After value, in seconds or as an HTTP
// date, as a wait from now (at most MaxRetryAfter).
func RetryAfterHeader(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		d = time.Duration(min(n, int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}

// Excerpt returns ": " and the first 200 characters of a response body
// (control characters removed, white space collapsed, secrets cut out),
// or "" for an empty body.
func Excerpt(body []byte, secrets []string) string {
	s := strings.Join(strings.Fields(tmpl.Plain(string(body))), " ")
	s = redact(s, secrets)
	if s == "" {
		return ""
	}
	return ": " + tmpl.Truncate(200, s)
}

func redact(s string, secrets []string) string {
	// Longest first, so a part of a secret does not leave the rest.
	secrets = append([]string(nil), secrets...)
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// redacted is a transport error whose message had secrets cut out; it
// still unwraps to the cause (context.Canceled, a net.Error).
type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }

// Marshal encodes v as JSON without escaping <, > and & (the bodies are
// not HTML, and people read them in logs and docs).
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

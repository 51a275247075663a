package jira

import (
	"bytes"
	"context"
	"encoding/base64"
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
)

// client speaks Jira's REST API v2, which Cloud and Data Center share.
type client struct {
	base       string
	http       *http.Client
	auth       string // the Authorization header value
	cloud      bool
	now        func() time.Time
	defaultTry time.Duration // wait for a 429 without Retry-After
}

// apiError is a non-2xx answer.
type apiError struct {
	Method, Path string
	Status       int
	Messages     []string          // errorMessages
	Fields       map[string]string // errors: field → message
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jira %s %s: HTTP %d", e.Method, e.Path, e.Status)
	parts := append([]string(nil), e.Messages...)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	if len(parts) > 0 {
		msg := strings.Join(parts, "; ")
		if len(msg) > 400 {
			msg = msg[:400] + "…"
		}
		b.WriteString(": " + msg)
	}
	return b.String()
}

func isStatus(err error, status int) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == status
}

// do sends a JSON request and decodes a JSON answer into out (when not
// nil). Errors are classified for the dispatcher: 401, 403, 404 and other
// 4xx are permanent, 429 asks for its Retry-After, 408 and 5xx retry.
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return notify.Permanent(fmt.Errorf("encoding jira %s %s: %w", method, path, err))
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return notify.Permanent(fmt.Errorf("jira %s %s: %w", method, path, err))
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// Data Center refuses state-changing requests it takes for XSRF
	// without this header.
	req.Header.Set("X-Atlassian-Token", "no-check")
	resp, err := c.http.Do(req)
	if err != nil {
		// The *url.Error names the URL, never the Authorization header.
		return fmt.Errorf("jira %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("jira %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		if out == nil || len(bytes.TrimSpace(raw)) == 0 {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("jira %s %s: decoding the answer: %w", method, path, err)
		}
		return nil
	}
	ae := &apiError{Method: method, Path: path, Status: resp.StatusCode}
	var eb struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(raw, &eb) == nil {
		ae.Messages, ae.Fields = eb.ErrorMessages, eb.Errors
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return notify.RetryAfter(ae, c.retryAfter(resp.Header.Get("Retry-After")))
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		if d := c.retryAfter(resp.Header.Get("Retry-After")); resp.Header.Get("Retry-After") != "" {
			return notify.RetryAfter(ae, d)
		}
		return ae
	default:
		return notify.Permanent(ae)
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func (c *client) retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return c.defaultTry
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(c.now()); d > 0 {
			return d
		}
		return 0
	}
	return c.defaultTry
}

func basicAuth(user, token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
}

func bearer(token string) string { return "Bearer " + token }

func issuePath(key string, rest string) string {
	return "/rest/api/2/issue/" + url.PathEscape(key) + rest
}

package jira

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// Label is the label that ties an issue to a finding: "warden-" and the
// first 16 hex digits of the SHA-256 of the finding id. Looking issues up
// by it is what keeps a retried send from opening a second issue.
func Label(findingID string) string {
	sum := sha256.Sum256([]byte(findingID))
	return "warden-" + hex.EncodeToString(sum[:])[:16]
}

// status is an issue's workflow status.
type status struct {
	Name     string `json:"name"`
	Category struct {
		Key string `json:"key"` // new, indeterminate, done
	} `json:"statusCategory"`
}

func (s status) done() bool { return s.Category.Key == "done" }

type issueRef struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Fields struct {
		Status status `json:"status"`
	} `json:"fields"`
}

// jqlQuote quotes a JQL string value.
func jqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// findByLabel returns the oldest issue of the project with the label, or
// found=false. Jira Cloud serves JQL at /search/jql (the older /search
// is gone there); Data Center at /search.
func (c *client) findByLabel(ctx context.Context, project, label string) (issueRef, bool, error) {
	q := map[string]any{
		"jql":        fmt.Sprintf("project = %s AND labels = %s ORDER BY created ASC", jqlQuote(project), jqlQuote(label)),
		"fields":     []string{"status"},
		"maxResults": 1,
	}
	path := "/rest/api/2/search"
	if c.cloud {
		path = "/rest/api/2/search/jql"
	}
	var out struct {
		Issues []issueRef `json:"issues"`
	}
	if err := c.do(ctx, "POST", path, q, &out); err != nil {
		return issueRef{}, false, fmt.Errorf("looking up the issue labelled %s: %w", label, err)
	}
	if len(out.Issues) == 0 {
		return issueRef{}, false, nil
	}
	return out.Issues[0], true, nil
}

// create opens an issue and returns its key.
func (c *client) create(ctx context.Context, fields map[string]any) (string, error) {
	var out issueRef
	if err := c.do(ctx, "POST", "/rest/api/2/issue", map[string]any{"fields": fields}, &out); err != nil {
		return "", err
	}
	if out.Key == "" {
		return "", fmt.Errorf("jira created an issue but returned no key")
	}
	return out.Key, nil
}

func (c *client) comment(ctx context.Context, key, body string) error {
	return c.do(ctx, "POST", issuePath(key, "/comment"), map[string]any{"body": body}, nil)
}

func (c *client) status(ctx context.Context, key string) (status, error) {
	var out issueRef
	if err := c.do(ctx, "GET", issuePath(key, "?fields=status"), nil, &out); err != nil {
		return status{}, err
	}
	return out.Fields.Status, nil
}

type transition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	To   status `json:"to"`
}

func (c *client) transitions(ctx context.Context, key string) ([]transition, error) {
	var out struct {
		Transitions []transition `json:"transitions"`
	}
	if err := c.do(ctx, "GET", issuePath(key, "/transitions"), nil, &out); err != nil {
		return nil, err
	}
	return out.Transitions, nil
}

func (c *client) transition(ctx context.Context, key, id string) error {
	return c.do(ctx, "POST", issuePath(key, "/transitions"), map[string]any{"transition": map[string]string{"id": id}}, nil)
}

// moveTo applies the first transition, among names, that the issue
// offers (names compared case-insensitively). It returns the name used,
// or "" and the names offered when none matched.
func (c *client) moveTo(ctx context.Context, key string, names ...string) (used string, offered []string, err error) {
	ts, err := c.transitions(ctx, key)
	if err != nil {
		return "", nil, fmt.Errorf("listing transitions of %s: %w", key, err)
	}
	for _, n := range names {
		for _, t := range ts {
			if n != "" && strings.EqualFold(strings.TrimSpace(t.Name), strings.TrimSpace(n)) {
				if err := c.transition(ctx, key, t.ID); err != nil {
					return "", nil, fmt.Errorf("transition %q of %s: %w", t.Name, key, err)
				}
				return t.Name, nil, nil
			}
		}
	}
	for _, t := range ts {
		offered = append(offered, t.Name)
	}
	return "", offered, nil
}

// accountID looks up a Jira Cloud account by email ("" when there is
// none).
func (c *client) accountID(ctx context.Context, email string) (string, error) {
	var out []struct {
		AccountID string `json:"accountId"`
	}
	if err := c.do(ctx, "GET", "/rest/api/2/user/search?query="+url.QueryEscape(email), nil, &out); err != nil {
		return "", fmt.Errorf("looking up the Jira account of %s: %w", email, err)
	}
	if len(out) == 0 {
		return "", nil
	}
	return out[0].AccountID, nil
}

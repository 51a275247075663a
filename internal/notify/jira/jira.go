// Package jira is the "jira" receiver: one issue per finding in a Jira
// Cloud or Data Center project, through REST API v2 (wiki markup bodies,
// which both accept). A firing finding opens an issue (or finds the one
// already labelled for it), re-notifications and escalations comment on
// it, resolution comments and moves it to done, and a reopened finding
// moves it back.
package jira

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/secret"
)

// Type is the receiver type name.
const Type = "jira"

// Limits Jira puts on fields.
const (
	maxSummary = 255
	maxText    = 32000 // description and comment bodies (Jira's limit is 32767)
)

// Receiver is a Jira receiver. It is safe for concurrent use.
type Receiver struct {
	name    string
	cfg     Config
	secrets secret.Resolver
	http    *http.Client
	tpl     notify.Renderer
	log     *slog.Logger
	now     func() time.Time
}

var (
	_ notify.Receiver   = (*Receiver)(nil)
	_ notify.Idempotent = (*Receiver)(nil)
)

// New builds a Jira receiver from its settings (see Config). Secrets are
// resolved when sending, not here.
func New(nc notify.Config) (notify.Receiver, error) {
	cfg, err := parseConfig(nc.Settings)
	if err != nil {
		return nil, err
	}
	if nc.Templates == nil {
		return nil, errors.New("no templates")
	}
	r := &Receiver{name: nc.Name, cfg: cfg, secrets: nc.Secrets, http: nc.HTTP, tpl: nc.Templates, log: nc.Log, now: time.Now}
	if r.http == nil {
		r.http = notify.DefaultHTTPClient()
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("receiver", nc.Name)
	return r, nil
}

// Name implements notify.Receiver.
func (r *Receiver) Name() string { return r.name }

// Type implements notify.Receiver.
func (r *Receiver) Type() string { return Type }

// Idempotent implements notify.Idempotent: before opening an issue the
// receiver looks for one carrying the finding's label, so a send retried
// after a crash finds the issue instead of opening a second one.
func (r *Receiver) Idempotent() bool { return true }

// client resolves the credentials and returns an API client.
func (r *Receiver) client(ctx context.Context) (*client, error) {
	if r.secrets == nil {
		return nil, notify.Permanent(errors.New("jira: no secret resolver configured"))
	}
	c := &client{base: r.cfg.URL, http: r.http, cloud: r.cfg.Deployment == Cloud, now: r.now, defaultTry: time.Minute}
	if c.cloud {
		user := r.cfg.User
		if secret.IsRef(user) {
			v, err := r.secrets.Resolve(ctx, user)
			if err != nil {
				return nil, fmt.Errorf("jira user: %w", err)
			}
			user = v
		}
		tok, err := r.secrets.Resolve(ctx, r.cfg.APIToken)
		if err != nil {
			return nil, fmt.Errorf("jira api_token: %w", err)
		}
		c.auth = basicAuth(user, tok)
	} else {
		tok, err := r.secrets.Resolve(ctx, r.cfg.Token)
		if err != nil {
			return nil, fmt.Errorf("jira token: %w", err)
		}
		c.auth = bearer(tok)
	}
	return c, nil
}

// Send implements notify.Receiver. Each item is handled on its own (one
// issue per finding). Result.Refs maps each finding handled to its issue
// key, also when another item failed: keep them. The error is permanent
// only when every failure is.
func (r *Receiver) Send(ctx context.Context, msg *notify.Message) (notify.Result, error) {
	switch msg.Kind {
	case notify.KindDigest:
		return notify.Result{}, notify.Permanent(errors.New("jira: digests are not filed as issues; route digests to another receiver"))
	case notify.KindTest:
		return r.test(ctx)
	}
	c, err := r.client(ctx)
	if err != nil {
		return notify.Result{}, err
	}
	res := notify.Result{Refs: map[string]string{}}
	var (
		details []string
		errs    []error
	)
	for i := range msg.Items {
		it := &msg.Items[i]
		key, detail, err := r.sendItem(ctx, c, msg, it)
		if key != "" {
			res.Refs[it.Record.FindingID] = key
		}
		if detail != "" {
			details = append(details, detail)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("finding %s: %w", it.Record.FindingID, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	res.Detail = strings.Join(details, "; ")
	return res, combine(errs)
}

// test checks that the project is reachable with the credentials.
func (r *Receiver) test(ctx context.Context) (notify.Result, error) {
	c, err := r.client(ctx)
	if err != nil {
		return notify.Result{}, err
	}
	var p struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	}
	if err := c.do(ctx, "GET", "/rest/api/2/project/"+url.PathEscape(r.cfg.Project), nil, &p); err != nil {
		return notify.Result{}, fmt.Errorf("checking project %s: %w", r.cfg.Project, err)
	}
	return notify.Result{Detail: fmt.Sprintf("project %s (%s) is reachable", p.Key, p.Name)}, nil
}

// multiError joins several item errors without exposing their
// classification to errors.As (combine decides it for the whole).
type multiError struct{ errs []error }

func (m multiError) Error() string {
	s := make([]string, len(m.errs))
	for i, e := range m.errs {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

// combine classifies the failures of a send: one error keeps its own
// class; several are permanent only when all are, and wait for the
// longest Retry-After asked.
func combine(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	all := true
	var wait time.Duration
	for _, e := range errs {
		all = all && notify.IsPermanent(e)
		if d, ok := notify.RetryDelay(e); ok {
			wait = max(wait, d)
		}
	}
	m := multiError{errs}
	switch {
	case all:
		return notify.Permanent(m)
	case wait > 0:
		return notify.RetryAfter(m, wait)
	}
	return m
}

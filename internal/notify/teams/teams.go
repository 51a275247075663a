// Package teams is the Microsoft Teams receiver: an Adaptive Card posted
// to a Teams Workflows webhook ("Post to a channel when a webhook request
// is received"), which answers 202 Accepted.
//
// # Settings (receivers.yaml `config`)
//
//	webhook_url  required  secret reference to the workflow's URL (it
//	                       carries its own signature)
//
// # Message
//
// One card (Adaptive Card 1.4): a heading coloured by severity, then for
// one finding its text, a FactSet (severity, account, environment, region,
// resource, owner, first seen, times notified) and buttons to the AWS
// console and the remediation guide; for several findings a line each (at
// most 20, then "and N more"); then a footer. The request stays under
// Teams' 28 KB message limit: lines are dropped ("and N more") until it
// fits.
//
// Templates (internal/notify/tmpl/defaults/teams.*.tmpl): title, item,
// line, context.
package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/webhook"
	"github.com/wardenhq/warden/internal/secret"
)

// Type is the receiver type in receivers.yaml.
const Type = "teams"

// Receiver posts cards to a Teams channel.
type Receiver struct {
	name       string
	webhookURL string // reference
	secrets    secret.Resolver
	http       *http.Client
	templates  notify.Renderer
	log        *slog.Logger
	now        func() time.Time
}

var _ notify.Receiver = (*Receiver)(nil)

// New builds a Teams receiver from its settings.
func New(cfg notify.Config) (notify.Receiver, error) {
	s := webhook.Settings(cfg.Settings)
	if err := s.Check("webhook_url"); err != nil {
		return nil, err
	}
	u, err := s.Ref("webhook_url")
	if err != nil {
		return nil, err
	}
	if u == "" {
		return nil, errors.New("setting webhook_url: required")
	}
	if cfg.Secrets == nil {
		return nil, errors.New("secret references need a secret resolver")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{
		name: cfg.Name, webhookURL: u, secrets: cfg.Secrets, http: cfg.HTTP,
		templates: cfg.Templates, log: log, now: time.Now,
	}, nil
}

// Name implements notify.Receiver.
func (r *Receiver) Name() string { return r.name }

// Type implements notify.Receiver.
func (r *Receiver) Type() string { return Type }

// Send implements notify.Receiver.
func (r *Receiver) Send(ctx context.Context, msg *notify.Message) (notify.Result, error) {
	body, err := r.Body(msg)
	if err != nil {
		return notify.Result{}, notify.Permanent(fmt.Errorf("building teams card: %w", err))
	}
	u, err := r.secrets.Resolve(ctx, r.webhookURL)
	if err != nil {
		return notify.Result{}, fmt.Errorf("resolving webhook_url: %w", err)
	}
	if err := webhook.CheckEndpoint(u); err != nil {
		return notify.Result{}, notify.Permanent(fmt.Errorf("setting webhook_url: the secret %s %w", r.webhookURL, err))
	}
	secrets := []string{u}
	resp, err := webhook.Post(ctx, r.http, webhook.Request{URL: u, Body: body, Secrets: secrets, Now: r.now()})
	if err != nil {
		return notify.Result{}, fmt.Errorf("posting to teams: %w", err)
	}
	// Retired Office 365 connectors answered 200 with the failure in the
	// body; treat that as the retryable failure it was.
	if b := string(resp.Body); strings.HasPrefix(b, "Webhook message delivery failed") || strings.Contains(b, "Microsoft Teams endpoint returned HTTP error") {
		return notify.Result{}, fmt.Errorf("posting to teams: HTTP %d%s", resp.Status, webhook.Excerpt(resp.Body, secrets))
	}
	r.log.Debug("teams card sent", "status", resp.Status)
	return notify.Result{Detail: fmt.Sprintf("teams: HTTP %d", resp.Status)}, nil
}

// Body renders msg and returns the JSON request body.
func (r *Receiver) Body(msg *notify.Message) ([]byte, error) {
	lines := maxLines
	for {
		env, err := r.Envelope(msg, lines)
		if err != nil {
			return nil, err
		}
		b, err := webhook.Marshal(env)
		if err != nil {
			return nil, err
		}
		if len(b) <= maxBytes {
			return b, nil
		}
		if lines <= 1 || len(msg.Items) <= 1 {
			return nil, fmt.Errorf("card is %d bytes, more than Teams takes (%d)", len(b), maxBytes)
		}
		lines /= 2
	}
}

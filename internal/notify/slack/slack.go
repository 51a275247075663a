// Package slack is the Slack receiver: Block Kit messages through an
// incoming webhook or a bot token (chat.postMessage).
//
// # Settings (receivers.yaml `config`)
//
//	webhook_url  secret reference to an incoming webhook URL, or
//	token        secret reference to a bot token (xoxb-…, scope chat:write)
//	channel      required with token: a channel id (C0123…) or #name;
//	             with webhook_url it is informational (the webhook posts
//	             to the channel it was created for)
//	api_url      chat.postMessage endpoint (default
//	             https://slack.com/api/chat.postMessage); for tests and proxies
//
// # Message
//
// A header (severity, what happened, the title), then for one finding a
// section with its text and the fields severity, account, environment,
// region, resource, owner, first seen and times notified; for several, a
// line per finding (at most 20, then "and N more"); then a context line
// (receiver, policy commit, time). No interactive elements: approvals
// are given with the commands the message quotes. The plain `text` is
// the notification fallback. Block Kit limits are enforced: header text
// 150 characters, section text 3000, field 2000, 10 fields, 50 blocks.
//
// Templates (internal/notify/tmpl/defaults/slack.*.tmpl): header, item,
// line, text, context.
package slack

import (
	"context"
	"encoding/json"
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
const Type = "slack"

// DefaultAPIURL is chat.postMessage.
const DefaultAPIURL = "https://slack.com/api/chat.postMessage"

// Receiver posts to Slack.
type Receiver struct {
	name       string
	webhookURL string // reference; "" in bot mode
	token      string // reference; "" in webhook mode
	channel    string
	apiURL     string
	secrets    secret.Resolver
	http       *http.Client
	templates  notify.Renderer
	log        *slog.Logger
	now        func() time.Time
}

var _ notify.Receiver = (*Receiver)(nil)

// New builds a Slack receiver from its settings.
func New(cfg notify.Config) (notify.Receiver, error) {
	s := webhook.Settings(cfg.Settings)
	if err := s.Check("webhook_url", "token", "channel", "api_url"); err != nil {
		return nil, err
	}
	r := &Receiver{name: cfg.Name, secrets: cfg.Secrets, http: cfg.HTTP, templates: cfg.Templates, now: time.Now}
	var err error
	if r.webhookURL, err = s.Ref("webhook_url"); err != nil {
		return nil, err
	}
	if r.token, err = s.Ref("token"); err != nil {
		return nil, err
	}
	if r.channel, err = s.String("channel"); err != nil {
		return nil, err
	}
	if r.apiURL, err = s.String("api_url"); err != nil {
		return nil, err
	}
	switch {
	case r.webhookURL != "" && r.token != "":
		return nil, errors.New("setting token: set either webhook_url or token, not both")
	case r.webhookURL == "" && r.token == "":
		return nil, errors.New("setting webhook_url: required (or token and channel for the bot API)")
	case r.token != "" && strings.TrimSpace(r.channel) == "":
		return nil, errors.New("setting channel: required with token")
	case r.webhookURL != "" && r.apiURL != "":
		return nil, errors.New("setting api_url: only used with token")
	}
	if r.apiURL == "" {
		r.apiURL = DefaultAPIURL
	} else if err := webhook.CheckEndpoint(r.apiURL); err != nil {
		return nil, fmt.Errorf("setting api_url: %w", err)
	}
	if cfg.Secrets == nil {
		return nil, errors.New("secret references need a secret resolver")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r.log = log
	return r, nil
}

// Name implements notify.Receiver.
func (r *Receiver) Name() string { return r.name }

// Type implements notify.Receiver.
func (r *Receiver) Type() string { return Type }

// Send implements notify.Receiver.
func (r *Receiver) Send(ctx context.Context, msg *notify.Message) (notify.Result, error) {
	p, err := r.Payload(msg)
	if err != nil {
		return notify.Result{}, notify.Permanent(fmt.Errorf("building slack message: %w", err))
	}
	if r.token != "" {
		return r.postMessage(ctx, p)
	}
	body, err := webhook.Marshal(p)
	if err != nil {
		return notify.Result{}, notify.Permanent(fmt.Errorf("encoding slack message: %w", err))
	}
	u, err := r.secrets.Resolve(ctx, r.webhookURL)
	if err != nil {
		return notify.Result{}, fmt.Errorf("resolving webhook_url: %w", err)
	}
	if err := webhook.CheckEndpoint(u); err != nil {
		return notify.Result{}, notify.Permanent(fmt.Errorf("setting webhook_url: the secret %s %w", r.webhookURL, err))
	}
	resp, err := webhook.Post(ctx, r.http, webhook.Request{URL: u, Body: body, Secrets: []string{u}, Now: r.now()})
	if err != nil {
		return notify.Result{}, fmt.Errorf("posting to slack webhook: %w", err)
	}
	r.log.Debug("slack message sent", "mode", "webhook", "status", resp.Status)
	return notify.Result{Detail: fmt.Sprintf("slack webhook: HTTP %d", resp.Status)}, nil
}

// apiResponse is the part of a Web API answer Warden reads.
type apiResponse struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// retryable are Web API errors that a later attempt can get past.
var retryable = map[string]bool{
	"ratelimited": true, "rate_limited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true, "team_added_to_org": true,
}

func (r *Receiver) postMessage(ctx context.Context, p Payload) (notify.Result, error) {
	p.Channel = r.channel
	body, err := webhook.Marshal(p)
	if err != nil {
		return notify.Result{}, notify.Permanent(fmt.Errorf("encoding slack message: %w", err))
	}
	tok, err := r.secrets.Resolve(ctx, r.token)
	if err != nil {
		return notify.Result{}, fmt.Errorf("resolving token: %w", err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Authorization", "Bearer "+tok)
	secrets := []string{tok}
	resp, err := webhook.Post(ctx, r.http, webhook.Request{URL: r.apiURL, Body: body, Header: h, Secrets: secrets, Now: r.now()})
	if err != nil {
		return notify.Result{}, fmt.Errorf("posting to slack chat.postMessage: %w", err)
	}
	var ar apiResponse
	if err := json.Unmarshal(resp.Body, &ar); err != nil {
		return notify.Result{}, fmt.Errorf("posting to slack chat.postMessage: HTTP %d with an answer that is not JSON%s", resp.Status, webhook.Excerpt(resp.Body, secrets))
	}
	if !ar.OK {
		code := ar.Error
		if code == "" {
			code = "unknown_error"
		}
		err := fmt.Errorf("posting to slack chat.postMessage: slack error%s", webhook.Excerpt([]byte(code), secrets))
		switch {
		case code == "ratelimited" || code == "rate_limited":
			if d, ok := webhook.RetryAfterHeader(resp.Header.Get("Retry-After"), r.now()); ok {
				return notify.Result{}, notify.RetryAfter(err, d)
			}
			return notify.Result{}, err
		case retryable[code]:
			return notify.Result{}, err
		}
		return notify.Result{}, notify.Permanent(err)
	}
	r.log.Debug("slack message sent", "mode", "bot", "channel", ar.Channel, "ts", ar.TS)
	return notify.Result{Detail: fmt.Sprintf("slack: channel %s ts %s", ar.Channel, ar.TS)}, nil
}

// Package pagerduty is the PagerDuty receiver: one Events API v2 event per
// finding, keyed by the finding so PagerDuty folds repeats into one alert
// and a resolution closes it.
//
// # Settings (receivers.yaml `config`)
//
//	routing_key  required  secret reference to the integration's routing key
//	url          optional  the Events API endpoint (default
//	                       https://events.pagerduty.com/v2/enqueue; EU
//	                       accounts use https://events.eu.pagerduty.com/v2/enqueue)
//
// # Events
//
// dedup_key is the finding id (Record.FindingID), or "sha256:" and its
// hex digest when the id is longer than 255 characters; a reference kept
// from an earlier send wins, so a finding keeps its key. Firing, renotify
// and escalated items (reopened findings included) trigger; resolved items
// resolve. Action items use the finding's key plus ":action:<job id>":
// waiting, pending and failed remediations trigger, done and skipped
// resolve. A test message triggers and then resolves one event. Digests
// are refused (a permanent error): route them to a chat or email receiver.
//
// Severity: CRITICAL → critical, HIGH → error, MEDIUM → warning, LOW and
// INFORMATIONAL → info, unknown → warning. The summary is template
// pagerduty.summary (at most 1024 characters); source is the resource
// (or the account), component the resource type, group the account,
// class the product; custom_details carry account, environment, owner,
// rules, actions and the rest of the decision; links go to the AWS
// console and the remediation guide.
//
// The receiver is idempotent (notify.Idempotent): sending a message twice
// updates the same alerts.
package pagerduty

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/webhook"
	"github.com/wardenhq/warden/internal/secret"
)

// Type is the receiver type in receivers.yaml.
const Type = "pagerduty"

// DefaultURL is the Events API v2 endpoint.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// Receiver sends events to PagerDuty.
type Receiver struct {
	name       string
	routingKey string // reference
	url        string
	secrets    secret.Resolver
	http       *http.Client
	templates  notify.Renderer
	log        *slog.Logger
	now        func() time.Time
}

var (
	_ notify.Receiver   = (*Receiver)(nil)
	_ notify.Idempotent = (*Receiver)(nil)
)

// New builds a PagerDuty receiver from its settings.
func New(cfg notify.Config) (notify.Receiver, error) {
	s := webhook.Settings(cfg.Settings)
	if err := s.Check("routing_key", "url"); err != nil {
		return nil, err
	}
	key, err := s.Ref("routing_key")
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, errors.New("setting routing_key: required")
	}
	u, err := s.String("url")
	if err != nil {
		return nil, err
	}
	if u == "" {
		u = DefaultURL
	} else if err := webhook.CheckEndpoint(u); err != nil {
		return nil, fmt.Errorf("setting url: %w", err)
	}
	if cfg.Secrets == nil {
		return nil, errors.New("secret references need a secret resolver")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{
		name: cfg.Name, routingKey: key, url: u, secrets: cfg.Secrets, http: cfg.HTTP,
		templates: cfg.Templates, log: log, now: time.Now,
	}, nil
}

// Name implements notify.Receiver.
func (r *Receiver) Name() string { return r.name }

// Type implements notify.Receiver.
func (r *Receiver) Type() string { return Type }

// Idempotent implements notify.Idempotent: events are keyed by finding.
func (r *Receiver) Idempotent() bool { return true }

// Send implements notify.Receiver: one event per item, in order. When one
// fails the message fails; sending it again repeats the earlier events,
// which PagerDuty folds into the same alerts.
func (r *Receiver) Send(ctx context.Context, msg *notify.Message) (notify.Result, error) {
	events, err := r.Events(msg)
	if err != nil {
		return notify.Result{}, notify.Permanent(err)
	}
	key, err := r.secrets.Resolve(ctx, r.routingKey)
	if err != nil {
		return notify.Result{}, fmt.Errorf("resolving routing_key: %w", err)
	}
	res := notify.Result{Refs: map[string]string{}}
	for i, ev := range events {
		ev.Event.RoutingKey = key
		body, err := webhook.Marshal(ev.Event)
		if err != nil {
			return notify.Result{}, notify.Permanent(fmt.Errorf("encoding pagerduty event: %w", err))
		}
		resp, err := webhook.Post(ctx, r.http, webhook.Request{URL: r.url, Body: body, Secrets: []string{key}, Now: r.now()})
		if err != nil {
			return notify.Result{}, fmt.Errorf("sending pagerduty event %d of %d (%s %s): %w", i+1, len(events), ev.Event.EventAction, ev.Event.DedupKey, err)
		}
		var ans struct {
			Status   string `json:"status"`
			DedupKey string `json:"dedup_key"`
		}
		dedup := ev.Event.DedupKey
		if json.Unmarshal(resp.Body, &ans) == nil && ans.DedupKey != "" {
			dedup = ans.DedupKey
		}
		if ev.FindingID != "" {
			res.Refs[ev.FindingID] = dedup
		}
		r.log.Debug("pagerduty event sent", "event_action", ev.Event.EventAction, "dedup_key", dedup, "status", resp.Status)
	}
	res.Detail = fmt.Sprintf("pagerduty: %d events accepted", len(events))
	return res, nil
}

// DedupKey is the dedup_key of a finding id: the id itself, or
// "sha256:<hex>" of it when it is longer than PagerDuty's 255 characters.
func DedupKey(id string) string {
	if len(id) <= maxDedupKey {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func actionKey(base string, jobID int64) string {
	return DedupKey(base + ":action:" + strconv.FormatInt(jobID, 10))
}

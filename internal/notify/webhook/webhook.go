// Package webhook is the generic webhook receiver: it POSTs every message
// as JSON, optionally signed with HMAC-SHA256, to a URL of your choice.
// It also holds the HTTP delivery, endpoint checks, safe links and
// settings reading that the other HTTP receivers (slack, teams,
// pagerduty) share.
//
// # Settings (receivers.yaml `config`)
//
//	url      required  secret reference (env:, file:, ssm:, secretsmanager:)
//	                   or a literal https URL (plain http only to localhost)
//	secret   optional  secret reference: the HMAC key
//	headers  optional  map of extra request headers; values may be references
//
// # Request
//
//	POST <url>
//	Content-Type: application/json
//	User-Agent: Warden
//	X-Warden-Delivery: <32 hex characters>
//	X-Warden-Timestamp: <Unix seconds>                  (with secret)
//	X-Warden-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// X-Warden-Delivery identifies the message, not the attempt: a retry of
// the same message carries the same id, so receivers can drop duplicates.
// It hashes the receiver name, the message kind and group, and each
// item's finding id, kind and decision time (plus, for action items, the
// job id and status); digests add the hour they are sent in, tests the
// time.
//
// Verify the signature with Verify, on the raw body, before decoding it.
//
// # Body (version 1)
//
// The body is the notify.Message as JSON, with two fields added:
//
//	version       1; a change that removes or renames a field increments it
//	summary       one line of plain text (template webhook.summary)
//	receiver      the receiver's name
//	kind          firing, renotify, escalated, resolved, digest, action, test
//	group         the group key; group_labels the values it was built from
//	items[]       one per finding:
//	  kind                 the item's kind
//	  record               the decision record, as in the audit log: finding_id,
//	                       product, format, title, account_id, region,
//	                       severity, resource_id, verdict, reason, tier,
//	                       matched_rules, suppression, enrichment{account_name,
//	                       environment, owner, business_unit, …}, actions[],
//	                       notes[], first_seen, notify_count, fingerprint,
//	                       policy_commit, decided_at, source
//	  description, types, resource_type, resource_tags, remediation_text,
//	  remediation_url, actor, source_ip, console_url, recipients, sla_due
//	  action               for kind action: job_id, playbook, mode, status,
//	                       destructive, not_before, expires, summary,
//	                       approve_command, cancel_command
//	refs          earlier references by finding id
//	recipients    the union of the items' dynamic recipients
//	now           when the message was built
//	title         digests: the digest's title
//
// Finding text is passed as it is (JSON-encoded, control characters
// included): a consumer escapes it for wherever it shows it. Links
// (console_url, remediation_url) that are not absolute http or https
// URLs are dropped.
//
// # Responses
//
// Any 2xx is success. 429 (with Retry-After in seconds or as an HTTP
// date) and 5xx are retried; other 4xx are not; redirects are not
// followed.
package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/secret"
)

// Type is the receiver type in receivers.yaml.
const Type = "webhook"

// Version is the body's format version.
const Version = 1

// Receiver posts messages to a webhook.
type Receiver struct {
	name      string
	url       string // a reference or a literal URL
	secret    string // reference, "" for unsigned
	headers   map[string]string
	secrets   secret.Resolver
	http      *http.Client
	templates notify.Renderer
	log       *slog.Logger
	now       func() time.Time
}

var _ notify.Receiver = (*Receiver)(nil)

// reserved headers are set by the receiver.
var reserved = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Host": true, "User-Agent": true,
	http.CanonicalHeaderKey(HeaderTimestamp): true, http.CanonicalHeaderKey(HeaderSignature): true,
	http.CanonicalHeaderKey(HeaderDelivery): true,
}

// New builds a webhook receiver from its settings.
func New(cfg notify.Config) (notify.Receiver, error) {
	s := Settings(cfg.Settings)
	if err := s.Check("url", "secret", "headers"); err != nil {
		return nil, err
	}
	u, err := s.String("url")
	if err != nil {
		return nil, err
	}
	switch {
	case u == "":
		return nil, errors.New("setting url: required")
	case !IsRef(u):
		if err := CheckEndpoint(u); err != nil {
			return nil, fmt.Errorf("setting url: %w", err)
		}
	}
	sec, err := s.Ref("secret")
	if err != nil {
		return nil, err
	}
	hs, err := s.StringMap("headers")
	if err != nil {
		return nil, err
	}
	headers := make(map[string]string, len(hs))
	for k, v := range hs {
		ck := http.CanonicalHeaderKey(k)
		if !validName(k) || reserved[ck] {
			return nil, fmt.Errorf("setting headers.%s: not a header Warden lets you set", k)
		}
		if !IsRef(v) && !validValue(v) {
			return nil, fmt.Errorf("setting headers.%s: value has control characters", k)
		}
		headers[ck] = v
	}
	if (sec != "" || IsRef(u) || hasRef(headers)) && cfg.Secrets == nil {
		return nil, errors.New("secret references need a secret resolver")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{
		name: cfg.Name, url: u, secret: sec, headers: headers, secrets: cfg.Secrets,
		http: cfg.HTTP, templates: cfg.Templates, log: log, now: time.Now,
	}, nil
}

func hasRef(m map[string]string) bool {
	for _, v := range m {
		if IsRef(v) {
			return true
		}
	}
	return false
}

func validName(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func validValue(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}

// Name implements notify.Receiver.
func (r *Receiver) Name() string { return r.name }

// Type implements notify.Receiver.
func (r *Receiver) Type() string { return Type }

type payload struct {
	Version int    `json:"version"`
	Summary string `json:"summary"`
	*notify.Message
}

// Body returns the JSON body for msg.
func (r *Receiver) Body(msg *notify.Message) ([]byte, error) {
	safe := Prepare(msg, nil)
	summary, err := r.templates.Render(r.name, Type, "summary", safe)
	if err != nil {
		return nil, err
	}
	return Marshal(payload{Version: Version, Summary: strings.Join(strings.Fields(summary), " "), Message: safe})
}

// Send implements notify.Receiver.
func (r *Receiver) Send(ctx context.Context, msg *notify.Message) (notify.Result, error) {
	body, err := r.Body(msg)
	if err != nil {
		return notify.Result{}, notify.Permanent(fmt.Errorf("building webhook body: %w", err))
	}
	var secrets []string
	target := r.url
	if IsRef(target) {
		if target, err = r.secrets.Resolve(ctx, r.url); err != nil {
			return notify.Result{}, fmt.Errorf("resolving url: %w", err)
		}
		secrets = append(secrets, target)
		if err := CheckEndpoint(target); err != nil {
			return notify.Result{}, notify.Permanent(fmt.Errorf("setting url: the secret %s %w", r.url, err))
		}
	}
	h := http.Header{}
	for k, v := range r.headers {
		if IsRef(v) {
			ref := v
			if v, err = r.secrets.Resolve(ctx, ref); err != nil {
				return notify.Result{}, fmt.Errorf("resolving headers.%s: %w", k, err)
			}
			secrets = append(secrets, v)
			if !validValue(v) {
				return notify.Result{}, notify.Permanent(fmt.Errorf("setting headers.%s: the secret %s has control characters", k, ref))
			}
		}
		h.Set(k, v)
	}
	id := DeliveryID(r.name, msg)
	h.Set(HeaderDelivery, id)
	if r.secret != "" {
		key, err := r.secrets.Resolve(ctx, r.secret)
		if err != nil {
			return notify.Result{}, fmt.Errorf("resolving secret: %w", err)
		}
		secrets = append(secrets, key)
		ts := strconv.FormatInt(r.now().Unix(), 10)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, Sign([]byte(key), ts, body))
	}
	resp, err := Post(ctx, r.http, Request{URL: target, Body: body, Header: h, Secrets: secrets, Now: r.now()})
	if err != nil {
		return notify.Result{}, fmt.Errorf("posting to webhook: %w", err)
	}
	r.log.Debug("webhook delivered", "delivery", id, "status", resp.Status)
	return notify.Result{Detail: fmt.Sprintf("HTTP %d, delivery %s", resp.Status, id)}, nil
}

// DeliveryID is the X-Warden-Delivery value of msg sent by the named
// receiver: the same for every attempt at the same message.
func DeliveryID(receiver string, msg *notify.Message) string {
	h := sha256.New()
	w := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	w(receiver)
	w(string(msg.Kind))
	w(msg.Group)
	switch msg.Kind {
	case notify.KindDigest:
		// Now is the time of the attempt: the hour keeps retries of one
		// digest together and tells a day's digest from the next one's.
		w(msg.Now.UTC().Truncate(time.Hour).Format(time.RFC3339))
	case notify.KindTest:
		w(msg.Now.UTC().Format(time.RFC3339Nano))
	}
	for _, it := range msg.Items {
		w(it.Record.FindingID)
		w(string(it.Kind))
		w(it.Record.DecidedAt.UTC().Format(time.RFC3339Nano))
		if a := it.Action; a != nil {
			w(strconv.FormatInt(a.JobID, 10))
			w(a.Status)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

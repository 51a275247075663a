// Package notify is the notification half of the act stage: receivers
// (one small package each under internal/notify/), the message model they
// render, and the dispatcher that delivers the durable outbox (store jobs
// of kind notify) with retries, back-off, rate limits and a dead letter.
//
// Finding content is attacker-controlled. Receivers never put a field
// into their output without the escaping for that output's syntax
// (internal/notify/tmpl).
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/secret"
)

// Kind is what a message (or one item of it) is about.
type Kind string

// Message kinds.
const (
	// KindFiring: new, reopened or escalated findings.
	KindFiring Kind = "firing"
	// KindRenotify: still active after the re-notification period.
	KindRenotify Kind = "renotify"
	// KindEscalated: re-notified K times without change; sent to the
	// escalation receiver.
	KindEscalated Kind = "escalated"
	// KindResolved: the finding resolved.
	KindResolved Kind = "resolved"
	// KindDigest: a scheduled summary (open, new, overdue).
	KindDigest Kind = "digest"
	// KindAction: a remediation waiting for approval, delayed, done or
	// failed.
	KindAction Kind = "action"
	// KindTest: `warden notify test`.
	KindTest Kind = "test"
)

// Item is one finding in a message: its decision record and the finding
// details a responder needs that the record does not carry. It is the
// payload of a notify job, so it must hold everything needed to render
// the message later (after a restart, from the outbox).
type Item struct {
	Kind   Kind          `json:"kind"`
	Record decide.Record `json:"record"`

	Description     string            `json:"description,omitempty"`
	Types           []string          `json:"types,omitempty"`
	ResourceType    string            `json:"resource_type,omitempty"`
	ResourceTags    map[string]string `json:"resource_tags,omitempty"`
	RemediationText string            `json:"remediation_text,omitempty"`
	RemediationURL  string            `json:"remediation_url,omitempty"`
	Actor           string            `json:"actor,omitempty"`
	SourceIP        string            `json:"source_ip,omitempty"`
	// ConsoleURL deep-links to the finding in the AWS console.
	ConsoleURL string `json:"console_url,omitempty"`
	// Recipients are dynamic recipients resolved at decision time
	// (account owner, security contact, a resource tag, the actor).
	Recipients []string `json:"recipients,omitempty"`
	// Action is set for KindAction items: the remediation the message
	// is about.
	Action *ActionInfo `json:"action,omitempty"`
	// SLA is the finding's service-level deadline for its severity (zero
	// when the policy sets none).
	SLADue time.Time `json:"sla_due,omitempty"`
	// Route is the routing-tree route that sent the item here ("" for a
	// rule's notify list or the default route); the dispatcher asks the
	// tree whether it is muted.
	Route string `json:"route,omitempty"`
	// GroupInterval is how long the dispatcher waits after sending a
	// group before it sends the group again with new items.
	GroupInterval time.Duration `json:"group_interval,omitempty"`
	// GroupLabels are the label values of the item's group key.
	GroupLabels map[string]string `json:"group_labels,omitempty"`
}

// Payload is the payload of a notify job: one item, or a whole message
// built by a scheduler (digests).
type Payload struct {
	Item    *Item    `json:"item,omitempty"`
	Message *Message `json:"message,omitempty"`
}

// ActionInfo describes a remediation for a KindAction message.
type ActionInfo struct {
	JobID       int64     `json:"job_id"`
	Playbook    string    `json:"playbook"`
	Mode        string    `json:"mode"`
	Status      string    `json:"status"` // waiting, pending (delayed), done, failed, skipped
	Destructive bool      `json:"destructive"`
	NotBefore   time.Time `json:"not_before,omitempty"`
	Expires     time.Time `json:"expires,omitempty"`
	Summary     string    `json:"summary,omitempty"` // what it did or will do
	// Commands a person runs to approve, deny or cancel.
	ApproveCommand string `json:"approve_command,omitempty"`
	CancelCommand  string `json:"cancel_command,omitempty"`
}

// Message is what one Send delivers: one or more items sharing a group.
type Message struct {
	Receiver string `json:"receiver"`
	Kind     Kind   `json:"kind"`
	// Group is the group key; GroupLabels the values it was built from.
	Group       string            `json:"group,omitempty"`
	GroupLabels map[string]string `json:"group_labels,omitempty"`
	Items       []Item            `json:"items"`
	// Refs are the receiver's references for the items' findings from
	// earlier sends (e.g. a Jira issue key), by finding id.
	Refs map[string]string `json:"refs,omitempty"`
	// Recipients is the union of the items' dynamic recipients.
	Recipients []string  `json:"recipients,omitempty"`
	Now        time.Time `json:"now"`
	// Title is set for digests ("Daily digest for alice@…").
	Title string `json:"title,omitempty"`
}

// Result is what a receiver reports after a successful Send.
type Result struct {
	// Refs are new or changed references by finding id, kept for the
	// next send (Jira issue key, PagerDuty dedup key).
	Refs map[string]string
	// Detail is a short description for the audit log (message id,
	// HTTP status, issue key).
	Detail string
}

// Receiver delivers messages to one destination.
type Receiver interface {
	// Name is the receiver's name in receivers.yaml.
	Name() string
	// Type is the receiver type (email, slack, …).
	Type() string
	// Send delivers msg. An error wrapped by Permanent is not retried;
	// one wrapped by RetryAfter is retried no sooner than it says; any
	// other is retried with back-off.
	Send(ctx context.Context, msg *Message) (Result, error)
}

// Idempotent is implemented by receivers whose destination drops a
// repeated delivery of the same message (PagerDuty dedup key, Jira lookup
// by label): a crash between send and commit does not duplicate on these.
type Idempotent interface {
	Idempotent() bool
}

// Config is what a receiver constructor gets.
type Config struct {
	Name string
	Type string
	// Settings is the receiver's `config` map from receivers.yaml.
	// Secret settings are references; resolve them with Secrets when
	// sending, never at construction (validation must not need them).
	Settings map[string]any
	Secrets  secret.Resolver
	// HTTP is the shared client (timeouts, proxy); tests point it at
	// local servers.
	HTTP *http.Client
	// AWS returns the SDK configuration for AWS receivers (SES, SNS).
	AWS func(ctx context.Context) (aws.Config, error)
	// Templates renders message parts; Render is never nil.
	Templates Renderer
	Log       *slog.Logger
}

// Renderer renders a named template part for a receiver (see
// internal/notify/tmpl).
type Renderer interface {
	Render(receiver, typ, part string, msg *Message) (string, error)
}

// Constructor builds a receiver from its configuration. It checks the
// settings (required keys, types, secret references) and returns an error
// naming the setting that is wrong.
type Constructor func(cfg Config) (Receiver, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Constructor{}
)

// Register makes a receiver type available. Receiver packages call it
// from init.
func Register(typ string, c Constructor) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[typ]; dup {
		panic("notify: receiver type registered twice: " + typ)
	}
	registry[typ] = c
}

// Types lists the registered receiver types.
func Types() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// New builds a receiver of a registered type.
func New(cfg Config) (Receiver, error) {
	regMu.RLock()
	c, ok := registry[cfg.Type]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("receiver %s: unknown type %q (known: %v)", cfg.Name, cfg.Type, Types())
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = DefaultHTTPClient()
	}
	r, err := c(cfg)
	if err != nil {
		return nil, fmt.Errorf("receiver %s (%s): %w", cfg.Name, cfg.Type, err)
	}
	return r, nil
}

// DefaultHTTPClient is the client receivers share unless told otherwise.
func DefaultHTTPClient() *http.Client {
	return &http.Client{Timeout: 15 * time.Second}
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so the dispatcher does not retry it (a 4xx other
// than 408/429, a bad configuration).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// retryAfter asks for a retry no sooner than After.
type retryAfter struct {
	err   error
	after time.Duration
}

func (r retryAfter) Error() string { return r.err.Error() }
func (r retryAfter) Unwrap() error { return r.err }

// RetryAfter wraps err with the wait the destination asked for (HTTP 429
// Retry-After).
func RetryAfter(err error, d time.Duration) error { return retryAfter{err, d} }

// RetryDelay returns the wait err asks for, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var r retryAfter
	if errors.As(err, &r) {
		return r.after, true
	}
	return 0, false
}

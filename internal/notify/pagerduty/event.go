package pagerduty

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
	"github.com/wardenhq/warden/internal/notify/webhook"
)

// Events API v2 limits.
const (
	maxDedupKey = 255
	maxSummary  = 1024
	maxField    = 255 // source, component, group, class: kept short
	maxDetail   = 1000
)

// Event is an Events API v2 event
// (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger, acknowledge, resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"` // trigger only
	Client      string   `json:"client,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes a triggered alert.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"` // critical, error, warning, info
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the alert.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Keyed is an event and the finding whose reference its dedup key is
// ("" for action and test events).
type Keyed struct {
	Event     Event
	FindingID string
}

// Events renders msg into the events Send delivers, without the routing
// key.
func (r *Receiver) Events(msg *notify.Message) ([]Keyed, error) {
	safe := webhook.Prepare(msg, nil)
	switch msg.Kind {
	case notify.KindDigest:
		return nil, fmt.Errorf("pagerduty receiver %s does not take digests: route them to a chat or email receiver", r.name)
	case notify.KindTest:
		return r.testEvents(safe)
	}
	out := make([]Keyed, 0, len(safe.Items))
	for _, it := range safe.Items {
		id := it.Record.FindingID
		if id == "" {
			return nil, errors.New("an item has no finding id")
		}
		key := DedupKey(id)
		if ref := msg.Refs[id]; ref != "" && len(ref) <= maxDedupKey {
			key = ref
		}
		kind := it.Kind
		if kind == "" {
			kind = msg.Kind
		}
		switch kind {
		case notify.KindResolved:
			out = append(out, Keyed{Event: Event{EventAction: "resolve", DedupKey: key, Client: "Warden"}, FindingID: id})
		case notify.KindAction:
			ev, err := r.trigger(safe, it, actionKey(key, jobID(it)))
			if err != nil {
				return nil, err
			}
			if a := it.Action; a != nil && (a.Status == "done" || a.Status == "skipped") {
				ev = Event{EventAction: "resolve", DedupKey: ev.DedupKey, Client: "Warden"}
			}
			out = append(out, Keyed{Event: ev})
		default: // firing (new, reopened, escalated), renotify, escalated
			ev, err := r.trigger(safe, it, key)
			if err != nil {
				return nil, err
			}
			out = append(out, Keyed{Event: ev, FindingID: id})
		}
	}
	return out, nil
}

func jobID(it notify.Item) int64 {
	if it.Action != nil {
		return it.Action.JobID
	}
	return 0
}

// testEvents triggers and resolves one event that no finding shares. Its
// key holds the hour (Now is the time of the attempt), so a retry after
// the trigger went through and the resolve did not resolves the same
// alert.
func (r *Receiver) testEvents(msg *notify.Message) ([]Keyed, error) {
	key := DedupKey("warden-test:" + r.name + ":" + msg.Now.UTC().Truncate(time.Hour).Format(time.RFC3339))
	ev := Event{EventAction: "trigger", DedupKey: key, Client: "Warden", Payload: &Payload{
		Summary: "Warden test event for receiver " + tmpl.Plain(r.name) + " (resolved right away)", Source: "warden", Severity: "info",
		Class: "test",
	}}
	if !msg.Now.IsZero() {
		ev.Payload.Timestamp = msg.Now.UTC().Format(time.RFC3339)
	}
	return []Keyed{{Event: ev}, {Event: Event{EventAction: "resolve", DedupKey: key, Client: "Warden"}}}, nil
}

func (r *Receiver) trigger(msg *notify.Message, it notify.Item, key string) (Event, error) {
	summary, err := r.templates.Render(r.name, Type, "summary", webhook.One(msg, it))
	if err != nil {
		return Event{}, err
	}
	summary = strings.Join(strings.Fields(summary), " ")
	rec := it.Record
	if summary == "" {
		summary = tmpl.Plain(rec.Title)
	}
	if summary == "" {
		summary = "Finding " + tmpl.Plain(rec.FindingID)
	}
	source := rec.ResourceID
	if source == "" {
		source = rec.AccountID
	}
	if source == "" {
		source = "warden"
	}
	p := &Payload{
		Summary:       tmpl.Truncate(maxSummary, summary),
		Source:        short(source),
		Severity:      Severity(rec.Severity),
		Component:     short(it.ResourceType),
		Group:         short(account(rec)),
		Class:         short(rec.Product),
		CustomDetails: details(it),
	}
	if !rec.DecidedAt.IsZero() {
		p.Timestamp = rec.DecidedAt.UTC().Format(time.RFC3339)
	}
	ev := Event{EventAction: "trigger", DedupKey: key, Payload: p, Client: "Warden"}
	if it.ConsoleURL != "" {
		ev.Links = append(ev.Links, Link{Href: it.ConsoleURL, Text: "AWS console"})
	}
	if it.RemediationURL != "" {
		ev.Links = append(ev.Links, Link{Href: it.RemediationURL, Text: "Remediation guide"})
	}
	return ev, nil
}

// Severity maps a Warden severity to PagerDuty's. Unknown maps to warning:
// not knowing is no reason to page less.
func Severity(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "critical"
	case finding.SeverityHigh:
		return "error"
	case finding.SeverityLow, finding.SeverityInformational:
		return "info"
	}
	return "warning"
}

func short(s string) string { return tmpl.Truncate(maxField, tmpl.Plain(s)) }

func account(rec decide.Record) string {
	if n := rec.Enrichment.AccountName; n != "" {
		return n + " (" + rec.AccountID + ")"
	}
	return rec.AccountID
}

// details are the alert's custom_details.
func details(it notify.Item) map[string]any {
	rec := it.Record
	d := map[string]any{
		"finding_id":     tmpl.Plain(rec.FindingID),
		"title":          tmpl.Plain(rec.Title),
		"account":        tmpl.Plain(account(rec)),
		"region":         tmpl.Plain(rec.Region),
		"verdict":        string(rec.Verdict),
		"times_notified": rec.NotifyCount,
		"rules":          plainAll(rec.MatchedRules),
		"actions":        actions(rec.Actions),
	}
	set := func(k, v string) {
		if v != "" {
			d[k] = tmpl.Truncate(maxDetail, tmpl.Plain(v))
		}
	}
	set("environment", rec.Enrichment.Environment)
	set("owner", rec.Enrichment.Owner)
	set("resource", rec.ResourceID)
	set("resource_type", it.ResourceType)
	set("description", it.Description)
	set("remediation", it.RemediationText)
	set("actor", it.Actor)
	set("source_ip", it.SourceIP)
	if !rec.FirstSeen.IsZero() {
		d["first_seen"] = rec.FirstSeen.UTC().Format(time.RFC3339)
	}
	if !it.SLADue.IsZero() {
		d["sla_due"] = it.SLADue.UTC().Format(time.RFC3339)
	}
	if len(rec.Notes) > 0 {
		d["notes"] = plainAll(rec.Notes)
	}
	if len(it.Types) > 0 {
		d["types"] = plainAll(it.Types)
	}
	if a := it.Action; a != nil {
		ad := map[string]any{"job_id": a.JobID, "playbook": tmpl.Plain(a.Playbook), "mode": a.Mode, "status": a.Status, "destructive": a.Destructive}
		for k, v := range map[string]string{"summary": a.Summary, "approve_command": a.ApproveCommand, "cancel_command": a.CancelCommand} {
			if v != "" {
				ad[k] = tmpl.Plain(v)
			}
		}
		if !a.NotBefore.IsZero() {
			ad["not_before"] = a.NotBefore.UTC().Format(time.RFC3339)
		}
		if !a.Expires.IsZero() {
			ad["expires"] = a.Expires.UTC().Format(time.RFC3339)
		}
		d["remediation_action"] = ad
	}
	return d
}

func plainAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = tmpl.Truncate(maxDetail, tmpl.Plain(s))
	}
	return out
}

// actions describe what Warden did or will do, one line per action.
func actions(in []decide.Action) []string {
	out := make([]string, 0, len(in))
	for _, a := range in {
		out = append(out, tmpl.OneLine(tmpl.ActionText(a)))
	}
	return out
}

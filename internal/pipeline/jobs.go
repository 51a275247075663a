package pipeline

import (
	"fmt"
	json "github.com/goccy/go-json"
	"time"

	"github.com/wardenhq/warden/internal/act"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

// jobsFor returns the act-stage jobs a decision asks for: one outbox
// message per notify action, one pending remediation per remediate
// action (except in ticket mode, which becomes a message to the ticket
// receivers). They are stored in the decision's own transaction.
func jobsFor(ps *policy.Set, matched []*policy.CompiledRule, rec *decide.Record, f *finding.Finding, now time.Time) ([]store.Job, error) {
	var jobs []store.Job
	if j, ok := writebackJob(ps, matched, rec, f, now); ok {
		jobs = append(jobs, j)
	}
	var pending []*decide.Action // remediations to announce
	for i := range rec.Actions {
		a := &rec.Actions[i]
		if !planned(a) || a.Type != decide.ActionRemediate {
			continue
		}
		if a.Mode == "ticket" {
			pending = append(pending, a)
			continue
		}
		j, ok := act.NewJob(*a, RemediationRequest(rec, f, a), now)
		if !ok {
			return nil, fmt.Errorf("remediation %s for %s: mode %q has no job", a.Playbook, rec.FindingID, a.Mode)
		}
		if a.Mode != "auto" {
			pending = append(pending, a)
		}
		jobs = append(jobs, j)
	}
	for i := range rec.Actions {
		a := &rec.Actions[i]
		if !planned(a) || a.Type != decide.ActionNotify {
			continue
		}
		kind := notify.Kind(a.Kind)
		if kind == "" {
			kind = itemKind(rec)
		}
		it := notify.NewItem(kind, rec, f)
		it.Route, it.GroupInterval, it.GroupLabels = a.Route, time.Duration(a.GroupInterval), a.GroupLabels
		if len(pending) > 0 && kind != notify.KindResolved {
			p := pending[0]
			it.Action = &notify.ActionInfo{Playbook: p.Playbook, Mode: p.Mode, Destructive: p.Destructive, Status: "planned"}
			if p.NotBefore != nil {
				it.Action.NotBefore = *p.NotBefore
			}
			if p.Expires != nil {
				it.Action.Expires = *p.Expires
			}
		}
		payload, err := json.Marshal(notify.Payload{Item: &it})
		if err != nil {
			return nil, fmt.Errorf("encoding outbox item for %s: %w", rec.FindingID, err)
		}
		jobs = append(jobs, store.Job{Kind: store.JobNotify, Status: store.JobPending, FindingID: rec.FindingID, Target: a.Receiver,
			Group: a.Group, Due: a.Due(now), Payload: payload, Requester: requester(a), Created: now, Updated: now})
	}
	return jobs, nil
}

// planned reports whether an action is to be carried out (in a dry run,
// into the dry run's own store).
func planned(a *decide.Action) bool {
	return a.Status == decide.StatusPlanned || a.Status == decide.StatusDryRun
}

// requester names what asked for a message: a rule's notify list or a
// route of the routing tree.
func requester(a *decide.Action) string {
	switch {
	case a.Rule != "":
		return "rule:" + a.Rule
	case a.Route != "":
		return "route:" + a.Route
	}
	return "route:default"
}

// itemKind is the message kind of a decision.
func itemKind(rec *decide.Record) notify.Kind {
	switch {
	case rec.Verdict == decide.Resolved:
		return notify.KindResolved
	case rec.Reason == "renotify_due":
		return notify.KindRenotify
	}
	return notify.KindFiring
}

// RemediationRequest is the payload of a remediate job.
func RemediationRequest(rec *decide.Record, f *finding.Finding, a *decide.Action) remediate.Request {
	return remediate.Request{
		Playbook: a.Playbook, Rule: a.Rule, FindingID: rec.FindingID, Product: rec.Product, Title: rec.Title,
		Format: rec.Format, AccountID: rec.AccountID, Region: rec.Region, Partition: f.Partition, Severity: rec.Severity,
		Resources: f.Resources, Actor: f.Actor, SourceIP: f.SourceIP, Params: a.Params, Doc: json.RawMessage(f.Doc),
		ProductArn: f.ProductArn,
	}
}

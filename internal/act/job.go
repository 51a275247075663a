package act

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/store"
)

// Payload is the payload of a remediate job: the request and the mode
// the decision chose. It decodes as a plain remediate.Request as well.
type Payload struct {
	remediate.Request
	Mode string `json:"mode,omitempty"`
}

// RequesterPrefix starts the Requester of jobs a rule asked for.
const RequesterPrefix = "rule:"

// NewJob builds the remediate job a decision's action asks for, as the
// package documentation describes. It returns false when the action
// makes no job: not a remediation, mode ticket, or a mode Warden does not
// know (the strictest reading of an unknown mode is "do not run"). The
// request's Playbook, Rule and Params default to the action's. A finding
// document that is not valid JSON is left out of the payload (it is a
// hint only; playbooks re-read live state).
func NewJob(a decide.Action, req remediate.Request, now time.Time) (store.Job, bool) {
	if a.Type != decide.ActionRemediate {
		return store.Job{}, false
	}
	if req.Playbook == "" {
		req.Playbook = a.Playbook
	}
	if req.Rule == "" {
		req.Rule = a.Rule
	}
	if req.Params == nil {
		req.Params = a.Params
	}
	now = now.UTC()
	j := store.Job{
		Kind:      store.JobRemediate,
		Target:    req.Playbook,
		FindingID: req.FindingID,
		Requester: RequesterPrefix + req.Rule,
		Due:       now,
		Created:   now,
		Updated:   now,
	}
	switch policy.Mode(a.Mode) {
	case policy.ModeAuto:
		j.Status = store.JobPending
	case policy.ModeDelay:
		j.Status = store.JobPending
		if a.NotBefore != nil {
			j.Due = a.NotBefore.UTC()
		}
	case policy.ModeApproval:
		j.Status = store.JobWaiting
		if a.Expires != nil {
			j.Expires = a.Expires.UTC()
		}
	default:
		return store.Job{}, false
	}
	p := Payload{Request: req, Mode: a.Mode}
	b, err := json.Marshal(p)
	if err != nil {
		p.Doc = nil
		if b, err = json.Marshal(p); err != nil {
			return store.Job{}, false
		}
	}
	j.Payload = b
	return j, true
}

// DecodePayload reads a remediate job's payload. A payload that is a
// plain remediate.Request gets its mode from the job (Expires set or
// waiting: approval; Due after Created: delay; else auto); the runner
// writes the mode into the payload when it claims the job, so later
// retries keep it.
func DecodePayload(j *store.Job) (Payload, error) {
	p, _, err := decodePayload(j)
	return p, err
}

// decodePayload also reports whether the payload named its mode.
func decodePayload(j *store.Job) (Payload, bool, error) {
	var p Payload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return Payload{}, false, fmt.Errorf("decoding the payload of action %d: %w", j.ID, err)
	}
	hadMode := p.Mode != ""
	if p.Playbook == "" {
		p.Playbook = j.Target
	}
	if p.FindingID == "" {
		p.FindingID = j.FindingID
	}
	if p.Mode == "" {
		p.Mode = modeOf(j)
	}
	return p, hadMode, nil
}

// modeOf infers the mode of a job whose payload does not name it.
func modeOf(j *store.Job) string {
	switch {
	case !j.Expires.IsZero() || j.Status == store.JobWaiting:
		return string(policy.ModeApproval)
	case j.Due.After(j.Created) && !j.Created.IsZero():
		return string(policy.ModeDelay)
	}
	return string(policy.ModeAuto)
}

// Lease is the marker a claimed job carries in Result while it runs.
type Lease struct {
	Runner string    `json:"runner"`
	Token  string    `json:"token"` // this claim's random id`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
}

type leaseResult struct {
	Running *Lease `json:"running,omitempty"`
}

// Running returns the lease of a job that a runner is running at now.
func Running(j *store.Job, now time.Time) (Lease, bool) {
	if j.Status != store.JobPending || len(j.Result) == 0 {
		return Lease{}, false
	}
	var r leaseResult
	if json.Unmarshal(j.Result, &r) != nil || r.Running == nil || !now.Before(r.Running.Until) {
		return Lease{}, false
	}
	return *r.Running, true
}

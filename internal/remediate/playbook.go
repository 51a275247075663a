package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/secret"
)

// Request is one playbook run: the finding it acts on and the rule's
// parameters. It is the payload of a remediate job, so it holds all a run
// needs after a restart.
type Request struct {
	// CaseID names the response (tags, snapshot descriptions, session
	// names): "warden-<job id>" unless the caller sets one.
	CaseID    string `json:"case_id"`
	JobID     int64  `json:"job_id,omitempty"`
	Playbook  string `json:"playbook"`
	Rule      string `json:"rule,omitempty"`
	FindingID string `json:"finding_id"`
	Product   string `json:"product,omitempty"`
	Title     string `json:"title,omitempty"`
	// Format of the finding (asff, ocsf, detection, …).
	Format    finding.Format     `json:"format,omitempty"`
	AccountID string             `json:"account_id"`
	Region    string             `json:"region"`
	Partition string             `json:"partition,omitempty"`
	Severity  finding.Severity   `json:"severity,omitempty"`
	Resources []finding.Resource `json:"resources,omitempty"`
	Actor     string             `json:"actor,omitempty"`
	SourceIP  string             `json:"source_ip,omitempty"`
	Params    map[string]any     `json:"params,omitempty"`
	// Doc is the finding's document (ASFF finding, CloudTrail event, …)
	// for playbooks that need fields beyond the model (an access key id,
	// a trail name). Attacker-controlled: treat it as a hint and re-read
	// the live state before changing anything.
	Doc json.RawMessage `json:"doc,omitempty"`
	// ProductArn is the ASFF ProductArn (Security Hub write-back).
	ProductArn string `json:"product_arn,omitempty"`
}

// Resource returns the first resource of the given type ("" type: the
// first resource), or false.
func (r *Request) Resource(typ string) (finding.Resource, bool) {
	for _, res := range r.Resources {
		if typ == "" || res.Type == typ {
			return res, true
		}
	}
	return finding.Resource{}, false
}

// Env is what a playbook runs with.
type Env struct {
	// AWS is the SDK configuration for the finding's account and region
	// (assumed role credentials, retryer). Playbooks build their service
	// clients from it.
	AWS aws.Config
	// HTTP is the client for non-AWS calls (http-request).
	HTTP *http.Client
	// Secrets resolves secret references in parameters.
	Secrets secret.Resolver
	// DryRun: run the read steps, call APIs with DryRun where they have
	// it, change nothing, and report what would change.
	DryRun bool
	Now    func() time.Time
	Log    *slog.Logger
}

// StepStatus is how one step ended.
type StepStatus string

// Step statuses.
const (
	StepRead        StepStatus = "read"         // read-only step (capture, lookup)
	StepChanged     StepStatus = "changed"      // changed the resource
	StepUnchanged   StepStatus = "unchanged"    // already as wanted: nothing to do
	StepWouldChange StepStatus = "would-change" // dry run: would have changed
	StepSkipped     StepStatus = "skipped"      // not applicable or not enabled
	StepFailed      StepStatus = "failed"
)

// Step is one step's record for the audit log.
type Step struct {
	Name        string     `json:"name"`
	Status      StepStatus `json:"status"`
	Destructive bool       `json:"destructive,omitempty"`
	// Request summarises the API calls made (operation and key
	// parameters), never secrets.
	Request any    `json:"request,omitempty"`
	Before  any    `json:"before,omitempty"`
	After   any    `json:"after,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Error   string `json:"error,omitempty"`
	// Duration in milliseconds.
	DurationMS int64 `json:"duration_ms"`
}

// Result is a whole run's record.
type Result struct {
	Playbook string `json:"playbook"`
	CaseID   string `json:"case_id"`
	DryRun   bool   `json:"dry_run,omitempty"`
	Steps    []Step `json:"steps"`
	// Evidence names what was preserved (snapshot ids, captured metadata,
	// command ids).
	Evidence map[string]any `json:"evidence,omitempty"`
	// Rollback says how to undo each change.
	Rollback []string `json:"rollback,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// Changed reports whether any step changed something.
func (r *Result) Changed() bool {
	for _, s := range r.Steps {
		if s.Status == StepChanged {
			return true
		}
	}
	return false
}

// Recorder collects a run's steps.
type Recorder struct {
	res *Result
	now func() time.Time
}

// NewRecorder starts a result for a run.
func NewRecorder(playbook, caseID string, dryRun bool, now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{res: &Result{Playbook: playbook, CaseID: caseID, DryRun: dryRun, Steps: []Step{}}, now: now}
}

// Step runs fn as the named step. fn fills in the step (Status, Request,
// Before, After, Detail); a step whose fn returns an error is recorded as
// failed with the error, and the error is returned wrapped with the step
// name. A step fn leaves Status empty only when it failed.
func (r *Recorder) Step(name string, destructive bool, fn func(s *Step) error) error {
	s := Step{Name: name, Destructive: destructive}
	start := r.now()
	err := fn(&s)
	s.DurationMS = r.now().Sub(start).Milliseconds()
	if err != nil {
		s.Status, s.Error = StepFailed, err.Error()
	} else if s.Status == "" {
		s.Status = StepRead
	}
	r.res.Steps = append(r.res.Steps, s)
	if err != nil {
		return fmt.Errorf("step %s: %w", name, err)
	}
	return nil
}

// Evidence records a piece of evidence.
func (r *Recorder) Evidence(key string, v any) {
	if r.res.Evidence == nil {
		r.res.Evidence = map[string]any{}
	}
	r.res.Evidence[key] = v
}

// Rollback records how to undo a change.
func (r *Recorder) Rollback(s string) { r.res.Rollback = append(r.res.Rollback, s) }

// Note records a remark for the people reading the result.
func (r *Recorder) Note(s string) { r.res.Notes = append(r.res.Notes, s) }

// Result returns the run's record so far.
func (r *Recorder) Result() *Result { return r.res }

// Playbook is one remediation. Run executes its steps in order through
// rec; each step is idempotent (finding the work done is success without
// change). Run returns an error when a step failed; the steps recorded so
// far say what was and was not done.
type Playbook interface {
	// Name is the catalog name; Catalog[Name] is its Spec.
	Name() string
	Run(ctx context.Context, env *Env, req *Request, rec *Recorder) error
}

// ErrNotApplicable is returned (wrapped) by a playbook whose finding does
// not name a resource it can act on: a permanent failure, not retried.
var ErrNotApplicable = errors.New("not applicable to this finding")

// ErrGone is returned (wrapped) when the resource no longer exists: the
// run ends without change and is not retried.
var ErrGone = errors.New("resource no longer exists")

var (
	pbMu      sync.RWMutex
	playbooks = map[string]Playbook{}
)

// Register makes a playbook runnable. Its name must be in Catalog.
// Playbook packages call it from init.
func Register(p Playbook) {
	pbMu.Lock()
	defer pbMu.Unlock()
	if _, ok := Catalog[p.Name()]; !ok {
		panic("remediate: playbook not in catalog: " + p.Name())
	}
	if _, dup := playbooks[p.Name()]; dup {
		panic("remediate: playbook registered twice: " + p.Name())
	}
	playbooks[p.Name()] = p
}

// Get returns a registered playbook.
func Get(name string) (Playbook, bool) {
	pbMu.RLock()
	defer pbMu.RUnlock()
	p, ok := playbooks[name]
	return p, ok
}

// Registered lists the registered playbooks, sorted.
func Registered() []string {
	pbMu.RLock()
	defer pbMu.RUnlock()
	out := make([]string, 0, len(playbooks))
	for n := range playbooks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

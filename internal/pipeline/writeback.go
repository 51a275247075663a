package pipeline

import (
	json "github.com/goccy/go-json"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/writeback"
)

// writebackJob returns the Security Hub update a decision asks for, when
// write-back is on for the finding (securityhub.write_back, overridden by
// the first matching rule that sets write_back) and the verdict changes
// what Security Hub should show. Duplicates and ignored findings write
// nothing.
func writebackJob(ps *policy.Set, matched []*policy.CompiledRule, rec *decide.Record, f *finding.Finding, now time.Time) (store.Job, bool) {
	on := ps.Settings.SecurityHub.WriteBack
	for _, r := range matched {
		if r.WriteBack != nil {
			on = *r.WriteBack
			break
		}
	}
	// Only findings Security Hub holds (ASFF, OCSF) can be updated there;
	// native GuardDuty, Config, Trusted Advisor events and detections
	// carry ids Security Hub does not know.
	if !on || (f.Format != finding.FormatASFF && f.Format != finding.FormatOCSF) {
		return store.Job{}, false
	}
	var wf string
	switch rec.Verdict {
	case decide.Notify, decide.Remediate, decide.Escalate, decide.Reopened:
		wf = writeback.WorkflowNotified
	case decide.Suppressed:
		wf = writeback.WorkflowSuppressed
	case decide.Resolved:
		wf = writeback.WorkflowResolved
	default:
		return store.Job{}, false
	}
	if f.WorkflowStatus == wf && rec.Verdict != decide.Suppressed {
		wf = "" // already so; still refresh the note and fields
	}
	note := map[string]any{
		"verdict": rec.Verdict, "tier": rec.Tier, "rules": rec.MatchedRules,
		"decided_at": rec.DecidedAt.UTC().Format(time.RFC3339), "policy_commit": rec.PolicyCommit,
	}
	if s := rec.Suppression; s != nil {
		note["suppressed_by"], note["reason"], note["expires"] = s.Rule, s.Reason, s.Expires
	}
	up := writeback.Update{
		FindingID: f.ID, ProductArn: f.ProductArn, Format: f.Format, AccountID: f.AccountID, Region: f.Region,
		Workflow: wf, NoteKey: ps.Settings.SecurityHub.NoteKey, Note: note, ExistingNote: existingNote(f),
		UserDefinedFields: writeback.Fields{
			Tier: rec.Tier, Owner: rec.Enrichment.Owner, Environment: rec.Enrichment.Environment,
			Rules: rec.MatchedRules,
		}.Map(),
	}
	p, err := json.Marshal(up)
	if err != nil {
		return store.Job{}, false
	}
	return store.Job{Kind: store.JobWriteback, Status: store.JobPending, FindingID: f.ID, Target: "securityhub",
		Due: now, Payload: p, Requester: "policy", Created: now, Updated: now}, true
}

// existingNote is the finding's current note text (ASFF Note.Text), which
// the write-back merges Warden's part into.
func existingNote(f *finding.Finding) string {
	if f.Format != finding.FormatASFF || len(f.Doc) == 0 {
		return ""
	}
	var d struct {
		Note *struct{ Text string }
	}
	if json.Unmarshal(f.Doc, &d) != nil || d.Note == nil {
		return ""
	}
	return d.Note.Text
}

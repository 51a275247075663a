package playbook

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// SecurityHubUpdate updates the finding in Security Hub with
// BatchUpdateFindings: workflow_status (NEW, NOTIFIED, RESOLVED,
// SUPPRESSED), note (text, written by "warden"), severity (a label) and
// user_defined_fields ("key=value" entries, merged into the finding's
// fields). It reads the finding first (GetFindings) and changes nothing
// when it already says all that. A finding Security Hub does not process
// (UnprocessedFindings) fails the run with Security Hub's reason.
//
// The finding is the request's FindingID and ProductArn (the ASFF Id and
// ProductArn).
type SecurityHubUpdate struct{}

// Name implements remediate.Playbook.
func (SecurityHubUpdate) Name() string { return "securityhub-update" }

// Security Hub limits on BatchUpdateFindings values.
const (
	maxNoteText    = 512
	maxUDFs        = 50
	maxUDFKey      = 128
	maxUDFValue    = 1024
	noteUpdatedBy  = "warden"
	shFindingFound = "FindingNotFound"
)

// shUpdate is what the rule asks for.
type shUpdate struct {
	workflow shtypes.WorkflowStatus
	note     string
	severity shtypes.SeverityLabel
	fields   map[string]string
}

// Run implements remediate.Playbook.
func (SecurityHubUpdate) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	want, err := securityHubParams(req)
	if err != nil {
		return err
	}
	id := req.FindingID
	productArn := first(req.ProductArn, parseDoc(req.Doc).str("ProductArn"))
	if id == "" || productArn == "" {
		return notApplicable("the finding has no Security Hub identity (ASFF Id and ProductArn)")
	}
	client := securityhub.NewFromConfig(env.AWS)

	var cur shUpdate
	err = rec.Step("read-finding", false, func(s *remediate.Step) error {
		s.Request = map[string]any{"operation": "securityhub:GetFindings", "id": id, "product_arn": productArn}
		out, err := client.GetFindings(ctx, &securityhub.GetFindingsInput{
			Filters: &shtypes.AwsSecurityFindingFilters{
				Id:         []shtypes.StringFilter{{Value: aws.String(id), Comparison: shtypes.StringFilterComparisonEquals}},
				ProductArn: []shtypes.StringFilter{{Value: aws.String(productArn), Comparison: shtypes.StringFilterComparisonEquals}},
			},
			MaxResults: aws.Int32(1),
		})
		if err != nil {
			return callError("securityhub:GetFindings", err)
		}
		if len(out.Findings) == 0 {
			return goneError("Security Hub has no finding "+id, nil)
		}
		f := out.Findings[0]
		if f.Workflow != nil {
			cur.workflow = f.Workflow.Status
		}
		if f.Severity != nil {
			cur.severity = f.Severity.Label
		}
		if f.Note != nil {
			cur.note = aws.ToString(f.Note.Text)
		}
		cur.fields = f.UserDefinedFields
		s.Before = shState(cur, want)
		return nil
	})
	if err != nil {
		return err
	}

	return rec.Step("update-finding", false, func(s *remediate.Step) error {
		in := &securityhub.BatchUpdateFindingsInput{
			FindingIdentifiers: []shtypes.AwsSecurityFindingIdentifier{{Id: aws.String(id), ProductArn: aws.String(productArn)}},
		}
		var changes []string
		if want.workflow != "" && want.workflow != cur.workflow {
			in.Workflow = &shtypes.WorkflowUpdate{Status: want.workflow}
			changes = append(changes, "workflow "+string(want.workflow))
		}
		if want.severity != "" && want.severity != cur.severity {
			in.Severity = &shtypes.SeverityUpdate{Label: want.severity}
			changes = append(changes, "severity "+string(want.severity))
		}
		if want.note != "" && want.note != cur.note {
			in.Note = &shtypes.NoteUpdate{Text: aws.String(want.note), UpdatedBy: aws.String(noteUpdatedBy)}
			changes = append(changes, "note")
		}
		for k, v := range want.fields {
			if cv, ok := cur.fields[k]; !ok || cv != v {
				in.UserDefinedFields = want.fields
				changes = append(changes, "user-defined fields")
				break
			}
		}
		s.Before = shState(cur, want)
		if len(changes) == 0 {
			s.Status, s.Detail = remediate.StepUnchanged, "finding already has the wanted workflow, severity, note and fields"
			return nil
		}
		s.Request = map[string]any{"operation": "securityhub:BatchUpdateFindings", "id": id, "product_arn": productArn, "changes": changes}
		if env.DryRun {
			s.Status, s.Detail = remediate.StepWouldChange, "would update "+strings.Join(changes, ", ")
			return nil
		}
		out, err := client.BatchUpdateFindings(ctx, in)
		if err != nil {
			return callError("securityhub:BatchUpdateFindings", err)
		}
		if len(out.UnprocessedFindings) > 0 {
			u := out.UnprocessedFindings[0]
			msg := fmt.Sprintf("Security Hub did not update finding %s: %s: %s", id, aws.ToString(u.ErrorCode), aws.ToString(u.ErrorMessage))
			if aws.ToString(u.ErrorCode) == shFindingFound {
				return goneError(msg, nil)
			}
			return fmt.Errorf("%s", msg)
		}
		s.After = shState(shUpdate{workflow: first2(want.workflow, cur.workflow), severity: first2(want.severity, cur.severity), note: first(want.note, cur.note), fields: want.fields}, want)
		s.Status, s.Detail = remediate.StepChanged, "updated "+strings.Join(changes, ", ")
		if in.Workflow != nil && cur.workflow != "" {
			rec.Rollback(fmt.Sprintf("aws securityhub batch-update-findings --finding-identifiers Id=%s,ProductArn=%s --workflow Status=%s", id, productArn, cur.workflow))
		}
		return nil
	})
}

func first2[T ~string](a, b T) T {
	if a != "" {
		return a
	}
	return b
}

// shState is the finding's state as the step record shows it: only the
// user-defined fields the rule sets.
func shState(u shUpdate, want shUpdate) map[string]any {
	m := map[string]any{"workflow_status": string(u.workflow), "severity": string(u.severity)}
	if u.note != "" {
		m["note"] = u.note
	}
	if len(want.fields) > 0 {
		f := map[string]string{}
		for k := range want.fields {
			if v, ok := u.fields[k]; ok {
				f[k] = v
			}
		}
		m["user_defined_fields"] = f
	}
	return m
}

// securityHubParams reads and checks the rule's parameters.
func securityHubParams(req *remediate.Request) (shUpdate, error) {
	var u shUpdate
	if w := paramString(req, "workflow_status"); w != "" {
		u.workflow = shtypes.WorkflowStatus(strings.ToUpper(w))
		if !validEnum(u.workflow, u.workflow.Values()) {
			return u, fmt.Errorf("params.workflow_status: %q is not one of NEW, NOTIFIED, RESOLVED, SUPPRESSED", w)
		}
	}
	if sv := paramString(req, "severity"); sv != "" {
		u.severity = shtypes.SeverityLabel(strings.ToUpper(sv))
		if !validEnum(u.severity, u.severity.Values()) {
			return u, fmt.Errorf("params.severity: %q is not one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL", sv)
		}
	}
	u.note = truncateRunes(paramString(req, "note"), maxNoteText)
	entries := paramStrings(req, "user_defined_fields")
	if len(entries) > maxUDFs {
		return u, fmt.Errorf("params.user_defined_fields: %d entries, Security Hub keeps at most %d", len(entries), maxUDFs)
	}
	for i, e := range entries {
		k, v, ok := strings.Cut(e, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return u, fmt.Errorf("params.user_defined_fields[%d]: want key=value, got %q", i, e)
		}
		if len(k) > maxUDFKey || len(v) > maxUDFValue {
			return u, fmt.Errorf("params.user_defined_fields[%d]: key over %d or value over %d characters", i, maxUDFKey, maxUDFValue)
		}
		if u.fields == nil {
			u.fields = map[string]string{}
		}
		u.fields[k] = v
	}
	if u.workflow == "" && u.severity == "" && u.note == "" && len(u.fields) == 0 {
		return u, fmt.Errorf("params: nothing to update: set workflow_status, note, severity or user_defined_fields")
	}
	return u, nil
}

func validEnum[T ~string](v T, values []T) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

// truncateRunes shortens s to at most n bytes on a rune boundary, marking
// the cut with "…".
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

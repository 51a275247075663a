package playbook

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/remediate"
)

const (
	shID         = "arn:aws:securityhub:eu-west-1:111122223333:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.8/finding/0b7d"
	shProductArn = "arn:aws:securityhub:eu-west-1::product/aws/securityhub"
)

func shFinding(workflow, severity, note string, udf string) awstest.Reply {
	body := `{"Findings":[{"SchemaVersion":"2018-10-08","Id":"` + shID + `","ProductArn":"` + shProductArn + `","Workflow":{"Status":"` + workflow + `"},"Severity":{"Label":"` + severity + `"}`
	if note != "" {
		body += `,"Note":{"Text":"` + note + `","UpdatedBy":"someone","UpdatedAt":"2026-01-30T00:00:00Z"}`
	}
	if udf != "" {
		body += `,"UserDefinedFields":` + udf
	}
	return awstest.Reply{Body: body + `}]}`, Header: map[string]string{"Content-Type": "application/json"}}
}

func shOK() awstest.Reply {
	return awstest.Reply{Body: `{"ProcessedFindings":[{"Id":"` + shID + `","ProductArn":"` + shProductArn + `"}],"UnprocessedFindings":[]}`, Header: map[string]string{"Content-Type": "application/json"}}
}

// getFindingsFilter checks GetFindings selects exactly this finding.
func getFindingsFilter(t testing.TB, c *awstest.Call) {
	t.Helper()
	want := map[string]any{
		"Id":         []any{map[string]any{"Comparison": "EQUALS", "Value": shID}},
		"ProductArn": []any{map[string]any{"Comparison": "EQUALS", "Value": shProductArn}},
	}
	if got := c.JSON["Filters"]; !reflect.DeepEqual(got, want) {
		t.Errorf("filters %v, want %v", got, want)
	}
	if c.Service != "securityhub" {
		t.Errorf("service %q", c.Service)
	}
}

// batchUpdate checks the BatchUpdateFindings body (identifiers and the
// given top-level members; absent members must be absent).
func batchUpdate(want map[string]any) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		ids := []any{map[string]any{"Id": shID, "ProductArn": shProductArn}}
		if !reflect.DeepEqual(c.JSON["FindingIdentifiers"], ids) {
			t.Errorf("identifiers %v", c.JSON["FindingIdentifiers"])
		}
		for _, k := range []string{"Workflow", "Note", "Severity", "UserDefinedFields"} {
			if !reflect.DeepEqual(c.JSON[k], want[k]) {
				t.Errorf("%s = %v, want %v", k, c.JSON[k], want[k])
			}
		}
	}
}

func TestSecurityHubUpdate(t *testing.T) {
	var log actionLog
	all := map[string]any{"workflow_status": "notified", "note": "Ticket SEC-1 opened by Warden", "severity": "CRITICAL", "user_defined_fields": []any{"warden_case=warden-42", "ticket=SEC-1"}}
	tests := []struct {
		name   string
		dry    bool
		params map[string]any
		noArn  bool
		script []awstest.Expect
		steps  []string
		err    string
		is     error
	}{
		{
			name:   "update workflow, note, severity and fields",
			params: all,
			script: []awstest.Expect{
				{Op: "POST /findings", Check: getFindingsFilter, Reply: shFinding("NEW", "HIGH", "", `{"other_tool":"x"}`)},
				{Op: "PATCH /findings/batchupdate", Check: batchUpdate(map[string]any{
					"Workflow":          map[string]any{"Status": "NOTIFIED"},
					"Note":              map[string]any{"Text": "Ticket SEC-1 opened by Warden", "UpdatedBy": "warden"},
					"Severity":          map[string]any{"Label": "CRITICAL"},
					"UserDefinedFields": map[string]any{"warden_case": "warden-42", "ticket": "SEC-1"},
				}), Reply: shOK()},
			},
			steps: []string{"read-finding=read", "update-finding=changed"},
		},
		{
			name:   "only what differs is sent",
			params: all,
			script: []awstest.Expect{
				{Op: "POST /findings", Reply: shFinding("NEW", "CRITICAL", "Ticket SEC-1 opened by Warden", `{"warden_case":"warden-42","ticket":"SEC-1"}`)},
				{Op: "PATCH /findings/batchupdate", Check: batchUpdate(map[string]any{"Workflow": map[string]any{"Status": "NOTIFIED"}}), Reply: shOK()},
			},
			steps: []string{"read-finding=read", "update-finding=changed"},
		},
		{
			name:   "already as wanted: unchanged, no write",
			params: all,
			script: []awstest.Expect{{Op: "POST /findings", Reply: shFinding("NOTIFIED", "CRITICAL", "Ticket SEC-1 opened by Warden", `{"warden_case":"warden-42","ticket":"SEC-1","other":"y"}`)}},
			steps:  []string{"read-finding=read", "update-finding=unchanged"},
		},
		{
			name:   "dry run",
			dry:    true,
			params: map[string]any{"workflow_status": "RESOLVED"},
			script: []awstest.Expect{{Op: "POST /findings", Reply: shFinding("NEW", "HIGH", "", "")}},
			steps:  []string{"read-finding=read", "update-finding=would-change"},
		},
		{
			name:   "throttled read is retried",
			params: map[string]any{"workflow_status": "RESOLVED"},
			script: []awstest.Expect{
				{Op: "POST /findings", Reply: awstest.JSONError(429, "TooManyRequestsException", "Rate exceeded")},
				{Op: "POST /findings", Reply: shFinding("RESOLVED", "HIGH", "", "")},
			},
			steps: []string{"read-finding=read", "update-finding=unchanged"},
		},
		{
			name:   "unprocessed finding is a failure",
			params: map[string]any{"workflow_status": "RESOLVED"},
			script: []awstest.Expect{
				{Op: "POST /findings", Reply: shFinding("NEW", "HIGH", "", "")},
				{Op: "PATCH /findings/batchupdate", Reply: awstest.Reply{Body: `{"ProcessedFindings":[],"UnprocessedFindings":[{"FindingIdentifier":{"Id":"` + shID + `","ProductArn":"` + shProductArn + `"},"ErrorCode":"FindingSizeExceeded","ErrorMessage":"too big"}]}`}},
			},
			steps: []string{"read-finding=read", "update-finding=failed"},
			err:   "Security Hub did not update finding " + shID + ": FindingSizeExceeded: too big",
		},
		{
			name:   "unprocessed as not found is gone",
			params: map[string]any{"workflow_status": "RESOLVED"},
			script: []awstest.Expect{
				{Op: "POST /findings", Reply: shFinding("NEW", "HIGH", "", "")},
				{Op: "PATCH /findings/batchupdate", Reply: awstest.Reply{Body: `{"UnprocessedFindings":[{"FindingIdentifier":{"Id":"x","ProductArn":"y"},"ErrorCode":"FindingNotFound","ErrorMessage":"not found"}]}`}},
			},
			steps: []string{"read-finding=read", "update-finding=failed"},
			err:   "FindingNotFound", is: remediate.ErrGone,
		},
		{
			name:   "finding no longer in Security Hub",
			params: map[string]any{"workflow_status": "RESOLVED"},
			script: []awstest.Expect{{Op: "POST /findings", Reply: awstest.Reply{Body: `{"Findings":[]}`}}},
			steps:  []string{"read-finding=failed"},
			err:    "Security Hub has no finding", is: remediate.ErrGone,
		},
		{
			name:   "access denied",
			params: map[string]any{"note": "x"},
			script: []awstest.Expect{{Op: "POST /findings", Reply: awstest.JSONError(403, "AccessDeniedException", "not authorized")}},
			steps:  []string{"read-finding=failed"},
			err:    "step read-finding: access denied to securityhub:GetFindings",
		},
		{name: "bad workflow", params: map[string]any{"workflow_status": "CLOSED"}, err: "params.workflow_status"},
		{name: "bad severity", params: map[string]any{"severity": "urgent"}, err: "params.severity"},
		{name: "bad field", params: map[string]any{"user_defined_fields": []any{"novalue"}}, err: "params.user_defined_fields[0]: want key=value"},
		{name: "nothing to do", params: map[string]any{}, err: "nothing to update"},
		{name: "no Security Hub identity", params: map[string]any{"note": "x"}, noArn: true, err: "no Security Hub identity", is: remediate.ErrNotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script...)
			req := remediate.Request{FindingID: shID, ProductArn: shProductArn, Params: tt.params}
			if tt.noArn {
				req.ProductArn = ""
			}
			r, err := runPB(t, "securityhub-update", pbEnv(srv, tt.dry), &req)
			log.add(srv)
			wantErr(t, err, tt.err, tt.is)
			wantSteps(t, r, tt.steps...)
		})
	}
	log.check(t, "securityhub-update")
}

func TestTruncateRunes(t *testing.T) {
	s := strings.Repeat("é", 300) // 600 bytes
	got := truncateRunes(s, maxNoteText)
	if len(got) > maxNoteText || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") {
		t.Errorf("truncateRunes: %d bytes %q", len(got), got[len(got)-8:])
	}
	if truncateRunes("short", 10) != "short" {
		t.Error("short string changed")
	}
}

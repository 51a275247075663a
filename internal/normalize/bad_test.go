package normalize

import (
	"errors"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/source"
)

// TestBadInput: each broken finding gives one FieldError naming the record
// and the field, and the other findings of the record still decode.
func TestBadInput(t *testing.T) {
	tests := []struct {
		file     string
		findings int
		errs     []string // "path: message" of each FieldError, in order
	}{
		{"bad-truncated.json", 2, []string{"Findings[2]: malformed JSON: the record ends at byte 4952, inside this value (truncated?)"}},
		{"bad-severity-type.json", 2, []string{"detail.findings[1].Severity.Label: got a JSON number, want a string"}},
		{"bad-severity-label.json", 2, []string{`Findings[2].Severity.Label: unknown severity "SUPER"`}},
		{"bad-timestamp.json", 1, []string{
			`Findings[0].CreatedAt: bad timestamp "yesterday": want RFC 3339, e.g. 2024-01-31T23:00:00Z`,
			`Findings[0].UpdatedAt: bad timestamp "2024-05-03 08:00": want RFC 3339, e.g. 2024-01-31T23:00:00Z`,
		}},
		{"bad-missing-id.json", 1, []string{"Findings[1].Id: missing: a finding needs an Id, its identity"}},
		{"bad-resources-type.json", 1, []string{"Findings[1].Resources: got a JSON string, want an array"}},
		{"bad-ocsf.json", 1, []string{"detail.findings[0].severity_id: got a JSON string, want an integer"}},
		{"bad-guardduty.json", 0, []string{
			"detail.arn: missing: the finding ARN is the identity of a GuardDuty finding",
			`detail.createdAt: bad timestamp "2020-13-45": want RFC 3339, e.g. 2024-01-31T23:00:00Z`,
		}},
		{"bad-unrecognised.json", 0, []string{": unrecognised record: not ASFF (no SchemaVersion/Id/ProductArn), not an EventBridge event (no detail-type), not OCSF (no class_uid), not CloudTrail (no eventName)"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := decodeFile(t, tt.file)
			if len(res.Findings) != tt.findings {
				t.Errorf("%d findings, want %d", len(res.Findings), tt.findings)
			}
			if len(res.Errors) != len(tt.errs) {
				t.Fatalf("errors %v, want %d", res.Errors, len(tt.errs))
			}
			for i, err := range res.Errors {
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("error %T, want *FieldError", err)
				}
				if fe.Origin.Source != tt.file {
					t.Errorf("origin %+v", fe.Origin)
				}
				if got := fe.Path + ": " + fe.Msg; got != tt.errs[i] {
					t.Errorf("error %d:\n got %s\nwant %s", i, got, tt.errs[i])
				}
			}
		})
	}
}

func TestFieldErrorFormat(t *testing.T) {
	err := &FieldError{Origin: finding.Origin{Source: "file.json", Index: 3}, Path: "detail.findings[2].Severity.Label", Msg: `unknown severity "SUPER"`}
	if got := err.Error(); got != `file.json index 3: detail.findings[2].Severity.Label: unknown severity "SUPER"` {
		t.Errorf("Error() = %s", got)
	}
}

// TestMalformedRecords: records that are not one JSON object are reported,
// never decoded half-way, never a panic.
func TestMalformedRecords(t *testing.T) {
	for in, want := range map[string]string{
		``:                         "rec index 0: malformed JSON: the record ends at byte 0, inside this value (truncated?)",
		`[1,2]`:                    "rec index 0: malformed JSON: found a JSON array, want an object at byte 0",
		`{"Id":"x"} {"Id":"y"}`:    "rec index 0: malformed JSON: data after the end of the object at byte 11",
		`{"SchemaVersion":"2018-1`: "rec index 0: SchemaVersion: malformed JSON: the record ends at byte 24, inside this value (truncated?)",
		`{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":"x"}`:                 "rec index 0: detail: got a JSON string, want an object",
		`{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{}}`: "rec index 0: detail.findings: missing: a Security Hub findings event carries its findings here",
	} {
		res := Decode(source.Record{Data: []byte(in), Origin: finding.Origin{Source: "rec"}})
		if len(res.Errors) != 1 || res.Errors[0].Error() != want || len(res.Findings)+len(res.Events) != 0 {
			t.Errorf("Decode(%q) = %v; want the error %q", in, res.Errors, want)
		}
	}
}

package finding

import (
	"testing"
	"time"
)

func TestSeverityMappings(t *testing.T) {
	gd := []struct {
		v    float64
		want Severity
	}{{1, SeverityLow}, {3.9, SeverityLow}, {4, SeverityMedium}, {6.9, SeverityMedium}, {7, SeverityHigh}, {8.9, SeverityHigh}, {9, SeverityCritical}, {10, SeverityCritical}}
	for _, tt := range gd {
		if got := FromGuardDuty(tt.v); got != tt.want {
			t.Errorf("FromGuardDuty(%v) = %s, want %s", tt.v, got, tt.want)
		}
	}
	ocsf := map[int]Severity{0: SeverityUnknown, 1: SeverityInformational, 2: SeverityLow, 3: SeverityMedium, 4: SeverityHigh, 5: SeverityCritical, 6: SeverityCritical, 99: SeverityUnknown}
	for id, want := range ocsf {
		if got := FromOCSF(id); got != want {
			t.Errorf("FromOCSF(%d) = %s, want %s", id, got, want)
		}
	}
	norm := map[int]Severity{0: SeverityInformational, 1: SeverityLow, 39: SeverityLow, 40: SeverityMedium, 69: SeverityMedium, 70: SeverityHigh, 89: SeverityHigh, 90: SeverityCritical, 100: SeverityCritical}
	for n, want := range norm {
		if got := FromNormalized(n); got != want {
			t.Errorf("FromNormalized(%d) = %s, want %s", n, got, want)
		}
	}
	for _, l := range []string{"informational", "INFO", "Low", "MEDIUM", "high", "CRITICAL"} {
		if s, err := ParseSeverity(l); err != nil || s == SeverityUnknown {
			t.Errorf("ParseSeverity(%q) = %v, %v", l, s, err)
		}
	}
	if _, err := ParseSeverity("SUPER"); err == nil {
		t.Error("ParseSeverity accepted SUPER")
	}
	if !(SeverityCritical > SeverityHigh && SeverityHigh > SeverityMedium && SeverityLow > SeverityInformational) {
		t.Error("severities are not ordered")
	}
}

func TestFingerprintIgnoresWhatDoesNotMatter(t *testing.T) {
	base := Finding{ID: "f", Severity: SeverityHigh, Title: "t", Types: []string{"a", "b"},
		Resources: []Resource{{ID: "r1"}, {ID: "r2"}}, Compliance: "FAILED", RecordState: "ACTIVE", WorkflowStatus: "NEW",
		UpdatedAt: time.Unix(1, 0), LastObservedAt: time.Unix(1, 0)}
	fp := base.Fingerprint()
	same := []func(f *Finding){
		func(f *Finding) { f.UpdatedAt = time.Unix(2, 0); f.LastObservedAt = time.Unix(2, 0) },
		func(f *Finding) { f.WorkflowStatus = "NOTIFIED" },
		func(f *Finding) { f.WorkflowStatus = "SUPPRESSED" },
		func(f *Finding) { f.Description = "reworded" },
		func(f *Finding) { f.Types = []string{"b", "a"} },
		func(f *Finding) { f.Resources = []Resource{{ID: "r2"}, {ID: "r1"}} },
		func(f *Finding) { f.Doc = []byte(`{"Note":{"Text":"x"}}`) },
	}
	for i, change := range same {
		g := base
		change(&g)
		if g.Fingerprint() != fp {
			t.Errorf("change %d altered the fingerprint", i)
		}
	}
	differ := []func(f *Finding){
		func(f *Finding) { f.Severity = SeverityCritical },
		func(f *Finding) { f.Compliance = "PASSED" },
		func(f *Finding) { f.RecordState = "ARCHIVED" },
		func(f *Finding) { f.WorkflowStatus = "RESOLVED" },
		func(f *Finding) { f.Resources = []Resource{{ID: "r3"}} },
		func(f *Finding) { f.Title = "other" },
	}
	for i, change := range differ {
		g := base
		change(&g)
		if g.Fingerprint() == fp {
			t.Errorf("material change %d kept the fingerprint", i)
		}
	}
}

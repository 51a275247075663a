package finding

import (
	"fmt"
	"strings"
)

// Severity is Warden's one severity scale. The zero value is Unknown; the
// others order from least to most severe.
type Severity uint8

// The scale, in order.
const (
	SeverityUnknown Severity = iota
	SeverityInformational
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"UNKNOWN", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// String returns the label, e.g. "HIGH".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// ParseSeverity reads a label case-insensitively ("high", "CRITICAL",
// "INFO" and "INFORMATIONAL" alike).
func ParseSeverity(label string) (Severity, error) {
	switch strings.ToUpper(strings.TrimSpace(label)) {
	case "INFORMATIONAL", "INFO":
		return SeverityInformational, nil
	case "LOW":
		return SeverityLow, nil
	case "MEDIUM":
		return SeverityMedium, nil
	case "HIGH":
		return SeverityHigh, nil
	case "CRITICAL":
		return SeverityCritical, nil
	case "UNKNOWN", "":
		return SeverityUnknown, nil
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)", label)
}

// MarshalText writes the label.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a label.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// FromGuardDuty maps GuardDuty's numeric 1–10 severity:
// ≥9 CRITICAL, ≥7 HIGH, ≥4 MEDIUM, else LOW.
func FromGuardDuty(v float64) Severity {
	switch {
	case v >= 9:
		return SeverityCritical
	case v >= 7:
		return SeverityHigh
	case v >= 4:
		return SeverityMedium
	default:
		return SeverityLow
	}
}

// FromOCSF maps OCSF severity_id (0 Unknown, 1 Informational, 2 Low,
// 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other).
func FromOCSF(id int) Severity {
	switch id {
	case 1:
		return SeverityInformational
	case 2:
		return SeverityLow
	case 3:
		return SeverityMedium
	case 4:
		return SeverityHigh
	case 5, 6:
		return SeverityCritical
	}
	return SeverityUnknown
}

// FromNormalized maps ASFF Severity.Normalized (0–100) as Security Hub does
// when Label is missing: 0 INFORMATIONAL, 1–39 LOW, 40–69 MEDIUM,
// 70–89 HIGH, 90–100 CRITICAL.
func FromNormalized(n int) Severity {
	switch {
	case n >= 90:
		return SeverityCritical
	case n >= 70:
		return SeverityHigh
	case n >= 40:
		return SeverityMedium
	case n >= 1:
		return SeverityLow
	default:
		return SeverityInformational
	}
}

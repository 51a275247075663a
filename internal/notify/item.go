package notify

import (
	"net/url"
	"strings"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
)

// NewItem builds the outbox item of a decision: the record and the
// finding details a message shows.
func NewItem(kind Kind, rec *decide.Record, f *finding.Finding) Item {
	it := Item{
		Kind:            kind,
		Record:          *rec,
		Description:     f.Description,
		Types:           f.Types,
		RemediationText: f.RemediationText,
		RemediationURL:  f.RemediationURL,
		Actor:           f.Actor,
		SourceIP:        f.SourceIP,
		ConsoleURL:      ConsoleURL(f),
	}
	if len(f.Resources) > 0 {
		it.ResourceType, it.ResourceTags = f.Resources[0].Type, f.Resources[0].Tags
	}
	if rec.SLA != nil {
		it.SLADue = rec.SLA.Due
	}
	return it
}

// ConsoleURL returns a link to the finding in the AWS console, or "" when
// Warden knows no page for it. The region and ids are query-escaped; the
// result is still attacker-influenced text and must be escaped for the
// output like any other field.
func ConsoleURL(f *finding.Finding) string {
	region := f.Region
	if region == "" || strings.ContainsAny(region, "/?#@:") {
		return ""
	}
	host := "https://" + region + ".console.aws.amazon.com"
	switch f.Partition {
	case "aws-cn":
		host = "https://" + region + ".console.amazonaws.cn"
	case "aws-us-gov":
		host = "https://" + region + ".console.amazonaws-us-gov.com"
	}
	q := url.QueryEscape(region)
	switch {
	case f.Product == "GuardDuty":
		id := f.ID[strings.LastIndexByte(f.ID, '/')+1:]
		return host + "/guardduty/home?region=" + q + "#/findings?macros=current&fId=" + url.QueryEscape(id)
	case f.Format == finding.FormatASFF:
		// Security Hub's finding search: Id EQUALS <id>, double-encoded
		// as the console expects.
		return host + "/securityhub/home?region=" + q + "#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A" + url.QueryEscape(url.QueryEscape(f.ID))
	case f.Format == finding.FormatOCSF:
		return host + "/securityhub/v2/home?region=" + q + "#/findings"
	case f.Format == finding.FormatInspector:
		return host + "/inspector/v2/home?region=" + q + "#/findings/all"
	case f.Format == finding.FormatMacie:
		return host + "/macie/home?region=" + q + "#findings"
	case f.Format == finding.FormatConfig:
		return host + "/config/home?region=" + q + "#/rules"
	case f.Format == finding.FormatTrustedAdvisor:
		return "https://console.aws.amazon.com/trustedadvisor/home#/dashboard"
	case f.Format == finding.FormatDetection:
		return host + "/cloudtrailv2/home?region=" + q + "#/events"
	}
	return ""
}

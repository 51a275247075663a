package normalize

import "github.com/wardenhq/warden/internal/jsonscan"

// The EventBridge detail-types that carry findings, and the source AWS
// sends each from. An event with one of these detail-types from another
// source is not trusted as a finding: it is passed on as an event.
var findingSources = map[string]string{
	"Security Hub Findings - Imported":                "aws.securityhub",
	"Security Hub Findings - Custom Action":           "aws.securityhub",
	"Findings Imported V2":                            "aws.securityhub",
	"GuardDuty Finding":                               "aws.guardduty",
	"Config Rules Compliance Change":                  "aws.config",
	"Trusted Advisor Check Item Refresh Notification": "aws.trustedadvisor",
	"Inspector2 Finding":                              "aws.inspector2",
	"Macie Finding":                                   "aws.macie",
}

// envelope decodes an EventBridge event: findings for the detail-types
// above, otherwise one Event with the envelope as received.
func (d *decoder) envelope(top *members) {
	dt := top.get("detail-type").str()
	src := top.get("source").str()
	if want, ok := findingSources[dt]; !ok || src != want {
		if top.truncated != nil {
			d.fail(0, top.truncatedPath(), "%s", describeSyntax(top.truncated, 0))
			return
		}
		d.res.Events = append(d.res.Events, Event{Doc: d.rec.Data, Origin: d.origin(0)})
		return
	}
	detail := top.get("detail")
	if dt == "Security Hub Findings - Imported" || dt == "Security Hub Findings - Custom Action" || dt == "Findings Imported V2" {
		d.detailFindings(top, detail, top.get("region").str())
		return
	}
	if top.truncated != nil {
		d.fail(0, top.truncatedPath(), "%s", describeSyntax(top.truncated, 0))
		return
	}
	if !detail.isObject() {
		d.fail(0, "detail", "got %s, want an object", kindOrMissing(detail))
		return
	}
	switch dt {
	case "GuardDuty Finding":
		d.guardDutyFinding(0, "detail", detail.data, top)
	case "Config Rules Compliance Change":
		d.configEvent(top, detail.data)
	case "Trusted Advisor Check Item Refresh Notification":
		d.trustedAdvisorEvent(top, detail.data)
	case "Inspector2 Finding":
		d.inspectorEvent(top, detail.data)
	case "Macie Finding":
		d.macieEvent(top, detail.data)
	}
}

// detailFindings decodes detail.findings[] of a Security Hub event; each
// element is detected on its own (ASFF for "Findings - Imported", OCSF for
// "Findings Imported V2"). A record cut short keeps the findings before
// the cut.
func (d *decoder) detailFindings(top *members, detail value, region string) {
	if !detail.isObject() {
		d.fail(0, "detail", "got %s, want an object with findings", kindOrMissing(detail))
		return
	}
	var dm members
	if err := jsonscan.Members(detail.data, dm.collect); err != nil && !dm.salvage(detail.data, err) {
		d.cutElsewhere(&dm, "detail", "", detail.data)
		return
	}
	findings := dm.get("findings")
	switch {
	case findings.data == nil && dm.truncated != nil:
		d.cutElsewhere(&dm, "detail", "", detail.data)
		return
	case findings.data == nil:
		d.fail(0, "detail.findings", "missing: a Security Hub findings event carries its findings here")
		return
	case !findings.isArray():
		d.fail(0, "detail.findings", "got a JSON %s, want an array of findings", findings.kind())
		return
	}
	d.eachFinding(findings, "detail.findings", region)
	d.cutElsewhere(&dm, "detail", "findings", detail.data)
	d.cutElsewhere(top, "", "detail", d.rec.Data)
}

func kindOrMissing(v value) string {
	if v.data == nil {
		return "nothing (missing)"
	}
	return "a JSON " + v.kind()
}

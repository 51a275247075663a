package normalize

import (
	"github.com/wardenhq/warden/internal/finding"
)

// configEvent is the detail of a "Config Rules Compliance Change" event.
type configEvent struct {
	ResourceID          string `json:"resourceId"`
	ResourceType        string `json:"resourceType"`
	AwsRegion           string `json:"awsRegion"`
	AwsAccountID        string `json:"awsAccountId"`
	ConfigRuleName      string `json:"configRuleName"`
	ConfigRuleARN       string `json:"configRuleARN"`
	NotificationCreated string `json:"notificationCreationTime"`
	NewEvaluationResult struct {
		ComplianceType        string `json:"complianceType"`
		ResultRecordedTime    string `json:"resultRecordedTime"`
		ConfigRuleInvokedTime string `json:"configRuleInvokedTime"`
		Annotation            string `json:"annotation"`
	} `json:"newEvaluationResult"`
}

// configSeverity is the severity of a Config evaluation. Config rules
// carry none: NON_COMPLIANT is MEDIUM by default (a policy rule can raise
// it), anything else INFORMATIONAL.
func configSeverity(compliance string) finding.Severity {
	if compliance == "NON_COMPLIANT" {
		return finding.SeverityMedium
	}
	return finding.SeverityInformational
}

// configCompliance maps complianceType onto ASFF Compliance.Status.
var configCompliance = map[string]string{
	"COMPLIANT":         "PASSED",
	"NON_COMPLIANT":     "FAILED",
	"NOT_APPLICABLE":    "NOT_AVAILABLE",
	"INSUFFICIENT_DATA": "NOT_AVAILABLE",
}

// configEvent decodes a Config rule evaluation. Config has no finding id:
// the identity is the evaluated pair, rule and resource, in its account
// and region — config/ACCOUNT/REGION/RULE/RESOURCE-TYPE/RESOURCE-ID — so
// every change of that evaluation is a new version of one finding.
func (d *decoder) configEvent(top *members, raw []byte) {
	var e configEvent
	if err := unmarshal(raw, &e, func() { e = configEvent{} }); err != nil {
		d.res.Errors = append(d.res.Errors, decodeErr(d.origin(0), "detail", err))
		return
	}
	c := d.checker(0, "detail")
	region := firstOf(e.AwsRegion, arnRegion(e.ConfigRuleARN), top.get("region").str())
	account := firstOf(e.AwsAccountID, arnAccount(e.ConfigRuleARN))
	rule := firstOf(e.ConfigRuleName, e.ConfigRuleARN)
	for _, p := range []kv{{"awsAccountId", account}, {"configRuleName", rule}, {"resourceType", e.ResourceType}, {"resourceId", e.ResourceID}} {
		if p.v == "" {
			c.fail(p.k, "missing: it is part of the identity of a Config evaluation")
		}
	}
	status := e.NewEvaluationResult.ComplianceType
	compliance, known := configCompliance[status]
	if !known {
		c.fail("newEvaluationResult.complianceType", "unknown compliance type %q (want COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE or INSUFFICIENT_DATA)", status)
	}
	partition := firstOf(arnPartition(e.ConfigRuleARN), "aws")
	f := &finding.Finding{
		ID:          "config/" + account + "/" + region + "/" + rule + "/" + e.ResourceType + "/" + e.ResourceID,
		Format:      finding.FormatConfig,
		Product:     "Config",
		ProductArn:  "arn:" + partition + ":securityhub:" + region + "::product/aws/config",
		GeneratorID: firstOf(e.ConfigRuleARN, rule),
		ControlID:   rule,
		Types:       []string{"Software and Configuration Checks/AWS Config Analysis"},
		Title:       "Config rule " + rule + ": " + e.ResourceType + " " + e.ResourceID,
		Description: firstOf(e.NewEvaluationResult.Annotation, e.ResourceType+" "+e.ResourceID+" is "+status+" with Config rule "+rule),
		AccountID:   account,
		Region:      region,
		Partition:   partition,
		Severity:    configSeverity(status),
		Compliance:  compliance,
		RecordState: "ACTIVE",
		Resources: []finding.Resource{{
			Type: asffResourceType(e.ResourceType), ID: e.ResourceID, Region: region, Partition: partition,
		}},
		Raw:    d.rec.Data,
		Origin: d.origin(0),
	}
	f.UpdatedAt = c.time("newEvaluationResult.resultRecordedTime", e.NewEvaluationResult.ResultRecordedTime, nativeLayouts)
	f.LastObservedAt = c.time("newEvaluationResult.configRuleInvokedTime", e.NewEvaluationResult.ConfigRuleInvokedTime, nativeLayouts)
	f.CreatedAt = c.time("notificationCreationTime", e.NotificationCreated, nativeLayouts)
	if f.CreatedAt.IsZero() {
		f.CreatedAt = f.UpdatedAt
	}
	f.Doc = asffDoc(f, []kv{
		{"aws/securityhub/ProductName", "Config"},
		{"aws/config/ConfigRuleName", e.ConfigRuleName},
		{"aws/config/ConfigRuleArn", e.ConfigRuleARN},
		{"aws/config/ConfigComplianceType", status},
	})
	if c.ok() {
		d.add(f)
	}
}

package normalize

import (
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// inspectorFinding is the part of an "Inspector2 Finding" event's detail
// that Warden maps.
type inspectorFinding struct {
	AwsAccountID    string `json:"awsAccountId"`
	FindingArn      string `json:"findingArn"`
	Title           string `json:"title"`
	Description     string `json:"description"`
	Severity        string `json:"severity"`
	Status          string `json:"status"`
	Type            string `json:"type"`
	FirstObservedAt stamp  `json:"firstObservedAt"`
	LastObservedAt  stamp  `json:"lastObservedAt"`
	UpdatedAt       stamp  `json:"updatedAt"`
	Remediation     struct {
		Recommendation struct {
			Text string `json:"text"`
			URL  string `json:"Url"`
		} `json:"recommendation"`
	} `json:"remediation"`
	Resources []struct {
		ID        string            `json:"id"`
		Type      string            `json:"type"`
		Region    string            `json:"region"`
		Partition string            `json:"partition"`
		Tags      map[string]string `json:"tags"`
	} `json:"resources"`
	PackageVulnerabilityDetails *struct {
		VulnerabilityID string `json:"vulnerabilityId"`
	} `json:"packageVulnerabilityDetails"`
}

// inspectorTypes are the ASFF Types of Inspector finding types.
var inspectorTypes = map[string]string{
	"PACKAGE_VULNERABILITY": "Software and Configuration Checks/Vulnerabilities/CVE",
	"CODE_VULNERABILITY":    "Software and Configuration Checks/Vulnerabilities/Code",
	"NETWORK_REACHABILITY":  "Software and Configuration Checks/AWS Security Best Practices/Network Reachability",
}

// inspectorResourceTypes are the ASFF resource types of Inspector's.
var inspectorResourceTypes = map[string]string{
	"AWS_EC2_INSTANCE":        "AwsEc2Instance",
	"AWS_ECR_CONTAINER_IMAGE": "AwsEcrContainerImage",
	"AWS_ECR_REPOSITORY":      "AwsEcrRepository",
	"AWS_LAMBDA_FUNCTION":     "AwsLambdaFunction",
}

// inspectorEvent decodes an Inspector2 finding. Its ID is the finding ARN,
// which Security Hub also uses as the ASFF Id. Severity is Inspector's
// label; UNTRIAGED is INFORMATIONAL, as Security Hub maps it. CLOSED is
// resolved and archived, SUPPRESSED archived.
func (d *decoder) inspectorEvent(top *members, raw []byte) {
	var e inspectorFinding
	if err := unmarshal(raw, &e, func() { e = inspectorFinding{} }); err != nil {
		d.res.Errors = append(d.res.Errors, decodeErr(d.origin(0), "detail", err))
		return
	}
	c := d.checker(0, "detail")
	if e.FindingArn == "" {
		c.fail("findingArn", "missing: the finding ARN is the identity of an Inspector finding")
	}
	account := firstOf(e.AwsAccountID, arnAccount(e.FindingArn))
	if account == "" {
		c.fail("awsAccountId", "missing: a finding needs the account it is about")
	}
	region := firstOf(arnRegion(e.FindingArn), top.get("region").str())
	partition := firstOf(arnPartition(e.FindingArn), "aws")
	f := &finding.Finding{
		ID:              e.FindingArn,
		Format:          finding.FormatInspector,
		Product:         "Inspector",
		ProductArn:      "arn:" + partition + ":securityhub:" + region + "::product/aws/inspector",
		GeneratorID:     e.Type,
		Title:           e.Title,
		Description:     e.Description,
		AccountID:       account,
		Region:          region,
		Partition:       partition,
		RecordState:     "ACTIVE",
		WorkflowStatus:  "NEW",
		RemediationText: e.Remediation.Recommendation.Text,
		RemediationURL:  e.Remediation.Recommendation.URL,
		Raw:             d.rec.Data,
		Origin:          d.origin(0),
	}
	if v := e.PackageVulnerabilityDetails; v != nil && v.VulnerabilityID != "" {
		f.GeneratorID = v.VulnerabilityID
	}
	if t, ok := inspectorTypes[e.Type]; ok {
		f.Types = []string{t}
	} else if e.Type != "" {
		f.Types = []string{"Software and Configuration Checks/Vulnerabilities/" + e.Type}
	}
	switch strings.ToUpper(e.Severity) {
	case "UNTRIAGED":
		f.Severity = finding.SeverityInformational
	default:
		sev, err := finding.ParseSeverity(e.Severity)
		if err != nil {
			c.fail("severity", "unknown severity %q", e.Severity)
		}
		f.Severity = sev
	}
	switch e.Status {
	case "CLOSED":
		f.RecordState, f.WorkflowStatus = "ARCHIVED", "RESOLVED"
	case "SUPPRESSED":
		f.RecordState, f.WorkflowStatus = "ARCHIVED", "SUPPRESSED"
	}
	f.FirstObservedAt = c.stampTime("firstObservedAt", e.FirstObservedAt, stamp{})
	f.LastObservedAt = c.stampTime("lastObservedAt", e.LastObservedAt, stamp{})
	f.UpdatedAt = c.stampTime("updatedAt", e.UpdatedAt, stamp{})
	f.CreatedAt = f.FirstObservedAt
	for _, r := range e.Resources {
		typ := firstOf(inspectorResourceTypes[r.Type], r.Type)
		res := finding.Resource{Type: typ, ID: r.ID, Region: firstOf(r.Region, region), Partition: firstOf(r.Partition, partition), Tags: r.Tags}
		if typ == "AwsEc2Instance" && strings.HasPrefix(r.ID, "i-") {
			res.ID = "arn:" + res.Partition + ":ec2:" + res.Region + ":" + account + ":instance/" + r.ID
		}
		f.Resources = append(f.Resources, res)
	}
	f.Doc = asffDoc(f, []kv{{"aws/securityhub/ProductName", "Inspector"}, {"aws/inspector/FindingStatus", e.Status}, {"aws/inspector/ProductSeverity", e.Severity}})
	if c.ok() {
		d.add(f)
	}
}

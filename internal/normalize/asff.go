package normalize

import (
	"bytes"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/jsonscan"
)

// asff decodes one ASFF finding (raw, at path in the record) with the SDK's
// model of ASFF and maps it. envRegion is the EventBridge envelope's
// region, the last fallback for the finding's region.
func (d *decoder) asff(item int, path string, raw []byte, envRegion string) {
	var a types.AwsSecurityFinding
	if err := unmarshal(raw, &a, func() { a = types.AwsSecurityFinding{} }); err != nil {
		d.res.Errors = append(d.res.Errors, decodeErr(d.origin(item), path, err))
		return
	}
	c := d.checker(item, path)
	f := &finding.Finding{
		ID:          deref(a.Id),
		Format:      finding.FormatASFF,
		ProductArn:  deref(a.ProductArn),
		GeneratorID: deref(a.GeneratorId),
		Types:       a.Types,
		Title:       deref(a.Title),
		Description: deref(a.Description),
		AccountID:   deref(a.AwsAccountId),
		RecordState: string(a.RecordState),
		Doc:         raw,
		Raw:         raw,
		Origin:      d.origin(item),
	}
	if f.ID == "" {
		c.fail("Id", "missing: a finding needs an Id, its identity")
	}
	if f.AccountID == "" {
		c.fail("AwsAccountId", "missing: a finding needs the account it is about")
	}
	f.Product = asffProduct(&a)
	f.ControlID = asffControl(&a)
	f.Severity = c.asffSeverity(a.Severity)
	if a.Compliance != nil {
		f.Compliance = string(a.Compliance.Status)
	}
	f.WorkflowStatus = asffWorkflow(&a)
	f.FirstObservedAt = c.time("FirstObservedAt", deref(a.FirstObservedAt), asffLayouts)
	f.LastObservedAt = c.time("LastObservedAt", deref(a.LastObservedAt), asffLayouts)
	f.CreatedAt = c.time("CreatedAt", deref(a.CreatedAt), asffLayouts)
	f.UpdatedAt = c.time("UpdatedAt", deref(a.UpdatedAt), asffLayouts)
	if r := a.Remediation; r != nil && r.Recommendation != nil {
		f.RemediationText = deref(r.Recommendation.Text)
		f.RemediationURL = deref(r.Recommendation.Url)
	}
	f.Resources = make([]finding.Resource, 0, len(a.Resources))
	for _, r := range a.Resources {
		f.Resources = append(f.Resources, finding.Resource{
			Type:      deref(r.Type),
			ID:        deref(r.Id),
			Region:    deref(r.Region),
			Partition: string(r.Partition),
			Tags:      r.Tags,
		})
	}
	f.Region = firstOf(deref(a.Region), resourceRegion(f.Resources), arnRegion(f.ProductArn), envRegion)
	f.Partition = firstOf(resourcePartition(f.Resources), arnPartition(f.ProductArn), arnPartition(f.ID))
	f.SourceIP = asffSourceIP(&a)
	f.Actor = asffActor(&a)
	f.Doc = withDerived(raw, a.ProductName == nil, f.Product, a.Region == nil, f.Region)
	if c.ok() {
		d.add(f)
	}
}

// asffProduct: ProductName, else the ProductFields copy Security Hub
// keeps, else the name in the product ARN.
func asffProduct(a *types.AwsSecurityFinding) string {
	return firstOf(deref(a.ProductName), a.ProductFields["aws/securityhub/ProductName"], productFromArn(deref(a.ProductArn)))
}

// asffControl: the consolidated control id, else the per-standard one.
func asffControl(a *types.AwsSecurityFinding) string {
	if a.Compliance != nil && deref(a.Compliance.SecurityControlId) != "" {
		return *a.Compliance.SecurityControlId
	}
	return firstOf(a.ProductFields["ControlId"], a.ProductFields["RuleId"])
}

// asffSeverity: Label, else Normalized mapped as Security Hub does, else
// UNKNOWN. An unknown label is an error, not a guess.
func (c *checker) asffSeverity(s *types.Severity) finding.Severity {
	if s == nil {
		return finding.SeverityUnknown
	}
	if s.Label != "" {
		sev, err := finding.ParseSeverity(string(s.Label))
		if err != nil {
			c.fail("Severity.Label", "unknown severity %q", string(s.Label))
		}
		return sev
	}
	if s.Normalized != nil {
		return finding.FromNormalized(int(*s.Normalized))
	}
	return finding.SeverityUnknown
}

// asffWorkflow: Workflow.Status, else the deprecated WorkflowState where
// it means the same (older findings carry only that).
func asffWorkflow(a *types.AwsSecurityFinding) string {
	if a.Workflow != nil && a.Workflow.Status != "" {
		return string(a.Workflow.Status)
	}
	//lint:ignore SA1019 old findings still carry only WorkflowState
	switch state := a.WorkflowState; state {
	case types.WorkflowStateNew, types.WorkflowStateResolved:
		return string(state)
	}
	return ""
}

// asffSourceIP: the remote IP of the action (GuardDuty fills Action), else
// the network source, else GuardDuty's flattened ProductFields.
func asffSourceIP(a *types.AwsSecurityFinding) string {
	if act := a.Action; act != nil {
		if x := act.AwsApiCallAction; x != nil && x.RemoteIpDetails != nil && deref(x.RemoteIpDetails.IpAddressV4) != "" {
			return *x.RemoteIpDetails.IpAddressV4
		}
		if x := act.NetworkConnectionAction; x != nil && x.RemoteIpDetails != nil && deref(x.RemoteIpDetails.IpAddressV4) != "" {
			return *x.RemoteIpDetails.IpAddressV4
		}
		if x := act.PortProbeAction; x != nil {
			for _, p := range x.PortProbeDetails {
				if p.RemoteIpDetails != nil && deref(p.RemoteIpDetails.IpAddressV4) != "" {
					return *p.RemoteIpDetails.IpAddressV4
				}
			}
		}
	}
	if a.Network != nil && deref(a.Network.SourceIpV4) != "" {
		return *a.Network.SourceIpV4
	}
	for _, k := range []string{
		"aws/guardduty/service/action/awsApiCallAction/remoteIpDetails/ipAddressV4",
		"aws/guardduty/service/action/networkConnectionAction/remoteIpDetails/ipAddressV4",
		"aws/guardduty/service/action/portProbeAction/portProbeDetails/0/remoteIpDetails/ipAddressV4",
	} {
		if v := a.ProductFields[k]; v != "" {
			return v
		}
	}
	return ""
}

// asffActor: the principal of an access-key resource (GuardDuty IAM
// findings), else the user GuardDuty flattens into ProductFields.
func asffActor(a *types.AwsSecurityFinding) string {
	for _, r := range a.Resources {
		if r.Details != nil && r.Details.AwsIamAccessKey != nil {
			k := r.Details.AwsIamAccessKey
			//lint:ignore SA1019 older GuardDuty findings name the user only in UserName
			if v := firstOf(deref(k.PrincipalName), deref(k.UserName), deref(k.PrincipalId)); v != "" {
				return v
			}
		}
	}
	for k, v := range a.ProductFields {
		if strings.HasPrefix(k, "aws/guardduty/") && strings.HasSuffix(k, "accessKeyDetails/userName") {
			return v
		}
	}
	return ""
}

func resourceRegion(rs []finding.Resource) string {
	for _, r := range rs {
		if r.Region != "" {
			return r.Region
		}
	}
	return ""
}

func resourcePartition(rs []finding.Resource) string {
	for _, r := range rs {
		if r.Partition != "" {
			return r.Partition
		}
	}
	return ""
}

func deref[T ~string](p *T) T {
	if p == nil {
		return ""
	}
	return *p
}

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// withDerived adds ProductName and Region to an ASFF document that lacks
// them (findings written before Security Hub added those fields), with the
// values Warden derived, so policy patterns see what scopes and decisions
// see. The document is otherwise the one received; nothing is re-encoded.
func withDerived(raw []byte, addProduct bool, product string, addRegion bool, region string) []byte {
	addProduct = addProduct && product != ""
	addRegion = addRegion && region != ""
	open := bytes.IndexByte(raw, '{')
	if (!addProduct && !addRegion) || open < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw)+len(product)+len(region)+32)
	out = append(out, raw[:open+1]...)
	if addProduct {
		out = append(out, `"ProductName":`...)
		out = jsonscan.AppendString(out, product)
		out = append(out, ',')
	}
	if addRegion {
		out = append(out, `"Region":`...)
		out = jsonscan.AppendString(out, region)
		out = append(out, ',')
	}
	rest := raw[open+1:]
	if len(bytes.TrimSpace(rest)) > 0 && bytes.TrimSpace(rest)[0] == '}' {
		out = out[:len(out)-1] // empty object: no trailing comma
	}
	return append(out, rest...)
}

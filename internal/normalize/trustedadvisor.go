package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// taEvent is the detail of a "Trusted Advisor Check Item Refresh
// Notification" event. check-item-detail is a flat object whose keys
// depend on the check ("Access Key ID", "Region", "Bucket Name", …).
type taEvent struct {
	CheckName  string            `json:"check-name"`
	Item       map[string]string `json:"check-item-detail"`
	Status     string            `json:"status"`
	ResourceID string            `json:"resource_id"`
	UUID       string            `json:"uuid"`
}

// taVolatile are check-item-detail keys that change between refreshes of
// the same item, left out of the identity.
var taVolatile = map[string]bool{
	"Time Updated": true, "Deadline": true, "Usage (USD per Day)": true, "Status": true,
	"Timestamp": true, "Current Usage": true, "Last Updated Time": true, "Estimated Monthly Savings": true,
}

// taSeverity: ERROR is HIGH, CRITICAL for exposed access keys; WARN is
// MEDIUM; OK is INFORMATIONAL and resolves the finding.
func taSeverity(check, status string) finding.Severity {
	switch status {
	case "ERROR":
		if strings.Contains(strings.ToLower(check), "exposed access key") {
			return finding.SeverityCritical
		}
		return finding.SeverityHigh
	case "WARN":
		return finding.SeverityMedium
	}
	return finding.SeverityInformational
}

// trustedAdvisorEvent decodes a Trusted Advisor check item. Its identity
// is the account, the check and the item: the resource id when the event
// has one, the access key for the exposed-keys check, else a digest of the
// item's stable fields. The account is the envelope's: Trusted Advisor
// emits these events in the account that owns the checked resource.
func (d *decoder) trustedAdvisorEvent(top *members, raw []byte) {
	var e taEvent
	if err := unmarshal(raw, &e, func() { e = taEvent{} }); err != nil {
		d.res.Errors = append(d.res.Errors, decodeErr(d.origin(0), "detail", err))
		return
	}
	c := d.checker(0, "detail")
	account := top.get("account").str()
	if account == "" {
		c.fail("account", "missing")
	}
	if e.CheckName == "" {
		c.fail("check-name", "missing: it is part of the identity of a Trusted Advisor item")
	}
	var compliance string
	switch e.Status {
	case "OK":
		compliance = "PASSED"
	case "WARN", "ERROR":
		compliance = "FAILED"
	default:
		c.fail("status", "unknown status %q (want OK, WARN or ERROR)", e.Status)
	}
	region := firstOf(e.Item["Region"], e.Item["Region/AZ"], top.get("region").str())
	key := e.Item["Access Key ID"]
	item := firstOf(e.ResourceID, key, taDigest(e.Item))
	f := &finding.Finding{
		ID:          "trusted-advisor/" + account + "/" + e.CheckName + "/" + item,
		Format:      finding.FormatTrustedAdvisor,
		Product:     "Trusted Advisor",
		ProductArn:  "arn:aws:securityhub:" + region + "::product/aws/trusted-advisor",
		GeneratorID: e.CheckName,
		ControlID:   e.CheckName,
		Types:       []string{"Software and Configuration Checks/AWS Security Best Practices/Trusted Advisor"},
		Title:       e.CheckName + ": " + firstOf(key, e.ResourceID, item),
		AccountID:   account,
		Region:      region,
		Partition:   "aws",
		Severity:    taSeverity(e.CheckName, e.Status),
		Compliance:  compliance,
		RecordState: "ACTIVE",
		Actor:       e.Item["User Name (IAM or Root)"],
		Raw:         d.rec.Data,
		Origin:      d.origin(0),
	}
	f.Description = "Trusted Advisor check " + e.CheckName + " is " + e.Status + " for " + f.Title[len(e.CheckName)+2:]
	switch {
	case key != "":
		f.Resources = []finding.Resource{{Type: "AwsIamAccessKey", ID: "AWS::IAM::AccessKey:" + key, Region: region, Partition: "aws"}}
	case e.ResourceID != "":
		f.Resources = []finding.Resource{{Type: "Other", ID: e.ResourceID, Region: region, Partition: "aws"}}
	}
	f.UpdatedAt = c.time("time", top.get("time").str(), nativeLayouts)
	f.CreatedAt = f.UpdatedAt
	pf := []kv{{"aws/securityhub/ProductName", "Trusted Advisor"}, {"aws/trustedadvisor/status", e.Status}}
	for k, v := range e.Item {
		pf = append(pf, kv{"aws/trustedadvisor/check-item-detail/" + k, v})
	}
	f.Doc = asffDoc(f, pf)
	if c.ok() {
		d.add(f)
	}
}

// taDigest identifies an item by its stable fields when it names no
// resource.
func taDigest(item map[string]string) string {
	keys := make([]string, 0, len(item))
	for k := range item {
		if !taVolatile[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "\x00" + item[k] + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

package normalize

import (
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// macieFinding is the part of a "Macie Finding" event's detail that
// Warden maps.
type macieFinding struct {
	ID          string `json:"id"`
	AccountID   string `json:"accountId"`
	Partition   string `json:"partition"`
	Region      string `json:"region"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Category    string `json:"category"`
	Archived    bool   `json:"archived"`
	Severity    struct {
		Description string `json:"description"`
	} `json:"severity"`
	CreatedAt         stamp `json:"createdAt"`
	UpdatedAt         stamp `json:"updatedAt"`
	ResourcesAffected struct {
		S3Bucket *struct {
			Arn  string `json:"arn"`
			Name string `json:"name"`
			Tags []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"tags"`
		} `json:"s3Bucket"`
		S3Object *struct {
			BucketArn string `json:"bucketArn"`
			Key       string `json:"key"`
		} `json:"s3Object"`
	} `json:"resourcesAffected"`
}

// macieTypes are the ASFF namespaces of Macie's finding types.
var macieTypes = map[string]string{
	"SensitiveData:S3Object/Credentials":      "Sensitive Data Identifications/Passwords",
	"SensitiveData:S3Object/Financial":        "Sensitive Data Identifications/Financial",
	"SensitiveData:S3Object/Personal":         "Sensitive Data Identifications/PII",
	"SensitiveData:S3Object/Multiple":         "Sensitive Data Identifications/PII",
	"SensitiveData:S3Object/CustomIdentifier": "Sensitive Data Identifications",
}

// macieEvent decodes a Macie finding. Macie has no finding ARN in the
// event; the ID is the ARN Security Hub gives it as ASFF Id,
// arn:PARTITION:macie2:REGION:ACCOUNT:finding/ID.
func (d *decoder) macieEvent(top *members, raw []byte) {
	var e macieFinding
	if err := unmarshal(raw, &e, func() { e = macieFinding{} }); err != nil {
		d.res.Errors = append(d.res.Errors, decodeErr(d.origin(0), "detail", err))
		return
	}
	c := d.checker(0, "detail")
	region := firstOf(e.Region, top.get("region").str())
	partition := firstOf(e.Partition, "aws")
	if e.ID == "" {
		c.fail("id", "missing: the finding id is the identity of a Macie finding")
	}
	if e.AccountID == "" {
		c.fail("accountId", "missing: a finding needs the account it is about")
	}
	f := &finding.Finding{
		ID:          "arn:" + partition + ":macie2:" + region + ":" + e.AccountID + ":finding/" + e.ID,
		Format:      finding.FormatMacie,
		Product:     "Macie",
		ProductArn:  "arn:" + partition + ":securityhub:" + region + "::product/aws/macie",
		GeneratorID: e.Type,
		Title:       e.Title,
		Description: e.Description,
		AccountID:   e.AccountID,
		Region:      region,
		Partition:   partition,
		RecordState: "ACTIVE",
		Raw:         d.rec.Data,
		Origin:      d.origin(0),
	}
	if e.Archived {
		f.RecordState = "ARCHIVED"
	}
	if e.Type != "" {
		ns, ok := macieTypes[e.Type]
		switch {
		case ok:
		case strings.HasPrefix(e.Type, "Policy:"):
			ns = "Software and Configuration Checks/AWS Security Best Practices"
		default:
			ns = "Sensitive Data Identifications"
		}
		f.Types = []string{ns + "/" + strings.Replace(e.Type, "/", "-", 1)}
	}
	sev, err := finding.ParseSeverity(e.Severity.Description)
	if err != nil || e.Severity.Description == "" {
		c.fail("severity.description", "unknown severity %q", e.Severity.Description)
	}
	f.Severity = sev
	f.CreatedAt = c.stampTime("createdAt", e.CreatedAt, stamp{})
	f.UpdatedAt = c.stampTime("updatedAt", e.UpdatedAt, stamp{})
	if b := e.ResourcesAffected.S3Bucket; b != nil {
		r := finding.Resource{Type: "AwsS3Bucket", ID: firstOf(b.Arn, s3Arn(partition, b.Name)), Region: region, Partition: partition}
		if len(b.Tags) > 0 {
			r.Tags = map[string]string{}
			for _, t := range b.Tags {
				r.Tags[t.Key] = t.Value
			}
		}
		f.Resources = append(f.Resources, r)
	}
	if o := e.ResourcesAffected.S3Object; o != nil && o.BucketArn != "" && o.Key != "" {
		f.Resources = append(f.Resources, finding.Resource{Type: "AwsS3Object", ID: o.BucketArn + "/" + o.Key, Region: region, Partition: partition})
	}
	f.Doc = asffDoc(f, []kv{{"aws/securityhub/ProductName", "Macie"}, {"aws/macie/category", e.Category}, {"aws/macie/type", e.Type}})
	if c.ok() {
		d.add(f)
	}
}

package normalize

import (
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// ocsfFinding is the part of an OCSF finding (Compliance Finding 2003,
// Detection Finding 2004, Vulnerability Finding 2002, the older Security
// Finding 2001) that Warden maps, as Security Hub's "Findings Imported V2"
// events and Security Lake carry it. There is no SDK model of it: Security
// Hub's API returns OCSF findings as untyped documents.
type ocsfFinding struct {
	ClassUID   int    `json:"class_uid"`
	ActivityID int    `json:"activity_id"`
	SeverityID int    `json:"severity_id"`
	Severity   string `json:"severity"`
	StatusID   int    `json:"status_id"`
	Status     string `json:"status"`
	Message    string `json:"message"`
	Time       stamp  `json:"time"`
	Metadata   struct {
		UID     string `json:"uid"`
		Product struct {
			Name       string `json:"name"`
			VendorName string `json:"vendor_name"`
			UID        string `json:"uid"`
			Feature    struct {
				UID string `json:"uid"`
			} `json:"feature"`
		} `json:"product"`
	} `json:"metadata"`
	FindingInfo struct {
		UID           string   `json:"uid"`
		Title         string   `json:"title"`
		Desc          string   `json:"desc"`
		Types         []string `json:"types"`
		CreatedTime   stamp    `json:"created_time"`
		CreatedTimeDT stamp    `json:"created_time_dt"`
		FirstSeen     stamp    `json:"first_seen_time"`
		FirstSeenDT   stamp    `json:"first_seen_time_dt"`
		LastSeen      stamp    `json:"last_seen_time"`
		LastSeenDT    stamp    `json:"last_seen_time_dt"`
		Modified      stamp    `json:"modified_time"`
		ModifiedDT    stamp    `json:"modified_time_dt"`
		Analytic      struct {
			UID  string `json:"uid"`
			Name string `json:"name"`
		} `json:"analytic"`
	} `json:"finding_info"`
	Cloud struct {
		Account struct {
			UID string `json:"uid"`
		} `json:"account"`
		Region    string `json:"region"`
		Partition string `json:"cloud_partition"`
	} `json:"cloud"`
	Resources []struct {
		UID       string `json:"uid"`
		Name      string `json:"name"`
		Type      string `json:"type"`
		Region    string `json:"region"`
		Partition string `json:"cloud_partition"`
		Owner     struct {
			AccountUID string `json:"account_uid"`
		} `json:"owner"`
		Tags []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"tags"`
	} `json:"resources"`
	Compliance *struct {
		Status   string `json:"status"`
		StatusID int    `json:"status_id"`
		Control  string `json:"control"`
	} `json:"compliance"`
	Remediation struct {
		Desc       string   `json:"desc"`
		References []string `json:"references"`
	} `json:"remediation"`
	Evidences []struct {
		SrcEndpoint struct {
			IP string `json:"ip"`
		} `json:"src_endpoint"`
		Actor struct {
			User struct {
				UID  string `json:"uid"`
				Name string `json:"name"`
			} `json:"user"`
		} `json:"actor"`
	} `json:"evidences"`
}

// ocsf decodes one OCSF finding. Its identity is finding_info.uid — for a
// finding that GuardDuty raised, the GuardDuty finding ARN, the same ID
// as the native event and the ASFF finding — else metadata.uid.
func (d *decoder) ocsf(item int, path string, raw []byte, envRegion string) {
	var o ocsfFinding
	if err := unmarshal(raw, &o, func() { o = ocsfFinding{} }); err != nil {
		d.res.Errors = append(d.res.Errors, decodeErr(d.origin(item), path, err))
		return
	}
	c := d.checker(item, path)
	fi := &o.FindingInfo
	f := &finding.Finding{
		ID:          firstOf(fi.UID, o.Metadata.UID),
		Format:      finding.FormatOCSF,
		Product:     o.Metadata.Product.Name,
		GeneratorID: firstOf(fi.Analytic.UID, fi.Analytic.Name, o.Metadata.Product.Feature.UID),
		Title:       fi.Title,
		Description: firstOf(fi.Desc, o.Message),
		AccountID:   o.Cloud.Account.UID,
		Raw:         raw,
		Origin:      d.origin(item),
	}
	if strings.HasPrefix(o.Metadata.Product.UID, "arn:") {
		f.ProductArn = o.Metadata.Product.UID
	}
	if f.ID == "" {
		c.fail("finding_info.uid", "missing: a finding needs finding_info.uid (or metadata.uid), its identity")
	}
	for _, r := range o.Resources {
		f.AccountID = firstOf(f.AccountID, r.Owner.AccountUID)
	}
	if f.AccountID == "" {
		c.fail("cloud.account.uid", "missing: a finding needs the account it is about")
	}
	f.Region = firstOf(o.Cloud.Region, envRegion)
	if len(o.Resources) > 0 {
		f.Region = firstOf(o.Cloud.Region, o.Resources[0].Region, envRegion)
	}
	f.Partition = firstOf(o.Cloud.Partition, arnPartition(f.ID), "aws")
	f.Severity = ocsfSeverity(o.SeverityID, o.Severity)
	gd := f.Product == "GuardDuty"
	for _, t := range fi.Types {
		// GuardDuty's own type names are mapped as Security Hub maps them
		// in ASFF, so Types match whichever channel the finding came by.
		if gd && isGDType(t) {
			f.Types = append(f.Types, gdTypes(t)...)
		} else {
			f.Types = append(f.Types, t)
		}
	}
	f.CreatedAt = c.stampTime("finding_info.created_time", fi.CreatedTimeDT, fi.CreatedTime)
	f.FirstObservedAt = c.stampTime("finding_info.first_seen_time", fi.FirstSeenDT, fi.FirstSeen)
	f.LastObservedAt = c.stampTime("finding_info.last_seen_time", fi.LastSeenDT, fi.LastSeen)
	f.UpdatedAt = c.stampTime("finding_info.modified_time", fi.ModifiedDT, fi.Modified)
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = c.stampTime("time", stamp{}, o.Time)
	}
	f.RecordState, f.WorkflowStatus = ocsfStatus(o.ActivityID, o.StatusID, o.Status)
	if o.Compliance != nil {
		f.Compliance = ocsfCompliance(o.Compliance.StatusID, o.Compliance.Status)
		f.ControlID = o.Compliance.Control
	}
	f.RemediationText = o.Remediation.Desc
	if len(o.Remediation.References) > 0 {
		f.RemediationURL = o.Remediation.References[0]
	}
	for _, r := range o.Resources {
		res := finding.Resource{
			Type:      asffResourceType(r.Type),
			ID:        firstOf(r.UID, r.Name),
			Region:    firstOf(r.Region, f.Region),
			Partition: firstOf(r.Partition, f.Partition),
		}
		// An EC2 instance named by its id gets the ARN ASFF uses.
		if res.Type == "AwsEc2Instance" && strings.HasPrefix(res.ID, "i-") {
			res.ID = "arn:" + res.Partition + ":ec2:" + res.Region + ":" + f.AccountID + ":instance/" + res.ID
		}
		if len(r.Tags) > 0 {
			res.Tags = make(map[string]string, len(r.Tags))
			for _, t := range r.Tags {
				res.Tags[t.Name] = t.Value
			}
		}
		f.Resources = append(f.Resources, res)
	}
	for _, e := range o.Evidences {
		f.SourceIP = firstOf(f.SourceIP, e.SrcEndpoint.IP)
		f.Actor = firstOf(f.Actor, e.Actor.User.UID, e.Actor.User.Name)
	}
	f.Doc = asffDoc(f, []kv{
		{"aws/securityhub/ProductName", f.Product},
		{"ocsf/class_uid", strconv.Itoa(o.ClassUID)},
		{"ocsf/metadata/product/uid", o.Metadata.Product.UID},
	})
	if c.ok() {
		d.add(f)
	}
}

// ocsfSeverity: severity_id, else the severity label.
func ocsfSeverity(id int, label string) finding.Severity {
	if s := finding.FromOCSF(id); s != finding.SeverityUnknown {
		return s
	}
	if s, err := finding.ParseSeverity(label); err == nil {
		return s
	}
	if strings.EqualFold(label, "fatal") {
		return finding.SeverityCritical
	}
	return finding.SeverityUnknown
}

// ocsfStatus maps activity_id and status_id (1 New, 2 In Progress,
// 3 Suppressed, 4 Resolved, 5 Archived) onto RecordState and
// Workflow.Status. Activity 3 (Close) archives the finding, as Security
// Hub treats it.
func ocsfStatus(activityID, statusID int, status string) (record, workflow string) {
	record = "ACTIVE"
	if activityID == 3 {
		record = "ARCHIVED"
	}
	if statusID == 0 || statusID == 99 {
		switch strings.ToLower(status) {
		case "new":
			statusID = 1
		case "in progress", "in_progress":
			statusID = 2
		case "suppressed":
			statusID = 3
		case "resolved":
			statusID = 4
		case "archived":
			statusID = 5
		}
	}
	switch statusID {
	case 1:
		workflow = "NEW"
	case 2:
		workflow = "NOTIFIED"
	case 3:
		workflow = "SUPPRESSED"
	case 4:
		workflow = "RESOLVED"
	case 5:
		record = "ARCHIVED"
	}
	return record, workflow
}

// ocsfCompliance maps compliance.status_id (1 Pass, 2 Warning, 3 Fail)
// or the status text onto ASFF Compliance.Status.
func ocsfCompliance(id int, status string) string {
	switch id {
	case 1:
		return "PASSED"
	case 2:
		return "WARNING"
	case 3:
		return "FAILED"
	}
	switch strings.ToLower(status) {
	case "pass", "passed":
		return "PASSED"
	case "warning":
		return "WARNING"
	case "fail", "failed":
		return "FAILED"
	case "":
		return ""
	}
	return "NOT_AVAILABLE"
}

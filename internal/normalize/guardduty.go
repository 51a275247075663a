package normalize

import (
	"strconv"

	"github.com/wardenhq/warden/internal/finding"
)

// gdFinding is the part of a GuardDuty finding that Warden maps: the
// finding as GuardDuty's API and its "GuardDuty Finding" events carry it
// (camelCase; encoding/json matching is case-insensitive, so the
// PascalCase of boto3 dumps decodes too). It is a view, not a copy of the
// SDK's guardduty/types.Finding: decoding that whole model would reject
// events for fields Warden never reads (some carry epoch numbers where the
// SDK wants time.Time).
type gdFinding struct {
	AccountID   string   `json:"accountId"`
	Region      string   `json:"region"`
	Partition   string   `json:"partition"`
	ID          string   `json:"id"`
	Arn         string   `json:"arn"`
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    *float64 `json:"severity"`
	CreatedAt   string   `json:"createdAt"`
	UpdatedAt   string   `json:"updatedAt"`
	Resource    struct {
		ResourceType    string `json:"resourceType"`
		InstanceDetails *struct {
			InstanceID string  `json:"instanceId"`
			Tags       []gdTag `json:"tags"`
		} `json:"instanceDetails"`
		AccessKeyDetails *struct {
			AccessKeyID string `json:"accessKeyId"`
			PrincipalID string `json:"principalId"`
			UserName    string `json:"userName"`
			UserType    string `json:"userType"`
		} `json:"accessKeyDetails"`
		S3BucketDetails []struct {
			Arn  string  `json:"arn"`
			Name string  `json:"name"`
			Tags []gdTag `json:"tags"`
		} `json:"s3BucketDetails"`
		EksClusterDetails *struct {
			Arn  string  `json:"arn"`
			Tags []gdTag `json:"tags"`
		} `json:"eksClusterDetails"`
		EcsClusterDetails *struct {
			Arn  string  `json:"arn"`
			Tags []gdTag `json:"tags"`
		} `json:"ecsClusterDetails"`
		LambdaDetails *struct {
			FunctionArn string  `json:"functionArn"`
			Tags        []gdTag `json:"tags"`
		} `json:"lambdaDetails"`
		RdsDbInstanceDetails *struct {
			DbInstanceArn string  `json:"dbInstanceArn"`
			Tags          []gdTag `json:"tags"`
		} `json:"rdsDbInstanceDetails"`
	} `json:"resource"`
	Service struct {
		ServiceName    string `json:"serviceName"`
		DetectorID     string `json:"detectorId"`
		Archived       bool   `json:"archived"`
		Count          int64  `json:"count"`
		EventFirstSeen string `json:"eventFirstSeen"`
		EventLastSeen  string `json:"eventLastSeen"`
		ResourceRole   string `json:"resourceRole"`
		Action         struct {
			ActionType       string `json:"actionType"`
			AwsAPICallAction *struct {
				API             string `json:"api"`
				RemoteIPDetails *gdIP  `json:"remoteIpDetails"`
			} `json:"awsApiCallAction"`
			NetworkConnectionAction *struct {
				RemoteIPDetails *gdIP `json:"remoteIpDetails"`
			} `json:"networkConnectionAction"`
			PortProbeAction *struct {
				PortProbeDetails []struct {
					RemoteIPDetails *gdIP `json:"remoteIpDetails"`
				} `json:"portProbeDetails"`
			} `json:"portProbeAction"`
			DNSRequestAction *struct {
				Domain string `json:"domain"`
			} `json:"dnsRequestAction"`
			KubernetesAPICallAction *struct {
				RemoteIPDetails *gdIP `json:"remoteIpDetails"`
			} `json:"kubernetesApiCallAction"`
			RdsLoginAttemptAction *struct {
				RemoteIPDetails *gdIP `json:"remoteIpDetails"`
			} `json:"rdsLoginAttemptAction"`
		} `json:"action"`
	} `json:"service"`
}

type gdTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type gdIP struct {
	IPAddressV4 string `json:"ipAddressV4"`
	IPAddressV6 string `json:"ipAddressV6"`
}

func (ip *gdIP) addr() string {
	if ip == nil {
		return ""
	}
	return firstOf(ip.IPAddressV4, ip.IPAddressV6)
}

// guardDutyFinding decodes a GuardDuty finding at path (the detail of a
// "GuardDuty Finding" event, top set, or an element of GuardDuty's
// GetFindings output, top nil). Its ID is the finding ARN, which is also
// the ASFF Id Security Hub gives the same finding, so both channels track
// one finding; Types, severity and resource ids are mapped the way
// Security Hub maps them, so that the fingerprint agrees too.
func (d *decoder) guardDutyFinding(item int, path string, raw []byte, top *members) {
	var g gdFinding
	if err := unmarshal(raw, &g, func() { g = gdFinding{} }); err != nil {
		d.res.Errors = append(d.res.Errors, decodeErr(d.origin(item), path, err))
		return
	}
	c := d.checker(item, path)
	envRegion := ""
	whole := raw
	if top != nil {
		envRegion = top.get("region").str()
		whole = d.rec.Data
	}
	partition := firstOf(g.Partition, arnPartition(g.Arn), "aws")
	region := firstOf(g.Region, arnRegion(g.Arn), envRegion)
	account := firstOf(g.AccountID, arnAccount(g.Arn))
	id := g.Arn
	if id == "" && g.ID != "" && g.Service.DetectorID != "" && region != "" && account != "" {
		id = "arn:" + partition + ":guardduty:" + region + ":" + account + ":detector/" + g.Service.DetectorID + "/finding/" + g.ID
	}
	if id == "" {
		c.fail("arn", "missing: the finding ARN is the identity of a GuardDuty finding")
	}
	if account == "" {
		c.fail("accountId", "missing: a finding needs the account it is about")
	}
	f := &finding.Finding{
		ID:          id,
		Format:      finding.FormatGuardDuty,
		Product:     "GuardDuty",
		ProductArn:  "arn:" + partition + ":securityhub:" + region + "::product/aws/guardduty",
		Types:       gdTypes(g.Type),
		Title:       g.Title,
		Description: g.Description,
		AccountID:   account,
		Region:      region,
		Partition:   partition,
		RecordState: "ACTIVE",
		Raw:         whole,
		Origin:      d.origin(item),
	}
	if g.Service.DetectorID != "" {
		f.GeneratorID = "arn:" + partition + ":guardduty:" + region + ":" + account + ":detector/" + g.Service.DetectorID
	}
	if g.Service.Archived {
		f.RecordState = "ARCHIVED"
	}
	if g.Severity == nil {
		c.fail("severity", "missing")
	} else {
		f.Severity = finding.FromGuardDuty(*g.Severity)
	}
	f.CreatedAt = c.time("createdAt", g.CreatedAt, nativeLayouts)
	f.UpdatedAt = c.time("updatedAt", g.UpdatedAt, nativeLayouts)
	f.FirstObservedAt = c.time("service.eventFirstSeen", g.Service.EventFirstSeen, nativeLayouts)
	f.LastObservedAt = c.time("service.eventLastSeen", g.Service.EventLastSeen, nativeLayouts)
	f.Resources = g.resources(partition, region, account)
	var ipKey string
	f.SourceIP, ipKey = g.sourceIP()
	if k := g.Resource.AccessKeyDetails; k != nil {
		f.Actor = firstOf(k.UserName, k.PrincipalID)
	}
	pf := []kv{
		{"aws/securityhub/ProductName", "GuardDuty"},
		{"aws/securityhub/CompanyName", "Amazon"},
		{"aws/guardduty/service/serviceName", g.Service.ServiceName},
		{"aws/guardduty/service/detectorId", g.Service.DetectorID},
		{"aws/guardduty/service/archived", strconv.FormatBool(g.Service.Archived)},
		{"aws/guardduty/service/count", strconv.FormatInt(g.Service.Count, 10)},
		{"aws/guardduty/service/resourceRole", g.Service.ResourceRole},
		{"aws/guardduty/service/action/actionType", g.Service.Action.ActionType},
	}
	if f.SourceIP != "" {
		pf = append(pf, kv{"aws/guardduty/service/action/" + ipKey + "/remoteIpDetails/ipAddressV4", f.SourceIP})
	}
	if x := g.Service.Action.DNSRequestAction; x != nil {
		pf = append(pf, kv{"aws/guardduty/service/action/dnsRequestAction/domain", x.Domain})
	}
	f.Doc = asffDoc(f, pf)
	if c.ok() {
		d.add(f)
	}
}

// resources maps GuardDuty's resource onto ASFF resources, primary first:
// an EC2 instance is arn:…:ec2:REGION:ACCOUNT:instance/ID, an access key
// AWS::IAM::AccessKey:ID (as in Security Hub's GuardDuty findings), an S3
// bucket its ARN.
func (g *gdFinding) resources(partition, region, account string) []finding.Resource {
	var rs []finding.Resource
	add := func(typ, id string, tags []gdTag) {
		if id == "" {
			return
		}
		r := finding.Resource{Type: typ, ID: id, Region: region, Partition: partition}
		if len(tags) > 0 {
			r.Tags = make(map[string]string, len(tags))
			for _, t := range tags {
				r.Tags[t.Key] = t.Value
			}
		}
		rs = append(rs, r)
	}
	res := &g.Resource
	if x := res.InstanceDetails; x != nil && x.InstanceID != "" {
		add("AwsEc2Instance", "arn:"+partition+":ec2:"+region+":"+account+":instance/"+x.InstanceID, x.Tags)
	}
	for _, b := range res.S3BucketDetails {
		add("AwsS3Bucket", firstOf(b.Arn, s3Arn(partition, b.Name)), b.Tags)
	}
	if x := res.EksClusterDetails; x != nil {
		add("AwsEksCluster", x.Arn, x.Tags)
	}
	if x := res.EcsClusterDetails; x != nil {
		add("AwsEcsCluster", x.Arn, x.Tags)
	}
	if x := res.LambdaDetails; x != nil {
		add("AwsLambdaFunction", x.FunctionArn, x.Tags)
	}
	if x := res.RdsDbInstanceDetails; x != nil {
		add("AwsRdsDbInstance", x.DbInstanceArn, x.Tags)
	}
	if x := res.AccessKeyDetails; x != nil && x.AccessKeyID != "" {
		key := finding.Resource{Type: "AwsIamAccessKey", ID: "AWS::IAM::AccessKey:" + x.AccessKeyID, Region: region, Partition: partition}
		if res.ResourceType == "AccessKey" {
			rs = append([]finding.Resource{key}, rs...)
		} else {
			rs = append(rs, key)
		}
	}
	return rs
}

func s3Arn(partition, bucket string) string {
	if bucket == "" {
		return ""
	}
	return "arn:" + partition + ":s3:::" + bucket
}

// sourceIP returns the remote IP of the action and the action's name, for
// the ProductFields key Security Hub flattens it under.
func (g *gdFinding) sourceIP() (ip, action string) {
	a := &g.Service.Action
	if x := a.AwsAPICallAction; x != nil && x.RemoteIPDetails.addr() != "" {
		return x.RemoteIPDetails.addr(), "awsApiCallAction"
	}
	if x := a.NetworkConnectionAction; x != nil && x.RemoteIPDetails.addr() != "" {
		return x.RemoteIPDetails.addr(), "networkConnectionAction"
	}
	if x := a.PortProbeAction; x != nil {
		for i, p := range x.PortProbeDetails {
			if ip := p.RemoteIPDetails.addr(); ip != "" {
				return ip, "portProbeAction/portProbeDetails/" + itoa(i)
			}
		}
	}
	if x := a.KubernetesAPICallAction; x != nil && x.RemoteIPDetails.addr() != "" {
		return x.RemoteIPDetails.addr(), "kubernetesApiCallAction"
	}
	if x := a.RdsLoginAttemptAction; x != nil && x.RemoteIPDetails.addr() != "" {
		return x.RemoteIPDetails.addr(), "rdsLoginAttemptAction"
	}
	return "", ""
}

// Package bench generates realistic findings and a policy repo of a given
// size, and measures the whole pipeline on them (`warden bench`).
package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// Accounts and regions of the generated organisation.
const (
	NumAccounts = 200
	NumRegions  = 4
)

var regions = [NumRegions]string{"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"}

var environments = []string{"prod", "prod", "staging", "dev", "sandbox"}

// AccountID returns the id of generated account i.
func AccountID(i int) string { return fmt.Sprintf("%012d", 100000000000+i*7919) }

// controls are Security Hub controls with their resource type.
var controls = []struct{ id, resType, sev string }{
	{"EC2.2", "AwsEc2SecurityGroup", "HIGH"}, {"EC2.19", "AwsEc2SecurityGroup", "CRITICAL"},
	{"S3.2", "AwsS3Bucket", "CRITICAL"}, {"S3.8", "AwsS3Bucket", "HIGH"}, {"S3.5", "AwsS3Bucket", "MEDIUM"},
	{"IAM.3", "AwsIamAccessKey", "MEDIUM"}, {"IAM.7", "AwsAccount", "LOW"}, {"CloudTrail.1", "AwsAccount", "HIGH"},
	{"RDS.2", "AwsRdsDbInstance", "CRITICAL"}, {"Lambda.1", "AwsLambdaFunction", "CRITICAL"},
	{"KMS.4", "AwsKmsKey", "MEDIUM"}, {"Config.1", "AwsAccount", "MEDIUM"}, {"EC2.8", "AwsEc2Instance", "HIGH"},
	{"SSM.1", "AwsEc2Instance", "MEDIUM"}, {"CloudFront.1", "AwsCloudFrontDistribution", "INFORMATIONAL"},
}

var gdTypes = []string{
	"Backdoor:EC2/C&CActivity.B!DNS", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "Recon:EC2/PortProbeUnprotectedPort",
	"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "Trojan:EC2/DNSDataExfiltration",
	"Policy:IAMUser/RootCredentialUsage", "Discovery:S3/MaliciousIPCaller",
}

// Generator makes a reproducible stream of findings.
type Generator struct {
	rnd      *rand.Rand
	dupRatio float64
	emitted  [][]byte // recent records, for duplicates
	n        int
	base     time.Time
}

// NewGenerator returns a generator; dupRatio of the records are re-sends
// of earlier ones (the same finding version seen again).
func NewGenerator(seed uint64, dupRatio float64) *Generator {
	return &Generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), dupRatio: dupRatio, base: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

// Next returns the next record (one JSON document).
func (g *Generator) Next() []byte {
	g.n++
	if len(g.emitted) > 0 && g.rnd.Float64() < g.dupRatio {
		return g.emitted[g.rnd.IntN(len(g.emitted))]
	}
	var b []byte
	switch r := g.rnd.IntN(100); {
	case r < 55:
		b = g.asff(false)
	case r < 70:
		b = g.asff(true)
	case r < 85:
		b = g.guardDuty()
	default:
		b = g.cloudTrail()
	}
	if len(g.emitted) < 4096 {
		g.emitted = append(g.emitted, b)
	} else {
		g.emitted[g.rnd.IntN(len(g.emitted))] = b
	}
	return b
}

func (g *Generator) pick() (acct, region string, ts string) {
	acct = AccountID(g.rnd.IntN(NumAccounts))
	region = regions[g.rnd.IntN(NumRegions)]
	ts = g.base.Add(time.Duration(g.n) * time.Second).Format("2006-01-02T15:04:05.000Z")
	return
}

func (g *Generator) asffFinding() map[string]any {
	acct, region, ts := g.pick()
	c := controls[g.rnd.IntN(len(controls))]
	resID := fmt.Sprintf("arn:aws:ec2:%s:%s:resource/r-%06d", region, acct, g.rnd.IntN(20000))
	status := "FAILED"
	if g.rnd.IntN(10) == 0 {
		status = "PASSED"
	}
	id := fmt.Sprintf("arn:aws:securityhub:%s:%s:security-control/%s/finding/%08x", region, acct, c.id, g.rnd.Uint32()%50000)
	return map[string]any{
		"SchemaVersion":   "2018-10-08",
		"Id":              id,
		"ProductArn":      fmt.Sprintf("arn:aws:securityhub:%s::product/aws/securityhub", region),
		"ProductName":     "Security Hub",
		"CompanyName":     "AWS",
		"Region":          region,
		"GeneratorId":     "security-control/" + c.id,
		"AwsAccountId":    acct,
		"Types":           []string{"Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"},
		"FirstObservedAt": ts, "LastObservedAt": ts, "CreatedAt": ts, "UpdatedAt": ts,
		"Severity":      map[string]any{"Label": c.sev, "Original": c.sev},
		"Title":         c.id + " resources should be configured securely",
		"Description":   "This control checks a configuration of the resource.",
		"Remediation":   map[string]any{"Recommendation": map[string]any{"Text": "See the control documentation.", "Url": "https://docs.aws.amazon.com/console/securityhub/" + c.id + "/remediation"}},
		"ProductFields": map[string]any{"RelatedAWSResources:0/type": "AWS::Config::ConfigRule", "aws/securityhub/ProductName": "Security Hub", "aws/securityhub/CompanyName": "AWS"},
		"Resources":     []any{map[string]any{"Type": c.resType, "Id": resID, "Partition": "aws", "Region": region}},
		"Compliance":    map[string]any{"Status": status, "SecurityControlId": c.id},
		"WorkflowState": "NEW",
		"Workflow":      map[string]any{"Status": "NEW"},
		"RecordState":   "ACTIVE",
	}
}

func (g *Generator) asff(envelope bool) []byte {
	if !envelope {
		return mustJSON(g.asffFinding())
	}
	n := 1 + g.rnd.IntN(3)
	fs := make([]any, n)
	for i := range fs {
		fs[i] = g.asffFinding()
	}
	_, region, ts := g.pick()
	return mustJSON(map[string]any{
		"version": "0", "id": fmt.Sprintf("%08x-0000-0000-0000-000000000000", g.rnd.Uint32()),
		"detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
		"account": "999999999999", "time": ts, "region": region, "resources": []string{},
		"detail": map[string]any{"findings": fs},
	})
}

func (g *Generator) guardDuty() []byte {
	acct, region, ts := g.pick()
	typ := gdTypes[g.rnd.IntN(len(gdTypes))]
	sev := []float64{2, 5, 5, 8, 8, 8.9, 9.5}[g.rnd.IntN(7)]
	fid := fmt.Sprintf("%032x", g.rnd.Uint64()%200000)
	inst := fmt.Sprintf("i-%017x", g.rnd.Uint64()%100000)
	return mustJSON(map[string]any{
		"version": "0", "id": fmt.Sprintf("%08x-1111-2222-3333-444444444444", g.rnd.Uint32()),
		"detail-type": "GuardDuty Finding", "source": "aws.guardduty",
		"account": acct, "time": ts, "region": region, "resources": []string{},
		"detail": map[string]any{
			"schemaVersion": "2.0", "accountId": acct, "region": region, "partition": "aws",
			"id":   fid,
			"arn":  fmt.Sprintf("arn:aws:guardduty:%s:%s:detector/12abc34d567e8fa901bc2d34e56789f0/finding/%s", region, acct, fid),
			"type": typ,
			"resource": map[string]any{"resourceType": "Instance", "instanceDetails": map[string]any{"instanceId": inst, "instanceType": "m5.large",
				"tags": []any{map[string]any{"key": "Owner", "value": "team-a"}}}},
			"service": map[string]any{"serviceName": "guardduty", "detectorId": "12abc34d567e8fa901bc2d34e56789f0", "archived": false, "count": g.rnd.IntN(50) + 1,
				"eventFirstSeen": ts, "eventLastSeen": ts, "resourceRole": "TARGET",
				"action": map[string]any{"actionType": "DNS_REQUEST", "dnsRequestAction": map[string]any{"domain": "malicious.example.com", "protocol": "UDP", "blocked": false}}},
			"severity": sev, "createdAt": ts, "updatedAt": ts,
			"title":       typ + " on " + inst,
			"description": "EC2 instance " + inst + " is querying a domain associated with a known command and control server.",
		},
	})
}

var ctEvents = []struct{ source, name, identity string }{
	{"cloudtrail.amazonaws.com", "StopLogging", "IAMUser"}, {"ec2.amazonaws.com", "DescribeInstances", "AssumedRole"},
	{"s3.amazonaws.com", "GetObject", "AssumedRole"}, {"iam.amazonaws.com", "CreateUser", "Root"},
	{"ec2.amazonaws.com", "RunInstances", "AssumedRole"}, {"sts.amazonaws.com", "AssumeRole", "AssumedRole"},
	{"guardduty.amazonaws.com", "DeleteDetector", "IAMUser"}, {"kms.amazonaws.com", "Decrypt", "AssumedRole"},
}

func (g *Generator) cloudTrail() []byte {
	acct, region, ts := g.pick()
	e := ctEvents[g.rnd.IntN(len(ctEvents))]
	ident := map[string]any{"type": e.identity, "principalId": "AIDAEXAMPLE", "accountId": acct}
	switch e.identity {
	case "Root":
		ident["arn"] = "arn:aws:iam::" + acct + ":root"
	case "IAMUser":
		ident["arn"] = "arn:aws:iam::" + acct + ":user/alice"
		ident["userName"] = "alice"
	default:
		ident["arn"] = "arn:aws:sts::" + acct + ":assumed-role/app/i-0abc"
	}
	return mustJSON(map[string]any{
		"eventVersion": "1.08", "userIdentity": ident, "eventTime": ts[:19] + "Z",
		"eventSource": e.source, "eventName": e.name, "awsRegion": region,
		"sourceIPAddress": fmt.Sprintf("203.0.113.%d", g.rnd.IntN(250)), "userAgent": "aws-cli/2.15.0",
		"requestParameters": map[string]any{"name": "org-trail"}, "responseElements": nil,
		"requestID": fmt.Sprintf("%08x", g.rnd.Uint32()), "eventID": fmt.Sprintf("%08x-%08x", g.rnd.Uint32(), g.rnd.Uint32()),
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": acct,
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only generated maps of strings and numbers reach here
	}
	return b
}

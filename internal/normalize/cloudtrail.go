package normalize

import (
	"strings"

	"github.com/wardenhq/warden/internal/jsonscan"
)

// cloudTrailKeys are the members that, beside eventName, mark a CloudTrail
// record (one is enough: test fixtures and some pipelines drop fields).
var cloudTrailKeys = []string{"eventSource", "eventVersion", "eventTime", "awsRegion", "userIdentity", "recipientAccountId", "eventType"}

func isCloudTrailRecord(m *members) bool {
	if m.getFold("eventName").data == nil {
		return false
	}
	for _, k := range cloudTrailKeys {
		if m.getFold(k).data != nil {
			return true
		}
	}
	return false
}

// cloudTrailLog decodes a CloudTrail log file, {"Records":[...]}: one
// Event per record.
func (d *decoder) cloudTrailLog(top *members) {
	v := top.get("Records")
	err := jsonscan.Elements(v.data, func(i int, el []byte) error {
		p := "Records[" + itoa(i) + "]"
		if el[0] != '{' {
			d.fail(i, p, "got a JSON %s, want a CloudTrail record", jsonscan.Kind(el[0]))
			return nil
		}
		var m members
		if err := jsonscan.Members(el, m.collect); err != nil || !isCloudTrailRecord(&m) {
			d.fail(i, p, "not a CloudTrail record (no eventName)")
			return nil
		}
		d.cloudTrailRecord(i, el, &m)
		return nil
	})
	if err != nil {
		d.salvageErr(err, v, "Records")
	}
	d.cutElsewhere(top, "", "Records", d.rec.Data)
}

// cloudTrailDetailTypes are the EventBridge detail-types of CloudTrail
// eventTypes; anything else is an API call.
var cloudTrailDetailTypes = map[string]string{
	"AwsApiCall":       "AWS API Call via CloudTrail",
	"AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
	"AwsServiceEvent":  "AWS Service Event via CloudTrail",
	"AwsConsoleAction": "AWS Console Action via CloudTrail",
}

// cloudTrailRecord wraps one CloudTrail record in the envelope EventBridge
// would deliver it in, so that detections written as EventBridge patterns
// match records from log files too. The record goes in as detail byte for
// byte; the envelope is written around it, not marshalled.
func (d *decoder) cloudTrailRecord(item int, raw []byte, m *members) {
	detailType, ok := cloudTrailDetailTypes[m.getFold("eventType").str()]
	if !ok {
		detailType = cloudTrailDetailTypes["AwsApiCall"]
	}
	source := ""
	if svc := strings.TrimSuffix(m.getFold("eventSource").str(), ".amazonaws.com"); svc != "" {
		source = "aws." + svc
	}
	account := m.getFold("recipientAccountId").str()
	if account == "" {
		if ui, err := m.getFold("userIdentity").object(); err == nil {
			account = firstOf(ui.getFold("accountId").str(), arnAccount(ui.getFold("arn").str()))
		}
	}
	account = firstOf(account, m.getFold("vpcEndpointAccountId").str())
	b := make([]byte, 0, len(raw)+256)
	b = append(b, `{"version":"0","id":`...)
	b = jsonscan.AppendString(b, m.getFold("eventID").str())
	b = append(b, `,"detail-type":`...)
	b = jsonscan.AppendString(b, detailType)
	b = append(b, `,"source":`...)
	b = jsonscan.AppendString(b, source)
	b = append(b, `,"account":`...)
	b = jsonscan.AppendString(b, account)
	b = append(b, `,"time":`...)
	b = jsonscan.AppendString(b, m.getFold("eventTime").str())
	b = append(b, `,"region":`...)
	b = jsonscan.AppendString(b, m.getFold("awsRegion").str())
	b = append(b, `,"resources":[],"detail":`...)
	b = append(b, raw...)
	b = append(b, '}')
	d.res.Events = append(d.res.Events, Event{Doc: b, Origin: d.origin(item)})
}

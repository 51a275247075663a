package playbook

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/remediate"
)

// stopLoggingEvent is a CloudTrail StopLogging record as EventBridge
// delivers it (AWS's documented shape).
var stopLoggingEvent = json.RawMessage(`{
  "version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.cloudtrail",
  "account": "111122223333", "region": "eu-west-1",
  "detail": {
    "eventVersion": "1.08", "eventTime": "2026-01-31T08:40:00Z", "eventSource": "cloudtrail.amazonaws.com",
    "eventName": "StopLogging", "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7",
    "userAgent": "aws-cli/2.15.0", "eventID": "e-1",
    "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory", "accessKeyId": "AKIAEXAMPLEMALLORY1", "userName": "mallory"},
    "requestParameters": {"name": "management-trail"}
  }
}`)

// detectionDoc is the ASFF document of Warden's cloudtrail-stopped
// detection, without the caller's address.
var detectionDoc = json.RawMessage(`{"SchemaVersion":"2018-10-08","Id":"arn:aws:warden:eu-west-1:111122223333:detection/builtin.cloudtrail-stopped/management-trail",
  "ProductFields":{"warden/eventName":"StopLogging","warden/detection":"builtin.cloudtrail-stopped"},
  "Resources":[{"Type":"AwsCloudTrailTrail","Id":"management-trail"}]}`)

func ctStatus(logging bool) awstest.Reply {
	if logging {
		return awstest.Reply{Body: `{"IsLogging":true,"StartLoggingTime":1769849000}`}
	}
	return awstest.Reply{Body: `{"IsLogging":false,"StopLoggingTime":1769848800,"StartLoggingTime":1769000000}`}
}

func lookupReply(events ...string) awstest.Reply {
	return awstest.Reply{Body: `{"Events":[` + strings.Join(events, ",") + `]}`}
}

// ctEvent is a LookupEvents entry: the record is a JSON string inside.
func ctEvent(id, trail, actor, ip string) string {
	rec, _ := json.Marshal(map[string]any{
		"eventID": id, "eventName": "StopLogging", "eventTime": "2026-01-31T08:40:00Z",
		"userIdentity":    map[string]any{"type": "AssumedRole", "arn": actor, "accessKeyId": "ASIAEXAMPLE0000001"},
		"sourceIPAddress": ip, "userAgent": "Boto3/1.34",
		"requestParameters": map[string]any{"name": trail},
	})
	s, _ := json.Marshal(string(rec))
	return `{"EventId":"` + id + `","EventName":"StopLogging","EventTime":1769848800,"Username":"x","CloudTrailEvent":` + string(s) + `}`
}

func TestCloudTrailRestartLogging(t *testing.T) {
	var log actionLog
	name := func(want string) func(testing.TB, *awstest.Call) { return jsonField("Name", want) }
	tests := []struct {
		name   string
		dry    bool
		req    remediate.Request
		script []awstest.Expect
		steps  []string
		err    string
		is     error
		note   string
	}{
		{
			name: "stopped: restart and name the caller from the event",
			req:  remediate.Request{Doc: stopLoggingEvent},
			script: []awstest.Expect{
				{Op: "GetTrailStatus", Check: checks(name("management-trail"), inRegion("eu-west-1")), Reply: ctStatus(false)},
				{Op: "StartLogging", Check: checks(name("management-trail"), func(t testing.TB, c *awstest.Call) {
					must(t, c.Service == "cloudtrail" && c.Header.Get("X-Amz-Target") == "CloudTrail_20131101.StartLogging", "target %q", c.Header.Get("X-Amz-Target"))
				}), Reply: awstest.Reply{Body: `{}`}},
				{Op: "GetTrailStatus", Reply: ctStatus(true)},
			},
			steps: []string{"read-trail-status=read", "start-logging=changed", "identify-who-stopped=read"},
			note:  "stopped by arn:aws:iam::111122223333:user/mallory from 198.51.100.7 with user agent aws-cli/2.15.0",
		},
		{
			name: "already logging: unchanged; caller from event history",
			req:  remediate.Request{Doc: detectionDoc, Resources: res("AwsCloudTrailTrail", "management-trail")},
			script: []awstest.Expect{
				{Op: "GetTrailStatus", Reply: ctStatus(true)},
				{Op: "LookupEvents", Check: func(t testing.TB, c *awstest.Call) {
					attrs, _ := c.JSON["LookupAttributes"].([]any)
					must(t, len(attrs) == 1, "attrs %v", attrs)
					a, _ := attrs[0].(map[string]any)
					must(t, a["AttributeKey"] == "EventName" && a["AttributeValue"] == "StopLogging", "attr %v", a)
					must(t, c.JSON["StartTime"] != nil && c.JSON["EndTime"] != nil, "window %v", c.JSON)
				}, Reply: awstest.Reply{Body: `{"Events":[` + ctEvent("e-0", "other-trail", "arn:aws:sts::111122223333:assumed-role/Ops/x", "192.0.2.1") + `],"NextToken":"n1"}`}},
				{Op: "LookupEvents", Check: jsonField("NextToken", "n1"), Reply: lookupReply(ctEvent("e-1", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/management-trail", "arn:aws:sts::111122223333:assumed-role/Admin/eve", "203.0.113.9"))},
			},
			steps: []string{"read-trail-status=read", "start-logging=unchanged", "identify-who-stopped=read"},
			note:  "stopped by arn:aws:sts::111122223333:assumed-role/Admin/eve from 203.0.113.9 with user agent Boto3/1.34 at 2026-01-31T08:40:00Z (source: cloudtrail)",
		},
		{
			name: "trail given as ARN by parameter: its home region; dry run changes nothing",
			dry:  true,
			req:  remediate.Request{Doc: stopLoggingEvent, Params: map[string]any{"trail_name": "arn:aws:cloudtrail:us-east-2:111122223333:trail/org"}},
			script: []awstest.Expect{
				{Op: "GetTrailStatus", Check: checks(name("arn:aws:cloudtrail:us-east-2:111122223333:trail/org"), inRegion("us-east-2")), Reply: ctStatus(false)},
			},
			steps: []string{"read-trail-status=read", "start-logging=would-change", "identify-who-stopped=read"},
		},
		{
			name: "throttled status read is retried",
			req:  remediate.Request{Doc: stopLoggingEvent},
			script: []awstest.Expect{
				{Op: "GetTrailStatus", Reply: awstest.JSONError(400, "ThrottlingException", "Rate exceeded")},
				{Op: "GetTrailStatus", Reply: ctStatus(true)},
			},
			steps: []string{"read-trail-status=read", "start-logging=unchanged", "identify-who-stopped=read"},
		},
		{
			name:   "deleted trail is gone",
			req:    remediate.Request{Doc: stopLoggingEvent},
			script: []awstest.Expect{{Op: "GetTrailStatus", Reply: awstest.JSONError(400, "TrailNotFoundException", "Unknown trail")}},
			steps:  []string{"read-trail-status=failed"},
			err:    "no longer exists", is: remediate.ErrGone,
		},
		{
			name: "access denied on StartLogging names the step and the action",
			req:  remediate.Request{Doc: stopLoggingEvent},
			script: []awstest.Expect{
				{Op: "GetTrailStatus", Reply: ctStatus(false)},
				{Op: "StartLogging", Reply: awstest.JSONError(400, "AccessDeniedException", "not authorized")},
			},
			steps: []string{"read-trail-status=read", "start-logging=failed"},
			err:   "step start-logging: access denied to cloudtrail:StartLogging",
		},
		{
			name: "StartLogging that does not take is a failure",
			req:  remediate.Request{Doc: stopLoggingEvent},
			script: []awstest.Expect{
				{Op: "GetTrailStatus", Reply: ctStatus(false)},
				{Op: "StartLogging", Reply: awstest.Reply{Body: `{}`}},
				{Op: "GetTrailStatus", Reply: ctStatus(false)},
			},
			steps: []string{"read-trail-status=read", "start-logging=failed"},
			err:   "still reports IsLogging=false",
		},
		{
			name: "no trail in the finding",
			req:  remediate.Request{Doc: json.RawMessage(`{"detail":{"eventName":"StopLogging"}}`)},
			err:  "names no CloudTrail trail", is: remediate.ErrNotApplicable,
		},
		{
			name: "organization trail of another account",
			req:  remediate.Request{Resources: res("AwsCloudTrailTrail", "arn:aws:cloudtrail:us-east-1:999999999999:trail/org-trail")},
			err:  "belongs to account 999999999999", is: remediate.ErrNotApplicable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script...)
			r, err := runPB(t, "cloudtrail-restart-logging", pbEnv(srv, tt.dry), &tt.req)
			log.add(srv)
			wantErr(t, err, tt.err, tt.is)
			wantSteps(t, r, tt.steps...)
			if tt.note != "" && !strings.Contains(strings.Join(r.Notes, "\n"), tt.note) {
				t.Errorf("notes %q lack %q", r.Notes, tt.note)
			}
		})
	}
	log.check(t, "cloudtrail-restart-logging")
}

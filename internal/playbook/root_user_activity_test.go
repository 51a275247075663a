package playbook

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/remediate"
)

// rootEventJSON is a LookupEvents entry for a root call.
func rootEventJSON(id, name, at, ip, ua string, readOnly bool, extra map[string]any, resources ...[2]string) string {
	rec := map[string]any{"eventID": id, "eventName": name, "eventTime": at, "awsRegion": "us-east-1",
		"sourceIPAddress": ip, "userAgent": ua,
		"userIdentity": map[string]any{"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}}
	for k, v := range extra {
		rec[k] = v
	}
	inner, _ := json.Marshal(rec)
	ct, _ := json.Marshal(string(inner))
	t, _ := time.Parse(time.RFC3339, at)
	var rs []map[string]string
	for _, r := range resources {
		rs = append(rs, map[string]string{"ResourceType": r[0], "ResourceName": r[1]})
	}
	rsj, _ := json.Marshal(rs)
	ro := "false"
	if readOnly {
		ro = "true"
	}
	return `{"EventId":"` + id + `","EventName":"` + name + `","ReadOnly":"` + ro + `","EventTime":` + jsonNum(t.Unix()) + `,"Username":"root","Resources":` + string(rsj) + `,"CloudTrailEvent":` + string(ct) + `}`
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

// rootLookup checks a LookupEvents call: user, window and region.
func rootLookup(region string, lookback time.Duration, token string) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		attrs, _ := c.JSON["LookupAttributes"].([]any)
		a, _ := attrs[0].(map[string]any)
		if len(attrs) != 1 || a["AttributeKey"] != "Username" || a["AttributeValue"] != "root" {
			t.Errorf("lookup attributes %v", attrs)
		}
		if st, _ := c.JSON["StartTime"].(float64); int64(st) != testNow.Add(-lookback).Unix() {
			t.Errorf("StartTime %v, want %v", c.JSON["StartTime"], testNow.Add(-lookback).Unix())
		}
		if et, _ := c.JSON["EndTime"].(float64); int64(et) != testNow.Unix() {
			t.Errorf("EndTime %v", c.JSON["EndTime"])
		}
		if c.Region != region || c.Service != "cloudtrail" {
			t.Errorf("signed for %s in %s, want cloudtrail in %s", c.Service, c.Region, region)
		}
		if tok, _ := c.JSON["NextToken"].(string); tok != token {
			t.Errorf("NextToken %q, want %q", tok, token)
		}
	}
}

func TestRootUserActivity(t *testing.T) {
	var log actionLog
	consoleLogin := rootEventJSON("e1", "ConsoleLogin", "2026-01-31T07:00:00Z", "203.0.113.50", "Mozilla/5.0", false,
		map[string]any{"additionalEventData": map[string]any{"MFAUsed": "No"}, "responseElements": map[string]any{"ConsoleLogin": "Success"}})
	createUser := rootEventJSON("e2", "CreateUser", "2026-01-31T07:05:00Z", "203.0.113.50", "AWS Internal", false,
		map[string]any{"userIdentity": map[string]any{"type": "Root", "sessionContext": map[string]any{"attributes": map[string]any{"mfaAuthenticated": "false"}}}}, [2]string{"AWS::IAM::User", "backdoor"})
	createKey := rootEventJSON("e3", "CreateAccessKey", "2026-01-31T07:06:00Z", "203.0.113.50", "AWS Internal", false, nil, [2]string{"AWS::IAM::User", "backdoor"})
	runInst := rootEventJSON("e4", "RunInstances", "2026-01-31T07:10:00Z", "198.51.100.23", "aws-cli/2.15.0", false, nil, [2]string{"AWS::EC2::Instance", "i-0miner"})
	describe := rootEventJSON("e5", "DescribeInstances", "2026-01-31T07:09:00Z", "198.51.100.23", "aws-cli/2.15.0", true, nil)

	tests := []struct {
		name     string
		req      remediate.Request
		script   []awstest.Expect
		steps    []string
		err      string
		notes    []string
		evidence int
	}{
		{
			name: "what root did, in the finding's region and us-east-1",
			req:  remediate.Request{Doc: json.RawMessage(`{"detail":{"eventName":"RunInstances","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2.15.0","userIdentity":{"type":"Root"}}}`)},
			script: []awstest.Expect{
				{Op: "LookupEvents", Check: rootLookup("eu-west-1", 24*time.Hour, ""), Reply: lookupReply(runInst, describe)},
				{Op: "LookupEvents", Check: rootLookup("us-east-1", 24*time.Hour, ""), Reply: awstest.Reply{Body: `{"Events":[` + createKey + `,` + createUser + `],"NextToken":"p2"}`}},
				{Op: "LookupEvents", Check: rootLookup("us-east-1", 24*time.Hour, "p2"), Reply: lookupReply(consoleLogin)},
			},
			steps: []string{"lookup-events-eu-west-1=read", "lookup-events-us-east-1=read"},
			notes: []string{
				"root made 5 calls in the last 24h: 4 changing, 1 read-only, 0 failed.",
				"Source addresses: 203.0.113.50 (3), 198.51.100.23 (2).",
				"User agents: AWS Internal (2), aws-cli/2.15.0 (2), Mozilla/5.0 (1).",
				"MFA: NOT used on 2 events (used on 0).",
				"Changing calls: ConsoleLogin (1), CreateAccessKey (1), CreateUser (1), RunInstances (1).",
				"Check for a way back in (created or changed): EC2 instance: RunInstances AWS::EC2::Instance i-0miner | IAM user: CreateUser AWS::IAM::User backdoor | access key: CreateAccessKey AWS::IAM::User backdoor.",
				"Paging at top severity and the ticket come from the rule's routing",
			},
			evidence: 5,
		},
		{
			name: "lookback, regions and max_events parameters; throttling retried",
			req:  remediate.Request{Params: map[string]any{"lookback": "2h", "regions": []any{"us-east-1"}, "max_events": 1}},
			script: []awstest.Expect{
				{Op: "LookupEvents", Reply: awstest.JSONError(400, "ThrottlingException", "Rate exceeded")},
				{Op: "LookupEvents", Check: rootLookup("us-east-1", 2*time.Hour, ""), Reply: awstest.Reply{Body: `{"Events":[` + createKey + `,` + createUser + `],"NextToken":"p2"}`}},
			},
			steps:    []string{"lookup-events-us-east-1=read"},
			notes:    []string{"root made 1 call in the last 2h (list cut at the max_events parameter)"},
			evidence: 1,
		},
		{
			name: "no activity",
			req:  remediate.Request{Region: "us-east-1"},
			script: []awstest.Expect{
				{Op: "LookupEvents", Check: rootLookup("us-east-1", 24*time.Hour, ""), Reply: lookupReply()},
			},
			steps: []string{"lookup-events-us-east-1=read"},
			notes: []string{"No root activity in CloudTrail event history for the last 24h in us-east-1"},
		},
		{
			name:   "access denied names the step",
			script: []awstest.Expect{{Op: "LookupEvents", Reply: awstest.JSONError(400, "AccessDeniedException", "no")}},
			steps:  []string{"lookup-events-eu-west-1=failed"},
			err:    "step lookup-events-eu-west-1: access denied to cloudtrail:LookupEvents",
		},
		{name: "bad region", req: remediate.Request{Params: map[string]any{"regions": []any{"us-east-1", "x/../y"}}}, err: "params.regions[1]"},
		{name: "lookback beyond event history", req: remediate.Request{Params: map[string]any{"lookback": "2400h"}}, err: "beyond event history's 90 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script...)
			r, err := runPB(t, "root-user-activity", pbEnv(srv, false), &tt.req)
			log.add(srv)
			wantErr(t, err, tt.err, nil)
			wantSteps(t, r, tt.steps...)
			all := strings.Join(r.Notes, "\n")
			for _, n := range tt.notes {
				if !strings.Contains(all, n) {
					t.Errorf("notes lack %q:\n%s", n, all)
				}
			}
			if tt.err == "" {
				evs, _ := r.Evidence["root_events"].([]rootEvent)
				if len(evs) != tt.evidence {
					t.Errorf("%d events in evidence, want %d", len(evs), tt.evidence)
				}
				for i := 1; i < len(evs); i++ {
					if evs[i-1].Time < evs[i].Time {
						t.Errorf("evidence not newest first: %v", evs)
					}
				}
				if r.Changed() {
					t.Error("the runbook reported a change")
				}
			}
		})
	}
	log.check(t, "root-user-activity")
}

func TestRootEventParsing(t *testing.T) {
	rec := `{"eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userAgent":"Mozilla/5.0","additionalEventData":{"MFAUsed":"Yes"},"errorCode":"Failed authentication"}`
	at := testNow.Add(-time.Hour)
	got := parseRootEvent(cttypes.Event{EventId: aws.String("e1"), EventName: aws.String("ConsoleLogin"), EventTime: &at, CloudTrailEvent: aws.String(rec), ReadOnly: aws.String("false")}, "eu-west-1")
	want := rootEvent{Time: "2026-01-31T08:00:00Z", Region: "us-east-1", EventName: "ConsoleLogin", SourceIP: "203.0.113.50", UserAgent: "Mozilla/5.0", MFA: "yes", ErrorCode: "Failed authentication", EventID: "e1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseRootEvent = %+v, want %+v", got, want)
	}
	if got := parseRootEvent(cttypes.Event{EventId: aws.String("e2"), CloudTrailEvent: aws.String("{broken")}, "eu-west-1"); got.Region != "eu-west-1" || got.EventID != "e2" {
		t.Errorf("broken record: %+v", got)
	}
	if got := mfaValue("", "false"); got != "no" {
		t.Errorf("mfa %q", got)
	}
	if got := mfaValue("", ""); got != "" {
		t.Errorf("mfa %q", got)
	}
	if got := rootRegions("cn-northwest-1", "aws-cn"); strings.Join(got, ",") != "cn-northwest-1,cn-north-1" {
		t.Errorf("regions %v", got)
	}
	if got := rootRegions("us-east-1", "aws"); strings.Join(got, ",") != "us-east-1" {
		t.Errorf("regions %v", got)
	}
}

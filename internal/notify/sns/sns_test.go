package sns

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

const topic = "arn:aws:sns:eu-central-1:111122223333:security-findings"

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newReceiver(t *testing.T, srv *awstest.Server, settings map[string]any) notify.Receiver {
	t.Helper()
	tpl, err := tmpl.Default()
	if err != nil {
		t.Fatal(err)
	}
	r, err := notify.New(notify.Config{
		Name: "sec-topic", Type: Type, Settings: settings, Templates: tpl,
		AWS: func(context.Context) (aws.Config, error) { return srv.Config("us-east-1"), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func item(fid string, sev finding.Severity, account string) notify.Item {
	return notify.Item{
		Kind: notify.KindFiring,
		Record: decide.Record{
			FindingID: fid, Title: "EC2 instance is communicating with a known C&C server", AccountID: account, Region: "eu-central-1",
			Severity: sev, ResourceID: "arn:aws:ec2:eu-central-1:" + account + ":instance/i-0abc", Verdict: decide.Remediate, Reason: "matched rule gd-c2",
			Enrichment: enrich.Context{AccountName: "payments-prod", Environment: "prod", Owner: "alice@example.com"},
			Actions:    []decide.Action{{Type: decide.ActionRemediate, Playbook: "ec2-isolate", Destructive: true, Mode: "approval", Status: decide.StatusPlanned}},
			FirstSeen:  t0.Add(-2 * time.Hour), NotifyCount: 1, DecidedAt: t0,
		},
		ResourceType: "AwsEc2Instance", Actor: "arn:aws:iam::111122223333:user/bob", SourceIP: "198.51.100.7",
		RemediationURL: "javascript:alert(1)", ConsoleURL: "https://eu-central-1.console.aws.amazon.com/guardduty/home?region=eu-central-1#/findings?fId=x",
	}
}

func message(items ...notify.Item) *notify.Message {
	return &notify.Message{Receiver: "sec-topic", Kind: notify.KindFiring, Group: "account=111122223333", Items: items, Now: t0}
}

// attrs reads the MessageAttributes of a query-protocol Publish.
func attrs(f url.Values) map[string][2]string {
	out := map[string][2]string{}
	for i := 1; ; i++ {
		p := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		name := f.Get(p + "Name")
		if name == "" {
			return out
		}
		out[name] = [2]string{f.Get(p + "Value.DataType"), f.Get(p + "Value.StringValue")}
	}
}

func TestPublishText(t *testing.T) {
	srv := awstest.New(t, awstest.Expect{Op: "Publish", Check: func(t testing.TB, c *awstest.Call) {
		f := c.Form
		if f.Get("TopicArn") != topic || c.Service != "sns" || c.Region != "eu-central-1" {
			t.Errorf("topic %q service %s region %s", f.Get("TopicArn"), c.Service, c.Region)
		}
		if got := f.Get("Subject"); got != "[HIGH] New finding: EC2 instance is communicating with a known C&C server" {
			t.Errorf("subject %q", got)
		}
		msg := f.Get("Message")
		for _, w := range []string{
			"Warden: New finding\n\n[HIGH] EC2 instance is communicating with a known C&C server\n",
			"  Account:     111122223333 (payments-prod), prod\n",
			"  Actor:       arn:aws:iam::111122223333:user/bob from 198.51.100.7\n",
			"  First seen:  2026-03-02 07:00 UTC (2 hours ago)\n",
			"  Warden:      run ec2-isolate (destructive) once approved\n",
			"  Console:     https://eu-central-1.console.aws.amazon.com/guardduty/home?region=eu-central-1#/findings?fId=x\n",
		} {
			if !strings.Contains(msg, w) {
				t.Errorf("message lacks %q:\n%s", w, msg)
			}
		}
		if strings.Contains(msg, "javascript") {
			t.Errorf("unsafe link in message:\n%s", msg)
		}
		want := map[string][2]string{"kind": {"String", "firing"}, "severity": {"String", "HIGH"}, "account": {"String", "111122223333"}}
		if got := attrs(f); !reflect.DeepEqual(got, want) {
			t.Errorf("attributes %v", got)
		}
		if f.Has("MessageGroupId") || f.Has("MessageDeduplicationId") {
			t.Errorf("FIFO fields on a standard topic")
		}
	}, Reply: awstest.Reply{Body: `<PublishResponse><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult></PublishResponse>`}})
	r := newReceiver(t, srv, map[string]any{"topic_arn": topic})
	res, err := r.Send(context.Background(), message(item("f-1", finding.SeverityHigh, "111122223333")))
	if err != nil || res.Detail != "message id 94f20ce6-13c5-43a0-9a9e-ca52d816e90b" {
		t.Fatalf("%+v %v", res, err)
	}
	if r.(notify.Idempotent).Idempotent() {
		t.Error("a standard topic is not idempotent")
	}
}

func TestPublishJSONFIFO(t *testing.T) {
	fifo := "arn:aws:sns:eu-central-1:111122223333:security.fifo"
	msg := message(item("f-1", finding.SeverityMedium, "111122223333"), item("f-2", finding.SeverityCritical, "444455556666"))
	var dedup []string
	check := func(t testing.TB, c *awstest.Call) {
		f := c.Form
		var got notify.Message
		if err := json.Unmarshal([]byte(f.Get("Message")), &got); err != nil {
			t.Fatalf("message is not JSON: %v", err)
		}
		if len(got.Items) != 2 || got.Items[1].Record.FindingID != "f-2" || got.Group != msg.Group || f.Get("Subject") != "custom subject" {
			t.Errorf("message %+v subject %q", got, f.Get("Subject"))
		}
		if f.Get("MessageGroupId") != "account=111122223333" || len(f.Get("MessageDeduplicationId")) != 64 {
			t.Errorf("group %q dedup %q", f.Get("MessageGroupId"), f.Get("MessageDeduplicationId"))
		}
		dedup = append(dedup, f.Get("MessageDeduplicationId"))
		want := map[string][2]string{"kind": {"String", "firing"}, "severity": {"String", "CRITICAL"}, "account": {"String.Array", `["111122223333","444455556666"]`}}
		if got := attrs(f); !reflect.DeepEqual(got, want) {
			t.Errorf("attributes %v", got)
		}
	}
	reply := awstest.Reply{Body: `<PublishResponse><PublishResult><MessageId>m</MessageId><SequenceNumber>1</SequenceNumber></PublishResult></PublishResponse>`}
	srv := awstest.New(t, awstest.Expect{Op: "Publish", Check: check, Reply: reply}, awstest.Expect{Op: "Publish", Check: check, Reply: reply}, awstest.Expect{Op: "Publish", Check: check, Reply: reply})
	r := newReceiver(t, srv, map[string]any{"topic_arn": fifo, "format": "json", "subject": "custom subject"})
	if !r.(notify.Idempotent).Idempotent() {
		t.Error("a FIFO topic deduplicates")
	}
	ctx := context.Background()
	for i := range 3 {
		m := *msg
		m.Now = t0.Add(time.Duration(i) * time.Minute) // a retry later
		if i == 2 {
			m.Items = append([]notify.Item(nil), msg.Items...)
			m.Items[0].Record.DecidedAt = t0.Add(time.Hour) // a new decision
		}
		if _, err := r.Send(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	if dedup[0] != dedup[1] || dedup[1] == dedup[2] {
		t.Errorf("dedup ids %v: a retry must repeat the id, a new decision must not", dedup)
	}
}

func TestErrors(t *testing.T) {
	throttled := awstest.QueryError(400, "Throttled", "Rate exceeded")
	ok := awstest.Reply{Body: `<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>`}
	for _, tc := range []struct {
		name      string
		replies   []awstest.Reply
		permanent bool
		want      string
	}{
		{name: "throttled then ok", replies: []awstest.Reply{throttled, awstest.QueryError(400, "KMSThrottling", "kms"), ok}},
		{name: "throttled throughout", replies: []awstest.Reply{throttled, throttled, throttled}, want: "Throttled: Rate exceeded"},
		{name: "not found", replies: []awstest.Reply{awstest.QueryError(404, "NotFound", "Topic does not exist")}, permanent: true, want: "NotFound: Topic does not exist"},
		{name: "authorization", replies: []awstest.Reply{awstest.QueryError(403, "AuthorizationError", "not authorized to perform SNS:Publish")}, permanent: true, want: "AuthorizationError"},
		{name: "service error", replies: []awstest.Reply{awstest.QueryError(500, "InternalError", "x"), awstest.QueryError(500, "InternalError", "x"), awstest.QueryError(500, "InternalError", "x")}, want: "InternalError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var script []awstest.Expect
			for _, r := range tc.replies {
				script = append(script, awstest.Expect{Op: "Publish", Reply: r})
			}
			srv := awstest.New(t, script...)
			r := newReceiver(t, srv, map[string]any{"topic_arn": topic})
			_, err := r.Send(context.Background(), message(item("f-1", finding.SeverityHigh, "111122223333")))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "publishing to "+topic) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if notify.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v", !tc.permanent)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Zürich: root login\nfrom 1.2.3.4", "Zurich: root login from 1.2.3.4"},
		{"日本 bucket", "?? bucket"},
		{"tab\there \x1b[31m", "tab here [31m"},
		{"", "Warden notification"},
		{strings.Repeat("a", 150), strings.Repeat("a", 96) + "..."},
		{"x" + strings.Repeat("é", 120), "x" + strings.Repeat("e", 95) + "..."},
	} {
		got := Subject(tc.in)
		if got != tc.want || len(got) > 99 {
			t.Errorf("Subject(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLargeBodies(t *testing.T) {
	big := strings.Repeat("x", 300*1024)
	if b := textBody(big); len(b) > maxBody || !strings.HasSuffix(b, "(truncated)") {
		t.Errorf("text body %d bytes", len(b))
	}
	var items []notify.Item
	for i := range 400 {
		it := item(fmt.Sprintf("f-%d", i), finding.SeverityLow, "111122223333")
		it.Description = strings.Repeat("d", 1000)
		items = append(items, it)
	}
	b, err := jsonBody(message(items...))
	if err != nil || len(b) > maxBody {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	var got struct {
		Items        []notify.Item `json:"items"`
		OmittedItems int           `json:"omitted_items"`
	}
	if err := json.Unmarshal([]byte(b), &got); err != nil || got.OmittedItems == 0 || len(got.Items)+got.OmittedItems != 400 {
		t.Fatalf("%d items, %d omitted, %v", len(got.Items), got.OmittedItems, err)
	}
}

func TestGroupID(t *testing.T) {
	if got := groupID(""); got != "warden" {
		t.Errorf("empty: %q", got)
	}
	if got := groupID("owner=a@b.c,env=prod"); got != "owner=a@b.c,env=prod" {
		t.Errorf("plain: %q", got)
	}
	for _, k := range []string{"owner=Jürgen", "has space", strings.Repeat("k", 129)} {
		if got := groupID(k); !strings.HasPrefix(got, "g-") || len(got) != 66 || got != groupID(k) {
			t.Errorf("%q: %q", k, got)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		settings map[string]any
		want     []string
	}{
		{map[string]any{}, []string{"topic_arn: required"}},
		{map[string]any{"topic_arn": "arn:aws:sqs:eu-west-1:111122223333:q", "format": "xml", "colour": 1}, []string{"colour: unknown setting", "is not an SNS topic ARN", `format: "xml" is neither text nor json`}},
		{map[string]any{"topic_arn": 5}, []string{"topic_arn: want a string, got int"}},
	} {
		_, err := New(notify.Config{Name: "s", Type: Type, Settings: tc.settings, Templates: &tmpl.Set{}, AWS: func(context.Context) (aws.Config, error) { return aws.Config{}, nil }})
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %v lacks %q", tc.settings, err, w)
			}
		}
	}
	r, err := New(notify.Config{Name: "s", Type: Type, Settings: map[string]any{"topic_arn": topic, "region": "eu-west-1"}, Templates: &tmpl.Set{}, AWS: func(context.Context) (aws.Config, error) { return aws.Config{}, nil }})
	if err != nil || r.(*Receiver).cfg.Region != "eu-west-1" {
		t.Fatalf("region override: %v", err)
	}
}

package playbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/remediate"
)

// Test fixtures of the EC2 playbooks: one instance with two interfaces in
// one VPC (the primary with a public and an IPv6 address), two EBS
// volumes, an Auto Scaling group, a Classic Load Balancer and two target
// groups (by instance and by IP). Ids follow EC2's formats.
const (
	tInstance = "i-0abc1234def567890"
	tVPC      = "vpc-0a1b2c3d4e5f60718"
	tENI0     = "eni-0a1a1a1a1a1a1a1a1"
	tENI1     = "eni-0b2b2b2b2b2b2b2b2"
	tSubnet0  = "subnet-0aaa1111bbbb2222c"
	tSubnet1  = "subnet-0ddd3333eeee4444f"
	tSGWeb    = "sg-0e1e1e1e1e1e1e1e1"
	tSGAdmin  = "sg-0f2f2f2f2f2f2f2f2"
	tSGApp    = "sg-0c3c3c3c3c3c3c3c3"
	tSGIso    = "sg-0d4d4d4d4d4d4d4d4"
	tVol1     = "vol-01111111111111111"
	tVol2     = "vol-02222222222222222"
	tACL      = "acl-0a0a0a0a0a0a0a0a0"
	tTGWeb    = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web-tg/73e2d6bc24d8a067"
	tTGIP     = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web-ip-tg/9b1c3f2e6a7d8e40"
	tAccount  = "111122223333"
)

// updateEC2Golden rewrites the EC2 playbooks' golden files.
var updateEC2Golden = flag.Bool("ec2-update", false, "rewrite testdata/ec2/*.golden.json")

// ec2Env is pbEnv with request bodies buffered: the SDK closes a
// request's body as soon as the response headers arrive, and when that
// wins the race with the HTTP transport's final read of the body, the
// transport drops the connection and the response body being decoded
// fails ("use of closed network connection"). A real AWS endpoint answers
// too slowly for that to happen; the local server sometimes does, for
// responses of several KB like DescribeInstances.
func ec2Env(srv *awstest.Server, dryRun bool) *remediate.Env {
	env := pbEnv(srv, dryRun)
	env.AWS.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: bufferedBodies{http.DefaultTransport}}
	return env
}

// bufferedBodies sends a private copy of each request body.
type bufferedBodies struct{ next http.RoundTripper }

func (b bufferedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.next.RoundTrip(r)
	}
	data, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(data))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return b.next.RoundTrip(c)
}

// ec2Reply is an EC2 (ec2 query protocol) response body.
func ec2Reply(op, inner string) awstest.Reply {
	return awstest.Reply{Body: `<?xml version="1.0" encoding="UTF-8"?>
<` + op + `Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
    ` + inner + `
</` + op + `Response>`}
}

// ec2Fail is an EC2 error response as EC2 sends it.
func ec2Fail(status int, code, msg string) awstest.Reply {
	return awstest.Reply{Status: status, Body: `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>` + code + `</Code><Message>` + msg + `</Message></Error></Errors><RequestID>b0c4ff1e-5d3a-4c8b-9e0f-EXAMPLE</RequestID></Response>`}
}

var (
	ec2DryRunOK  = ec2Fail(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	ec2Throttled = ec2Fail(503, "RequestLimitExceeded", "Request limit exceeded.")
	ec2OK        = func(op string) awstest.Reply { return ec2Reply(op, "<return>true</return>") }
)

// ec2Denied is EC2's answer to a call the role may not make.
func ec2Denied(action string) awstest.Reply {
	return ec2Fail(403, "UnauthorizedOperation", "You are not authorized to perform this operation. User: arn:aws:sts::111122223333:assumed-role/WardenRemediation/warden-42 is not authorized to perform: "+action+" because no identity-based policy allows the "+action+" action. Encoded authorization failure message: p3XU9dQ-EXAMPLE")
}

// queryReply is a response of the other query-protocol services (Auto
// Scaling, Elastic Load Balancing).
func queryReply(op, xmlns, inner string) awstest.Reply {
	return awstest.Reply{Body: `<` + op + `Response xmlns="` + xmlns + `">
  <` + op + `Result>` + inner + `</` + op + `Result>
  <ResponseMetadata><RequestId>3f1c8e2a-7b6d-4e5f-8a9b-EXAMPLE</RequestId></ResponseMetadata>
</` + op + `Response>`}
}

const (
	asgNS   = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
	elbNS   = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"
	elbv2NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

// instanceState configures the DescribeInstances fixture.
type instanceFixture struct {
	State      string
	StateCode  int
	Eni0Groups string
	Eni1Groups string
	ExtraTags  string
}

// groupItems renders a groupSet.
func groupItems(ids ...string) string {
	names := map[string]string{tSGWeb: "web", tSGAdmin: "ssh-admin", tSGApp: "app", tSGIso: "warden-isolation"}
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "<item><groupId>%s</groupId><groupName>%s</groupName></item>", id, names[id])
	}
	return b.String()
}

func tagItems(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "<item><key>%s</key><value>%s</value></item>", kv[i], kv[i+1])
	}
	return b.String()
}

func renderFixture(t testing.TB, name string, data any) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "ec2", name))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := template.Must(template.New(name).Parse(string(src))).Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// describeInstances answers DescribeInstances with the fixture instance.
func describeInstances(t testing.TB, f instanceFixture) awstest.Expect {
	if f.State == "" {
		f.State, f.StateCode = "running", 16
	}
	if f.Eni0Groups == "" {
		f.Eni0Groups = groupItems(tSGWeb, tSGAdmin)
	}
	if f.Eni1Groups == "" {
		f.Eni1Groups = groupItems(tSGApp)
	}
	return awstest.Expect{Op: "DescribeInstances", Check: form("InstanceId.1", tInstance),
		Reply: awstest.Reply{Body: renderFixture(t, "describe-instances.xml", f)}}
}

// permXML renders one ipPermissions item; sources are CIDRs (IPv4 or
// IPv6), security group ids or prefix list ids. from < 0: no ports.
func permXML(proto string, from, to int, sources ...string) string {
	var ranges, v6, groups, pls strings.Builder
	for _, s := range sources {
		switch {
		case strings.HasPrefix(s, "sg-"):
			fmt.Fprintf(&groups, "<item><userId>%s</userId><groupId>%s</groupId></item>", tAccount, s)
		case strings.HasPrefix(s, "pl-"):
			fmt.Fprintf(&pls, "<item><prefixListId>%s</prefixListId></item>", s)
		case strings.Contains(s, ":"):
			fmt.Fprintf(&v6, "<item><cidrIpv6>%s</cidrIpv6></item>", s)
		default:
			fmt.Fprintf(&ranges, "<item><cidrIp>%s</cidrIp><description>rule for %s</description></item>", s, s)
		}
	}
	ports := ""
	if from >= 0 {
		ports = fmt.Sprintf("<fromPort>%d</fromPort><toPort>%d</toPort>", from, to)
	}
	return fmt.Sprintf("<item><ipProtocol>%s</ipProtocol>%s<groups>%s</groups><ipRanges>%s</ipRanges><ipv6Ranges>%s</ipv6Ranges><prefixListIds>%s</prefixListIds></item>",
		proto, ports, groups.String(), ranges.String(), v6.String(), pls.String())
}

// sgItem renders one securityGroupInfo item.
func sgItem(id, name, ingress, egress string) string {
	return fmt.Sprintf(`<item>
        <ownerId>%s</ownerId>
        <groupId>%s</groupId>
        <groupName>%s</groupName>
        <groupDescription>%s group</groupDescription>
        <vpcId>%s</vpcId>
        <ipPermissions>%s</ipPermissions>
        <ipPermissionsEgress>%s</ipPermissionsEgress>
        <securityGroupArn>arn:aws:ec2:eu-west-1:%s:security-group/%s</securityGroupArn>
    </item>`, tAccount, id, name, name, tVPC, ingress, egress, tAccount, id)
}

func sgReply(items ...string) awstest.Reply {
	return ec2Reply("DescribeSecurityGroups", "<securityGroupInfo>"+strings.Join(items, "")+"</securityGroupInfo>")
}

// formHas checks form fields given as key, value pairs.
func formHas(kv ...string) func(testing.TB, *awstest.Call) {
	var fns []func(testing.TB, *awstest.Call)
	for i := 0; i+1 < len(kv); i += 2 {
		fns = append(fns, form(kv[i], kv[i+1]))
	}
	return checks(fns...)
}

// formLacks checks that form fields are absent.
func formLacks(keys ...string) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		for _, k := range keys {
			if c.Form.Has(k) {
				t.Errorf("%s: unexpected %s=%q", c.Op, k, c.Form.Get(k))
			}
		}
	}
}

// writeOps are the mutating operations of the EC2 playbooks.
var writeOps = map[string]bool{
	"ModifyInstanceAttribute": true, "CreateSecurityGroup": true, "RevokeSecurityGroupEgress": true,
	"RevokeSecurityGroupIngress": true, "ModifyNetworkInterfaceAttribute": true, "CreateNetworkAclEntry": true,
	"DetachInstances": true, "DeregisterInstancesFromLoadBalancer": true, "DeregisterTargets": true,
	"CreateSnapshot": true, "CreateTags": true, "SendCommand": true,
}

// writesMade lists the mutating calls the server received (dry-run ones
// included: check those with their DryRun field).
func writesMade(srv *awstest.Server) []string {
	var out []string
	for _, c := range srv.Calls() {
		if writeOps[c.Op] {
			out = append(out, c.Op)
		}
	}
	return out
}

// checkGolden compares v as indented JSON with testdata/ec2/<name>.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", "ec2", name)
	if *updateEC2Golden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -ec2-update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("result differs from %s (go test -run %s -ec2-update, then review the diff):\n%s", path, t.Name(), got)
	}
}

func TestResolveEC2(t *testing.T) {
	inst := "arn:aws:ec2:eu-west-1:111122223333:instance/" + tInstance
	tests := []struct {
		name    string
		req     remediate.Request
		kind    ec2Kind
		want    string
		more    []string
		err     string
		notAppl bool
	}{
		{name: "ASFF instance ARN", req: remediate.Request{Resources: res("AwsEc2Instance", inst)}, kind: instanceKind, want: tInstance},
		{name: "bare id (detection)", req: remediate.Request{Resources: res("AwsEc2Instance", tInstance)}, kind: instanceKind, want: tInstance},
		{name: "short id", req: remediate.Request{Resources: res("AwsEc2Instance", "i-0123abcd")}, kind: instanceKind, want: "i-0123abcd"},
		{
			name: "CreateTags detection: volume first, two instances",
			req: remediate.Request{Resources: []finding.Resource{
				{Type: "AwsEc2Instance", ID: tVol1}, {Type: "AwsEc2Instance", ID: tInstance}, {Type: "AwsEc2Instance", ID: "i-0fedcba9876543210"},
			}},
			kind: instanceKind, want: tInstance, more: []string{"i-0fedcba9876543210"},
		},
		{name: "other resource type with an instance ARN", req: remediate.Request{Resources: res("Other", inst)}, kind: instanceKind, want: tInstance},
		{
			name: "GuardDuty finding document",
			req:  remediate.Request{Doc: json.RawMessage(`{"detail":{"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"` + tInstance + `"}}}}`)},
			kind: instanceKind, want: tInstance,
		},
		{
			name: "CloudTrail CreateTags record",
			req:  remediate.Request{Doc: json.RawMessage(`{"requestParameters":{"resourcesSet":{"items":[{"resourceId":"vol-01111111111111111"},{"resourceId":"` + tInstance + `"}]},"tagSet":{"items":[{"key":"Response","value":"Isolate"}]}}}`)},
			kind: instanceKind, want: tInstance,
		},
		{
			name: "Config compliance change",
			req:  remediate.Request{Doc: json.RawMessage(`{"detail-type":"Config Rules Compliance Change","detail":{"resourceId":"` + tSGWeb + `","resourceType":"AWS::EC2::SecurityGroup"}}`)},
			kind: securityGroupKind, want: tSGWeb,
		},
		{
			name: "ASFF security group details",
			req:  remediate.Request{Doc: json.RawMessage(`{"Resources":[{"Type":"AwsEc2SecurityGroup","Id":"x","Details":{"AwsEc2SecurityGroup":{"GroupId":"` + tSGWeb + `"}}}]}`)},
			kind: securityGroupKind, want: tSGWeb,
		},
		{
			name: "CloudTrail AuthorizeSecurityGroupIngress in EventBridge envelope",
			req:  remediate.Request{Doc: json.RawMessage(`{"detail":{"requestParameters":{"groupId":"` + tSGWeb + `"}}}`)},
			kind: securityGroupKind, want: tSGWeb,
		},
		{name: "security group ARN", req: remediate.Request{Resources: res("AwsEc2SecurityGroup", "arn:aws:ec2:eu-west-1:111122223333:security-group/"+tSGWeb)}, kind: securityGroupKind, want: tSGWeb},
		{name: "other region", req: remediate.Request{Resources: res("AwsEc2Instance", "arn:aws:ec2:us-east-1:111122223333:instance/"+tInstance)}, kind: instanceKind, err: "is in region us-east-1; this run is in eu-west-1", notAppl: true},
		{name: "other account", req: remediate.Request{AccountID: "444455556666", Resources: res("AwsEc2Instance", inst)}, kind: instanceKind, err: "belongs to account 111122223333; this run is in 444455556666", notAppl: true},
		{name: "resource region", req: remediate.Request{Resources: []finding.Resource{{Type: "AwsEc2Instance", ID: tInstance, Region: "us-west-2"}}}, kind: instanceKind, err: "region us-west-2", notAppl: true},
		{name: "malformed id", req: remediate.Request{Resources: res("AwsEc2Instance", "i-123; rm -rf /")}, kind: instanceKind, err: `no valid instance id (saw "i-123; rm -rf /")`, notAppl: true},
		{name: "nothing", req: remediate.Request{Resources: res("AwsS3Bucket", "arn:aws:s3:::b")}, kind: instanceKind, err: "names no instance", notAppl: true},
		{name: "broken document", req: remediate.Request{Doc: json.RawMessage(`{not json`)}, kind: securityGroupKind, err: "names no security group", notAppl: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more, err := resolveEC2(&tt.req, "eu-west-1", tt.kind)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if tt.notAppl != errors.Is(err, remediate.ErrNotApplicable) {
					t.Errorf("errors.Is(ErrNotApplicable) = %t", !tt.notAppl)
				}
				return
			}
			if err != nil || got != tt.want || fmt.Sprint(more) != fmt.Sprint(tt.more) {
				t.Errorf("got %q %v %v, want %q %v", got, more, err, tt.want, tt.more)
			}
		})
	}
}

func TestEC2CaseID(t *testing.T) {
	tests := []struct {
		req  remediate.Request
		want string
		err  bool
	}{
		{remediate.Request{CaseID: "IR-2026-017"}, "IR-2026-017", false},
		{remediate.Request{JobID: 17}, "warden-17", false},
		{remediate.Request{}, "", true},
		{remediate.Request{CaseID: "x; reboot"}, "", true},
		{remediate.Request{CaseID: "$(id)"}, "", true},
	}
	for _, tt := range tests {
		got, err := ec2CaseID(&tt.req)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ec2CaseID(%+v) = %q, %v", tt.req, got, err)
		}
	}
}

func TestRollbackQuote(t *testing.T) {
	for in, want := range map[string]string{
		"web-asg":            "web-asg",
		"my asg":             "'my asg'",
		"it's":               `'it'\''s'`,
		"$(reboot)":          "'$(reboot)'",
		"":                   "''",
		"Id=i-1,Port=80":     "Id=i-1,Port=80",
		"arn:aws:x:y/z@a+b=": "arn:aws:x:y/z@a+b=",
	} {
		if got := rollbackQuote(in); got != want {
			t.Errorf("rollbackQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

package playbook

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/remediate"
)

var sgActions actionLog

// webIngress is the inbound side of the fixture group: SSH open to the
// world and to the corporate network in one rule, HTTPS to the world on
// both address families, ping from anywhere, DNS from the VPC and 8080
// from another group.
func webIngress(drop ...string) string {
	rules := []struct{ key, xml string }{
		{"ssh", permXML("tcp", 22, 22, "0.0.0.0/0", "10.0.0.0/8")},
		{"https", permXML("tcp", 443, 443, "0.0.0.0/0", "::/0")},
		{"icmp", permXML("icmp", 8, -1, "0.0.0.0/0")},
		{"dns", permXML("udp", 53, 53, "10.0.0.0/8")},
		{"app", permXML("tcp", 8080, 8080, "sg-0aaaaaaaaaaaaaaaa")},
	}
	var b strings.Builder
	for _, r := range rules {
		if !slices.Contains(drop, r.key) {
			b.WriteString(r.xml)
		}
	}
	return b.String()
}

func webGroup(ingress string) awstest.Reply {
	return sgReply(sgItem(tSGWeb, "web", ingress, permXML("-1", -1, -1, "0.0.0.0/0")))
}

func describeWeb(r awstest.Reply) awstest.Expect {
	return awstest.Expect{Op: "DescribeSecurityGroups", Check: checks(form("GroupId.1", tSGWeb), formLacks("Filter.1.Name")), Reply: r}
}

func TestSGRevokeWorldIngress(t *testing.T) {
	t.Cleanup(func() { sgActions.check(t, "sg-revoke-world-ingress") })
	group := res("AwsEc2SecurityGroup", "arn:aws:ec2:eu-west-1:111122223333:security-group/"+tSGWeb)
	revokeSSH := awstest.Expect{Op: "RevokeSecurityGroupIngress", Check: checks(
		formHas("GroupId", tSGWeb, "IpPermissions.1.IpProtocol", "tcp", "IpPermissions.1.FromPort", "22", "IpPermissions.1.ToPort", "22",
			"IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
		formLacks("IpPermissions.1.IpRanges.2.CidrIp", "IpPermissions.1.IpRanges.1.Description", "IpPermissions.2.IpProtocol", "DryRun")),
		Reply: ec2Reply("RevokeSecurityGroupIngress", "<return>true</return>")}
	tests := []struct {
		name   string
		dry    bool
		req    remediate.Request
		script []awstest.Expect
		steps  []string
		err    string
		is     error
		check  func(t *testing.T, r *remediate.Result)
	}{
		{
			name: "port 22 only: the world range goes, the corporate range stays",
			req:  remediate.Request{Resources: group, Params: map[string]any{"ports": []any{"22"}}},
			script: []awstest.Expect{
				describeWeb(webGroup(webIngress())),
				revokeSSH,
				describeWeb(webGroup(permXML("tcp", 22, 22, "10.0.0.0/8") + webIngress("ssh"))),
			},
			steps: []string{"describe-security-group=read", "revoke-world-ingress=changed"},
			check: func(t *testing.T, r *remediate.Result) {
				s := r.Steps[1]
				must(t, s.Detail == "revoked tcp 22-22 from 0.0.0.0/0", "detail %q", s.Detail)
				before, after := s.Before.([]string), s.After.([]string)
				must(t, slices.Contains(before, "tcp 22-22 from 0.0.0.0/0") && !slices.Contains(after, "tcp 22-22 from 0.0.0.0/0") &&
					slices.Contains(after, "tcp 22-22 from 10.0.0.0/8") && slices.Contains(after, "tcp 443-443 from ::/0"), "before %v after %v", before, after)
				must(t, slices.Equal(r.Rollback, []string{`aws ec2 authorize-security-group-ingress --group-id ` + tSGWeb +
					` --ip-permissions '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0","Description":"rule for 0.0.0.0/0"}]}]'`}), "rollback %v", r.Rollback)
			},
		},
		{
			name: "all ports: every world range, ICMP included, from the CloudTrail event",
			req:  remediate.Request{Doc: []byte(`{"detail":{"eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"groupId":"` + tSGWeb + `"}}}`)},
			script: []awstest.Expect{
				describeWeb(webGroup(webIngress())),
				{Op: "RevokeSecurityGroupIngress", Check: checks(formHas(
					"IpPermissions.1.IpProtocol", "tcp", "IpPermissions.1.FromPort", "22", "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0",
					"IpPermissions.2.IpProtocol", "tcp", "IpPermissions.2.FromPort", "443", "IpPermissions.2.IpRanges.1.CidrIp", "0.0.0.0/0", "IpPermissions.2.Ipv6Ranges.1.CidrIpv6", "::/0",
					"IpPermissions.3.IpProtocol", "icmp", "IpPermissions.3.FromPort", "8", "IpPermissions.3.ToPort", "-1", "IpPermissions.3.IpRanges.1.CidrIp", "0.0.0.0/0"),
					formLacks("IpPermissions.4.IpProtocol", "IpPermissions.1.IpRanges.2.CidrIp")),
					Reply: ec2Reply("RevokeSecurityGroupIngress", "<return>true</return>")},
				describeWeb(webGroup(permXML("tcp", 22, 22, "10.0.0.0/8") + webIngress("ssh", "https", "icmp"))),
			},
			steps: []string{"describe-security-group=read", "revoke-world-ingress=changed"},
		},
		{
			name:   "an all-traffic world rule reaches port 22",
			req:    remediate.Request{Resources: group, Params: map[string]any{"ports": []any{float64(22)}}},
			script: []awstest.Expect{describeWeb(webGroup(permXML("-1", -1, -1, "0.0.0.0/0"))), {Op: "RevokeSecurityGroupIngress", Check: checks(form("IpPermissions.1.IpProtocol", "-1"), formLacks("IpPermissions.1.FromPort")), Reply: ec2OK("RevokeSecurityGroupIngress")}, describeWeb(webGroup(""))},
			steps:  []string{"describe-security-group=read", "revoke-world-ingress=changed"},
		},
		{
			name:   "already closed: no write",
			req:    remediate.Request{Resources: group},
			script: []awstest.Expect{describeWeb(webGroup(permXML("tcp", 22, 22, "10.0.0.0/8") + webIngress("ssh", "https", "icmp")))},
			steps:  []string{"describe-security-group=read", "revoke-world-ingress=unchanged"},
			check: func(t *testing.T, r *remediate.Result) {
				must(t, r.Steps[1].Detail == "no inbound rule open to 0.0.0.0/0 or ::/0" && len(r.Rollback) == 0, "detail %q rollback %v", r.Steps[1].Detail, r.Rollback)
			},
		},
		{
			name:   "world rules only on other ports",
			req:    remediate.Request{Resources: group, Params: map[string]any{"ports": []any{"3389", "5900-5910"}}},
			script: []awstest.Expect{describeWeb(webGroup(webIngress()))},
			steps:  []string{"describe-security-group=read", "revoke-world-ingress=unchanged"},
			check: func(t *testing.T, r *remediate.Result) {
				must(t, strings.HasSuffix(r.Steps[1].Detail, "on port(s) 3389, 5900-5910"), "detail %q", r.Steps[1].Detail)
			},
		},
		{
			name:   "group deleted",
			req:    remediate.Request{Resources: group},
			script: []awstest.Expect{describeWeb(ec2Fail(400, "InvalidGroup.NotFound", "The security group '"+tSGWeb+"' does not exist"))},
			steps:  []string{"describe-security-group=failed"},
			err:    "security group " + tSGWeb + ": resource no longer exists", is: remediate.ErrGone,
		},
		{
			name:   "access denied: nothing changed",
			req:    remediate.Request{Resources: group, Params: map[string]any{"ports": []any{"22"}}},
			script: []awstest.Expect{describeWeb(webGroup(webIngress())), with(revokeSSH, ec2Denied("ec2:RevokeSecurityGroupIngress"))},
			steps:  []string{"describe-security-group=read", "revoke-world-ingress=failed"},
			err:    "access denied to ec2:RevokeSecurityGroupIngress",
			check: func(t *testing.T, r *remediate.Result) {
				must(t, len(r.Rollback) == 0, "rollback %v", r.Rollback)
			},
		},
		{
			name: "throttled calls are retried",
			req:  remediate.Request{Resources: group, Params: map[string]any{"ports": []any{"22"}}},
			script: []awstest.Expect{
				describeWeb(ec2Throttled), describeWeb(webGroup(webIngress())),
				with(revokeSSH, ec2Throttled), revokeSSH,
				describeWeb(webGroup(webIngress("ssh"))),
			},
			steps: []string{"describe-security-group=read", "revoke-world-ingress=changed"},
		},
		{
			name:   "dry run",
			dry:    true,
			req:    remediate.Request{Resources: group, Params: map[string]any{"ports": []any{"22"}}},
			script: []awstest.Expect{describeWeb(webGroup(webIngress())), {Op: "RevokeSecurityGroupIngress", Check: formHas("DryRun", "true", "IpPermissions.1.FromPort", "22"), Reply: ec2DryRunOK}},
			steps:  []string{"describe-security-group=read", "revoke-world-ingress=would-change"},
			check: func(t *testing.T, r *remediate.Result) {
				must(t, !r.Changed() && len(r.Rollback) == 0 && r.Steps[1].Detail == "would revoke tcp 22-22 from 0.0.0.0/0", "detail %q", r.Steps[1].Detail)
			},
		},
		{
			name:   "dry run without permission",
			dry:    true,
			req:    remediate.Request{Resources: group},
			script: []awstest.Expect{describeWeb(webGroup(webIngress())), {Op: "RevokeSecurityGroupIngress", Check: form("DryRun", "true"), Reply: ec2Denied("ec2:RevokeSecurityGroupIngress")}},
			steps:  []string{"describe-security-group=read", "revoke-world-ingress=failed"},
			err:    "access denied to ec2:RevokeSecurityGroupIngress",
		},
		{
			name:   "rules changed meanwhile",
			req:    remediate.Request{Resources: group, Params: map[string]any{"ports": []any{"22"}}},
			script: []awstest.Expect{describeWeb(webGroup(webIngress())), with(revokeSSH, ec2Fail(400, "InvalidPermission.NotFound", "The specified rule does not exist in this security group."))},
			steps:  []string{"describe-security-group=read", "revoke-world-ingress=failed"},
			err:    "changed since they were read",
		},
		{
			name:   "revoke did not take",
			req:    remediate.Request{Resources: group, Params: map[string]any{"ports": []any{"22"}}},
			script: []awstest.Expect{describeWeb(webGroup(webIngress())), revokeSSH, describeWeb(webGroup(webIngress()))},
			steps:  []string{"describe-security-group=read", "revoke-world-ingress=failed"},
			err:    "still allows tcp 22-22 from 0.0.0.0/0",
			check: func(t *testing.T, r *remediate.Result) {
				must(t, strings.Contains(r.Steps[1].Error, "still allows"), "step error %q", r.Steps[1].Error)
			},
		},
		{
			name:   "group of another account",
			req:    remediate.Request{Resources: group},
			script: []awstest.Expect{describeWeb(awstest.Reply{Body: strings.Replace(webGroup("").Body, "<ownerId>111122223333</ownerId>", "<ownerId>999988887777</ownerId>", 1)})},
			steps:  []string{"describe-security-group=failed"},
			err:    "belongs to account 999988887777", is: remediate.ErrNotApplicable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script...)
			r, err := runPB(t, "sg-revoke-world-ingress", ec2Env(srv, tt.dry), &tt.req)
			sgActions.add(srv)
			wantErr(t, err, tt.err, tt.is)
			wantSteps(t, r, tt.steps...)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestSGRevokeBadPorts(t *testing.T) {
	srv := awstest.New(t)
	for _, p := range []any{"ssh", "70000", "30-20", "-1", "22-"} {
		r, err := runPB(t, "sg-revoke-world-ingress", ec2Env(srv, false), &remediate.Request{
			Resources: res("AwsEc2SecurityGroup", tSGWeb), Params: map[string]any{"ports": []any{p}}})
		wantErr(t, err, "params.ports", remediate.ErrNotApplicable)
		must(t, len(r.Steps) == 0, "ports %v: steps %v", p, stepStatuses(r))
	}
}

func TestPortOverlap(t *testing.T) {
	perm := func(proto string, from, to int32) ec2types.IpPermission {
		p := ec2types.IpPermission{IpProtocol: aws.String(proto)}
		if from != -2 {
			p.FromPort, p.ToPort = aws.Int32(from), aws.Int32(to)
		}
		return p
	}
	tests := []struct {
		ports []string
		perm  ec2types.IpPermission
		want  bool
	}{
		{nil, perm("icmp", 8, -1), true},
		{[]string{"22"}, perm("tcp", 22, 22), true},
		{[]string{"22"}, perm("tcp", 0, 65535), true},
		{[]string{"22"}, perm("tcp", 23, 80), false},
		{[]string{"8000-8080"}, perm("tcp", 8080, 9000), true},
		{[]string{"8000-8080"}, perm("6", 7000, 7999), false},
		{[]string{"53"}, perm("17", 53, 53), true},
		{[]string{"22"}, perm("-1", -2, 0), true},
		{[]string{"22"}, perm("icmp", 8, -1), false},
		{[]string{"22"}, perm("tcp", -2, 0), true}, // no ports given: every port
		{[]string{"3389"}, perm("udp", 3389, 3389), true},
	}
	for _, tt := range tests {
		ps, err := parsePorts(tt.ports)
		if err != nil {
			t.Fatal(err)
		}
		if got := ps.overlap(tt.perm); got != tt.want {
			t.Errorf("ports %v overlap %s = %t, want %t", tt.ports, fmt.Sprint(permissionRules([]ec2types.IpPermission{tt.perm})), got, tt.want)
		}
	}
}

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

var isolateActions actionLog

// EC2 replies of the isolate fixtures.
func attrReply(on bool) awstest.Reply {
	return ec2Reply("DescribeInstanceAttribute", fmt.Sprintf(
		"<instanceId>%s</instanceId><disableApiTermination><value>%t</value></disableApiTermination>", tInstance, on))
}

func createSGReply() awstest.Reply {
	return ec2Reply("CreateSecurityGroup", `<return>true</return><groupId>`+tSGIso+`</groupId>
    <securityGroupArn>arn:aws:ec2:eu-west-1:111122223333:security-group/`+tSGIso+`</securityGroupArn>
    <tagSet><item><key>Name</key><value>warden-isolation</value></item><item><key>warden:purpose</key><value>isolation</value></item></tagSet>`)
}

func revokedReply(op string) awstest.Reply {
	return ec2Reply(op, `<return>true</return><revokedSecurityGroupRuleSet><item><securityGroupRuleId>sgr-0a9b8c7d6e5f43210</securityGroupRuleId><groupId>`+tSGIso+`</groupId><isEgress>true</isEgress><ipProtocol>-1</ipProtocol><fromPort>-1</fromPort><toPort>-1</toPort><cidrIpv4>0.0.0.0/0</cidrIpv4></item></revokedSecurityGroupRuleSet>`)
}

// aclEntry renders a network ACL entry.
func aclEntry(num int, egress bool, action, cidr string) string {
	block := "<cidrBlock>" + cidr + "</cidrBlock>"
	if strings.Contains(cidr, ":") {
		block = "<ipv6CidrBlock>" + cidr + "</ipv6CidrBlock>"
	}
	return fmt.Sprintf("<item><ruleNumber>%d</ruleNumber><protocol>-1</protocol><ruleAction>%s</ruleAction><egress>%t</egress>%s</item>", num, action, egress, block)
}

func describeACLs(t testing.TB, extra ...string) awstest.Expect {
	return awstest.Expect{Op: "DescribeNetworkAcls",
		Check: formHas("Filter.1.Name", "association.subnet-id", "Filter.1.Value.1", tSubnet0, "Filter.1.Value.2", tSubnet1),
		Reply: awstest.Reply{Body: renderFixture(t, "describe-network-acls.xml", map[string]string{"ExtraEntries": strings.Join(extra, "\n")})}}
}

func aclCreate(num, egress, cidr string, dry bool) awstest.Expect {
	key := "CidrBlock"
	if strings.Contains(cidr, ":") {
		key = "Ipv6CidrBlock"
	}
	e := awstest.Expect{Op: "CreateNetworkAclEntry", Check: formHas("NetworkAclId", tACL, "RuleNumber", num, "Egress", egress,
		"Protocol", "-1", "RuleAction", "deny", key, cidr), Reply: ec2OK("CreateNetworkAclEntry")}
	if dry {
		e.Check, e.Reply = checks(e.Check, form("DryRun", "true")), ec2DryRunOK
	}
	return e
}

func asgInstances(state string) awstest.Reply {
	inner := "<AutoScalingInstances/>"
	if state != "" {
		inner = `<AutoScalingInstances><member>
        <InstanceId>` + tInstance + `</InstanceId><InstanceType>t3.large</InstanceType>
        <AutoScalingGroupName>web-asg</AutoScalingGroupName><AvailabilityZone>eu-west-1a</AvailabilityZone>
        <LifecycleState>` + state + `</LifecycleState><HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn>
        <LaunchTemplate><LaunchTemplateId>lt-0e1d2c3b4a5968778</LaunchTemplateId><LaunchTemplateName>web</LaunchTemplateName><Version>7</Version></LaunchTemplate>
      </member></AutoScalingInstances>`
	}
	return queryReply("DescribeAutoScalingInstances", asgNS, inner)
}

func detachReply(decrement bool) awstest.Reply {
	cause := "At 2026-01-31T09:00:00Z instance " + tInstance + " was detached in response to a user request, shrinking the capacity from 3 to 2."
	if !decrement {
		cause = "At 2026-01-31T09:00:00Z instance " + tInstance + " was detached in response to a user request."
	}
	return queryReply("DetachInstances", asgNS, `<Activities><member>
      <ActivityId>e54ff599-bf05-4076-8b95-a0f090ed90bb</ActivityId><AutoScalingGroupName>web-asg</AutoScalingGroupName>
      <Description>Detaching EC2 instance: `+tInstance+`</Description><Cause>`+cause+`</Cause>
      <StartTime>2026-01-31T09:00:00.000Z</StartTime><StatusCode>InProgress</StatusCode><Progress>50</Progress>
    </member></Activities>`)
}

func classicLBs(withInstance bool) awstest.Reply {
	insts := "<member><InstanceId>i-0fedcba9876543210</InstanceId></member>"
	if withInstance {
		insts = "<member><InstanceId>" + tInstance + "</InstanceId></member>" + insts
	}
	lb := func(name, instances string) string {
		return `<member><LoadBalancerName>` + name + `</LoadBalancerName><DNSName>` + name + `-1234567890.eu-west-1.elb.amazonaws.com</DNSName>
        <CanonicalHostedZoneNameID>Z32O12XQLNTSW2</CanonicalHostedZoneNameID><VPCId>` + tVPC + `</VPCId><Scheme>internet-facing</Scheme>
        <ListenerDescriptions><member><Listener><Protocol>HTTP</Protocol><LoadBalancerPort>80</LoadBalancerPort><InstanceProtocol>HTTP</InstanceProtocol><InstancePort>80</InstancePort></Listener><PolicyNames/></member></ListenerDescriptions>
        <Instances>` + instances + `</Instances><Subnets><member>` + tSubnet0 + `</member></Subnets><SecurityGroups><member>` + tSGWeb + `</member></SecurityGroups>
        <AvailabilityZones><member>eu-west-1a</member></AvailabilityZones><CreatedTime>2025-06-01T10:00:00.000Z</CreatedTime></member>`
	}
	return queryReply("DescribeLoadBalancers", elbNS, "<LoadBalancerDescriptions>"+lb("web-classic", insts)+lb("batch-classic", "")+"</LoadBalancerDescriptions>")
}

func targetGroups() awstest.Reply {
	tg := func(arn, name, typ, vpc string) string {
		return `<member><TargetGroupArn>` + arn + `</TargetGroupArn><TargetGroupName>` + name + `</TargetGroupName>
        <Protocol>HTTP</Protocol><Port>80</Port><VpcId>` + vpc + `</VpcId><HealthCheckProtocol>HTTP</HealthCheckProtocol>
        <HealthCheckPort>traffic-port</HealthCheckPort><HealthCheckEnabled>true</HealthCheckEnabled><HealthCheckIntervalSeconds>30</HealthCheckIntervalSeconds>
        <HealthCheckTimeoutSeconds>5</HealthCheckTimeoutSeconds><HealthyThresholdCount>5</HealthyThresholdCount><UnhealthyThresholdCount>2</UnhealthyThresholdCount>
        <HealthCheckPath>/health</HealthCheckPath><Matcher><HttpCode>200</HttpCode></Matcher>
        <LoadBalancerArns><member>arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188</member></LoadBalancerArns>
        <TargetType>` + typ + `</TargetType><IpAddressType>ipv4</IpAddressType></member>`
	}
	return queryReply("DescribeTargetGroups", elbv2NS, "<TargetGroups>"+
		tg(tTGWeb, "web-tg", "instance", tVPC)+
		tg(tTGIP, "web-ip-tg", "ip", tVPC)+
		tg("arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/other-vpc/0123456789abcdef", "other-vpc", "instance", "vpc-0ffffffffffffffff")+
		tg("arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/fn/fedcba9876543210", "fn", "lambda", "")+
		"</TargetGroups>")
}

// targetHealth answers DescribeTargetHealth; targets are "id:port:state".
func targetHealth(targets ...string) awstest.Reply {
	var b strings.Builder
	for _, tgt := range targets {
		p := strings.Split(tgt, ":")
		id, port, state := strings.Join(p[:len(p)-2], ":"), p[len(p)-2], p[len(p)-1]
		reason := ""
		if state == "draining" {
			reason = "<Reason>Target.DeregistrationInProgress</Reason><Description>Target deregistration is in progress</Description>"
		}
		fmt.Fprintf(&b, "<member><Target><Id>%s</Id><Port>%s</Port></Target><HealthCheckPort>%s</HealthCheckPort><TargetHealth><State>%s</State>%s</TargetHealth></member>", id, port, port, state, reason)
	}
	return queryReply("DescribeTargetHealth", elbv2NS, "<TargetHealthDescriptions>"+b.String()+"</TargetHealthDescriptions>")
}

// snapshots answers DescribeSnapshots; args are volume, snapshot pairs.
func snapshots(kv ...string) awstest.Reply {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, `<item><snapshotId>%s</snapshotId><volumeId>%s</volumeId><status>completed</status><startTime>2026-01-31T08:55:00.000Z</startTime>
        <progress>100%%</progress><ownerId>%s</ownerId><volumeSize>8</volumeSize><description>Warden case warden-42: %s</description><encrypted>true</encrypted>
        <tagSet><item><key>warden:case</key><value>warden-42</value></item></tagSet></item>`, kv[i+1], kv[i], tAccount, kv[i])
	}
	return ec2Reply("DescribeSnapshots", "<snapshotSet>"+b.String()+"</snapshotSet>")
}

func createSnapshotReply(vol, snap string) awstest.Reply {
	return ec2Reply("CreateSnapshot", `<snapshotId>`+snap+`</snapshotId><volumeId>`+vol+`</volumeId><status>pending</status>
    <startTime>2026-01-31T09:00:00.000Z</startTime><progress/><ownerId>111122223333</ownerId><volumeSize>100</volumeSize>
    <description>Warden case warden-42</description><encrypted>true</encrypted>`)
}

func describeSnapshots() awstest.Expect {
	return awstest.Expect{Op: "DescribeSnapshots", Check: formHas("Owner.1", "self",
		"Filter.1.Name", "tag:warden:case", "Filter.1.Value.1", "warden-42",
		"Filter.2.Name", "volume-id", "Filter.2.Value.1", tVol1, "Filter.2.Value.2", tVol2)}
}

func isoFilter() func(testing.TB, *awstest.Call) {
	return formHas("Filter.1.Name", "group-name", "Filter.1.Value.1", "warden-isolation", "Filter.2.Name", "vpc-id", "Filter.2.Value.1", tVPC)
}

func with(e awstest.Expect, r awstest.Reply) awstest.Expect { e.Reply = r; return e }

// happyScript is the full isolation of the fixture instance, every
// option on: the group is created, both interfaces moved, the addresses
// denied in the network ACL (rule 1 inbound is taken), the instance
// detached and deregistered, one volume already snapshotted by an
// earlier attempt of the same case.
func happyScript(t testing.TB) []awstest.Expect {
	return []awstest.Expect{
		describeInstances(t, instanceFixture{}),
		{Op: "DescribeInstanceAttribute", Check: formHas("InstanceId", tInstance, "Attribute", "disableApiTermination"), Reply: attrReply(false)},
		{Op: "ModifyInstanceAttribute", Check: checks(formHas("InstanceId", tInstance, "DisableApiTermination.Value", "true"), formLacks("DryRun")), Reply: ec2OK("ModifyInstanceAttribute")},
		{Op: "DescribeSecurityGroups", Check: isoFilter(), Reply: sgReply()},
		{Op: "CreateSecurityGroup", Check: formHas("GroupName", "warden-isolation", "VpcId", tVPC,
			"GroupDescription", "Warden isolation: no inbound or outbound rules",
			"TagSpecification.1.ResourceType", "security-group", "TagSpecification.1.Tag.2.Key", "warden:purpose"), Reply: createSGReply()},
		{Op: "DescribeSecurityGroups", Check: form("GroupId.1", tSGIso), Reply: sgReply(sgItem(tSGIso, "warden-isolation", "", permXML("-1", -1, -1, "0.0.0.0/0", "::/0")))},
		{Op: "RevokeSecurityGroupEgress", Check: checks(formHas("GroupId", tSGIso, "IpPermissions.1.IpProtocol", "-1",
			"IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0", "IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "::/0"), formLacks("IpPermissions.2.IpProtocol", "IpPermissions.1.IpRanges.1.Description")),
			Reply: revokedReply("RevokeSecurityGroupEgress")},
		{Op: "ModifyNetworkInterfaceAttribute", Check: checks(formHas("NetworkInterfaceId", tENI0, "SecurityGroupId.1", tSGIso), formLacks("SecurityGroupId.2", "DryRun")), Reply: ec2OK("ModifyNetworkInterfaceAttribute")},
		{Op: "ModifyNetworkInterfaceAttribute", Check: checks(formHas("NetworkInterfaceId", tENI1, "SecurityGroupId.1", tSGIso), formLacks("SecurityGroupId.2")), Reply: ec2OK("ModifyNetworkInterfaceAttribute")},
		describeACLs(t),
		aclCreate("2", "false", "10.0.1.25/32", false),
		aclCreate("1", "true", "10.0.1.25/32", false),
		aclCreate("3", "false", "2001:db8:1234:1a00::25/128", false),
		aclCreate("2", "true", "2001:db8:1234:1a00::25/128", false),
		aclCreate("4", "false", "10.0.2.40/32", false),
		aclCreate("3", "true", "10.0.2.40/32", false),
		{Op: "DescribeAutoScalingInstances", Check: formHas("InstanceIds.member.1", tInstance), Reply: asgInstances("InService")},
		{Op: "DetachInstances", Check: formHas("AutoScalingGroupName", "web-asg", "InstanceIds.member.1", tInstance, "ShouldDecrementDesiredCapacity", "true"), Reply: detachReply(true)},
		{Op: "DescribeLoadBalancers", Check: form("Version", "2012-06-01"), Reply: classicLBs(true)},
		{Op: "DeregisterInstancesFromLoadBalancer", Check: formHas("LoadBalancerName", "web-classic", "Instances.member.1.InstanceId", tInstance),
			Reply: queryReply("DeregisterInstancesFromLoadBalancer", elbNS, "<Instances><member><InstanceId>i-0fedcba9876543210</InstanceId></member></Instances>")},
		{Op: "DescribeTargetGroups", Check: form("Version", "2015-12-01"), Reply: targetGroups()},
		{Op: "DescribeTargetHealth", Check: checks(form("TargetGroupArn", tTGWeb), formLacks("Targets.member.1.Id")),
			Reply: targetHealth(tInstance+":80:healthy", tInstance+":8080:healthy", "i-0fedcba9876543210:80:healthy")},
		{Op: "DescribeTargetHealth", Check: form("TargetGroupArn", tTGIP), Reply: targetHealth("10.0.2.40:443:healthy", "10.0.9.9:443:healthy")},
		{Op: "DeregisterTargets", Check: checks(formHas("TargetGroupArn", tTGWeb, "Targets.member.1.Id", tInstance, "Targets.member.1.Port", "80",
			"Targets.member.2.Id", tInstance, "Targets.member.2.Port", "8080"), formLacks("Targets.member.3.Id")), Reply: queryReply("DeregisterTargets", elbv2NS, "")},
		{Op: "DeregisterTargets", Check: checks(formHas("TargetGroupArn", tTGIP, "Targets.member.1.Id", "10.0.2.40", "Targets.member.1.Port", "443"), formLacks("Targets.member.2.Id")),
			Reply: queryReply("DeregisterTargets", elbv2NS, "")},
		with(describeSnapshots(), snapshots(tVol1, "snap-0aaaaaaaaaaaaaaaa")),
		{Op: "CreateSnapshot", Check: checks(formHas("VolumeId", tVol2, "Description", "Warden case warden-42: "+tVol2+" /dev/sdf of "+tInstance,
			"TagSpecification.1.ResourceType", "snapshot", "TagSpecification.1.Tag.1.Key", "warden:case", "TagSpecification.1.Tag.1.Value", "warden-42",
			"TagSpecification.1.Tag.2.Key", "warden:instance", "TagSpecification.1.Tag.2.Value", tInstance), formLacks("DryRun")),
			Reply: createSnapshotReply(tVol2, "snap-0bbbbbbbbbbbbbbbb")},
		{Op: "CreateTags", Check: checks(formHas("ResourceId.1", tInstance, "Tag.1.Key", "Quarantine", "Tag.1.Value", "warden-42"), formLacks("ResourceId.2", "Tag.2.Key")), Reply: ec2OK("CreateTags")},
	}
}

func TestEC2Isolate(t *testing.T) {
	t.Cleanup(func() { isolateActions.check(t, "ec2-isolate") })
	instance := res("AwsEc2Instance", "arn:aws:ec2:eu-west-1:111122223333:instance/"+tInstance)
	allOn := map[string]any{"cut_tracked_connections": true}
	tests := []struct {
		name   string
		dry    bool
		params map[string]any
		script func(t testing.TB) []awstest.Expect
		steps  []string
		err    string
		is     error
		check  func(t *testing.T, r *remediate.Result, srv *awstest.Server)
	}{
		{
			name: "happy path: every step changes", params: allOn, script: happyScript,
			steps: []string{"capture-metadata=read", "enable-termination-protection=changed", "isolation-group=changed",
				"switch-security-groups=changed", "deny-network-acl=changed", "detach-auto-scaling=changed",
				"deregister-classic-load-balancers=changed", "deregister-target-groups=changed", "snapshot-volumes=changed", "tag-quarantine=changed"},
			check: func(t *testing.T, r *remediate.Result, _ *awstest.Server) {
				checkGolden(t, "isolate-happy.golden.json", r)
				must(t, r.Evidence["isolation_group_id"] == tSGIso, "isolation_group_id %v", r.Evidence["isolation_group_id"])
				snaps, _ := r.Evidence["snapshot_ids"].(map[string]string)
				must(t, snaps[tVol1] == "snap-0aaaaaaaaaaaaaaaa" && snaps[tVol2] == "snap-0bbbbbbbbbbbbbbbb", "snapshot_ids %v", snaps)
				must(t, len(r.Rollback) == 15, "%d rollback notes: %v", len(r.Rollback), r.Rollback)
				must(t, slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "do not end connections that were already tracked") }), "no connection tracking note: %v", r.Notes)
			},
		},
		{
			name:   "already isolated: nothing written",
			params: map[string]any{"cut_tracked_connections": true},
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{
					describeInstances(t, instanceFixture{Eni0Groups: groupItems(tSGIso), Eni1Groups: groupItems(tSGIso), ExtraTags: tagItems("Quarantine", "warden-42")}),
					{Op: "DescribeInstanceAttribute", Reply: attrReply(true)},
					{Op: "DescribeSecurityGroups", Check: isoFilter(), Reply: sgReply(sgItem(tSGIso, "warden-isolation", "", ""))},
					describeACLs(t, aclEntry(2, false, "deny", "10.0.1.25/32"), aclEntry(1, true, "deny", "10.0.1.25/32"),
						aclEntry(3, false, "deny", "2001:db8:1234:1a00::25/128"), aclEntry(2, true, "deny", "2001:db8:1234:1a00::25/128"),
						aclEntry(4, false, "deny", "10.0.2.40/32"), aclEntry(3, true, "deny", "10.0.2.40/32")),
					{Op: "DescribeAutoScalingInstances", Reply: asgInstances("")},
					{Op: "DescribeLoadBalancers", Reply: classicLBs(false)},
					{Op: "DescribeTargetGroups", Reply: targetGroups()},
					{Op: "DescribeTargetHealth", Reply: targetHealth(tInstance + ":80:draining")},
					{Op: "DescribeTargetHealth", Reply: targetHealth("10.0.9.9:443:healthy")},
					with(describeSnapshots(), snapshots(tVol1, "snap-0aaaaaaaaaaaaaaaa", tVol2, "snap-0bbbbbbbbbbbbbbbb")),
				}
			},
			steps: []string{"capture-metadata=read", "enable-termination-protection=unchanged", "isolation-group=unchanged",
				"switch-security-groups=unchanged", "deny-network-acl=unchanged", "detach-auto-scaling=unchanged",
				"deregister-classic-load-balancers=unchanged", "deregister-target-groups=unchanged", "snapshot-volumes=unchanged", "tag-quarantine=unchanged"},
			check: func(t *testing.T, r *remediate.Result, srv *awstest.Server) {
				must(t, len(writesMade(srv)) == 0, "write calls made: %v", writesMade(srv))
				must(t, r.Changed() == false && len(r.Rollback) == 0, "changed %t, rollback %v", r.Changed(), r.Rollback)
				must(t, r.Evidence["isolation_group_id"] == tSGIso, "evidence %v", r.Evidence)
			},
		},
		{
			name: "instance vanished",
			script: func(testing.TB) []awstest.Expect {
				return []awstest.Expect{{Op: "DescribeInstances", Reply: ec2Fail(400, "InvalidInstanceID.NotFound", "The instance ID '"+tInstance+"' does not exist")}}
			},
			steps: []string{"capture-metadata=failed"}, err: "instance " + tInstance + ": resource no longer exists", is: remediate.ErrGone,
			check: func(t *testing.T, r *remediate.Result, srv *awstest.Server) {
				must(t, strings.Contains(r.Steps[0].Error, "InvalidInstanceID.NotFound"), "step error %q", r.Steps[0].Error)
			},
		},
		{
			name: "instance terminated",
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{describeInstances(t, instanceFixture{State: "terminated", StateCode: 48})}
			},
			steps: []string{"capture-metadata=failed"}, err: "is terminated", is: remediate.ErrGone,
		},
		{
			name:   "access denied on the second interface: earlier changes reported",
			params: map[string]any{"snapshot": false},
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{
					describeInstances(t, instanceFixture{}),
					{Op: "DescribeInstanceAttribute", Reply: attrReply(false)},
					{Op: "ModifyInstanceAttribute", Reply: ec2OK("ModifyInstanceAttribute")},
					{Op: "DescribeSecurityGroups", Reply: sgReply(sgItem(tSGIso, "warden-isolation", "", ""))},
					{Op: "ModifyNetworkInterfaceAttribute", Check: form("NetworkInterfaceId", tENI0), Reply: ec2OK("ModifyNetworkInterfaceAttribute")},
					{Op: "ModifyNetworkInterfaceAttribute", Check: form("NetworkInterfaceId", tENI1), Reply: ec2Denied("ec2:ModifyNetworkInterfaceAttribute")},
				}
			},
			steps: []string{"capture-metadata=read", "enable-termination-protection=changed", "isolation-group=unchanged", "switch-security-groups=failed"},
			err:   "step switch-security-groups: access denied to ec2:ModifyNetworkInterfaceAttribute",
			check: func(t *testing.T, r *remediate.Result, _ *awstest.Server) {
				if r.Steps[3].Error == "" || !strings.Contains(r.Steps[3].Error, "after moving "+tENI0) {
					t.Errorf("step error %q does not say what was done", r.Steps[3].Error)
				}
				after, _ := r.Steps[3].After.(map[string][]string)
				must(t, slices.Equal(after[tENI0], []string{tSGIso}) && slices.Equal(after[tENI1], []string{tSGApp}), "after %v", after)
				must(t, slices.Equal(r.Rollback, []string{
					"aws ec2 modify-instance-attribute --instance-id " + tInstance + " --no-disable-api-termination",
					"aws ec2 modify-network-interface-attribute --network-interface-id " + tENI0 + " --groups " + tSGWeb + " " + tSGAdmin,
				}), "rollback %v", r.Rollback)
			},
		},
		{
			name:   "throttled calls are retried",
			params: map[string]any{"snapshot": false, "detach_from_asg": false},
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{
					with(describeInstances(t, instanceFixture{}), ec2Throttled),
					describeInstances(t, instanceFixture{}),
					{Op: "DescribeInstanceAttribute", Reply: attrReply(true)},
					{Op: "DescribeSecurityGroups", Reply: sgReply(sgItem(tSGIso, "warden-isolation", "", ""))},
					{Op: "ModifyNetworkInterfaceAttribute", Reply: ec2Throttled},
					{Op: "ModifyNetworkInterfaceAttribute", Check: form("NetworkInterfaceId", tENI0), Reply: ec2OK("ModifyNetworkInterfaceAttribute")},
					{Op: "ModifyNetworkInterfaceAttribute", Check: form("NetworkInterfaceId", tENI1), Reply: ec2OK("ModifyNetworkInterfaceAttribute")},
					{Op: "DescribeLoadBalancers", Reply: awstest.QueryError(400, "Throttling", "Rate exceeded")},
					{Op: "DescribeLoadBalancers", Reply: classicLBs(false)},
					{Op: "DescribeTargetGroups", Reply: queryReply("DescribeTargetGroups", elbv2NS, "<TargetGroups/>")},
					{Op: "CreateTags", Reply: ec2Throttled},
					{Op: "CreateTags", Reply: ec2OK("CreateTags")},
				}
			},
			steps: []string{"capture-metadata=read", "enable-termination-protection=unchanged", "isolation-group=unchanged",
				"switch-security-groups=changed", "deny-network-acl=skipped", "detach-auto-scaling=skipped",
				"deregister-classic-load-balancers=unchanged", "deregister-target-groups=unchanged", "snapshot-volumes=skipped", "tag-quarantine=changed"},
		},
		{
			name: "dry run: DryRun on every EC2 write, nothing changed", dry: true, params: allOn,
			script: func(t testing.TB) []awstest.Expect {
				dry := form("DryRun", "true")
				return []awstest.Expect{
					describeInstances(t, instanceFixture{}),
					{Op: "DescribeInstanceAttribute", Reply: attrReply(false)},
					{Op: "ModifyInstanceAttribute", Check: checks(dry, form("DisableApiTermination.Value", "true")), Reply: ec2DryRunOK},
					{Op: "DescribeSecurityGroups", Check: isoFilter(), Reply: sgReply()},
					{Op: "CreateSecurityGroup", Check: checks(dry, form("GroupName", "warden-isolation")), Reply: ec2DryRunOK},
					describeACLs(t),
					aclCreate("2", "false", "10.0.1.25/32", true),
					aclCreate("1", "true", "10.0.1.25/32", true),
					aclCreate("3", "false", "2001:db8:1234:1a00::25/128", true),
					aclCreate("2", "true", "2001:db8:1234:1a00::25/128", true),
					aclCreate("4", "false", "10.0.2.40/32", true),
					aclCreate("3", "true", "10.0.2.40/32", true),
					{Op: "DescribeAutoScalingInstances", Reply: asgInstances("InService")},
					{Op: "DescribeLoadBalancers", Reply: classicLBs(true)},
					{Op: "DescribeTargetGroups", Reply: targetGroups()},
					{Op: "DescribeTargetHealth", Reply: targetHealth(tInstance + ":80:healthy")},
					{Op: "DescribeTargetHealth", Reply: targetHealth()},
					with(describeSnapshots(), snapshots()),
					{Op: "CreateSnapshot", Check: checks(dry, form("VolumeId", tVol1)), Reply: ec2DryRunOK},
					{Op: "CreateSnapshot", Check: checks(dry, form("VolumeId", tVol2)), Reply: ec2DryRunOK},
					{Op: "CreateTags", Check: checks(dry, form("Tag.1.Key", "Quarantine")), Reply: ec2DryRunOK},
				}
			},
			steps: []string{"capture-metadata=read", "enable-termination-protection=would-change", "isolation-group=would-change",
				"switch-security-groups=would-change", "deny-network-acl=would-change", "detach-auto-scaling=would-change",
				"deregister-classic-load-balancers=would-change", "deregister-target-groups=would-change", "snapshot-volumes=would-change", "tag-quarantine=would-change"},
			check: func(t *testing.T, r *remediate.Result, srv *awstest.Server) {
				for _, c := range srv.Calls() {
					if writeOps[c.Op] && c.Form.Get("DryRun") != "true" {
						t.Errorf("%s sent without DryRun", c.Op)
					}
				}
				must(t, !r.Changed() && len(r.Rollback) == 0, "changed %t, rollback %v", r.Changed(), r.Rollback)
				must(t, strings.Contains(r.Steps[3].Detail, "does not exist yet"), "switch detail %q", r.Steps[3].Detail)
			},
		},
		{
			name: "dry run with the group in place: UnauthorizedOperation is a failure", dry: true,
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{
					describeInstances(t, instanceFixture{}),
					{Op: "DescribeInstanceAttribute", Reply: attrReply(true)},
					{Op: "DescribeSecurityGroups", Reply: sgReply(sgItem(tSGIso, "warden-isolation", "", ""))},
					{Op: "ModifyNetworkInterfaceAttribute", Check: formHas("DryRun", "true", "NetworkInterfaceId", tENI0), Reply: ec2DryRunOK},
					{Op: "ModifyNetworkInterfaceAttribute", Check: formHas("DryRun", "true", "NetworkInterfaceId", tENI1), Reply: ec2Denied("ec2:ModifyNetworkInterfaceAttribute")},
				}
			},
			steps: []string{"capture-metadata=read", "enable-termination-protection=unchanged", "isolation-group=unchanged", "switch-security-groups=failed"},
			err:   "access denied to ec2:ModifyNetworkInterfaceAttribute",
		},
		{
			name:   "a half-made isolation group is closed, operator rules kept",
			params: map[string]any{"snapshot": false, "detach_from_asg": false, "isolation_group_name": "ir-quarantine"},
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{
					describeInstances(t, instanceFixture{Eni0Groups: groupItems(tSGIso), Eni1Groups: groupItems(tSGIso), ExtraTags: tagItems("Quarantine", "warden-42")}),
					{Op: "DescribeInstanceAttribute", Reply: attrReply(true)},
					{Op: "DescribeSecurityGroups", Check: form("Filter.1.Value.1", "ir-quarantine"), Reply: sgReply(sgItem(tSGIso, "ir-quarantine",
						permXML("-1", -1, -1, "0.0.0.0/0")+permXML("tcp", 22, 22, "sg-0aaaaaaaaaaaaaaaa"),
						permXML("-1", -1, -1, "0.0.0.0/0", "10.0.0.0/8")+permXML("tcp", 443, 443, "pl-6da54004")))},
					{Op: "RevokeSecurityGroupEgress", Check: checks(formHas("GroupId", tSGIso, "IpPermissions.1.IpProtocol", "-1", "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
						formLacks("IpPermissions.1.IpRanges.2.CidrIp", "IpPermissions.2.IpProtocol")), Reply: revokedReply("RevokeSecurityGroupEgress")},
					{Op: "RevokeSecurityGroupIngress", Check: checks(formHas("GroupId", tSGIso, "IpPermissions.1.IpProtocol", "-1", "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
						formLacks("IpPermissions.2.IpProtocol")), Reply: revokedReply("RevokeSecurityGroupIngress")},
					{Op: "DescribeLoadBalancers", Reply: classicLBs(false)},
					{Op: "DescribeTargetGroups", Reply: queryReply("DescribeTargetGroups", elbv2NS, "<TargetGroups/>")},
				}
			},
			steps: []string{"capture-metadata=read", "enable-termination-protection=unchanged", "isolation-group=changed",
				"switch-security-groups=unchanged", "deny-network-acl=skipped", "detach-auto-scaling=skipped",
				"deregister-classic-load-balancers=unchanged", "deregister-target-groups=unchanged", "snapshot-volumes=skipped", "tag-quarantine=unchanged"},
			check: func(t *testing.T, r *remediate.Result, _ *awstest.Server) {
				must(t, slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "kept as operator additions") }), "notes %v", r.Notes)
			},
		},
		{
			name:   "replace in Auto Scaling group",
			params: map[string]any{"snapshot": false, "replace_in_asg": true},
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{
					describeInstances(t, instanceFixture{Eni0Groups: groupItems(tSGIso), Eni1Groups: groupItems(tSGIso), ExtraTags: tagItems("Quarantine", "warden-42")}),
					{Op: "DescribeInstanceAttribute", Reply: attrReply(true)},
					{Op: "DescribeSecurityGroups", Reply: sgReply(sgItem(tSGIso, "warden-isolation", "", ""))},
					{Op: "DescribeAutoScalingInstances", Reply: asgInstances("InService")},
					{Op: "DetachInstances", Check: form("ShouldDecrementDesiredCapacity", "false"), Reply: detachReply(false)},
					{Op: "DescribeLoadBalancers", Reply: classicLBs(false)},
					{Op: "DescribeTargetGroups", Reply: queryReply("DescribeTargetGroups", elbv2NS, "<TargetGroups/>")},
				}
			},
			steps: []string{"capture-metadata=read", "enable-termination-protection=unchanged", "isolation-group=unchanged",
				"switch-security-groups=unchanged", "deny-network-acl=skipped", "detach-auto-scaling=changed",
				"deregister-classic-load-balancers=unchanged", "deregister-target-groups=unchanged", "snapshot-volumes=skipped", "tag-quarantine=unchanged"},
			check: func(t *testing.T, r *remediate.Result, _ *awstest.Server) {
				must(t, slices.Equal(r.Rollback, []string{"aws autoscaling attach-instances --instance-ids " + tInstance + " --auto-scaling-group-name web-asg  # raises the desired capacity by one"}), "rollback %v", r.Rollback)
			},
		},
		{
			name:   "group at minimum size: hint to replace",
			params: map[string]any{"snapshot": false},
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{
					describeInstances(t, instanceFixture{Eni0Groups: groupItems(tSGIso), Eni1Groups: groupItems(tSGIso)}),
					{Op: "DescribeInstanceAttribute", Reply: attrReply(true)},
					{Op: "DescribeSecurityGroups", Reply: sgReply(sgItem(tSGIso, "warden-isolation", "", ""))},
					{Op: "DescribeAutoScalingInstances", Reply: asgInstances("InService")},
					{Op: "DetachInstances", Reply: awstest.QueryError(400, "ValidationError", "Currently, desiredCapacity 1 is below the min size 1 of the Auto Scaling group web-asg. Please ensure that desiredCapacity is greater than or equal to min size.")},
				}
			},
			steps: []string{"capture-metadata=read", "enable-termination-protection=unchanged", "isolation-group=unchanged",
				"switch-security-groups=unchanged", "deny-network-acl=skipped", "detach-auto-scaling=failed"},
			err: "set params.replace_in_asg",
		},
		{
			name: "instance in another account", params: nil,
			script: func(t testing.TB) []awstest.Expect {
				return []awstest.Expect{with(describeInstances(t, instanceFixture{}), awstest.Reply{Body: strings.Replace(renderFixture(t, "describe-instances.xml", instanceFixture{State: "running", StateCode: 16, Eni0Groups: groupItems(tSGWeb), Eni1Groups: groupItems(tSGApp)}), "<ownerId>111122223333</ownerId>", "<ownerId>999988887777</ownerId>", 1)})}
			},
			steps: []string{"capture-metadata=failed"}, err: "belongs to account 999988887777", is: remediate.ErrNotApplicable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script(t)...)
			r, err := runPB(t, "ec2-isolate", ec2Env(srv, tt.dry), &remediate.Request{Resources: instance, Params: tt.params})
			isolateActions.add(srv)
			wantErr(t, err, tt.err, tt.is)
			wantSteps(t, r, tt.steps...)
			if tt.check != nil {
				tt.check(t, r, srv)
			}
		})
	}
}

func TestEC2IsolateNotApplicable(t *testing.T) {
	srv := awstest.New(t)
	for _, req := range []remediate.Request{
		{Resources: res("AwsS3Bucket", "arn:aws:s3:::b")},
		{Resources: res("AwsEc2Instance", tInstance), Params: map[string]any{"isolation_group_name": "sg-evil"}},
		{Resources: res("AwsEc2Instance", tInstance), Params: map[string]any{"isolation_group_name": "bad\nname"}},
		{Resources: res("AwsEc2Instance", tInstance), CaseID: "a b"},
	} {
		r, err := runPB(t, "ec2-isolate", ec2Env(srv, false), &req)
		wantErr(t, err, "not applicable", remediate.ErrNotApplicable)
		must(t, len(r.Steps) == 0, "steps %v", stepStatuses(r))
	}
}

func TestFreeRuleNumber(t *testing.T) {
	// A full direction has no free number.
	acl := aclWith(32766)
	if n := freeRuleNumber(acl, false, map[string]bool{}); n != 0 {
		t.Errorf("full ACL gave rule %d", n)
	}
	if n := freeRuleNumber(acl, true, map[string]bool{}); n != 1 {
		t.Errorf("egress gave rule %d, want 1", n)
	}
}

// aclWith is a network ACL whose inbound rules 1..n are taken.
func aclWith(n int32) *ec2types.NetworkAcl {
	acl := &ec2types.NetworkAcl{NetworkAclId: aws.String(tACL)}
	for i := int32(1); i <= n; i++ {
		acl.Entries = append(acl.Entries, ec2types.NetworkAclEntry{RuleNumber: aws.Int32(i), Egress: aws.Bool(false), RuleAction: ec2types.RuleActionAllow, Protocol: aws.String("-1")})
	}
	return acl
}

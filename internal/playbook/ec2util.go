package playbook

// Helpers of the EC2 playbooks (ec2-isolate, sg-revoke-world-ingress,
// ssm-capture-memory): which instance or security group a request names,
// EC2's DryRun convention, the case id, and quoting for rollback notes.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// ec2Kind describes one kind of EC2 resource a finding can name.
type ec2Kind struct {
	what       string         // "instance", "security group": for messages
	asffType   string         // ASFF resource type
	arnPrefix  string         // ARN resource prefix: "instance/"
	configType string         // AWS Config resource type
	id         *regexp.Regexp // the resource id's shape
	// docPaths are where the finding's document may name the resource, in
	// order: ASFF details, GuardDuty resource details, CloudTrail request
	// parameters. Each path is tried at the top and under "detail" (the
	// EventBridge envelope).
	docPaths [][]string
}

var (
	instanceKind = ec2Kind{
		what: "instance", asffType: "AwsEc2Instance", arnPrefix: "instance/",
		configType: "AWS::EC2::Instance",
		id:         regexp.MustCompile(`^i-[0-9a-f]{8}([0-9a-f]{9})?$`),
		docPaths: [][]string{
			{"resource", "instanceDetails", "instanceId"},                // GuardDuty
			{"requestParameters", "instanceId"},                          // CloudTrail, most EC2 calls
			{"requestParameters", "instancesSet", "items", "instanceId"}, // RunInstances, StopInstances, …
			{"requestParameters", "resourcesSet", "items", "resourceId"}, // CreateTags, DeleteTags
		},
	}
	securityGroupKind = ec2Kind{
		what: "security group", asffType: "AwsEc2SecurityGroup", arnPrefix: "security-group/",
		configType: "AWS::EC2::SecurityGroup",
		id:         regexp.MustCompile(`^sg-[0-9a-f]{8}([0-9a-f]{9})?$`),
		docPaths: [][]string{
			{"Resources", "Details", "AwsEc2SecurityGroup", "GroupId"}, // ASFF
			{"requestParameters", "groupId"},                           // CloudTrail
		},
	}
)

// resolveEC2 returns the id of the instance or security group the request
// names, and any further distinct ones it also names. Sources, in order:
// resources of the kind's ASFF type (a bare id or an ARN), any resource
// whose id is an ARN of that kind, the ASFF Resources in the document, an
// AWS Config event's resourceId, then the kind's document paths. Ids of
// the wrong shape are ignored (the finding is attacker-influenced); an
// ARN or resource that places the resource in another account or region
// than the run's is an error, as the run's credentials cannot reach it.
func resolveEC2(req *remediate.Request, region string, k ec2Kind) (string, []string, error) {
	var ids, seen []string
	var misplaced error
	add := func(raw, resRegion string) {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return
		}
		id := raw
		if strings.HasPrefix(raw, "arn:") {
			a, err := arn.Parse(raw)
			if err != nil || a.Service != "ec2" || !strings.HasPrefix(a.Resource, k.arnPrefix) {
				return // another kind of resource
			}
			id = strings.TrimPrefix(a.Resource, k.arnPrefix)
			switch {
			case a.Region != "" && region != "" && a.Region != region:
				misplaced = fmt.Errorf("%s %s is in region %s; this run is in %s", k.what, id, a.Region, region)
				return
			case a.AccountID != "" && req.AccountID != "" && a.AccountID != req.AccountID:
				misplaced = fmt.Errorf("%s %s belongs to account %s; this run is in %s", k.what, id, a.AccountID, req.AccountID)
				return
			}
		}
		if resRegion != "" && region != "" && resRegion != region {
			misplaced = fmt.Errorf("%s %s is in region %s; this run is in %s", k.what, id, resRegion, region)
			return
		}
		seen = append(seen, raw)
		if k.id.MatchString(id) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, r := range req.Resources {
		if r.Type == k.asffType {
			add(r.ID, r.Region)
		}
	}
	for _, r := range req.Resources {
		if r.Type != k.asffType && strings.HasPrefix(r.ID, "arn:") {
			add(r.ID, r.Region)
		}
	}
	var doc any
	if len(req.Doc) > 0 {
		_ = json.Unmarshal(req.Doc, &doc) // a broken document just names nothing
	}
	if len(ids) == 0 && doc != nil {
		for _, top := range [][]string{nil, {"detail"}} {
			// ASFF Resources of the kind's type.
			for _, r := range ec2DocValues(doc, append(slices.Clone(top), "Resources")) {
				if m, ok := r.(map[string]any); ok && m["Type"] == k.asffType {
					s, _ := m["Id"].(string)
					reg, _ := m["Region"].(string)
					add(s, reg)
				}
			}
			// AWS Config compliance change.
			if t := ec2DocStrings(doc, append(slices.Clone(top), "resourceType")); slices.Contains(t, k.configType) {
				for _, s := range ec2DocStrings(doc, append(slices.Clone(top), "resourceId")) {
					add(s, "")
				}
			}
			for _, p := range k.docPaths {
				for _, s := range ec2DocStrings(doc, append(slices.Clone(top), p...)) {
					add(s, "")
				}
			}
		}
	}
	switch {
	case len(ids) > 0:
		return ids[0], ids[1:], nil
	case misplaced != nil:
		return "", nil, fmt.Errorf("%w: %w", misplaced, remediate.ErrNotApplicable)
	case len(seen) > 0:
		return "", nil, notApplicable("the finding names no valid %s id (saw %s)", k.what, strings.Join(ec2Clip(seen, 5), ", "))
	}
	return "", nil, notApplicable("the finding names no %s (no %s resource, no %s in its document)", k.what, k.asffType, k.what+" id")
}

// resolveInstance returns the EC2 instance a request names.
func resolveInstance(req *remediate.Request, region string) (string, []string, error) {
	return resolveEC2(req, region, instanceKind)
}

// resolveSecurityGroup returns the security group a request names.
func resolveSecurityGroup(req *remediate.Request, region string) (string, []string, error) {
	return resolveEC2(req, region, securityGroupKind)
}

// ec2DocValues returns every value at path in a decoded JSON document;
// arrays on the way are entered element by element.
func ec2DocValues(v any, path []string) []any {
	if len(path) == 0 {
		if l, ok := v.([]any); ok {
			return l
		}
		if v == nil {
			return nil
		}
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		return ec2DocValues(x[path[0]], path[1:])
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, ec2DocValues(e, path)...)
		}
		return out
	}
	return nil
}

// ec2DocStrings returns the strings among ec2DocValues.
func ec2DocStrings(v any, path []string) []string {
	var out []string
	for _, e := range ec2DocValues(v, path) {
		if s, ok := e.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ec2Clip returns at most n values, quoted, for messages.
func ec2Clip(vals []string, n int) []string {
	out := make([]string, 0, n+1)
	for i, v := range vals {
		if i == n {
			out = append(out, fmt.Sprintf("and %d more", len(vals)-n))
			break
		}
		if len(v) > 80 {
			v = v[:80] + "…"
		}
		out = append(out, fmt.Sprintf("%q", v))
	}
	return out
}

// caseRe is what a case id may contain where it is written into names,
// filters and shell commands.
var caseRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)

// ec2CaseID returns the request's case id ("warden-<job id>" when the
// caller set none). It is written into tags, snapshot descriptions and
// shell commands, so it must be a plain token.
func ec2CaseID(req *remediate.Request) (string, error) {
	c := req.CaseID
	if c == "" && req.JobID > 0 {
		c = fmt.Sprintf("warden-%d", req.JobID)
	}
	if !caseRe.MatchString(c) {
		return "", notApplicable("case id %q is not a plain token (letters, digits, . _ : -, at most 100)", c)
	}
	return c, nil
}

// ec2Write makes a mutating EC2 call. In a dry run it sends the call with
// DryRun=true: EC2 then checks the permission and the request and answers
// DryRunOperation ("would succeed") instead of acting, so the step
// reports would-change; UnauthorizedOperation is a failure naming the
// permission. call gets the DryRun value to send.
func ec2Write(dryRun bool, action string, call func(dry *bool) error) error {
	if !dryRun {
		if err := call(nil); err != nil {
			return callError(action, err)
		}
		return nil
	}
	err := call(aws.Bool(true))
	switch {
	case errorCode(err) == "DryRunOperation":
		return nil
	case err == nil:
		// Never expected: a DryRun call that succeeded may have acted.
		return fmt.Errorf("%s: the endpoint ignored DryRun and answered success", action)
	}
	return callError(action, err)
}

// ec2Status is the status of a step that changed (or in a dry run, would
// have changed) something.
func ec2Status(dryRun bool) remediate.StepStatus {
	if dryRun {
		return remediate.StepWouldChange
	}
	return remediate.StepChanged
}

// ec2Tags turns EC2 tags into a map.
func ec2Tags(tags []ec2types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// ec2Failure adds to a failed run's error what the run had already
// changed, so nothing half-done goes unreported; the steps and rollback
// notes hold the details.
func ec2Failure(err error, changes []string) error {
	if err == nil {
		return nil
	}
	if len(changes) == 0 {
		return fmt.Errorf("%w (nothing was changed)", err)
	}
	return fmt.Errorf("%w; already changed before the failure (see the rollback notes): %s", err, strings.Join(changes, "; "))
}

// rollbackQuote quotes s for a POSIX shell when it is not a plain word, so
// rollback notes can be pasted even with names that hold odd characters.
func rollbackQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isGoneCode reports EC2 "does not exist" error codes.
func isGoneCode(code string) bool {
	return strings.HasSuffix(code, ".NotFound") && code != "InvalidPermission.NotFound"
}

// instanceMetadata is the captured state of the instance (evidence).
type instanceMetadata struct {
	InstanceID         string            `json:"instance_id"`
	OwnerID            string            `json:"owner_id,omitempty"`
	InstanceType       string            `json:"instance_type"`
	ImageID            string            `json:"image_id"`
	LaunchTime         string            `json:"launch_time,omitempty"`
	State              string            `json:"state"`
	Lifecycle          string            `json:"lifecycle,omitempty"`
	AvailabilityZone   string            `json:"availability_zone,omitempty"`
	VpcID              string            `json:"vpc_id,omitempty"`
	SubnetID           string            `json:"subnet_id,omitempty"`
	PrivateIP          string            `json:"private_ip,omitempty"`
	PublicIP           string            `json:"public_ip,omitempty"`
	IAMInstanceProfile string            `json:"iam_instance_profile,omitempty"`
	KeyName            string            `json:"key_name,omitempty"`
	NetworkInterfaces  []eniMetadata     `json:"network_interfaces"`
	BlockDevices       []blockDevice     `json:"block_devices"`
	Tags               map[string]string `json:"tags,omitempty"`
}

type eniMetadata struct {
	ID             string   `json:"id"`
	VpcID          string   `json:"vpc_id"`
	SubnetID       string   `json:"subnet_id"`
	DeviceIndex    int32    `json:"device_index"`
	PrivateIPs     []string `json:"private_ips,omitempty"`
	IPv6Addresses  []string `json:"ipv6_addresses,omitempty"`
	PublicIP       string   `json:"public_ip,omitempty"`
	SecurityGroups []string `json:"security_groups"`
}

type blockDevice struct {
	DeviceName          string `json:"device_name"`
	VolumeID            string `json:"volume_id,omitempty"`
	DeleteOnTermination bool   `json:"delete_on_termination,omitempty"`
}

func instanceState(i *ec2types.Instance) string {
	if i.State == nil {
		return ""
	}
	return string(i.State.Name)
}

func metadataOf(i *ec2types.Instance, owner string) instanceMetadata {
	m := instanceMetadata{
		InstanceID: aws.ToString(i.InstanceId), OwnerID: owner, InstanceType: string(i.InstanceType),
		ImageID: aws.ToString(i.ImageId), State: instanceState(i), Lifecycle: string(i.InstanceLifecycle),
		VpcID: aws.ToString(i.VpcId), SubnetID: aws.ToString(i.SubnetId),
		PrivateIP: aws.ToString(i.PrivateIpAddress), PublicIP: aws.ToString(i.PublicIpAddress),
		KeyName: aws.ToString(i.KeyName), Tags: ec2Tags(i.Tags),
		NetworkInterfaces: []eniMetadata{}, BlockDevices: []blockDevice{},
	}
	if i.LaunchTime != nil {
		m.LaunchTime = i.LaunchTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	if i.Placement != nil {
		m.AvailabilityZone = aws.ToString(i.Placement.AvailabilityZone)
	}
	if i.IamInstanceProfile != nil {
		m.IAMInstanceProfile = aws.ToString(i.IamInstanceProfile.Arn)
	}
	for _, n := range i.NetworkInterfaces {
		e := eniMetadata{ID: aws.ToString(n.NetworkInterfaceId), VpcID: aws.ToString(n.VpcId), SubnetID: aws.ToString(n.SubnetId), SecurityGroups: []string{}}
		if n.Attachment != nil {
			e.DeviceIndex = aws.ToInt32(n.Attachment.DeviceIndex)
		}
		if n.Association != nil {
			e.PublicIP = aws.ToString(n.Association.PublicIp)
		}
		for _, p := range n.PrivateIpAddresses {
			e.PrivateIPs = append(e.PrivateIPs, aws.ToString(p.PrivateIpAddress))
		}
		if len(e.PrivateIPs) == 0 && n.PrivateIpAddress != nil {
			e.PrivateIPs = []string{aws.ToString(n.PrivateIpAddress)}
		}
		for _, a := range n.Ipv6Addresses {
			e.IPv6Addresses = append(e.IPv6Addresses, aws.ToString(a.Ipv6Address))
		}
		for _, g := range n.Groups {
			e.SecurityGroups = append(e.SecurityGroups, aws.ToString(g.GroupId))
		}
		m.NetworkInterfaces = append(m.NetworkInterfaces, e)
	}
	slices.SortFunc(m.NetworkInterfaces, func(a, b eniMetadata) int { return int(a.DeviceIndex - b.DeviceIndex) })
	for _, b := range i.BlockDeviceMappings {
		d := blockDevice{DeviceName: aws.ToString(b.DeviceName)}
		if b.Ebs != nil {
			d.VolumeID, d.DeleteOnTermination = aws.ToString(b.Ebs.VolumeId), aws.ToBool(b.Ebs.DeleteOnTermination)
		}
		m.BlockDevices = append(m.BlockDevices, d)
	}
	return m
}

// volumes returns the EBS volumes.
func (m *instanceMetadata) volumes() []blockDevice {
	var out []blockDevice
	for _, b := range m.BlockDevices {
		if b.VolumeID != "" {
			out = append(out, b)
		}
	}
	return out
}

// vpcs returns the VPCs of the interfaces, the instance's own first.
func (m *instanceMetadata) vpcs() []string {
	var out []string
	if m.VpcID != "" {
		out = append(out, m.VpcID)
	}
	for _, n := range m.NetworkInterfaces {
		if n.VpcID != "" && !slices.Contains(out, n.VpcID) {
			out = append(out, n.VpcID)
		}
	}
	return out
}

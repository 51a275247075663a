package playbook

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// EC2Isolate contains a suspect EC2 instance in the incident response
// guide's order: capture its metadata, enable termination protection,
// move every network interface to an isolation security group (one per
// VPC, no rules), optionally deny its addresses in the subnets' network
// ACLs, detach it from its Auto Scaling group, deregister it from Classic
// Load Balancers and target groups, snapshot its EBS volumes and tag it
// Quarantine=<case id>. Every step reads the live state first and does
// only what is not done yet; doc.go has the parameters.
type EC2Isolate struct{}

// Name implements remediate.Playbook.
func (EC2Isolate) Name() string { return "ec2-isolate" }

// Names and tags the playbook writes.
const (
	defaultIsolationGroup = "warden-isolation"
	quarantineTag         = "Quarantine"
	caseTagKey            = "warden:case"
	instanceTagKey        = "warden:instance"
	purposeTagKey         = "warden:purpose"
)

// groupNameRe is what EC2 accepts as a VPC security group name.
var groupNameRe = regexp.MustCompile(`^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}$`)

// isolateOptions are the playbook's parameters.
type isolateOptions struct {
	groupName    string
	snapshot     bool
	detachASG    bool
	replaceInASG bool
	cutTracked   bool
}

func isolateOptionsOf(req *remediate.Request) (isolateOptions, error) {
	o := isolateOptions{
		groupName:    paramString(req, "isolation_group_name"),
		snapshot:     paramBool(req, "snapshot", true),
		detachASG:    paramBool(req, "detach_from_asg", true),
		replaceInASG: paramBool(req, "replace_in_asg", false),
		cutTracked:   paramBool(req, "cut_tracked_connections", false),
	}
	if o.groupName == "" {
		o.groupName = defaultIsolationGroup
	}
	if !groupNameRe.MatchString(o.groupName) || strings.HasPrefix(strings.ToLower(o.groupName), "sg-") {
		return o, notApplicable("params.isolation_group_name %q is not a valid security group name", o.groupName)
	}
	return o, nil
}

// Run implements remediate.Playbook.
func (EC2Isolate) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	id, more, err := resolveInstance(req, env.AWS.Region)
	if err != nil {
		return err
	}
	caseID, err := ec2CaseID(req)
	if err != nil {
		return err
	}
	opt, err := isolateOptionsOf(req)
	if err != nil {
		return err
	}
	if len(more) > 0 {
		rec.Note(fmt.Sprintf("The finding also names %s; this run isolates %s only. Run the playbook once per instance.", strings.Join(more, ", "), id))
	}
	r := &isolation{
		ctx: ctx, req: req, rec: rec, opt: opt, id: id, caseID: caseID, dry: env.DryRun,
		ec2:   ec2.NewFromConfig(env.AWS),
		asg:   autoscaling.NewFromConfig(env.AWS),
		elb:   elasticloadbalancing.NewFromConfig(env.AWS),
		elbv2: elasticloadbalancingv2.NewFromConfig(env.AWS),
	}
	return ec2Failure(r.run(), r.changes)
}

// isolation is one ec2-isolate run.
type isolation struct {
	ctx    context.Context
	req    *remediate.Request
	rec    *remediate.Recorder
	opt    isolateOptions
	id     string
	caseID string
	dry    bool

	ec2   *ec2.Client
	asg   *autoscaling.Client
	elb   *elasticloadbalancing.Client
	elbv2 *elasticloadbalancingv2.Client

	inst ec2types.Instance
	meta instanceMetadata
	// groups maps each VPC of the instance's interfaces to its isolation
	// group ("" in a dry run when the group does not exist yet).
	groups map[string]string
	// changes lists what this run changed, in order, for the error of a
	// run that fails half-way.
	changes []string
}

func (r *isolation) run() error {
	steps := []func() error{
		r.capture,           // 1
		r.protect,           // 2
		r.isolationGroups,   // 3
		r.switchGroups,      // 3
		r.denyNetworkACL,    // 3, opt-in: cut tracked connections
		r.detachAutoScaling, // 4
		r.deregisterClassic, // 5
		r.deregisterTargets, // 5
		r.snapshotVolumes,   // 6
		r.tagQuarantine,     // 7
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (r *isolation) changed(format string, args ...any) {
	r.changes = append(r.changes, fmt.Sprintf(format, args...))
}

// ec2Calls collects the API calls of a step for Step.Request.
type ec2Calls []map[string]any

func (c *ec2Calls) add(op string, kv ...any) {
	m := map[string]any{"operation": op}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "dry_run" && kv[i+1] == false {
			continue // recorded only when set
		}
		m[kv[i].(string)] = kv[i+1]
	}
	*c = append(*c, m)
}

// into stores the calls in the step (deferred at the start of a step).
func (c *ec2Calls) into(s *remediate.Step) {
	if len(*c) > 0 {
		s.Request = []map[string]any(*c)
	}
}

// 1. Capture the instance's metadata: the live state every later step
// acts on (the finding may be stale or forged).
func (r *isolation) capture() error {
	return r.rec.Step("capture-metadata", false, func(s *remediate.Step) error {
		s.Request = map[string]any{"operation": "ec2:DescribeInstances", "instance_ids": []string{r.id}}
		out, err := r.ec2.DescribeInstances(r.ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{r.id}})
		if err != nil {
			if isGoneCode(errorCode(err)) {
				return goneError("instance "+r.id, err)
			}
			return callError("ec2:DescribeInstances", err)
		}
		var inst *ec2types.Instance
		var owner string
		for _, res := range out.Reservations {
			for i := range res.Instances {
				if aws.ToString(res.Instances[i].InstanceId) == r.id {
					inst, owner = &res.Instances[i], aws.ToString(res.OwnerId)
				}
			}
		}
		if inst == nil {
			return goneError("instance "+r.id+" (not returned by DescribeInstances)", nil)
		}
		if r.req.AccountID != "" && owner != "" && owner != r.req.AccountID {
			return notApplicable("instance %s belongs to account %s, not the finding's %s", r.id, owner, r.req.AccountID)
		}
		if st := instanceState(inst); st == "terminated" || st == "shutting-down" {
			return goneError(fmt.Sprintf("instance %s is %s", r.id, st), nil)
		}
		r.inst, r.meta = *inst, metadataOf(inst, owner)
		r.rec.Evidence("metadata", r.meta)
		s.After = map[string]any{"state": r.meta.State, "vpc_id": r.meta.VpcID, "network_interfaces": len(r.meta.NetworkInterfaces), "volumes": len(r.meta.volumes())}
		s.Detail = fmt.Sprintf("instance %s (%s, %s) in %s: %d network interface(s), %d EBS volume(s)",
			r.id, r.meta.InstanceType, r.meta.State, r.meta.VpcID, len(r.meta.NetworkInterfaces), len(r.meta.volumes()))
		return nil
	})
}

// 2. Enable termination protection.
func (r *isolation) protect() error {
	return r.rec.Step("enable-termination-protection", false, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		if r.inst.InstanceLifecycle == ec2types.InstanceLifecycleTypeSpot {
			s.Status, s.Detail = remediate.StepSkipped, "Spot Instances cannot have termination protection"
			return nil
		}
		calls.add("ec2:DescribeInstanceAttribute", "instance_id", r.id, "attribute", "disableApiTermination")
		out, err := r.ec2.DescribeInstanceAttribute(r.ctx, &ec2.DescribeInstanceAttributeInput{
			InstanceId: aws.String(r.id), Attribute: ec2types.InstanceAttributeNameDisableApiTermination,
		})
		if err != nil {
			if isGoneCode(errorCode(err)) {
				return goneError("instance "+r.id, err)
			}
			return callError("ec2:DescribeInstanceAttribute", err)
		}
		before := out.DisableApiTermination != nil && aws.ToBool(out.DisableApiTermination.Value)
		s.Before = map[string]bool{"disable_api_termination": before}
		if before {
			s.Status, s.After, s.Detail = remediate.StepUnchanged, s.Before, "termination protection already enabled"
			return nil
		}
		calls.add("ec2:ModifyInstanceAttribute", "instance_id", r.id, "disable_api_termination", true, "dry_run", r.dry)
		err = ec2Write(r.dry, "ec2:ModifyInstanceAttribute", func(dry *bool) error {
			_, err := r.ec2.ModifyInstanceAttribute(r.ctx, &ec2.ModifyInstanceAttributeInput{
				InstanceId: aws.String(r.id), DisableApiTermination: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}, DryRun: dry,
			})
			return err
		})
		if err != nil {
			return err
		}
		s.Status, s.After = ec2Status(r.dry), map[string]bool{"disable_api_termination": true}
		s.Detail = "termination protection enabled"
		if !r.dry {
			r.changed("termination protection enabled on %s", r.id)
			r.rec.Rollback(fmt.Sprintf("aws ec2 modify-instance-attribute --instance-id %s --no-disable-api-termination", r.id))
		}
		return nil
	})
}

// 8 (guide step 7). Tag the instance Quarantine=<case id>.
func (r *isolation) tagQuarantine() error {
	return r.rec.Step("tag-quarantine", false, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		prev, had := r.meta.Tags[quarantineTag]
		s.Before = map[string]any{quarantineTag: ec2NilIfAbsent(prev, had)}
		if had && prev == r.caseID {
			s.Status, s.After, s.Detail = remediate.StepUnchanged, s.Before, "already tagged "+quarantineTag+"="+r.caseID
			return nil
		}
		calls.add("ec2:CreateTags", "resources", []string{r.id}, "tags", map[string]string{quarantineTag: r.caseID}, "dry_run", r.dry)
		err := ec2Write(r.dry, "ec2:CreateTags", func(dry *bool) error {
			_, err := r.ec2.CreateTags(r.ctx, &ec2.CreateTagsInput{
				Resources: []string{r.id}, DryRun: dry,
				Tags: []ec2types.Tag{{Key: aws.String(quarantineTag), Value: aws.String(r.caseID)}},
			})
			return err
		})
		if err != nil {
			return err
		}
		s.Status, s.After = ec2Status(r.dry), map[string]any{quarantineTag: r.caseID}
		s.Detail = "tagged " + quarantineTag + "=" + r.caseID
		if had {
			s.Detail += " (was " + prev + ")"
		}
		r.rec.Evidence("quarantine_tag", quarantineTag+"="+r.caseID)
		if !r.dry {
			r.changed("tagged %s %s=%s", r.id, quarantineTag, r.caseID)
			if had {
				r.rec.Rollback(fmt.Sprintf("aws ec2 create-tags --resources %s --tags %s", r.id, rollbackQuote("Key="+quarantineTag+",Value="+prev)))
			} else {
				r.rec.Rollback(fmt.Sprintf("aws ec2 delete-tags --resources %s --tags Key=%s", r.id, quarantineTag))
			}
		}
		return nil
	})
}

func ec2NilIfAbsent(v string, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

// 7 (guide step 6). Snapshot every EBS volume, once per case.
func (r *isolation) snapshotVolumes() error {
	return r.rec.Step("snapshot-volumes", false, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		if !r.opt.snapshot {
			s.Status, s.Detail = remediate.StepSkipped, "not enabled (params.snapshot is false)"
			return nil
		}
		vols := r.meta.volumes()
		if len(vols) == 0 {
			s.Status, s.Detail = remediate.StepUnchanged, "the instance has no EBS volumes (instance store is not snapshotted)"
			return nil
		}
		ids := make([]string, len(vols))
		for i, v := range vols {
			ids[i] = v.VolumeID
		}
		calls.add("ec2:DescribeSnapshots", "owner_ids", []string{"self"}, "filters", map[string]any{"tag:" + caseTagKey: []string{r.caseID}, "volume-id": ids})
		snaps := map[string]string{}
		p := ec2.NewDescribeSnapshotsPaginator(r.ec2, &ec2.DescribeSnapshotsInput{
			OwnerIds: []string{"self"},
			Filters: []ec2types.Filter{
				{Name: aws.String("tag:" + caseTagKey), Values: []string{r.caseID}},
				{Name: aws.String("volume-id"), Values: ids},
			},
		})
		for p.HasMorePages() {
			out, err := p.NextPage(r.ctx)
			if err != nil {
				return callError("ec2:DescribeSnapshots", err)
			}
			for _, sn := range out.Snapshots {
				if sn.State != ec2types.SnapshotStateError && snaps[aws.ToString(sn.VolumeId)] == "" {
					snaps[aws.ToString(sn.VolumeId)] = aws.ToString(sn.SnapshotId)
				}
			}
		}
		s.Before = ec2CopyMap(snaps)
		var created []string
		for _, v := range vols {
			if snaps[v.VolumeID] != "" {
				continue
			}
			desc := fmt.Sprintf("Warden case %s: %s %s of %s", r.caseID, v.VolumeID, v.DeviceName, r.id)
			calls.add("ec2:CreateSnapshot", "volume_id", v.VolumeID, "description", desc, "dry_run", r.dry)
			var snap string
			err := ec2Write(r.dry, "ec2:CreateSnapshot", func(dry *bool) error {
				out, err := r.ec2.CreateSnapshot(r.ctx, &ec2.CreateSnapshotInput{
					VolumeId: aws.String(v.VolumeID), Description: aws.String(desc), DryRun: dry,
					TagSpecifications: []ec2types.TagSpecification{{
						ResourceType: ec2types.ResourceTypeSnapshot,
						Tags: []ec2types.Tag{
							{Key: aws.String(caseTagKey), Value: aws.String(r.caseID)},
							{Key: aws.String(instanceTagKey), Value: aws.String(r.id)},
							{Key: aws.String("Name"), Value: aws.String(r.caseID + " " + r.id + " " + v.DeviceName)},
						},
					}},
				})
				if err == nil {
					snap = aws.ToString(out.SnapshotId)
				}
				return err
			})
			if err != nil {
				s.After = ec2CopyMap(snaps)
				return err
			}
			created = append(created, v.VolumeID)
			if !r.dry {
				snaps[v.VolumeID] = snap
				r.changed("created snapshot %s of %s", snap, v.VolumeID)
			}
		}
		s.After = ec2CopyMap(snaps)
		if len(snaps) > 0 {
			r.rec.Evidence("snapshot_ids", ec2CopyMap(snaps))
		}
		switch {
		case len(created) == 0:
			s.Status, s.Detail = remediate.StepUnchanged, fmt.Sprintf("all %d volume(s) already have a snapshot for case %s", len(vols), r.caseID)
		case r.dry:
			s.Status, s.Detail = remediate.StepWouldChange, "would snapshot "+strings.Join(created, ", ")
		default:
			s.Status, s.Detail = remediate.StepChanged, "snapshot started for "+strings.Join(created, ", ")
			r.rec.Note("EBS snapshots complete asynchronously; they are evidence for case " + r.caseID + " (tag " + caseTagKey + ") and are not removed by rollback.")
		}
		return nil
	})
}

// ec2CopyMap copies a string map (nil when empty) so a step's Before and After
// do not share one map.
func ec2CopyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// 3a. Find or create the isolation group of each VPC the instance's
// interfaces are in. A group the playbook creates has no rules at all (the
// default allow-all egress rule is revoked). An existing group of that
// name keeps the narrower rules an operator added (forensic access, SSM
// endpoints) but never an all-traffic rule to or from anywhere.
func (r *isolation) isolationGroups() error {
	return r.rec.Step("isolation-group", false, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		vpcs := r.meta.vpcs()
		if len(vpcs) == 0 {
			return notApplicable("instance %s has no network interface in a VPC", r.id)
		}
		r.groups = map[string]string{}
		var did []string
		for _, vpc := range vpcs {
			calls.add("ec2:DescribeSecurityGroups", "filters", map[string]any{"group-name": []string{r.opt.groupName}, "vpc-id": []string{vpc}})
			out, err := r.ec2.DescribeSecurityGroups(r.ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
				{Name: aws.String("group-name"), Values: []string{r.opt.groupName}},
				{Name: aws.String("vpc-id"), Values: []string{vpc}},
			}})
			if err != nil {
				return callError("ec2:DescribeSecurityGroups", err)
			}
			if len(out.SecurityGroups) > 0 {
				g := &out.SecurityGroups[0]
				r.groups[vpc] = aws.ToString(g.GroupId)
				n, err := r.closeGroup(&calls, g, false)
				if err != nil {
					return err
				}
				if n > 0 {
					did = append(did, fmt.Sprintf("revoked %d all-traffic rule(s) to or from anywhere in %s", n, aws.ToString(g.GroupId)))
				}
				if in, eg := len(g.IpPermissions), len(g.IpPermissionsEgress); in+eg > n {
					r.rec.Note(fmt.Sprintf("Isolation group %s (%s) has rules besides the ones this run revoked (%d inbound, %d outbound permission sets before); they were kept as operator additions (forensic access, SSM endpoints): review them.", aws.ToString(g.GroupId), vpc, in, eg))
				}
				continue
			}
			gid, err := r.createGroup(&calls, vpc)
			if err != nil {
				return err
			}
			r.groups[vpc] = gid
			if r.dry {
				did = append(did, "would create "+r.opt.groupName+" in "+vpc)
			} else {
				did = append(did, "created "+gid+" in "+vpc)
			}
		}
		s.After = ec2CopyMap(r.groups)
		if gid := r.groups[vpcs[0]]; gid != "" {
			r.rec.Evidence("isolation_group_id", gid)
		}
		if len(vpcs) > 1 {
			r.rec.Evidence("isolation_groups", ec2CopyMap(r.groups))
		}
		if len(did) == 0 {
			s.Status, s.Detail = remediate.StepUnchanged, "isolation group "+r.opt.groupName+" exists in "+strings.Join(vpcs, ", ")
			return nil
		}
		s.Status, s.Detail = ec2Status(r.dry), strings.Join(did, "; ")
		return nil
	})
}

// createGroup creates the isolation group of vpc and revokes its default
// egress rule. In a dry run it checks CreateSecurityGroup and returns "".
func (r *isolation) createGroup(calls *ec2Calls, vpc string) (string, error) {
	calls.add("ec2:CreateSecurityGroup", "group_name", r.opt.groupName, "vpc_id", vpc, "dry_run", r.dry)
	var gid string
	err := ec2Write(r.dry, "ec2:CreateSecurityGroup", func(dry *bool) error {
		out, err := r.ec2.CreateSecurityGroup(r.ctx, &ec2.CreateSecurityGroupInput{
			GroupName: aws.String(r.opt.groupName), VpcId: aws.String(vpc), DryRun: dry,
			Description: aws.String("Warden isolation: no inbound or outbound rules"),
			TagSpecifications: []ec2types.TagSpecification{{
				ResourceType: ec2types.ResourceTypeSecurityGroup,
				Tags: []ec2types.Tag{
					{Key: aws.String("Name"), Value: aws.String(r.opt.groupName)},
					{Key: aws.String(purposeTagKey), Value: aws.String("isolation")},
				},
			}},
		})
		if err == nil {
			gid = aws.ToString(out.GroupId)
		}
		return err
	})
	if err != nil || r.dry {
		return "", err
	}
	r.changed("created isolation group %s in %s", gid, vpc)
	r.rec.Rollback(fmt.Sprintf("aws ec2 delete-security-group --group-id %s  # once no network interface uses it", gid))
	// Read the new group's rules rather than assume them: the default
	// egress rule covers ::/0 too when the VPC has IPv6.
	calls.add("ec2:DescribeSecurityGroups", "group_ids", []string{gid})
	out, err := r.ec2.DescribeSecurityGroups(r.ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{gid}})
	if err != nil {
		return "", callError("ec2:DescribeSecurityGroups", err)
	}
	if len(out.SecurityGroups) == 0 {
		return "", fmt.Errorf("new isolation group %s is not visible yet; run again to finish", gid)
	}
	if _, err := r.closeGroup(calls, &out.SecurityGroups[0], true); err != nil {
		return "", err
	}
	return gid, nil
}

// closeGroup revokes the group's egress rules (all of them for a group
// this run created, else the all-traffic ones to anywhere) and its
// all-traffic ingress rules from anywhere. It returns how many permission
// sets it revoked (or would revoke).
func (r *isolation) closeGroup(calls *ec2Calls, g *ec2types.SecurityGroup, created bool) (int, error) {
	gid := aws.ToString(g.GroupId)
	var egress, ingress []ec2types.IpPermission
	for _, p := range g.IpPermissionsEgress {
		if created {
			egress = append(egress, revocable(p))
		} else if w, ok := worldOnly(p); ok && allTraffic(p) {
			egress = append(egress, w)
		}
	}
	for _, p := range g.IpPermissions {
		if w, ok := worldOnly(p); ok && allTraffic(p) {
			ingress = append(ingress, w)
		}
	}
	if len(egress) > 0 {
		calls.add("ec2:RevokeSecurityGroupEgress", "group_id", gid, "ip_permissions", permissionRules(egress), "dry_run", r.dry)
		err := ec2Write(r.dry, "ec2:RevokeSecurityGroupEgress", func(dry *bool) error {
			_, err := r.ec2.RevokeSecurityGroupEgress(r.ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(gid), IpPermissions: egress, DryRun: dry})
			return err
		})
		if err != nil {
			return 0, err
		}
		if !r.dry {
			r.changed("revoked outbound rules %s of isolation group %s", strings.Join(permissionRules(egress), ", "), gid)
		}
	}
	if len(ingress) > 0 {
		calls.add("ec2:RevokeSecurityGroupIngress", "group_id", gid, "ip_permissions", permissionRules(ingress), "dry_run", r.dry)
		err := ec2Write(r.dry, "ec2:RevokeSecurityGroupIngress", func(dry *bool) error {
			_, err := r.ec2.RevokeSecurityGroupIngress(r.ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(gid), IpPermissions: ingress, DryRun: dry})
			return err
		})
		if err != nil {
			return 0, err
		}
		if !r.dry {
			r.changed("revoked inbound rules %s of isolation group %s", strings.Join(permissionRules(ingress), ", "), gid)
		}
	}
	return len(egress) + len(ingress), nil
}

// 3b. Put every network interface in its VPC's isolation group only.
func (r *isolation) switchGroups() error {
	return r.rec.Step("switch-security-groups", true, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		before, after := map[string][]string{}, map[string][]string{}
		defer func() { s.Before, s.After = before, after }()
		var moved, pending []string
		for _, n := range r.meta.NetworkInterfaces {
			before[n.ID], after[n.ID] = n.SecurityGroups, n.SecurityGroups
			gid := r.groups[n.VpcID]
			if gid != "" && slices.Equal(n.SecurityGroups, []string{gid}) {
				continue
			}
			if gid == "" { // dry run: the group does not exist yet
				pending = append(pending, n.ID)
				continue
			}
			calls.add("ec2:ModifyNetworkInterfaceAttribute", "network_interface_id", n.ID, "groups", []string{gid}, "dry_run", r.dry)
			err := ec2Write(r.dry, "ec2:ModifyNetworkInterfaceAttribute", func(dry *bool) error {
				_, err := r.ec2.ModifyNetworkInterfaceAttribute(r.ctx, &ec2.ModifyNetworkInterfaceAttributeInput{
					NetworkInterfaceId: aws.String(n.ID), Groups: []string{gid}, DryRun: dry,
				})
				return err
			})
			if err != nil {
				if isGoneCode(errorCode(err)) {
					return goneError("network interface "+n.ID, err)
				}
				if len(moved) > 0 && !r.dry {
					return fmt.Errorf("%w (after moving %s)", err, strings.Join(moved, ", "))
				}
				return err
			}
			moved = append(moved, n.ID)
			if !r.dry {
				after[n.ID] = []string{gid}
				r.changed("moved %s from %s to %s", n.ID, strings.Join(n.SecurityGroups, ","), gid)
				r.rec.Rollback(fmt.Sprintf("aws ec2 modify-network-interface-attribute --network-interface-id %s --groups %s", n.ID, strings.Join(n.SecurityGroups, " ")))
			}
		}
		if len(moved)+len(pending) == 0 {
			s.Status, s.Detail = remediate.StepUnchanged, "every network interface is already in its isolation group only"
			return nil
		}
		s.Status = ec2Status(r.dry)
		switch {
		case !r.dry:
			s.Detail = "moved " + strings.Join(moved, ", ") + " to the isolation group"
		case len(pending) > 0:
			s.Detail = fmt.Sprintf("would move %s to the isolation group (it does not exist yet, so ModifyNetworkInterfaceAttribute was not tried for them)", strings.Join(append(moved, pending...), ", "))
		default:
			s.Detail = "would move " + strings.Join(moved, ", ") + " to the isolation group"
		}
		if r.opt.cutTracked {
			r.rec.Note("Security group changes do not end connections that were already tracked (VPC connection tracking); the network ACL deny entries of step deny-network-acl stop them, since network ACLs are stateless.")
		} else {
			r.rec.Note("Security group changes do not end connections that were already tracked (VPC connection tracking): an established session, such as an attacker's shell, can go on until it is idle. Set params.cut_tracked_connections to also deny the instance's addresses in its subnets' network ACLs, or stop the instance.")
		}
		return nil
	})
}

// 3c (opt-in). Deny the instance's addresses, both ways, in the network
// ACL of each of its subnets: network ACLs are stateless, so this also
// stops connections the security groups were tracking.
func (r *isolation) denyNetworkACL() error {
	return r.rec.Step("deny-network-acl", true, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		if !r.opt.cutTracked {
			s.Status, s.Detail = remediate.StepSkipped, "not enabled (params.cut_tracked_connections is false)"
			return nil
		}
		var subnets []string
		for _, n := range r.meta.NetworkInterfaces {
			if n.SubnetID != "" && !slices.Contains(subnets, n.SubnetID) {
				subnets = append(subnets, n.SubnetID)
			}
		}
		calls.add("ec2:DescribeNetworkAcls", "filters", map[string]any{"association.subnet-id": subnets})
		aclOf := map[string]*ec2types.NetworkAcl{}
		p := ec2.NewDescribeNetworkAclsPaginator(r.ec2, &ec2.DescribeNetworkAclsInput{
			Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: subnets}},
		})
		for p.HasMorePages() {
			out, err := p.NextPage(r.ctx)
			if err != nil {
				return callError("ec2:DescribeNetworkAcls", err)
			}
			for i := range out.NetworkAcls {
				for _, a := range out.NetworkAcls[i].Associations {
					aclOf[aws.ToString(a.SubnetId)] = &out.NetworkAcls[i]
				}
			}
		}
		taken := map[string]bool{} // acl/direction/number allocated in this run
		present, added := []string{}, []string{}
		defer func() { s.Before, s.After = present, append(slices.Clone(present), added...) }()
		for _, n := range r.meta.NetworkInterfaces {
			acl := aclOf[n.SubnetID]
			if acl == nil {
				return fmt.Errorf("no network ACL is associated with subnet %s of %s", n.SubnetID, n.ID)
			}
			aclID := aws.ToString(acl.NetworkAclId)
			for _, cidr := range eniCIDRs(n) {
				for _, egress := range []bool{false, true} {
					dir := map[bool]string{false: "ingress", true: "egress"}[egress]
					if num, ok := denyEntry(acl, cidr, egress); ok {
						present = append(present, fmt.Sprintf("%s %s #%d deny %s", aclID, dir, num, cidr))
						continue
					}
					num := freeRuleNumber(acl, egress, taken)
					if num == 0 {
						return fmt.Errorf("network ACL %s has no free %s rule number", aclID, dir)
					}
					in := &ec2.CreateNetworkAclEntryInput{
						NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(num), Protocol: aws.String("-1"),
						RuleAction: ec2types.RuleActionDeny, Egress: aws.Bool(egress),
					}
					if strings.Contains(cidr, ":") {
						in.Ipv6CidrBlock = aws.String(cidr)
					} else {
						in.CidrBlock = aws.String(cidr)
					}
					calls.add("ec2:CreateNetworkAclEntry", "network_acl_id", aclID, "rule_number", num, "egress", egress, "rule_action", "deny", "cidr", cidr, "dry_run", r.dry)
					err := ec2Write(r.dry, "ec2:CreateNetworkAclEntry", func(dry *bool) error {
						in.DryRun = dry
						_, err := r.ec2.CreateNetworkAclEntry(r.ctx, in)
						return err
					})
					if err != nil {
						return err
					}
					entry := fmt.Sprintf("%s %s #%d deny %s", aclID, dir, num, cidr)
					added = append(added, entry)
					if !r.dry {
						r.changed("added network ACL entry %s", entry)
						r.rec.Rollback(fmt.Sprintf("aws ec2 delete-network-acl-entry --network-acl-id %s --rule-number %d --%s", aclID, num, dir))
					}
				}
			}
		}
		if len(added) == 0 {
			s.Status, s.Detail = remediate.StepUnchanged, "the instance's addresses are already denied in its network ACLs"
			return nil
		}
		s.Status, s.Detail = ec2Status(r.dry), fmt.Sprintf("%d deny entr(ies): %s", len(added), strings.Join(added, "; "))
		r.rec.Note("The network ACL deny entries block all traffic of the instance's addresses, including the SSM agent: ssm-capture-memory cannot reach the instance while they are in place.")
		return nil
	})
}

// eniCIDRs returns the interface's addresses as host prefixes.
func eniCIDRs(n eniMetadata) []string {
	var out []string
	for _, ip := range n.PrivateIPs {
		out = append(out, ip+"/32")
	}
	for _, ip := range n.IPv6Addresses {
		out = append(out, ip+"/128")
	}
	return out
}

// denyEntry finds a deny-all entry for cidr in the given direction.
func denyEntry(acl *ec2types.NetworkAcl, cidr string, egress bool) (int32, bool) {
	want, err := netip.ParsePrefix(cidr)
	if err != nil {
		return 0, false
	}
	for _, e := range acl.Entries {
		if e.RuleAction != ec2types.RuleActionDeny || aws.ToBool(e.Egress) != egress || aws.ToString(e.Protocol) != "-1" {
			continue
		}
		got, err := netip.ParsePrefix(aws.ToString(e.CidrBlock) + aws.ToString(e.Ipv6CidrBlock))
		if err == nil && got.Masked() == want.Masked() {
			return aws.ToInt32(e.RuleNumber), true
		}
	}
	return 0, false
}

// freeRuleNumber returns the lowest rule number (1–32766) free in the
// ACL's direction, so the deny entry is evaluated before the allow
// entries; 0 when none is free.
func freeRuleNumber(acl *ec2types.NetworkAcl, egress bool, taken map[string]bool) int32 {
	used := map[int32]bool{}
	for _, e := range acl.Entries {
		if aws.ToBool(e.Egress) == egress {
			used[aws.ToInt32(e.RuleNumber)] = true
		}
	}
	for n := int32(1); n <= 32766; n++ {
		key := fmt.Sprintf("%s/%t/%d", aws.ToString(acl.NetworkAclId), egress, n)
		if !used[n] && !taken[key] {
			taken[key] = true
			return n
		}
	}
	return 0
}

// 4. Detach the instance from its Auto Scaling group.
func (r *isolation) detachAutoScaling() error {
	return r.rec.Step("detach-auto-scaling", true, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		if !r.opt.detachASG {
			s.Status, s.Detail = remediate.StepSkipped, "not enabled (params.detach_from_asg is false)"
			return nil
		}
		calls.add("autoscaling:DescribeAutoScalingInstances", "instance_ids", []string{r.id})
		out, err := r.asg.DescribeAutoScalingInstances(r.ctx, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{r.id}})
		if err != nil {
			return callError("autoscaling:DescribeAutoScalingInstances", err)
		}
		if len(out.AutoScalingInstances) == 0 {
			s.Status, s.Detail = remediate.StepUnchanged, "not in an Auto Scaling group"
			return nil
		}
		a := out.AutoScalingInstances[0]
		name, state := aws.ToString(a.AutoScalingGroupName), aws.ToString(a.LifecycleState)
		s.Before = map[string]string{"auto_scaling_group": name, "lifecycle_state": state}
		r.rec.Evidence("auto_scaling_group", name)
		switch {
		case state == "Detaching" || state == "Detached":
			s.Status, s.After, s.Detail = remediate.StepUnchanged, s.Before, "already leaving Auto Scaling group "+name
			return nil
		case strings.HasPrefix(state, "Terminating") || state == "Terminated":
			s.Status, s.After, s.Detail = remediate.StepUnchanged, s.Before, "Auto Scaling group "+name+" is already terminating the instance"
			r.rec.Note(fmt.Sprintf("Auto Scaling group %s is terminating the instance (%s); it can no longer be detached. The snapshots are the remaining evidence.", name, state))
			return nil
		}
		decrement := !r.opt.replaceInASG
		if r.dry {
			s.Status = remediate.StepWouldChange
			s.Detail = fmt.Sprintf("would detach from Auto Scaling group %s (ShouldDecrementDesiredCapacity=%t); Auto Scaling has no DryRun, so the permission was not checked", name, decrement)
			return nil
		}
		calls.add("autoscaling:DetachInstances", "auto_scaling_group_name", name, "instance_ids", []string{r.id}, "should_decrement_desired_capacity", decrement)
		_, err = r.asg.DetachInstances(r.ctx, &autoscaling.DetachInstancesInput{
			AutoScalingGroupName: aws.String(name), InstanceIds: []string{r.id}, ShouldDecrementDesiredCapacity: aws.Bool(decrement),
		})
		if err != nil {
			if errorCode(err) == "ValidationError" && decrement {
				return fmt.Errorf("%w (a group at its minimum size cannot shrink: set params.replace_in_asg to let it launch a replacement)", callError("autoscaling:DetachInstances", err))
			}
			return callError("autoscaling:DetachInstances", err)
		}
		s.Status, s.After = remediate.StepChanged, map[string]string{"auto_scaling_group": "", "lifecycle_state": "Detaching"}
		s.Detail = fmt.Sprintf("detached from Auto Scaling group %s (ShouldDecrementDesiredCapacity=%t)", name, decrement)
		r.changed("detached %s from Auto Scaling group %s", r.id, name)
		r.rec.Rollback(fmt.Sprintf("aws autoscaling attach-instances --instance-ids %s --auto-scaling-group-name %s  # raises the desired capacity by one", r.id, rollbackQuote(name)))
		return nil
	})
}

// 5a. Deregister the instance from Classic Load Balancers.
func (r *isolation) deregisterClassic() error {
	return r.rec.Step("deregister-classic-load-balancers", true, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		calls.add("elasticloadbalancing:DescribeLoadBalancers")
		var names []string
		p := elasticloadbalancing.NewDescribeLoadBalancersPaginator(r.elb, &elasticloadbalancing.DescribeLoadBalancersInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(r.ctx)
			if err != nil {
				return callError("elasticloadbalancing:DescribeLoadBalancers", err)
			}
			for _, lb := range out.LoadBalancerDescriptions {
				for _, in := range lb.Instances {
					if aws.ToString(in.InstanceId) == r.id {
						names = append(names, aws.ToString(lb.LoadBalancerName))
					}
				}
			}
		}
		s.Before = map[string][]string{"load_balancers": names}
		if len(names) == 0 {
			s.Status, s.Detail = remediate.StepUnchanged, "not registered with any Classic Load Balancer"
			return nil
		}
		r.rec.Evidence("classic_load_balancers", names)
		if r.dry {
			s.Status = remediate.StepWouldChange
			s.Detail = "would deregister from " + strings.Join(names, ", ") + "; Elastic Load Balancing has no DryRun, so the permission was not checked"
			return nil
		}
		remaining := slices.Clone(names)
		defer func() { s.After = map[string][]string{"load_balancers": remaining} }()
		for _, name := range names {
			calls.add("elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "load_balancer_name", name, "instances", []string{r.id})
			_, err := r.elb.DeregisterInstancesFromLoadBalancer(r.ctx, &elasticloadbalancing.DeregisterInstancesFromLoadBalancerInput{
				LoadBalancerName: aws.String(name), Instances: []elbtypes.Instance{{InstanceId: aws.String(r.id)}},
			})
			if err != nil && errorCode(err) != "LoadBalancerNotFound" {
				return callError("elasticloadbalancing:DeregisterInstancesFromLoadBalancer", err)
			}
			remaining = slices.DeleteFunc(remaining, func(n string) bool { return n == name })
			if err == nil {
				r.changed("deregistered %s from Classic Load Balancer %s", r.id, name)
				r.rec.Rollback(fmt.Sprintf("aws elb register-instances-with-load-balancer --load-balancer-name %s --instances %s", rollbackQuote(name), r.id))
			}
		}
		s.Status, s.Detail = remediate.StepChanged, "deregistered from "+strings.Join(names, ", ")
		return nil
	})
}

// lbTargets is the instance's registration in one target group.
type lbTargets struct {
	TargetGroupArn string   `json:"target_group_arn"`
	Targets        []string `json:"targets"` // "id:port"
	targets        []elbv2types.TargetDescription
}

// 5b. Deregister the instance (by id, or by address in IP target groups)
// from Application and Network Load Balancer target groups of its VPCs.
func (r *isolation) deregisterTargets() error {
	return r.rec.Step("deregister-target-groups", true, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		var ips []string
		for _, n := range r.meta.NetworkInterfaces {
			ips = append(ips, n.PrivateIPs...)
			ips = append(ips, n.IPv6Addresses...)
		}
		vpcs := r.meta.vpcs()
		calls.add("elasticloadbalancing:DescribeTargetGroups")
		var groups []elbv2types.TargetGroup
		p := elasticloadbalancingv2.NewDescribeTargetGroupsPaginator(r.elbv2, &elasticloadbalancingv2.DescribeTargetGroupsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(r.ctx)
			if err != nil {
				return callError("elasticloadbalancing:DescribeTargetGroups", err)
			}
			for _, g := range out.TargetGroups {
				t := g.TargetType
				if (t == elbv2types.TargetTypeEnumInstance || t == elbv2types.TargetTypeEnumIp) && slices.Contains(vpcs, aws.ToString(g.VpcId)) {
					groups = append(groups, g)
				}
			}
		}
		var member []lbTargets
		draining := 0
		for _, g := range groups {
			tg := aws.ToString(g.TargetGroupArn)
			calls.add("elasticloadbalancing:DescribeTargetHealth", "target_group_arn", tg)
			out, err := r.elbv2.DescribeTargetHealth(r.ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
			if err != nil {
				if errorCode(err) == "TargetGroupNotFound" {
					continue
				}
				return callError("elasticloadbalancing:DescribeTargetHealth", err)
			}
			m := lbTargets{TargetGroupArn: tg}
			for _, d := range out.TargetHealthDescriptions {
				if d.Target == nil {
					continue
				}
				id := aws.ToString(d.Target.Id)
				if !(g.TargetType == elbv2types.TargetTypeEnumInstance && id == r.id || g.TargetType == elbv2types.TargetTypeEnumIp && slices.Contains(ips, id)) {
					continue
				}
				if d.TargetHealth != nil && d.TargetHealth.State == elbv2types.TargetHealthStateEnumDraining {
					draining++
					continue
				}
				m.targets = append(m.targets, *d.Target)
				m.Targets = append(m.Targets, fmt.Sprintf("%s:%d", id, aws.ToInt32(d.Target.Port)))
			}
			if len(m.targets) > 0 {
				member = append(member, m)
			}
		}
		s.Before = member
		if len(member) == 0 {
			s.Status, s.Detail = remediate.StepUnchanged, "not registered in any target group"
			if draining > 0 {
				s.Detail = fmt.Sprintf("already deregistering (%d target(s) draining)", draining)
			}
			return nil
		}
		var arns []string
		for _, m := range member {
			arns = append(arns, m.TargetGroupArn)
		}
		r.rec.Evidence("target_groups", member)
		if r.dry {
			s.Status = remediate.StepWouldChange
			s.Detail = "would deregister from " + strings.Join(arns, ", ") + "; Elastic Load Balancing has no DryRun, so the permission was not checked"
			return nil
		}
		remaining := slices.Clone(member)
		defer func() { s.After = remaining }()
		for _, m := range member {
			calls.add("elasticloadbalancing:DeregisterTargets", "target_group_arn", m.TargetGroupArn, "targets", m.Targets)
			_, err := r.elbv2.DeregisterTargets(r.ctx, &elasticloadbalancingv2.DeregisterTargetsInput{TargetGroupArn: aws.String(m.TargetGroupArn), Targets: m.targets})
			if err != nil && errorCode(err) != "TargetGroupNotFound" {
				return callError("elasticloadbalancing:DeregisterTargets", err)
			}
			remaining = remaining[1:]
			if err == nil {
				r.changed("deregistered %s from target group %s", strings.Join(m.Targets, ", "), m.TargetGroupArn)
				var ts []string
				for _, t := range m.targets {
					spec := fmt.Sprintf("Id=%s,Port=%d", aws.ToString(t.Id), aws.ToInt32(t.Port))
					if t.AvailabilityZone != nil {
						spec += ",AvailabilityZone=" + aws.ToString(t.AvailabilityZone)
					}
					ts = append(ts, rollbackQuote(spec))
				}
				r.rec.Rollback(fmt.Sprintf("aws elbv2 register-targets --target-group-arn %s --targets %s", rollbackQuote(m.TargetGroupArn), strings.Join(ts, " ")))
			}
		}
		s.Status, s.Detail = remediate.StepChanged, "deregistered from "+strings.Join(arns, ", ")
		return nil
	})
}

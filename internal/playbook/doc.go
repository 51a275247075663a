// Package playbook holds Warden's remediation playbooks (DESIGN C10): one
// file per playbook, each registered with remediate.Register from init
// under its catalog name (internal/remediate/catalog.go lists their
// destructive flag, parameters and IAM actions).
//
// # How a playbook runs
//
// Run gets the finding as a remediate.Request and an Env whose AWS
// configuration is already the finding's account and region (assumed
// role, retryer: throttling is retried by the SDK). It records each step
// through the Recorder, in order: the API calls made (Step.Request,
// operation named by its IAM action), the state before and after, and a
// readable Detail. Every step reads the live resource first: the finding
// is attacker-influenced and may be stale, so it is a hint of what to look
// at, never the state acted on. Finding the work already done is success
// without change (StepUnchanged, no write call), so a rerun is safe.
//
// In a dry run (Env.DryRun) the read steps run; EC2 calls that change
// something are sent with DryRun=true, where EC2 checks the permission and
// the request and answers DryRunOperation ("would succeed", recorded as
// StepWouldChange) or UnauthorizedOperation (a failure). Services without
// DryRun (Auto Scaling, Elastic Load Balancing, Systems Manager) are not
// called and the step says so.
//
// Errors: a resource that no longer exists ends the run with
// remediate.ErrGone, a finding that names nothing the playbook can act on
// with remediate.ErrNotApplicable. A denied call names the IAM action
// that is missing. A run that fails half-way says in its error what it had
// already changed, and Result.Rollback holds one command per change (undo
// them in reverse order).
//
// # ec2-isolate
//
// The incident response guide's sequence for a suspect instance:
//
//  1. capture-metadata: DescribeInstances; the instance must exist, belong
//     to the finding's account and not be terminated or shutting down.
//     Evidence "metadata": type, AMI, launch time, VPC, subnet, addresses,
//     interfaces with their security groups, instance profile, tags and
//     block devices.
//  2. enable-termination-protection (skipped for Spot Instances).
//  3. isolation-group: per VPC of the instance's interfaces, the security
//     group named by isolation_group_name (default "warden-isolation"),
//     created with no rules when missing (its default allow-all egress
//     rule is revoked) and tagged warden:purpose=isolation. An existing one
//     loses any all-traffic rule to or from anywhere but keeps narrower
//     rules an operator added (a forensic workstation's access, HTTPS to
//     the SSM VPC endpoints); a note lists them.
//  4. switch-security-groups: every interface to its VPC's isolation group
//     only. Security group changes do not end connections the old groups
//     were tracking (VPC connection tracking); the result says so in a
//     note.
//  5. deny-network-acl, with cut_tracked_connections: a deny-all entry
//     for each private address (IPv4 /32, IPv6 /128) of the instance, in
//     and out, at the lowest free rule number of the subnet's network ACL.
//     Network ACLs are stateless, so this ends tracked connections too,
//     but it also cuts the SSM agent.
//  6. detach-auto-scaling (detach_from_asg, default true): DetachInstances
//     with ShouldDecrementDesiredCapacity, unless replace_in_asg lets the
//     group launch a replacement.
//  7. deregister-classic-load-balancers and deregister-target-groups: the
//     instance leaves every Classic Load Balancer listing it and every
//     instance or IP target group of its VPCs (targets already draining
//     count as done).
//  8. snapshot-volumes (snapshot, default true): one snapshot per EBS
//     volume, described and tagged warden:case=<case id> and
//     warden:instance=<id>; a volume that already has one for the case is
//     not snapshotted again. Evidence "snapshot_ids".
//  9. tag-quarantine: Quarantine=<case id>.
//
// # sg-revoke-world-ingress
//
// Revokes the inbound rules of a security group open to 0.0.0.0/0 or ::/0,
// only those ranges (other sources of the same rule stay), optionally
// only rules reaching the given ports ("22", "3389", "8000-8080"; an
// all-traffic rule reaches every port, ICMP rules none). It reads the
// group before and after and fails if a world-open rule survived. The
// group comes from an AwsEc2SecurityGroup resource (id or ARN), the ASFF
// resource details, an AWS Config event or the CloudTrail event's
// requestParameters.groupId.
//
// # ssm-capture-memory
//
// Checks that the instance is managed by Systems Manager, online and (for
// the default commands) Linux, then sends the command document (default
// AWS-RunShellScript) once per case: a command of that document on the
// instance whose comment names the case and that has not failed counts as
// sent. The default commands write /var/tmp/warden/<case>/<instance>.lime
// with avml, or else with a LiME module built for the running kernel at
// /opt/lime/lime-$(uname -r).ko, plus its SHA-256, and copy both to
// s3://<output_s3_bucket>/warden/<case>/<instance>/ when the bucket is
// set (which also receives the command output). The tools must be on the
// instance beforehand: an isolated instance cannot download them. The run
// records the command id and its first status; polling
// GetCommandInvocation until it ends is the caller's.
//
// # Which resource a finding names
//
// The EC2 playbooks take the instance (or security group) from the
// request's resources of type AwsEc2Instance (AwsEc2SecurityGroup), as a
// bare id or an ARN; else from the finding's document: ASFF Resources,
// GuardDuty's resource.instanceDetails.instanceId, an AWS Config event's
// resourceId, or the CloudTrail event's requestParameters (instanceId,
// instancesSet, the resourcesSet of CreateTags; groupId). Ids of the
// wrong shape are ignored; an ARN or resource in another account or
// region than the run's is not applicable. When a finding names several
// instances, the run acts on the first and notes the others.
//
// # Tag-driven response: Response=Isolate+MemoryCapture
//
// The guide's event-driven example: a responder tags an instance
// Response=Isolate+MemoryCapture and automation isolates it and captures
// its memory. With the built-in detections on (warden.yaml: detections:
// {builtin: true}), the CreateTags call raises builtin.response-tag-isolate
// when the Response value contains "Isolate" and
// builtin.response-tag-memory-capture when it contains "MemoryCapture",
// each a finding about the instance. A rule runs one playbook, so wire
// them with one rule per playbook:
//
//	rules:
//	  - id: response-tag-isolate
//	    match:
//	      finding:
//	        GeneratorId: [warden/detection/builtin.response-tag-isolate]
//	    tier: 1
//	    notify: [soc-pager]
//	    remediate: {playbook: ec2-isolate}
//	  - id: response-tag-memory-capture
//	    match:
//	      finding:
//	        GeneratorId: [warden/detection/builtin.response-tag-memory-capture]
//	    tier: 1
//	    remediate:
//	      playbook: ssm-capture-memory
//	      params: {output_s3_bucket: forensics-111122223333}
//
// The two findings are decided and run independently. Switching security
// groups leaves the SSM agent's established connection in place, so the
// capture usually still reaches the instance after isolation; to be sure,
// keep an HTTPS rule to the SSM VPC endpoints in the isolation group, and
// do not use cut_tracked_connections on instances whose memory you want
// (the network ACL entries cut the agent). Uploading the image to S3
// needs an egress path too (an S3 gateway endpoint's prefix list).
//
// ec2-isolate's own tag, Quarantine=<case>, matches neither detection, so
// isolation does not trigger itself. Anyone allowed ec2:CreateTags on an
// instance can request its isolation this way: restrict the Response tag
// key to responders (aws:TagKeys, aws:RequestTag/Response in an SCP), or
// match only their roles in the rules, e.g.
// ProductFields: {"warden/actor": [{prefix: "arn:aws:sts::111122223333:assumed-role/IncidentResponder/"}]}.
package playbook

package playbook

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// SSMCaptureMemory captures an instance's memory with AWS Systems Manager
// Run Command: it checks that the instance is managed by SSM and online,
// sends the capture command once per case (a command of the same document
// with the case's comment that has not failed counts as sent) and records
// the command's initial status. Waiting for the capture to finish is the
// caller's: the command id is in the evidence.
type SSMCaptureMemory struct{}

// Name implements remediate.Playbook.
func (SSMCaptureMemory) Name() string { return "ssm-capture-memory" }

const defaultCaptureDocument = "AWS-RunShellScript"

// listCommandPages caps the ListCommands pages read when looking for the
// case's earlier command (50 commands a page).
const listCommandPages = 5

var bucketRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// captureDir is where the default commands write the image.
func captureDir(caseID string) string { return "/var/tmp/warden/" + caseID }

// defaultCaptureCommands is the default script (AWS-RunShellScript joins
// the lines into one script): avml if it is installed, else a LiME kernel
// module built for the running kernel at /opt/lime/lime-$(uname -r).ko,
// writing <dir>/<instance>.lime with a SHA-256 beside it, then copying
// both to S3 when a bucket is given. Both tools must be on the instance
// beforehand (forensic readiness): an isolated instance cannot download
// them. caseID, instance and bucket are validated tokens.
func defaultCaptureCommands(caseID, instance, bucket string) []string {
	dir := captureDir(caseID)
	img := dir + "/" + instance + ".lime"
	cmds := []string{
		"set -eu",
		"umask 077",
		"mkdir -p " + dir,
		"if command -v avml >/dev/null 2>&1; then",
		"  avml " + img,
		`elif [ -f "/opt/lime/lime-$(uname -r).ko" ]; then`,
		`  insmod "/opt/lime/lime-$(uname -r).ko" "path=` + img + ` format=lime"`,
		"  rmmod lime",
		"else",
		`  echo "warden: neither avml nor /opt/lime/lime-$(uname -r).ko is installed" >&2`,
		"  exit 2",
		"fi",
		"sha256sum " + img + " > " + img + ".sha256",
		"cat " + img + ".sha256",
	}
	if bucket != "" {
		dst := "s3://" + bucket + "/warden/" + caseID + "/" + instance + "/"
		cmds = append(cmds,
			"aws s3 cp --only-show-errors "+img+" "+dst,
			"aws s3 cp --only-show-errors "+img+".sha256 "+dst)
	}
	return cmds
}

// Run implements remediate.Playbook.
func (SSMCaptureMemory) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	id, more, err := resolveInstance(req, env.AWS.Region)
	if err != nil {
		return err
	}
	caseID, err := ec2CaseID(req)
	if err != nil {
		return err
	}
	bucket := paramString(req, "output_s3_bucket")
	if bucket != "" && !bucketRe.MatchString(bucket) {
		return notApplicable("params.output_s3_bucket %q is not an S3 bucket name", bucket)
	}
	document := paramString(req, "document")
	if document == "" {
		document = defaultCaptureDocument
	}
	commands := paramStrings(req, "commands")
	custom := len(commands) > 0
	if !custom {
		commands = defaultCaptureCommands(caseID, id, bucket)
	}
	if len(more) > 0 {
		rec.Note(fmt.Sprintf("The finding also names %s; this run captures %s only.", strings.Join(more, ", "), id))
	}
	comment := "Warden " + caseID + ": memory capture"
	if len(comment) > 100 {
		comment = comment[:100]
	}
	client := ssm.NewFromConfig(env.AWS)
	var changes []string

	err = rec.Step("check-ssm-managed", false, func(s *remediate.Step) error {
		s.Request = map[string]any{"operation": "ssm:DescribeInstanceInformation", "filters": map[string]any{"InstanceIds": []string{id}}}
		out, err := client.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{
			Filters: []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: []string{id}}},
		})
		if err != nil {
			return callError("ssm:DescribeInstanceInformation", err)
		}
		var info *ssmtypes.InstanceInformation
		for i := range out.InstanceInformationList {
			if aws.ToString(out.InstanceInformationList[i].InstanceId) == id {
				info = &out.InstanceInformationList[i]
			}
		}
		if info == nil {
			return notApplicable("instance %s is not managed by AWS Systems Manager (no SSM agent registered in %s: install the agent and give the instance a role with AmazonSSMManagedInstanceCore)", id, env.AWS.Region)
		}
		s.After = map[string]string{"ping_status": string(info.PingStatus), "platform_type": string(info.PlatformType),
			"platform_name": aws.ToString(info.PlatformName), "agent_version": aws.ToString(info.AgentVersion)}
		if info.PingStatus != ssmtypes.PingStatusOnline {
			return fmt.Errorf("the SSM agent of instance %s is %s, not Online: a command would wait undelivered (an isolated instance's agent can reach SSM only through rules you keep in the isolation group, e.g. HTTPS to the SSM VPC endpoints)", id, info.PingStatus)
		}
		if !custom && info.PlatformType != ssmtypes.PlatformTypeLinux {
			return notApplicable("instance %s runs %s; the default capture commands are for Linux: set params.document and params.commands", id, info.PlatformType)
		}
		s.Detail = fmt.Sprintf("instance %s is managed by SSM (%s, %s, agent %s)", id, info.PingStatus, aws.ToString(info.PlatformName), aws.ToString(info.AgentVersion))
		return nil
	})
	if err != nil {
		return ec2Failure(err, changes)
	}

	var commandID string
	err = rec.Step("send-command", false, func(s *remediate.Step) error {
		var calls ec2Calls
		defer calls.into(s)
		calls.add("ssm:ListCommands", "instance_id", id, "filters", map[string]string{"DocumentName": document})
		prev, err := previousCommand(ctx, client, id, document, comment)
		if err != nil {
			return err
		}
		if prev != nil && !commandEnded(prev.Status) {
			commandID = aws.ToString(prev.CommandId)
			s.Status, s.Before = remediate.StepUnchanged, map[string]string{"command_id": commandID, "status": string(prev.Status)}
			s.After, s.Detail = s.Before, fmt.Sprintf("command %s for case %s was already sent (%s)", commandID, caseID, prev.Status)
			return nil
		}
		if prev != nil {
			rec.Note(fmt.Sprintf("An earlier capture command %s for case %s ended %s; a new one was sent.", aws.ToString(prev.CommandId), caseID, prev.Status))
		}
		in := &ssm.SendCommandInput{
			DocumentName: aws.String(document), InstanceIds: []string{id}, Comment: aws.String(comment),
			Parameters: map[string][]string{"commands": commands},
		}
		params := []any{"document_name", document, "instance_ids", []string{id}, "comment", comment, "commands", len(commands)}
		if bucket != "" {
			prefix := "warden/" + caseID + "/" + id + "/command-output"
			in.OutputS3BucketName, in.OutputS3KeyPrefix = aws.String(bucket), aws.String(prefix)
			params = append(params, "output_s3_bucket", bucket, "output_s3_key_prefix", prefix)
		}
		if env.DryRun {
			s.Status = remediate.StepWouldChange
			s.Detail = fmt.Sprintf("would send %s to %s; Systems Manager has no DryRun, so the permission was not checked", document, id)
			return nil
		}
		calls.add("ssm:SendCommand", params...)
		out, err := client.SendCommand(ctx, in)
		if err != nil {
			if code := errorCode(err); code == "InvalidInstanceId" {
				return fmt.Errorf("%w (the instance is stopped, terminated or no longer reachable by SSM)", callError("ssm:SendCommand", err))
			}
			return callError("ssm:SendCommand", err)
		}
		if out.Command != nil {
			commandID = aws.ToString(out.Command.CommandId)
		}
		changes = append(changes, "sent command "+commandID+" to "+id)
		s.Status, s.After = remediate.StepChanged, map[string]string{"command_id": commandID}
		s.Detail = fmt.Sprintf("sent %s to %s as command %s", document, id, commandID)
		rec.Rollback(fmt.Sprintf("aws ssm cancel-command --command-id %s  # while it is still running", commandID))
		return nil
	})
	if err != nil {
		return ec2Failure(err, changes)
	}
	if commandID != "" {
		rec.Evidence("command_id", commandID)
	}
	if !custom {
		rec.Evidence("capture_path", captureDir(caseID)+"/"+id+".lime")
	}
	if bucket != "" {
		rec.Evidence("output_s3", "s3://"+bucket+"/warden/"+caseID+"/"+id+"/")
	}

	err = rec.Step("command-status", false, func(s *remediate.Step) error {
		if commandID == "" {
			s.Status, s.Detail = remediate.StepSkipped, "dry run: no command was sent"
			return nil
		}
		s.Request = map[string]any{"operation": "ssm:GetCommandInvocation", "command_id": commandID, "instance_id": id}
		out, err := client.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: aws.String(commandID), InstanceId: aws.String(id)})
		if err != nil {
			if errorCode(err) == "InvocationDoesNotExist" {
				// Just sent: the invocation is not registered yet.
				s.After, s.Detail = map[string]string{"status": "Pending"}, "the invocation is not registered yet (just sent); poll GetCommandInvocation for the result"
				rec.Evidence("command_status", "Pending")
				return nil
			}
			return callError("ssm:GetCommandInvocation", err)
		}
		s.After = map[string]string{"status": string(out.Status), "status_details": aws.ToString(out.StatusDetails)}
		s.Detail = fmt.Sprintf("command %s is %s; poll GetCommandInvocation for the result", commandID, out.Status)
		rec.Evidence("command_status", string(out.Status))
		return nil
	})
	return ec2Failure(err, changes)
}

// previousCommand finds the most recent command of document on the
// instance that carries the case's comment.
func previousCommand(ctx context.Context, c *ssm.Client, id, document, comment string) (*ssmtypes.Command, error) {
	p := ssm.NewListCommandsPaginator(c, &ssm.ListCommandsInput{
		InstanceId: aws.String(id),
		Filters:    []ssmtypes.CommandFilter{{Key: ssmtypes.CommandFilterKeyDocumentName, Value: aws.String(document)}},
	})
	var found *ssmtypes.Command
	for page := 0; p.HasMorePages() && page < listCommandPages; page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, callError("ssm:ListCommands", err)
		}
		for i := range out.Commands {
			cmd := &out.Commands[i]
			if aws.ToString(cmd.Comment) != comment {
				continue
			}
			if found == nil || (cmd.RequestedDateTime != nil && found.RequestedDateTime != nil && cmd.RequestedDateTime.After(*found.RequestedDateTime)) {
				found = cmd
			}
		}
	}
	return found, nil
}

// commandEnded reports statuses after which the capture did not happen.
func commandEnded(s ssmtypes.CommandStatus) bool {
	switch s {
	case ssmtypes.CommandStatusFailed, ssmtypes.CommandStatusCancelled, ssmtypes.CommandStatusTimedOut, ssmtypes.CommandStatusCancelling:
		return true
	}
	return false
}

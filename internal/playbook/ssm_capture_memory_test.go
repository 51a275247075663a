package playbook

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/remediate"
)

var ssmActions actionLog

const tCommand = "0b3c5a1e-8d2f-4c6b-9a7e-5f1d2c3b4a69"

// instanceInfo answers DescribeInstanceInformation ("" status: not
// managed).
func instanceInfo(ping, platform string) awstest.Reply {
	if ping == "" {
		return awstest.Reply{Body: `{"InstanceInformationList":[]}`}
	}
	name := map[string]string{"Linux": "Amazon Linux", "Windows": "Microsoft Windows Server 2022 Datacenter"}[platform]
	return awstest.Reply{Body: `{"InstanceInformationList":[{"InstanceId":"` + tInstance + `","PingStatus":"` + ping + `",
      "LastPingDateTime":1769849900.123,"AgentVersion":"3.3.1142.0","IsLatestVersion":false,
      "PlatformType":"` + platform + `","PlatformName":"` + name + `","PlatformVersion":"2023","ResourceType":"EC2Instance",
      "IPAddress":"10.0.1.25","ComputerName":"ip-10-0-1-25.eu-west-1.compute.internal","AssociationStatus":"Success",
      "SourceId":"` + tInstance + `","SourceType":"AWS::EC2::Instance"}]}`}
}

// commandJSON is a Command object.
func commandJSON(id, comment, status string, requested int) string {
	return `{"CommandId":"` + id + `","DocumentName":"AWS-RunShellScript","DocumentVersion":"$DEFAULT","Comment":"` + comment + `",
      "ExpiresAfter":1769856200.0,"Parameters":{"commands":["…"]},"InstanceIds":["` + tInstance + `"],"Targets":[],
      "RequestedDateTime":` + strconv.Itoa(requested) + `,"Status":"` + status + `","StatusDetails":"` + status + `",
      "OutputS3Region":"eu-west-1","MaxConcurrency":"50","MaxErrors":"0","TargetCount":1,"CompletedCount":0,"ErrorCount":0,
      "DeliveryTimedOutCount":0,"ServiceRole":"","NotificationConfig":{"NotificationArn":"","NotificationEvents":[],"NotificationType":""},
      "CloudWatchOutputConfig":{"CloudWatchLogGroupName":"","CloudWatchOutputEnabled":false},"TimeoutSeconds":3600}`
}

func listCommands(cmds ...string) awstest.Expect {
	return awstest.Expect{Op: "ListCommands", Check: checks(jsonField("InstanceId", tInstance),
		jsonField("Filters", []any{map[string]any{"key": "DocumentName", "value": "AWS-RunShellScript"}})),
		Reply: awstest.Reply{Body: `{"Commands":[` + strings.Join(cmds, ",") + `]}`}}
}

func invocation(status string) awstest.Expect {
	return awstest.Expect{Op: "GetCommandInvocation", Check: checks(jsonField("CommandId", tCommand), jsonField("InstanceId", tInstance)),
		Reply: awstest.Reply{Body: `{"CommandId":"` + tCommand + `","InstanceId":"` + tInstance + `","Comment":"Warden warden-42: memory capture",
      "DocumentName":"AWS-RunShellScript","DocumentVersion":"$DEFAULT","PluginName":"aws:runShellScript","ResponseCode":-1,
      "ExecutionStartDateTime":"2026-01-31T09:00:01.204Z","ExecutionElapsedTime":"PT0.8S","ExecutionEndDateTime":"",
      "Status":"` + status + `","StatusDetails":"` + status + `","StandardOutputContent":"","StandardOutputUrl":"",
      "StandardErrorContent":"","StandardErrorUrl":"","CloudWatchOutputConfig":{"CloudWatchLogGroupName":"","CloudWatchOutputEnabled":false}}`}}
}

var sendReply = awstest.Reply{Body: `{"Command":` + commandJSON(tCommand, "Warden warden-42: memory capture", "Pending", 1769850000) + `}`}

func TestSSMCaptureMemory(t *testing.T) {
	t.Cleanup(func() { ssmActions.check(t, "ssm-capture-memory") })
	instance := res("AwsEc2Instance", "arn:aws:ec2:eu-west-1:111122223333:instance/"+tInstance)
	describe := awstest.Expect{Op: "DescribeInstanceInformation", Check: jsonField("Filters", []any{map[string]any{"Key": "InstanceIds", "Values": []any{tInstance}}}), Reply: instanceInfo("Online", "Linux")}
	send := awstest.Expect{Op: "SendCommand", Check: checks(
		jsonField("DocumentName", "AWS-RunShellScript"), jsonField("InstanceIds", []any{tInstance}),
		jsonField("Comment", "Warden warden-42: memory capture")), Reply: sendReply}
	tests := []struct {
		name   string
		dry    bool
		params map[string]any
		script []awstest.Expect
		steps  []string
		err    string
		is     error
		check  func(t *testing.T, r *remediate.Result, srv *awstest.Server)
	}{
		{
			name:   "capture with upload to S3",
			params: map[string]any{"output_s3_bucket": "forensics-111122223333"},
			script: []awstest.Expect{describe, listCommands(), with(send, sendReply), invocation("InProgress")},
			steps:  []string{"check-ssm-managed=read", "send-command=changed", "command-status=read"},
			check: func(t *testing.T, r *remediate.Result, srv *awstest.Server) {
				c := srv.Calls()[2]
				must(t, c.JSON["OutputS3BucketName"] == "forensics-111122223333" && c.JSON["OutputS3KeyPrefix"] == "warden/warden-42/"+tInstance+"/command-output", "output %v %v", c.JSON["OutputS3BucketName"], c.JSON["OutputS3KeyPrefix"])
				params, _ := c.JSON["Parameters"].(map[string]any)
				checkGolden(t, "ssm-capture-commands.golden.json", params)
				must(t, r.Evidence["command_id"] == tCommand && r.Evidence["command_status"] == "InProgress" &&
					r.Evidence["capture_path"] == "/var/tmp/warden/warden-42/"+tInstance+".lime" &&
					r.Evidence["output_s3"] == "s3://forensics-111122223333/warden/warden-42/"+tInstance+"/", "evidence %v", r.Evidence)
				must(t, slices.Equal(r.Rollback, []string{"aws ssm cancel-command --command-id " + tCommand + "  # while it is still running"}), "rollback %v", r.Rollback)
			},
		},
		{
			name:   "custom document and commands",
			params: map[string]any{"document": "Forensics-CaptureMemory", "commands": []any{"/opt/ir/capture.sh"}},
			script: []awstest.Expect{
				with(describe, instanceInfo("Online", "Windows")),
				{Op: "ListCommands", Check: jsonField("Filters", []any{map[string]any{"key": "DocumentName", "value": "Forensics-CaptureMemory"}}), Reply: awstest.Reply{Body: `{"Commands":[]}`}},
				{Op: "SendCommand", Check: checks(jsonField("DocumentName", "Forensics-CaptureMemory"),
					jsonField("Parameters", map[string]any{"commands": []any{"/opt/ir/capture.sh"}})), Reply: sendReply},
				invocation("Pending"),
			},
			steps: []string{"check-ssm-managed=read", "send-command=changed", "command-status=read"},
			check: func(t *testing.T, r *remediate.Result, srv *awstest.Server) {
				_, ok := r.Evidence["capture_path"]
				must(t, !ok && srv.Calls()[2].JSON["OutputS3BucketName"] == nil, "evidence %v", r.Evidence)
			},
		},
		{
			name: "already sent for this case: no second command",
			script: []awstest.Expect{describe,
				listCommands(commandJSON("11111111-2222-3333-4444-555555555555", "nightly inventory", "Success", 1769840000),
					commandJSON(tCommand, "Warden warden-42: memory capture", "InProgress", 1769849000)),
				invocation("Success")},
			steps: []string{"check-ssm-managed=read", "send-command=unchanged", "command-status=read"},
			check: func(t *testing.T, r *remediate.Result, srv *awstest.Server) {
				must(t, len(writesMade(srv)) == 0 && r.Evidence["command_id"] == tCommand && r.Evidence["command_status"] == "Success", "writes %v evidence %v", writesMade(srv), r.Evidence)
			},
		},
		{
			name: "an earlier attempt failed: send again",
			script: []awstest.Expect{describe,
				listCommands(commandJSON("99999999-8888-7777-6666-555555555555", "Warden warden-42: memory capture", "Failed", 1769849000)),
				send, invocation("InProgress")},
			steps: []string{"check-ssm-managed=read", "send-command=changed", "command-status=read"},
			check: func(t *testing.T, r *remediate.Result, _ *awstest.Server) {
				must(t, slices.ContainsFunc(r.Notes, func(n string) bool {
					return strings.Contains(n, "99999999-8888-7777-6666-555555555555 for case warden-42 ended Failed")
				}), "notes %v", r.Notes)
			},
		},
		{
			name:   "not managed by SSM",
			script: []awstest.Expect{with(describe, instanceInfo("", ""))},
			steps:  []string{"check-ssm-managed=failed"},
			err:    "is not managed by AWS Systems Manager", is: remediate.ErrNotApplicable,
		},
		{
			name:   "agent offline",
			script: []awstest.Expect{with(describe, instanceInfo("ConnectionLost", "Linux"))},
			steps:  []string{"check-ssm-managed=failed"},
			err:    "is ConnectionLost, not Online",
		},
		{
			name:   "Windows with the Linux default",
			script: []awstest.Expect{with(describe, instanceInfo("Online", "Windows"))},
			steps:  []string{"check-ssm-managed=failed"},
			err:    "set params.document and params.commands", is: remediate.ErrNotApplicable,
		},
		{
			name: "access denied",
			script: []awstest.Expect{describe, listCommands(),
				with(send, awstest.JSONError(400, "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/WardenRemediation/warden-42 is not authorized to perform: ssm:SendCommand on resource: arn:aws:ec2:eu-west-1:111122223333:instance/"+tInstance))},
			steps: []string{"check-ssm-managed=read", "send-command=failed"},
			err:   "access denied to ssm:SendCommand",
			check: func(t *testing.T, r *remediate.Result, _ *awstest.Server) {
				must(t, len(r.Rollback) == 0, "rollback %v", r.Rollback)
			},
		},
		{
			name: "throttled calls are retried",
			script: []awstest.Expect{
				with(describe, awstest.JSONError(400, "ThrottlingException", "Rate exceeded")), describe,
				listCommands(),
				with(send, awstest.JSONError(400, "ThrottlingException", "Rate exceeded")), send,
				invocation("InProgress"),
			},
			steps: []string{"check-ssm-managed=read", "send-command=changed", "command-status=read"},
		},
		{
			name:   "dry run: no command",
			dry:    true,
			script: []awstest.Expect{describe, listCommands()},
			steps:  []string{"check-ssm-managed=read", "send-command=would-change", "command-status=skipped"},
			check: func(t *testing.T, r *remediate.Result, srv *awstest.Server) {
				must(t, len(writesMade(srv)) == 0 && !r.Changed(), "writes %v", writesMade(srv))
			},
		},
		{
			name: "invocation not registered yet",
			script: []awstest.Expect{describe, listCommands(), send,
				{Op: "GetCommandInvocation", Reply: awstest.JSONError(400, "InvocationDoesNotExist", "")}},
			steps: []string{"check-ssm-managed=read", "send-command=changed", "command-status=read"},
			check: func(t *testing.T, r *remediate.Result, _ *awstest.Server) {
				must(t, r.Evidence["command_status"] == "Pending", "evidence %v", r.Evidence)
			},
		},
		{
			name: "instance stopped since the check",
			script: []awstest.Expect{describe, listCommands(),
				with(send, awstest.JSONError(400, "InvalidInstanceId", "Instances [["+tInstance+"]] not in a valid state for account 111122223333"))},
			steps: []string{"check-ssm-managed=read", "send-command=failed"},
			err:   "stopped, terminated or no longer reachable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script...)
			r, err := runPB(t, "ssm-capture-memory", ec2Env(srv, tt.dry), &remediate.Request{Resources: instance, Params: tt.params})
			ssmActions.add(srv)
			wantErr(t, err, tt.err, tt.is)
			wantSteps(t, r, tt.steps...)
			if tt.check != nil {
				tt.check(t, r, srv)
			}
		})
	}
}

func TestSSMCaptureBadParams(t *testing.T) {
	srv := awstest.New(t)
	for _, params := range []map[string]any{
		{"output_s3_bucket": "Bad_Bucket"},
		{"output_s3_bucket": "b; rm -rf /"},
	} {
		r, err := runPB(t, "ssm-capture-memory", ec2Env(srv, false), &remediate.Request{Resources: res("AwsEc2Instance", tInstance), Params: params})
		wantErr(t, err, "output_s3_bucket", remediate.ErrNotApplicable)
		must(t, len(r.Steps) == 0, "steps %v", stepStatuses(r))
	}
}

func TestDefaultCaptureCommands(t *testing.T) {
	got := defaultCaptureCommands("warden-7", tInstance, "")
	if slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "aws s3") }) {
		t.Errorf("upload without a bucket: %v", got)
	}
	with := defaultCaptureCommands("warden-7", tInstance, "ir-bucket")
	want := []string{
		"aws s3 cp --only-show-errors /var/tmp/warden/warden-7/" + tInstance + ".lime s3://ir-bucket/warden/warden-7/" + tInstance + "/",
		"aws s3 cp --only-show-errors /var/tmp/warden/warden-7/" + tInstance + ".lime.sha256 s3://ir-bucket/warden/warden-7/" + tInstance + "/",
	}
	if !reflect.DeepEqual(with[len(with)-2:], want) {
		t.Errorf("upload lines %q", with[len(with)-2:])
	}
}

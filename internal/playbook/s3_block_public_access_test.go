package playbook

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/remediate"
)

func pabXML(acls, ignore, policy, restrict bool) awstest.Reply {
	return awstest.Reply{Body: fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>%t</BlockPublicAcls><IgnorePublicAcls>%t</IgnorePublicAcls><BlockPublicPolicy>%t</BlockPublicPolicy><RestrictPublicBuckets>%t</RestrictPublicBuckets></PublicAccessBlockConfiguration>`, acls, ignore, policy, restrict)}
}

// expectedOwner checks the ExpectedBucketOwner header S3 enforces.
func expectedOwner(t testing.TB, c *awstest.Call) {
	t.Helper()
	if got := c.Header.Get("X-Amz-Expected-Bucket-Owner"); got != "111122223333" {
		t.Errorf("%s: expected bucket owner %q", c.Op, got)
	}
	if c.Service != "s3" || c.Region != "eu-west-1" {
		t.Errorf("%s: signed for %s in %s", c.Op, c.Service, c.Region)
	}
}

// allOn checks a PutPublicAccessBlock body turns on all four settings.
func allOn(t testing.TB, c *awstest.Call) {
	t.Helper()
	var got struct {
		BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
	}
	if err := xml.Unmarshal(c.Body, &got); err != nil {
		t.Fatalf("body %s: %v", c.Body, err)
	}
	if !got.BlockPublicAcls || !got.IgnorePublicAcls || !got.BlockPublicPolicy || !got.RestrictPublicBuckets {
		t.Errorf("configuration %+v, want all four true (body %s)", got, c.Body)
	}
}

func TestS3BlockPublicAccess(t *testing.T) {
	var log actionLog
	bucketReq := func() remediate.Request {
		return remediate.Request{Resources: res("AwsS3Bucket", "arn:aws:s3:::customer-exports")}
	}
	get := "GET /customer-exports?publicAccessBlock"
	put := "PUT /customer-exports?publicAccessBlock"
	tests := []struct {
		name     string
		dry      bool
		req      remediate.Request
		script   []awstest.Expect
		steps    []string
		err      string
		is       error
		rollback string
	}{
		{
			name: "partly on: turn all four on",
			req:  bucketReq(),
			script: []awstest.Expect{
				{Op: get, Check: expectedOwner, Reply: pabXML(true, false, false, false)},
				{Op: put, Check: checks(expectedOwner, allOn), Reply: awstest.Reply{}},
			},
			steps:    []string{"read-public-access-block=read", "block-public-access=changed"},
			rollback: "aws s3api put-public-access-block --bucket customer-exports --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false",
		},
		{
			name: "none configured (CloudTrail PutBucketAcl event names the bucket)",
			req:  remediate.Request{Doc: json.RawMessage(`{"detail":{"eventName":"PutBucketAcl","awsRegion":"ap-southeast-2","requestParameters":{"bucketName":"customer-exports"}}}`)},
			script: []awstest.Expect{
				{Op: get, Check: inRegion("ap-southeast-2"), Reply: awstest.S3Error(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")},
				{Op: put, Check: allOn, Reply: awstest.Reply{}},
			},
			steps:    []string{"read-public-access-block=read", "block-public-access=changed"},
			rollback: "aws s3api delete-public-access-block --bucket customer-exports",
		},
		{
			name:   "already all on: unchanged, no write",
			req:    bucketReq(),
			script: []awstest.Expect{{Op: get, Reply: pabXML(true, true, true, true)}},
			steps:  []string{"read-public-access-block=read", "block-public-access=unchanged"},
		},
		{
			name:   "dry run",
			dry:    true,
			req:    remediate.Request{Params: map[string]any{"bucket": "customer-exports"}},
			script: []awstest.Expect{{Op: get, Reply: pabXML(false, false, false, false)}},
			steps:  []string{"read-public-access-block=read", "block-public-access=would-change"},
		},
		{
			name: "throttled (SlowDown) is retried",
			req:  bucketReq(),
			script: []awstest.Expect{
				{Op: get, Reply: awstest.S3Error(503, "SlowDown", "Please reduce your request rate.")},
				{Op: get, Reply: pabXML(true, true, true, true)},
			},
			steps: []string{"read-public-access-block=read", "block-public-access=unchanged"},
		},
		{
			name:   "bucket deleted",
			req:    bucketReq(),
			script: []awstest.Expect{{Op: get, Reply: awstest.S3Error(404, "NoSuchBucket", "The specified bucket does not exist")}},
			steps:  []string{"read-public-access-block=failed"},
			err:    "bucket customer-exports no longer exists", is: remediate.ErrGone,
		},
		{
			name: "access denied (or a bucket of another account)",
			req:  bucketReq(),
			script: []awstest.Expect{
				{Op: get, Reply: pabXML(false, false, false, false)},
				{Op: put, Reply: awstest.S3Error(403, "AccessDenied", "Access Denied")},
			},
			steps: []string{"read-public-access-block=read", "block-public-access=failed"},
			err:   "step block-public-access: access denied to s3:PutBucketPublicAccessBlock",
		},
		{
			name: "no bucket named",
			req:  remediate.Request{Resources: res("AwsEc2Instance", "i-1")},
			err:  "names no S3 bucket", is: remediate.ErrNotApplicable,
		},
		{
			name: "not a bucket name",
			req:  remediate.Request{Params: map[string]any{"bucket": "../etc?x"}},
			err:  "is not an S3 bucket name", is: remediate.ErrNotApplicable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := awstest.New(t, tt.script...)
			r, err := runPB(t, "s3-block-public-access", pbEnv(srv, tt.dry), &tt.req)
			log.add(srv)
			wantErr(t, err, tt.err, tt.is)
			wantSteps(t, r, tt.steps...)
			if tt.rollback != "" && (len(r.Rollback) != 1 || r.Rollback[0] != tt.rollback) {
				t.Errorf("rollback %q, want %q", r.Rollback, tt.rollback)
			}
		})
	}
	log.check(t, "s3-block-public-access")
}

package playbook

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// S3BlockPublicAccess turns on all four S3 Block Public Access settings of
// one bucket (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy,
// RestrictPublicBuckets). It reads the bucket's current settings first and
// changes nothing when all four are already on. Every call carries the
// finding's account as ExpectedBucketOwner, so a finding naming a bucket
// of another account (bucket names are global) fails instead of acting on
// it.
//
// The bucket is the parameter bucket, else the AwsS3Bucket resource (ARN
// or name), else the bucket the finding names (CloudTrail
// requestParameters.bucketName, GuardDuty s3BucketDetails, ASFF details).
type S3BlockPublicAccess struct{}

// Name implements remediate.Playbook.
func (S3BlockPublicAccess) Name() string { return "s3-block-public-access" }

var (
	bucketNameRe = regexp.MustCompile(`^[A-Za-z0-9._-]{3,255}$`)
	accountIDRe  = regexp.MustCompile(`^\d{12}$`)
)

// Run implements remediate.Playbook.
func (S3BlockPublicAccess) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	doc := parseDoc(req.Doc)
	bucket := first(paramString(req, "bucket"), resourceID(req, "AwsS3Bucket"),
		doc.event("requestParameters", "bucketName"),
		doc.event("resource", "s3BucketDetails", "name"),
		doc.str("Resources", "Details", "AwsS3Bucket", "Name"))
	if i := strings.Index(bucket, ":::"); strings.HasPrefix(bucket, "arn:") && i >= 0 {
		bucket = bucket[i+3:]
	}
	if bucket == "" {
		return notApplicable("the finding names no S3 bucket (no AwsS3Bucket resource, no bucket parameter)")
	}
	if !bucketNameRe.MatchString(bucket) {
		return notApplicable("%q is not an S3 bucket name", bucket)
	}
	// Calls go to the bucket's region: the resource's, else the region of
	// the S3 call in the event (S3 records calls in the bucket's region).
	region := doc.event("awsRegion")
	if r, ok := req.Resource("AwsS3Bucket"); ok && r.Region != "" {
		region = r.Region
	}
	var owner *string
	if accountIDRe.MatchString(req.AccountID) {
		owner = aws.String(req.AccountID)
	}
	client := newS3(env.AWS, region)

	var cur s3types.PublicAccessBlockConfiguration
	configured := false
	err := rec.Step("read-public-access-block", false, func(s *remediate.Step) error {
		s.Request = map[string]any{"operation": "s3:GetBucketPublicAccessBlock", "bucket": bucket, "expected_bucket_owner": aws.ToString(owner)}
		out, err := client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket), ExpectedBucketOwner: owner})
		switch code := errorCode(err); {
		case err == nil:
			if out.PublicAccessBlockConfiguration != nil {
				cur, configured = *out.PublicAccessBlockConfiguration, true
			}
		case code == "NoSuchPublicAccessBlockConfiguration":
			// None set: all four are off.
		case code == "NoSuchBucket":
			return goneError("bucket "+bucket+" no longer exists", err)
		default:
			return callError("s3:GetBucketPublicAccessBlock", err)
		}
		s.Before = pabMap(cur, configured)
		s.Detail = fmt.Sprintf("bucket %s: %s", bucket, pabSummary(cur, configured))
		return nil
	})
	if err != nil {
		return err
	}
	rec.Evidence("public_access_block_before", pabMap(cur, configured))

	return rec.Step("block-public-access", true, func(s *remediate.Step) error {
		s.Before = pabMap(cur, configured)
		if pabAllOn(cur) {
			s.Status, s.Detail = remediate.StepUnchanged, "all four Block Public Access settings are already on for bucket "+bucket
			return nil
		}
		on := s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}
		s.Request = map[string]any{"operation": "s3:PutBucketPublicAccessBlock", "bucket": bucket, "expected_bucket_owner": aws.ToString(owner), "configuration": pabMap(on, true)}
		if env.DryRun {
			s.Status, s.Detail = remediate.StepWouldChange, "would turn on all four Block Public Access settings of bucket "+bucket
			return nil
		}
		_, err := client.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(bucket), ExpectedBucketOwner: owner, PublicAccessBlockConfiguration: &on})
		if err != nil {
			if errorCode(err) == "NoSuchBucket" {
				return goneError("bucket "+bucket+" was deleted", err)
			}
			return callError("s3:PutBucketPublicAccessBlock", err)
		}
		s.After = pabMap(on, true)
		s.Status, s.Detail = remediate.StepChanged, "all four Block Public Access settings turned on for bucket "+bucket
		if configured {
			rec.Rollback(fmt.Sprintf("aws s3api put-public-access-block --bucket %s --public-access-block-configuration BlockPublicAcls=%t,IgnorePublicAcls=%t,BlockPublicPolicy=%t,RestrictPublicBuckets=%t",
				bucket, aws.ToBool(cur.BlockPublicAcls), aws.ToBool(cur.IgnorePublicAcls), aws.ToBool(cur.BlockPublicPolicy), aws.ToBool(cur.RestrictPublicBuckets)))
		} else {
			rec.Rollback("aws s3api delete-public-access-block --bucket " + bucket)
		}
		rec.Note("Bucket " + bucket + " no longer honours public ACLs or public bucket policies. If it served a website or public downloads on purpose, serve them through CloudFront with origin access control instead of undoing this.")
		return nil
	})
}

func pabAllOn(c s3types.PublicAccessBlockConfiguration) bool {
	return aws.ToBool(c.BlockPublicAcls) && aws.ToBool(c.IgnorePublicAcls) && aws.ToBool(c.BlockPublicPolicy) && aws.ToBool(c.RestrictPublicBuckets)
}

func pabMap(c s3types.PublicAccessBlockConfiguration, configured bool) map[string]any {
	return map[string]any{
		"configured":              configured,
		"block_public_acls":       aws.ToBool(c.BlockPublicAcls),
		"ignore_public_acls":      aws.ToBool(c.IgnorePublicAcls),
		"block_public_policy":     aws.ToBool(c.BlockPublicPolicy),
		"restrict_public_buckets": aws.ToBool(c.RestrictPublicBuckets),
	}
}

func pabSummary(c s3types.PublicAccessBlockConfiguration, configured bool) string {
	if !configured {
		return "no Block Public Access configuration"
	}
	var off []string
	for _, x := range []struct {
		name string
		v    *bool
	}{{"BlockPublicAcls", c.BlockPublicAcls}, {"IgnorePublicAcls", c.IgnorePublicAcls}, {"BlockPublicPolicy", c.BlockPublicPolicy}, {"RestrictPublicBuckets", c.RestrictPublicBuckets}} {
		if !aws.ToBool(x.v) {
			off = append(off, x.name)
		}
	}
	if len(off) == 0 {
		return "all four settings on"
	}
	return "off: " + strings.Join(off, ", ")
}

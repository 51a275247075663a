package normalize

import "strings"

// arnPart returns field n (0 arn, 1 partition, 2 service, 3 region,
// 4 account, 5 resource) of an ARN, "" if s is not one.
func arnPart(s string, n int) string {
	if !strings.HasPrefix(s, "arn:") {
		return ""
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return parts[n]
}

func arnRegion(s string) string    { return arnPart(s, 3) }
func arnAccount(s string) string   { return arnPart(s, 4) }
func arnPartition(s string) string { return arnPart(s, 1) }

// awsProducts names the AWS integrations by the last element of their
// Security Hub product ARN (arn:aws:securityhub:REGION::product/aws/NAME).
var awsProducts = map[string]string{
	"securityhub":           "Security Hub",
	"guardduty":             "GuardDuty",
	"inspector":             "Inspector",
	"macie":                 "Macie",
	"access-analyzer":       "IAM Access Analyzer",
	"config":                "Config",
	"firewall-manager":      "Firewall Manager",
	"health":                "Health",
	"ssm-patch-manager":     "Systems Manager Patch Manager",
	"ssm-opsCenter":         "Systems Manager OpsCenter",
	"detective":             "Detective",
	"audit-manager":         "Audit Manager",
	"chatbot":               "Chatbot",
	"route53resolver":       "Route 53 Resolver DNS Firewall",
	"trusted-advisor":       "Trusted Advisor",
	"securitylake":          "Security Lake",
	"codeguru-reviewer":     "CodeGuru Reviewer",
	"codeguru-profiler":     "CodeGuru Profiler",
	"security-hub-findings": "Security Hub",
}

// productFromArn derives a product name from a Security Hub product ARN:
// the AWS name for AWS integrations, the product element otherwise.
func productFromArn(arn string) string {
	res := arnPart(arn, 5)
	rest, ok := strings.CutPrefix(res, "product/")
	if !ok {
		return ""
	}
	company, product, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	if company == "aws" {
		if name, ok := awsProducts[product]; ok {
			return name
		}
	}
	return product
}

// asffResourceTypes maps CloudFormation-style resource types (AWS Config,
// OCSF resources) onto ASFF resource types where the plain rule
// (drop "::", Ec2 for EC2) would get them wrong.
var asffResourceTypes = map[string]string{
	"AWS::EC2::Instance":                        "AwsEc2Instance",
	"AWS::EC2::SecurityGroup":                   "AwsEc2SecurityGroup",
	"AWS::EC2::VPC":                             "AwsEc2Vpc",
	"AWS::EC2::Subnet":                          "AwsEc2Subnet",
	"AWS::EC2::Volume":                          "AwsEc2Volume",
	"AWS::EC2::NetworkAcl":                      "AwsEc2NetworkAcl",
	"AWS::EC2::EIP":                             "AwsEc2Eip",
	"AWS::S3::Bucket":                           "AwsS3Bucket",
	"AWS::S3::Object":                           "AwsS3Object",
	"AWS::IAM::User":                            "AwsIamUser",
	"AWS::IAM::Role":                            "AwsIamRole",
	"AWS::IAM::Policy":                          "AwsIamPolicy",
	"AWS::IAM::Group":                           "AwsIamGroup",
	"AWS::IAM::AccessKey":                       "AwsIamAccessKey",
	"AWS::RDS::DBInstance":                      "AwsRdsDbInstance",
	"AWS::RDS::DBCluster":                       "AwsRdsDbCluster",
	"AWS::RDS::DBSnapshot":                      "AwsRdsDbSnapshot",
	"AWS::Lambda::Function":                     "AwsLambdaFunction",
	"AWS::KMS::Key":                             "AwsKmsKey",
	"AWS::CloudTrail::Trail":                    "AwsCloudTrailTrail",
	"AWS::EKS::Cluster":                         "AwsEksCluster",
	"AWS::ECS::Cluster":                         "AwsEcsCluster",
	"AWS::ECR::Repository":                      "AwsEcrRepository",
	"AWS::DynamoDB::Table":                      "AwsDynamoDbTable",
	"AWS::SNS::Topic":                           "AwsSnsTopic",
	"AWS::SQS::Queue":                           "AwsSqsQueue",
	"AWS::::Account":                            "AwsAccount",
	"AWS::ElasticLoadBalancingV2::LoadBalancer": "AwsElbv2LoadBalancer",
}

// asffResourceType converts "AWS::EC2::SecurityGroup" to
// "AwsEc2SecurityGroup"; a type that is not CloudFormation-style is kept.
func asffResourceType(t string) string {
	if v, ok := asffResourceTypes[t]; ok {
		return v
	}
	if !strings.Contains(t, "::") {
		return t
	}
	var b strings.Builder
	for _, part := range strings.Split(t, "::") {
		if part == "" {
			continue
		}
		if strings.ToUpper(part) == part { // EC2 -> Ec2, IAM -> Iam
			part = part[:1] + strings.ToLower(part[1:])
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

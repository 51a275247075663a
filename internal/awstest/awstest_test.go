package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func TestProtocols(t *testing.T) {
	s := New(t,
		Expect{Op: "DescribeInstances", Check: func(t testing.TB, c *Call) {
			if got := c.Form.Get("InstanceId.1"); got != "i-1" || c.Service != "ec2" || c.Region != "eu-west-1" {
				t.Errorf("instance %q service %q region %q", got, c.Service, c.Region)
			}
		}, Reply: Reply{Body: `<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>`}},
		Expect{Op: "GetParameter", Check: func(t testing.TB, c *Call) {
			if c.JSON["Name"] != "/p" {
				t.Errorf("json %v", c.JSON)
			}
		}, Reply: Reply{Body: `{"Parameter":{"Name":"/p","Value":"v"}}`}},
		Expect{Op: "GetParameter", Reply: JSONError(400, "ThrottlingException", "slow down")},
		Expect{Op: "GetParameter", Reply: Reply{Body: `{"Parameter":{"Name":"/p","Value":"v2"}}`}},
		Expect{Op: "PUT /bkt?publicAccessBlock", Reply: Reply{}},
	)
	ctx := context.Background()
	cfg := s.Config("eu-west-1")
	if _, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-1"}}); err != nil {
		t.Fatal(err)
	}
	sc := ssm.NewFromConfig(cfg)
	for _, want := range []string{"v", "v2"} {
		out, err := sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
		if err != nil || *out.Parameter.Value != want {
			t.Fatalf("GetParameter: %v %v", out, err)
		}
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("bkt"), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
}

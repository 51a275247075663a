package awscred

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/wardenhq/warden/internal/awstest"
)

const member = "222233334444"

var t0 = time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// assumeReply is STS's AssumeRole answer.
func assumeReply(keyID, token string, expires time.Time) awstest.Reply {
	return awstest.Reply{Body: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
		`<AssumedRoleUser><Arn>arn:aws:sts::` + member + `:assumed-role/WardenRemediation/s</Arn><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId></AssumedRoleUser>` +
		`<Credentials><AccessKeyId>` + keyID + `</AccessKeyId><SecretAccessKey>member-secret</SecretAccessKey><SessionToken>` + token + `</SessionToken>` +
		`<Expiration>` + expires.UTC().Format(time.RFC3339) + `</Expiration></Credentials></AssumeRoleResult>` +
		`<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>`}
}

// assumeCall checks the AssumeRole wire request.
func assumeCall(roleARN, externalID, session string) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		for k, want := range map[string]string{"Action": "AssumeRole", "RoleArn": roleARN, "ExternalId": externalID, "RoleSessionName": session, "DurationSeconds": "3600"} {
			if got := c.Form.Get(k); got != want {
				t.Errorf("AssumeRole %s = %q, want %q", k, got, want)
			}
		}
		if c.Service != "sts" || !strings.Contains(c.Header.Get("Authorization"), "Credential=AKIDTEST/") {
			t.Errorf("AssumeRole not signed by the engine: service %q, auth %q", c.Service, c.Header.Get("Authorization"))
		}
	}
}

// signedBy checks a call was signed with the given temporary credentials.
func signedBy(keyID, token, region string) func(testing.TB, *awstest.Call) {
	return func(t testing.TB, c *awstest.Call) {
		t.Helper()
		if !strings.Contains(c.Header.Get("Authorization"), "Credential="+keyID+"/") {
			t.Errorf("%s signed with %q, want key %s", c.Op, c.Header.Get("Authorization"), keyID)
		}
		if got := c.Header.Get("X-Amz-Security-Token"); got != token {
			t.Errorf("%s security token %q, want %q", c.Op, got, token)
		}
		if c.Region != region {
			t.Errorf("%s region %q, want %q", c.Op, c.Region, region)
		}
	}
}

var describe = awstest.Reply{Body: `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><reservationSet/></DescribeInstancesResponse>`}

func callEC2(t *testing.T, p *Provider, account, region, session string) {
	t.Helper()
	cfg, err := p.Config(context.Background(), account, region, session)
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if _, err := ec2.NewFromConfig(cfg).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
}

func TestAssumeRoleAndCache(t *testing.T) {
	arn := "arn:aws:iam::" + member + ":role/WardenRemediation"
	srv := awstest.New(t,
		awstest.Expect{Op: "AssumeRole", Check: assumeCall(arn, "ext-123", "warden-c2-isolate-17"), Reply: assumeReply("ASIAMEMBER0000000001", "member-token-1", t0.Add(time.Hour))},
		awstest.Expect{Op: "DescribeInstances", Check: signedBy("ASIAMEMBER0000000001", "member-token-1", "eu-west-1"), Reply: describe},
		// A second run in another region of the same account: no AssumeRole.
		awstest.Expect{Op: "DescribeInstances", Check: signedBy("ASIAMEMBER0000000001", "member-token-1", "us-east-1"), Reply: describe},
		// Past the refresh point: a new session.
		awstest.Expect{Op: "AssumeRole", Check: assumeCall(arn, "ext-123", "warden-c2-isolate-17"), Reply: assumeReply("ASIAMEMBER0000000002", "member-token-2", t0.Add(2*time.Hour))},
		awstest.Expect{Op: "DescribeInstances", Check: signedBy("ASIAMEMBER0000000002", "member-token-2", "eu-west-1"), Reply: describe},
	)
	clk := &fakeClock{t: t0}
	p := New(Options{Base: srv.Config("eu-west-1"), ExternalID: "ext-123", EngineAccount: "111122223333", Clock: clk.now})
	callEC2(t, p, member, "eu-west-1", SessionName("c2-isolate", "warden-17"))
	clk.set(t0.Add(50 * time.Minute)) // still 10 minutes left: reuse
	callEC2(t, p, member, "us-east-1", SessionName("other-rule", "warden-18"))
	clk.set(t0.Add(56 * time.Minute)) // within the refresh window
	callEC2(t, p, member, "eu-west-1", SessionName("c2-isolate", "warden-19"))
}

func TestEngineAccountUsesBase(t *testing.T) {
	srv := awstest.New(t, awstest.Expect{Op: "DescribeInstances", Check: signedBy("AKIDTEST", "token", "ap-southeast-2"), Reply: describe})
	p := New(Options{Base: srv.Config("eu-west-1"), EngineAccount: "111122223333"})
	callEC2(t, p, "111122223333", "ap-southeast-2", "s")
}

func TestAssumeRoleDenied(t *testing.T) {
	srv := awstest.New(t, awstest.Expect{Op: "AssumeRole", Reply: awstest.QueryError(403, "AccessDenied",
		"User: arn:aws:sts::111122223333:assumed-role/warden/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222233334444:role/sec/Warden-eu-west-1")})
	p := New(Options{Base: srv.Config("eu-west-1"), RoleName: "sec/Warden-{region}"})
	_, err := p.Config(context.Background(), member, "eu-west-1", "s")
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.HasPrefix(err.Error(), "assuming role arn:aws:iam::222233334444:role/sec/Warden-eu-west-1: ") || !IsAssumeError(err) {
		t.Errorf("error %q does not name the role", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("error %v does not carry the STS error code", err)
	}
}

func TestAssumeRoleThrottledIsRetried(t *testing.T) {
	srv := awstest.New(t,
		awstest.Expect{Op: "AssumeRole", Reply: awstest.QueryError(400, "Throttling", "Rate exceeded")},
		awstest.Expect{Op: "AssumeRole", Reply: assumeReply("ASIAMEMBER0000000003", "tok-3", t0.Add(time.Hour))},
		awstest.Expect{Op: "DescribeInstances", Check: signedBy("ASIAMEMBER0000000003", "tok-3", "eu-west-1"), Reply: describe},
	)
	p := New(Options{Base: srv.Config("eu-west-1"), Clock: func() time.Time { return t0 }})
	callEC2(t, p, member, "eu-west-1", "s")
}

func TestConcurrentCallersShareOneSession(t *testing.T) {
	srv := awstest.New(t, awstest.Expect{Op: "AssumeRole", Reply: assumeReply("ASIAMEMBER0000000004", "tok-4", t0.Add(time.Hour))})
	p := New(Options{Base: srv.Config("eu-west-1"), Clock: func() time.Time { return t0 }})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, err := p.Config(context.Background(), member, "eu-west-1", "s")
			if err == nil {
				var c aws.Credentials
				if c, err = cfg.Credentials.Retrieve(context.Background()); err == nil && c.AccessKeyID != "ASIAMEMBER0000000004" {
					err = errors.New("wrong key " + c.AccessKeyID)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestDefaultRetryerIsAdaptive(t *testing.T) {
	p := New(Options{Base: aws.Config{Region: "eu-west-1"}, EngineAccount: "111122223333"})
	cfg, err := p.Config(context.Background(), "111122223333", "eu-central-1", "s")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Retryer().(*retry.AdaptiveMode); !ok {
		t.Errorf("retryer %T, want adaptive mode", cfg.Retryer())
	}
	if cfg.Region != "eu-central-1" {
		t.Errorf("region %q", cfg.Region)
	}
}

func TestConfigInput(t *testing.T) {
	p := New(Options{RoleName: "bad name {account_id}"})
	tests := []struct{ account, region, err string }{
		{"12345", "eu-west-1", "want 12 digits"},
		{member, "moon-1", "not an AWS region"},
		{member, "eu-west-1", `role name "bad name 222233334444"`},
	}
	for _, tt := range tests {
		_, err := p.Config(context.Background(), tt.account, tt.region, "s")
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Config(%s, %s) = %v, want %q", tt.account, tt.region, err, tt.err)
		}
	}
}

func TestRoleARN(t *testing.T) {
	tests := []struct{ name, region, want string }{
		{"", "eu-west-1", "arn:aws:iam::222233334444:role/WardenRemediation"},
		{"Warden-{account_id}-{region}", "cn-north-1", "arn:aws-cn:iam::222233334444:role/Warden-222233334444-cn-north-1"},
		{"security/Warden", "us-gov-west-1", "arn:aws-us-gov:iam::222233334444:role/security/Warden"},
	}
	for _, tt := range tests {
		got, err := New(Options{RoleName: tt.name}).RoleARN(member, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("RoleARN(%q, %s) = %q, %v; want %q", tt.name, tt.region, got, err, tt.want)
		}
	}
}

func TestSessionName(t *testing.T) {
	long := strings.Repeat("r", 80)
	tests := []struct{ rule, caseID, want string }{
		{"c2-isolate", "warden-17", "warden-c2-isolate-17"},
		{"rule with spaces/and:colons", "case#1", "warden-rule-with-spaces-and-colons-case-1"},
		{"", "", "warden-run"},
		{long, "warden-123456", "warden-" + strings.Repeat("r", 50) + "-123456"},
		{"x", strings.Repeat("c", 80), "warden-x-" + strings.Repeat("c", 55)},
		{"r", "ünï", "warden-r---n--"},
	}
	for _, tt := range tests {
		got := SessionName(tt.rule, tt.caseID)
		if got != tt.want {
			t.Errorf("SessionName(%q, %q) = %q, want %q", tt.rule, tt.caseID, got, tt.want)
		}
		if len(got) > 64 || len(got) < 2 || sanitize(got) != got {
			t.Errorf("SessionName(%q, %q) = %q breaks STS rules", tt.rule, tt.caseID, got)
		}
	}
}

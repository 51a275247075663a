package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/awstest"
)

const topSecret = "s3cr3t-VALUE-xyz"

func TestIsRef(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"env:SLACK_TOKEN", true},
		{"file:secrets/token", true},
		{"ssm:/warden/slack", true},
		{"secretsmanager:warden/jira#token", true},
		{"env:", false},
		{"ssm:", false},
		{"xoxb-1234", false},
		{"https://hooks.slack.com/x", false},
		{"vault:secret/x", false},
		{"", false},
	} {
		if got := IsRef(tc.in); got != tc.want {
			t.Errorf("IsRef(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestResolveLocal(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("plain", topSecret)
	write("nl", topSecret+"\n")
	write("crlf", topSecret+"\r\n")
	write("twonl", topSecret+"\n\n")
	write("empty", "")
	env := map[string]string{"TOKEN": topSecret, "EMPTY": ""}
	c := New(Options{BaseDir: dir, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	for _, tc := range []struct {
		ref, want, err string
	}{
		{ref: "env:TOKEN", want: topSecret},
		{ref: "env:MISSING", err: "resolving secret env:MISSING: environment variable MISSING is not set"},
		{ref: "env:EMPTY", err: "resolving secret env:EMPTY: the secret is empty"},
		{ref: "file:plain", want: topSecret},
		{ref: "file:" + filepath.Join(dir, "plain"), want: topSecret},
		{ref: "file:nl", want: topSecret},
		{ref: "file:crlf", want: topSecret},
		{ref: "file:twonl", want: topSecret + "\n"},
		{ref: "file:empty", err: "the secret is empty"},
		{ref: "file:nope", err: "resolving secret file:nope: file " + filepath.Join(dir, "nope") + " does not exist"},
		{ref: topSecret, err: "the value is not a reference"},
		{ref: "vault:" + topSecret, err: "the value is not a reference"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			got, err := c.Resolve(context.Background(), tc.ref)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), topSecret) {
					t.Fatalf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func getParameter(name string, region string, value string) awstest.Expect {
	return awstest.Expect{Op: "GetParameter", Check: func(t testing.TB, c *awstest.Call) {
		if c.JSON["Name"] != name || c.JSON["WithDecryption"] != true {
			t.Errorf("GetParameter input %v, want Name %s WithDecryption true", c.JSON, name)
		}
		if c.Service != "ssm" || c.Region != region {
			t.Errorf("signed for %s/%s, want ssm/%s", c.Service, c.Region, region)
		}
	}, Reply: awstest.Reply{Body: `{"Parameter":{"Name":"` + name + `","Type":"SecureString","Value":"` + value + `","Version":3}}`}}
}

func getSecret(id, body string) awstest.Expect {
	return awstest.Expect{Op: "GetSecretValue", Check: func(t testing.TB, c *awstest.Call) {
		if c.JSON["SecretId"] != id || c.Service != "secretsmanager" {
			t.Errorf("GetSecretValue input %v service %s, want SecretId %s", c.JSON, c.Service, id)
		}
	}, Reply: awstest.Reply{Body: body}}
}

func awsCache(srv *awstest.Server, clock func() time.Time) *Cache {
	return New(Options{
		AWS:   func(context.Context) (aws.Config, error) { return srv.Config("eu-west-1"), nil },
		Clock: clock,
	})
}

func TestResolveAWS(t *testing.T) {
	arn := "arn:aws:ssm:eu-central-1:111122223333:parameter/warden/pd"
	smARN := "arn:aws:secretsmanager:us-east-2:111122223333:secret:warden/jira-AbCdEf"
	for _, tc := range []struct {
		name   string
		ref    string
		script []awstest.Expect
		want   string
		err    string
		notFnd bool
	}{
		{name: "ssm", ref: "ssm:/warden/slack", script: []awstest.Expect{getParameter("/warden/slack", "eu-west-1", topSecret)}, want: topSecret},
		{name: "ssm arn region", ref: "ssm:" + arn, script: []awstest.Expect{getParameter(arn, "eu-central-1", topSecret)}, want: topSecret},
		{name: "ssm not found", ref: "ssm:/nope", script: []awstest.Expect{{Op: "GetParameter", Reply: awstest.JSONError(400, "ParameterNotFound", "")}},
			err: "resolving secret ssm:/nope: SSM parameter /nope: not found", notFnd: true},
		{name: "ssm access denied", ref: "ssm:/denied", script: []awstest.Expect{{Op: "GetParameter", Reply: awstest.JSONError(400, "AccessDeniedException", "not authorized to perform ssm:GetParameter")}},
			err: "resolving secret ssm:/denied: reading SSM parameter /denied:"},
		{name: "ssm throttled then ok", ref: "ssm:/t", script: []awstest.Expect{
			{Op: "GetParameter", Reply: awstest.JSONError(400, "ThrottlingException", "rate exceeded")},
			getParameter("/t", "eu-west-1", topSecret)}, want: topSecret},
		{name: "secretsmanager string", ref: "secretsmanager:warden/pd",
			script: []awstest.Expect{getSecret("warden/pd", `{"Name":"warden/pd","SecretString":"`+topSecret+`"}`)}, want: topSecret},
		{name: "secretsmanager json key", ref: "secretsmanager:warden/jira#api_token",
			script: []awstest.Expect{getSecret("warden/jira", `{"Name":"warden/jira","SecretString":"{\"user\":\"bot\",\"api_token\":\"`+topSecret+`\"}"}`)}, want: topSecret},
		{name: "secretsmanager json number", ref: "secretsmanager:warden/n#port",
			script: []awstest.Expect{getSecret("warden/n", `{"SecretString":"{\"port\":5432}"}`)}, want: "5432"},
		{name: "secretsmanager arn", ref: "secretsmanager:" + smARN + "#user",
			script: []awstest.Expect{getSecret(smARN, `{"SecretString":"{\"user\":\"bot\"}"}`)}, want: "bot"},
		{name: "secretsmanager missing key", ref: "secretsmanager:warden/jira#token",
			script: []awstest.Expect{getSecret("warden/jira", `{"SecretString":"{\"api_token\":\"`+topSecret+`\"}"}`)},
			err:    `resolving secret secretsmanager:warden/jira#token: secret has no key "token"`},
		{name: "secretsmanager not json", ref: "secretsmanager:warden/raw#token",
			script: []awstest.Expect{getSecret("warden/raw", `{"SecretString":"`+topSecret+`"}`)},
			err:    `secret is not a JSON object, so it has no key "token"`},
		{name: "secretsmanager binary", ref: "secretsmanager:warden/bin",
			script: []awstest.Expect{getSecret("warden/bin", `{"SecretBinary":"czNjcjN0LVZBTFVFLXh5eg=="}`)}, want: topSecret},
		{name: "secretsmanager not found", ref: "secretsmanager:gone", script: []awstest.Expect{{Op: "GetSecretValue", Reply: awstest.JSONError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")}},
			err: "resolving secret secretsmanager:gone: secret gone: not found", notFnd: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := awstest.New(t, tc.script...)
			got, err := awsCache(srv, nil).Resolve(context.Background(), tc.ref)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), topSecret) {
					t.Fatalf("error leaks the secret: %v", err)
				}
				if errors.Is(err, ErrNotFound) != tc.notFnd {
					t.Fatalf("errors.Is(err, ErrNotFound) = %v", !tc.notFnd)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestResolveNoAWS(t *testing.T) {
	_, err := New(Options{}).Resolve(context.Background(), "ssm:/x")
	if err == nil || !strings.Contains(err.Error(), "resolving secret ssm:/x: no AWS configuration") {
		t.Fatalf("err = %v", err)
	}
}

func TestCacheTTL(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	srv := awstest.New(t,
		getParameter("/p", "eu-west-1", "v1"),
		getParameter("/p", "eu-west-1", "v2"),
	)
	c := awsCache(srv, clock)
	ctx := context.Background()
	for i, step := range []struct {
		advance time.Duration
		want    string
		calls   int
	}{
		{0, "v1", 1},
		{time.Minute, "v1", 1},
		{4*time.Minute - time.Second, "v1", 1}, // 4m59s after the read
		{time.Second, "v2", 2},                 // 5m: expired
		{time.Minute, "v2", 2},
	} {
		now = now.Add(step.advance)
		got, err := c.Resolve(ctx, "ssm:/p")
		if err != nil || got != step.want || len(srv.Calls()) != step.calls {
			t.Fatalf("step %d: got %q, %v after %d calls; want %q after %d", i, got, err, len(srv.Calls()), step.want, step.calls)
		}
	}
}

func TestFailureNotCached(t *testing.T) {
	srv := awstest.New(t,
		awstest.Expect{Op: "GetParameter", Reply: awstest.JSONError(400, "AccessDeniedException", "denied")},
		getParameter("/p", "eu-west-1", "v1"),
	)
	c := awsCache(srv, nil)
	if _, err := c.Resolve(context.Background(), "ssm:/p"); err == nil {
		t.Fatal("first read: want an error")
	}
	if got, err := c.Resolve(context.Background(), "ssm:/p"); err != nil || got != "v1" {
		t.Fatalf("second read: %q, %v", got, err)
	}
}

// TestConcurrentCallersShareOneRead holds the first read open while
// other callers arrive: they must wait for it, not read themselves.
func TestConcurrentCallersShareOneRead(t *testing.T) {
	var reads atomic.Int32
	entered := make(chan struct{})
	release := make(chan struct{})
	c := New(Options{LookupEnv: func(string) (string, bool) {
		if reads.Add(1) == 1 {
			close(entered)
			<-release
		}
		return topSecret, true
	}})
	const n = 8
	var wg sync.WaitGroup
	results := make(chan string, n+1)
	resolve := func() {
		defer wg.Done()
		v, err := c.Resolve(context.Background(), "env:TOKEN")
		if err != nil {
			t.Error(err)
		}
		results <- v
	}
	wg.Add(1)
	go resolve()
	<-entered
	wg.Add(n)
	for range n {
		go resolve()
	}
	// Give the others time to arrive; a cache without shared reads
	// would call LookupEnv again here.
	for i := 0; i < 50 && reads.Load() == 1; i++ {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != topSecret {
			t.Errorf("got %q", v)
		}
	}
	if got := reads.Load(); got != 1 {
		t.Fatalf("%d reads, want 1", got)
	}
}

func TestWaiterContextEnds(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	c := New(Options{LookupEnv: func(string) (string, bool) {
		close(entered)
		<-release
		return topSecret, true
	}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := c.Resolve(context.Background(), "env:T"); err != nil {
			t.Error(err)
		}
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Resolve(ctx, "env:T")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "env:T") {
		t.Fatalf("err = %v", err)
	}
	close(release)
	<-done
}

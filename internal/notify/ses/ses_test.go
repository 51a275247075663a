package ses

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/wardenhq/warden/internal/awstest"
	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

const sendOp = "POST /v2/email/outbound-emails"

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func message() *notify.Message {
	return &notify.Message{Receiver: "ses-mail", Kind: notify.KindFiring, Now: now, Items: []notify.Item{{
		Kind: notify.KindFiring,
		Record: decide.Record{
			FindingID: "arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f1", Product: "GuardDuty",
			Title:     `C2 <script>alert(1)</script>` + "\r\nBcc: victim@evil.example",
			AccountID: "111122223333", Region: "us-east-1", Severity: finding.SeverityHigh,
			Enrichment: enrich.Context{AccountName: "payments-prod", Owner: "alice@example.com"},
			FirstSeen:  now, DecidedAt: now,
		},
		ConsoleURL: "https://console.aws.amazon.com/guardduty/home",
	}}}
}

func newReceiver(t *testing.T, srv *awstest.Server, settings map[string]any, templates string) notify.Receiver {
	t.Helper()
	set, err := tmpl.Load(templates)
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]any{"from": "Warden <warden@example.com>", "to": []any{"soc@example.com", "{owner}"}, "cc": []any{"{security_contact}"}}
	for k, v := range settings {
		base[k] = v
	}
	r, err := notify.New(notify.Config{
		Name: "ses-mail", Type: Type, Settings: base, Templates: set,
		AWS: func(context.Context) (aws.Config, error) { return srv.Config("us-east-1"), nil },
		Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rawMessage decodes Content.Raw.Data of a SendEmail request and parses
// the MIME message in it.
func rawMessage(t testing.TB, c *awstest.Call) (*mail.Message, map[string]string) {
	t.Helper()
	content, _ := c.JSON["Content"].(map[string]any)
	rawPart, _ := content["Raw"].(map[string]any)
	data, _ := rawPart["Data"].(string)
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(raw) == 0 {
		t.Fatalf("Content.Raw.Data: %v (%q)", err, c.Body)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		parts[strings.Split(p.Header.Get("Content-Type"), ";")[0]] = string(b)
	}
	return m, parts
}

func TestSend(t *testing.T) {
	srv := awstest.New(t, awstest.Expect{Op: sendOp, Check: func(t testing.TB, c *awstest.Call) {
		if c.Service != "ses" || c.Region != "eu-west-1" {
			t.Errorf("service %q region %q", c.Service, c.Region)
		}
		if c.JSON["FromEmailAddress"] != `"Warden" <warden@example.com>` || c.JSON["ConfigurationSetName"] != "warden-events" {
			t.Errorf("from %v configuration set %v", c.JSON["FromEmailAddress"], c.JSON["ConfigurationSetName"])
		}
		dest, _ := c.JSON["Destination"].(map[string]any)
		if to, _ := dest["ToAddresses"].([]any); len(to) != 2 || to[0] != "alice@example.com" || to[1] != "soc@example.com" {
			t.Errorf("ToAddresses %v", dest["ToAddresses"])
		}
		if _, ok := dest["CcAddresses"]; ok { // {security_contact} is empty
			t.Errorf("CcAddresses %v", dest["CcAddresses"])
		}
		if tags, _ := c.JSON["EmailTags"].([]any); len(tags) != 1 {
			t.Errorf("EmailTags %v", c.JSON["EmailTags"])
		}
		m, parts := rawMessage(t, c)
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if subject != "[ses] [HIGH] payments-prod: C2 <script>alert(1)</script> Bcc: victim@evil.example" || m.Header.Get("Bcc") != "" {
			t.Errorf("subject %q, Bcc %q", subject, m.Header.Get("Bcc"))
		}
		if h := parts["text/html"]; !strings.Contains(h, "C2 &lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(h, "<script") {
			t.Errorf("html part not escaped:\n%s", h)
		}
		if !strings.Contains(parts["text/plain"], "C2 <script>alert(1)</script>") {
			t.Errorf("text part:\n%s", parts["text/plain"])
		}
	}, Reply: awstest.Reply{Body: `{"MessageId":"0100018c-abc"}`}})
	r := newReceiver(t, srv, map[string]any{"region": "eu-west-1", "configuration_set": "warden-events", "subject_prefix": "[ses] "}, "")
	res, err := r.Send(context.Background(), message())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Detail, "0100018c-abc") {
		t.Errorf("detail %q", res.Detail)
	}
}

func TestSendUsesSESTemplates(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ses.subject.tmpl"), []byte("SES: {{ oneline (index .Items 0).Record.Title }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := awstest.New(t, awstest.Expect{Op: sendOp, Check: func(t testing.TB, c *awstest.Call) {
		if c.Region != "us-east-1" {
			t.Errorf("region %q", c.Region)
		}
		m, parts := rawMessage(t, c)
		if s, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); !strings.HasPrefix(s, "SES: C2 <script>") {
			t.Errorf("subject %q", s)
		}
		if !strings.Contains(parts["text/html"], "<html") { // the email template
			t.Errorf("html part %q", parts["text/html"])
		}
	}, Reply: awstest.Reply{Body: `{"MessageId":"m-2"}`}})
	if _, err := newReceiver(t, srv, nil, dir).Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
}

func TestSendThrottledIsRetried(t *testing.T) {
	srv := awstest.New(t,
		awstest.Expect{Op: sendOp, Reply: awstest.JSONError(429, "TooManyRequestsException", "Too many requests")},
		awstest.Expect{Op: sendOp, Reply: awstest.JSONError(429, "TooManyRequestsException", "Too many requests")},
		awstest.Expect{Op: sendOp, Reply: awstest.Reply{Body: `{"MessageId":"m-3"}`}},
	)
	res, err := newReceiver(t, srv, nil, "").Send(context.Background(), message())
	if err != nil || !strings.Contains(res.Detail, "m-3") {
		t.Fatalf("%v %q", err, res.Detail)
	}
	if n := len(srv.Ops()); n != 3 {
		t.Errorf("%d calls", n)
	}
}

func TestSendErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		replies   []awstest.Reply
		permanent bool
		want      string
	}{
		{"message rejected", []awstest.Reply{awstest.JSONError(400, "MessageRejected", "Email address is not verified.")}, true, "MessageRejected"},
		{"sender domain not verified", []awstest.Reply{awstest.JSONError(400, "MailFromDomainNotVerifiedException", "not verified")}, true, "MailFromDomainNotVerified"},
		{"sending paused", []awstest.Reply{awstest.JSONError(400, "SendingPausedException", "paused")}, true, "SendingPaused"},
		{"access denied", []awstest.Reply{awstest.JSONError(403, "AccessDeniedException", "not authorized to perform ses:SendEmail")}, true, "AccessDenied"},
		{"throttled past the SDK's retries", []awstest.Reply{
			awstest.JSONError(429, "TooManyRequestsException", "slow down"),
			awstest.JSONError(429, "TooManyRequestsException", "slow down"),
			awstest.JSONError(429, "TooManyRequestsException", "slow down"),
		}, false, "TooManyRequests"},
		{"sending quota, retried by the SDK and then by the dispatcher", []awstest.Reply{
			awstest.JSONError(400, "LimitExceededException", "Maximum sending rate exceeded"),
			awstest.JSONError(400, "LimitExceededException", "Maximum sending rate exceeded"),
			awstest.JSONError(400, "LimitExceededException", "Maximum sending rate exceeded"),
		}, false, "LimitExceeded"},
		{"service error past the SDK's retries", []awstest.Reply{
			awstest.JSONError(500, "InternalFailure", "oops"),
			awstest.JSONError(503, "ServiceUnavailable", "oops"),
			awstest.JSONError(500, "InternalFailure", "oops"),
		}, false, "InternalFailure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var script []awstest.Expect
			for _, rep := range tc.replies {
				script = append(script, awstest.Expect{Op: sendOp, Reply: rep})
			}
			srv := awstest.New(t, script...)
			_, err := newReceiver(t, srv, nil, "").Send(context.Background(), message())
			if err == nil || notify.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v (permanent %v), want %q (permanent %v)", err, notify.IsPermanent(err), tc.want, tc.permanent)
			}
		})
	}
}

func TestSendWithoutRecipientsOrAWS(t *testing.T) {
	srv := awstest.New(t) // no call may reach SES
	set, _ := tmpl.Default()
	msg := message()
	msg.Items[0].Record.Enrichment.Owner = ""
	r, err := New(notify.Config{Name: "s", Type: Type, Templates: set, Settings: map[string]any{"from": "w@example.com", "to": []any{"{owner}"}},
		AWS: func(context.Context) (aws.Config, error) { return srv.Config("us-east-1"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Send(context.Background(), msg); !notify.IsPermanent(err) || !strings.Contains(err.Error(), "no recipient left") {
		t.Errorf("error %v", err)
	}
	r, _ = New(notify.Config{Name: "s", Type: Type, Templates: set, Settings: map[string]any{"from": "w@example.com", "to": []any{"a@example.com"}}})
	if _, err := r.Send(context.Background(), message()); !notify.IsPermanent(err) {
		t.Errorf("no AWS: %v", err)
	}
	failing := errors.New("no credentials")
	r, _ = New(notify.Config{Name: "s", Type: Type, Templates: set, Settings: map[string]any{"from": "w@example.com", "to": []any{"a@example.com"}},
		AWS: func(context.Context) (aws.Config, error) { return aws.Config{}, failing }})
	if _, err := r.Send(context.Background(), message()); !errors.Is(err, failing) || notify.IsPermanent(err) {
		t.Errorf("AWS config error: %v", err)
	}
}

func TestSettings(t *testing.T) {
	set, _ := tmpl.Default()
	for _, tc := range []struct {
		settings map[string]any
		want     string
	}{
		{map[string]any{"from": "w@example.com", "to": []any{"a@example.com"}, "region": "eu-central-1", "configuration_set": "cs_1"}, ""},
		{map[string]any{"to": []any{"a@example.com"}}, "from: required"},
		{map[string]any{"from": "w@example.com", "to": []any{"a@example.com"}, "region": "mars"}, `region: "mars"`},
		{map[string]any{"from": "w@example.com", "to": []any{"a@example.com"}, "configuration_set": "bad name"}, "configuration_set:"},
		{map[string]any{"from": "w@example.com", "to": []any{"{nope}"}}, "to[0]: unknown recipient token"},
		{map[string]any{"from": "w@example.com", "to": []any{"a@example.com"}, "smtp_host": "x"}, "smtp_host: unknown setting"},
	} {
		_, err := New(notify.Config{Name: "s", Type: Type, Settings: tc.settings, Templates: set})
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: error %v, want %q", tc.settings, err, tc.want)
		}
	}
}

// Package ses is the "ses" receiver: the email receiver's message sent
// through Amazon SES (API v2 SendEmail) instead of an SMTP server.
//
// It sends Content.Raw: the same MIME message the SMTP receiver builds
// (email.Compose, email.Mail.Encode), rather than Content.Simple. One
// builder means one set of header-injection and encoding tests, and the
// message keeps what Simple would drop or rename: the References and
// In-Reply-To headers that thread every message about a finding, and
// Auto-Submitted, which stops out-of-office replies. SES still sets its
// own Message-ID; the result reports it.
//
// Settings (receivers.yaml `config`):
//
//	from               a verified SES identity, "Warden <warden@example.com>" (required)
//	to, cc             addresses and recipient tokens, as for email
//	region             SES region (default: the AWS configuration's)
//	configuration_set  SES configuration set (event publishing, IP pool)
//	subject_prefix     put before every subject
//
// Templates: ses.<part>.tmpl when the policy repo has them, else the
// email ones. IAM: ses:SendEmail and ses:SendRawEmail on the from
// identity (arn:aws:ses:REGION:ACCOUNT:identity/DOMAIN) and, when set, on
// the configuration set.
package ses

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/email"
)

// Type is the receiver type name.
const Type = "ses"

// Settings are the "ses" receiver's settings.
type Settings struct {
	email.Addressing
	Region           string `json:"region"`
	ConfigurationSet string `json:"configuration_set"`
}

var (
	regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	// SES configuration set names: letters, digits, '_' and '-', up to 64.
	configSetRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// Validate checks the settings; errors name the setting.
func (s *Settings) Validate() error {
	errs := []error{s.Addressing.Validate()}
	if s.Region != "" && !regionRe.MatchString(s.Region) {
		errs = append(errs, fmt.Errorf("region: %q is not an AWS region", s.Region))
	}
	if s.ConfigurationSet != "" && !configSetRe.MatchString(s.ConfigurationSet) {
		errs = append(errs, fmt.Errorf("configuration_set: %q is not a configuration set name", s.ConfigurationSet))
	}
	return errors.Join(errs...)
}

// Receiver sends notifications through Amazon SES.
type Receiver struct {
	name string
	s    Settings
	cfg  notify.Config
	log  *slog.Logger
}

// New builds an SES receiver from its settings. The AWS configuration is
// loaded at send time.
func New(cfg notify.Config) (notify.Receiver, error) {
	var s Settings
	if err := email.Decode(cfg.Settings, &s); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if cfg.Templates == nil {
		return nil, errors.New("no templates")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{name: cfg.Name, s: s, cfg: cfg, log: log.With("receiver", cfg.Name, "type", Type)}, nil
}

// Name implements notify.Receiver.
func (r *Receiver) Name() string { return r.name }

// Type implements notify.Receiver.
func (r *Receiver) Type() string { return Type }

// Send renders msg and sends it with SendEmail. The SDK retries
// throttling (TooManyRequestsException) and 5xx replies itself; what is
// left after its attempts is retried by the dispatcher, except rejections
// no retry can fix, which are permanent.
func (r *Receiver) Send(ctx context.Context, msg *notify.Message) (notify.Result, error) {
	m, dropped, err := email.Compose(r.cfg.Templates, r.name, []string{Type, email.Type}, &r.s.Addressing, msg)
	if len(dropped) > 0 {
		r.log.Warn("dropping recipients that are not email addresses", "dropped", dropped)
	}
	if err != nil {
		return notify.Result{}, err
	}
	raw, err := m.Encode()
	if err != nil {
		return notify.Result{}, notify.Permanent(err)
	}
	if r.cfg.AWS == nil {
		return notify.Result{}, notify.Permanent(errors.New("no AWS configuration for the ses receiver"))
	}
	awsCfg, err := r.cfg.AWS(ctx)
	if err != nil {
		return notify.Result{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	client := sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) {
		if r.s.Region != "" {
			o.Region = r.s.Region
		}
	})
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.From.String()),
		Destination:      &types.Destination{ToAddresses: addrs(m.To), CcAddresses: addrs(m.Cc)},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
		EmailTags:        []types.MessageTag{{Name: aws.String("warden_kind"), Value: aws.String(tagValue(string(msg.Kind)))}},
	}
	if r.s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(r.s.ConfigurationSet)
	}
	out, err := client.SendEmail(ctx, in)
	if err != nil {
		return notify.Result{}, classify(err)
	}
	return notify.Result{Detail: fmt.Sprintf("SES message %s to %d recipient(s)", aws.ToString(out.MessageId), len(m.To)+len(m.Cc))}, nil
}

func addrs(list []*mail.Address) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Address)
	}
	return out
}

// tagValue keeps the characters SES allows in a tag value.
func tagValue(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "none"
	}
	return string(b)
}

// permanentCodes are SES errors no retry can fix: the message, the
// sender identity, the account or the request is wrong.
var permanentCodes = map[string]bool{
	"MessageRejected":                    true,
	"MailFromDomainNotVerifiedException": true,
	"AccountSuspendedException":          true,
	"SendingPausedException":             true,
	"BadRequestException":                true,
	"NotFoundException":                  true,
	"AccessDeniedException":              true,
	"ValidationException":                true,
}

func classify(err error) error {
	err = fmt.Errorf("sending email with SES: %w", err)
	var ae smithy.APIError
	if errors.As(err, &ae) && permanentCodes[ae.ErrorCode()] {
		return notify.Permanent(err)
	}
	return err
}

package email

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"

	"github.com/wardenhq/warden/internal/notify"
)

// Addressing are the settings every email receiver (SMTP, SES) has.
type Addressing struct {
	// From is the sender, "Warden <warden@example.com>" or a bare
	// address.
	From string `json:"from"`
	// To and Cc are addresses and dynamic recipient tokens ({owner},
	// {security_contact}, {tag:KEY}, {account_tag:KEY}, {actor}).
	To []string `json:"to"`
	Cc []string `json:"cc"`
	// SubjectPrefix is put before every subject ("[warden] ").
	SubjectPrefix string `json:"subject_prefix"`
}

// Validate checks the addressing settings; errors name the setting.
func (a *Addressing) Validate() error {
	var errs []error
	if strings.TrimSpace(a.From) == "" {
		errs = append(errs, errors.New("from: required"))
	} else if _, err := ParseAddress(a.From); err != nil {
		errs = append(errs, fmt.Errorf("from: %w", err))
	}
	if len(a.To) == 0 {
		errs = append(errs, errors.New("to: at least one recipient is required"))
	}
	errs = append(errs, checkRecipients("to", a.To), checkRecipients("cc", a.Cc))
	if strings.ContainsAny(a.SubjectPrefix, "\r\n") || strings.ContainsFunc(a.SubjectPrefix, isControl) {
		errs = append(errs, errors.New("subject_prefix: must not contain control characters or line breaks"))
	}
	if len(a.SubjectPrefix) > 100 {
		errs = append(errs, errors.New("subject_prefix: longer than 100 bytes"))
	}
	return errors.Join(errs...)
}

func checkRecipients(key string, list []string) error {
	var errs []error
	for i, r := range list {
		switch {
		case notify.IsDynamic(r):
			if !notify.ValidToken(r) {
				errs = append(errs, fmt.Errorf("%s[%d]: unknown recipient token %q (known: {owner}, {security_contact}, {actor}, {tag:KEY}, {account_tag:KEY})", key, i, r))
			}
		default:
			if _, err := ParseAddress(r); err != nil {
				errs = append(errs, fmt.Errorf("%s[%d]: %w", key, i, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ParseAddress parses one address ("Name <a@example.com>" or
// "a@example.com") and refuses anything that could smuggle a header or an
// extra recipient: control characters, line breaks, more than one address,
// group syntax, and non-ASCII addresses (which need SMTPUTF8; names may
// be any Unicode, they are RFC 2047-encoded).
func ParseAddress(s string) (*mail.Address, error) {
	if strings.ContainsFunc(s, isControl) {
		return nil, fmt.Errorf("address %q contains control characters", s)
	}
	if strings.ContainsRune(s, ';') {
		return nil, fmt.Errorf("address %q: groups and lists are not supported (one address per entry)", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("invalid address %q: %w", s, err)
	}
	for _, r := range a.Address {
		if r >= 0x7f || r <= ' ' {
			return nil, fmt.Errorf("address %q: only ASCII addresses are supported", s)
		}
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 || strings.ContainsAny(a.Address, "<>\",;:\\[]()") {
		return nil, fmt.Errorf("invalid address %q", s)
	}
	return a, nil
}

func isControl(r rune) bool {
	return r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// Recipients resolves a receiver's to and cc lists for msg: tokens become
// the items' values, each entry is parsed with ParseAddress, duplicates
// (also across to and cc) are dropped. Entries that are not a valid
// address (a tag holding "n/a", an actor ARN) are returned in dropped.
func (a *Addressing) Recipients(msg *notify.Message) (to, cc []*mail.Address, dropped []string) {
	seen := map[string]bool{}
	pick := func(spec []string) []*mail.Address {
		var out []*mail.Address
		for _, r := range notify.ResolveAll(spec, msg) {
			addr, err := ParseAddress(r)
			if err != nil {
				dropped = append(dropped, r)
				continue
			}
			key := strings.ToLower(addr.Address)
			if !seen[key] {
				seen[key] = true
				out = append(out, addr)
			}
		}
		return out
	}
	to = pick(a.To)
	cc = pick(a.Cc)
	return to, cc, dropped
}

// Settings are the "email" receiver's settings.
type Settings struct {
	Addressing
	SMTPHost     string `json:"smtp_host"`
	SMTPPort     int    `json:"smtp_port"`
	SMTPUsername string `json:"smtp_username"`
	// SMTPPassword is a secret reference (env:, file:, ssm:,
	// secretsmanager:), resolved at send time.
	SMTPPassword string `json:"smtp_password"`
	// TLS is "starttls" (default), "tls" (implicit TLS, port 465) or
	// "none" (only for a relay on localhost).
	TLS string `json:"tls"`
	// CAFile is a PEM bundle to trust instead of the system roots (a
	// private relay).
	CAFile string `json:"ca_file"`
}

// TLS modes.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// secretPrefixes are the reference forms internal/secret resolves.
var secretPrefixes = []string{"env:", "file:", "ssm:", "secretsmanager:"}

// IsSecretRef reports whether s is a secret reference rather than a
// literal value.
func IsSecretRef(s string) bool {
	for _, p := range secretPrefixes {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			return true
		}
	}
	return false
}

// Validate checks the settings and fills in defaults; errors name the
// setting.
func (s *Settings) Validate() error {
	errs := []error{s.Addressing.Validate()}
	host := strings.TrimSpace(s.SMTPHost)
	switch {
	case host == "":
		errs = append(errs, errors.New("smtp_host: required"))
	case strings.ContainsAny(host, " /:@\r\n\t") && net.ParseIP(host) == nil:
		errs = append(errs, fmt.Errorf("smtp_host: %q is not a host name (give the port in smtp_port)", host))
	}
	s.SMTPHost = host
	if s.TLS == "" {
		s.TLS = TLSStartTLS
	}
	switch s.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(host) {
			errs = append(errs, fmt.Errorf("tls: \"none\" is only allowed for a relay on localhost, not %q", host))
		}
	default:
		errs = append(errs, fmt.Errorf("tls: %q is not one of starttls, tls, none", s.TLS))
	}
	switch {
	case s.SMTPPort == 0 && s.TLS == TLSImplicit:
		s.SMTPPort = 465
	case s.SMTPPort == 0:
		s.SMTPPort = 587
	case s.SMTPPort < 1 || s.SMTPPort > 65535:
		errs = append(errs, fmt.Errorf("smtp_port: %d is not a port", s.SMTPPort))
	}
	switch {
	case s.SMTPUsername != "" && s.SMTPPassword == "":
		errs = append(errs, errors.New("smtp_password: required with smtp_username"))
	case s.SMTPUsername == "" && s.SMTPPassword != "":
		errs = append(errs, errors.New("smtp_username: required with smtp_password"))
	case s.SMTPPassword != "" && !IsSecretRef(s.SMTPPassword):
		// Never echo the value: it may be the password itself.
		errs = append(errs, errors.New("smtp_password: must be a secret reference (env:NAME, file:PATH, ssm:/path or secretsmanager:name), not the password"))
	}
	if s.TLS == TLSNone && s.CAFile != "" {
		errs = append(errs, errors.New("ca_file: has no use with tls: none"))
	}
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Decode reads a receiver's settings map into v (a struct with json
// tags), rejecting unknown settings and wrong types with the setting's
// name.
func Decode(settings map[string]any, v any) error {
	b, err := json.Marshal(settings)
	if err != nil {
		return fmt.Errorf("reading settings: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: must be a %s, not a %s", te.Field, te.Type, te.Value)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("%s: unknown setting", strings.Trim(f, `"`))
		}
		return fmt.Errorf("reading settings: %w", err)
	}
	return nil
}

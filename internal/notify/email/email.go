// Package email is the "email" receiver: HTML email with a plain-text
// part, sent through an SMTP server (STARTTLS, implicit TLS, or a local
// relay), with AUTH PLAIN or LOGIN. It also builds the MIME message the
// "ses" receiver sends (Compose, Mail.Encode).
//
// Settings (receivers.yaml `config`):
//
//	from            sender, "Warden <warden@example.com>" (required)
//	to, cc          addresses and recipient tokens: {owner},
//	                {security_contact}, {actor}, {tag:KEY}, {account_tag:KEY}
//	smtp_host       server host name (required)
//	smtp_port       default 587, or 465 with tls: tls
//	smtp_username   AUTH user (optional)
//	smtp_password   secret reference (env:, file:, ssm:, secretsmanager:),
//	                resolved at each send
//	tls             starttls (default) | tls | none (localhost only)
//	ca_file         PEM bundle to trust instead of the system roots
//	subject_prefix  put before every subject
package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/wardenhq/warden/internal/notify"
)

// Type is the receiver type name.
const Type = "email"

// Receiver sends notifications by SMTP.
type Receiver struct {
	name string
	s    Settings
	cfg  notify.Config
	log  *slog.Logger
}

// New builds an email receiver from its settings, checking them all.
// Secrets are not resolved here.
func New(cfg notify.Config) (notify.Receiver, error) {
	var s Settings
	if err := Decode(cfg.Settings, &s); err != nil {
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

// Send renders msg, resolves its recipients and delivers it in one SMTP
// transaction. Recipients the server refuses while it accepts others are
// reported in the result, not retried (a retry would repeat the message to
// the rest).
func (r *Receiver) Send(ctx context.Context, msg *notify.Message) (notify.Result, error) {
	m, dropped, err := Compose(r.cfg.Templates, r.name, []string{Type}, &r.s.Addressing, msg)
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
	var password string
	if r.s.SMTPPassword != "" {
		if r.cfg.Secrets == nil {
			return notify.Result{}, notify.Permanent(errors.New("smtp_password: no secret resolver configured"))
		}
		// Resolution errors name the reference, never the value; they may
		// be transient (SSM throttling), so they are retried.
		if password, err = r.cfg.Secrets.Resolve(ctx, r.s.SMTPPassword); err != nil {
			return notify.Result{}, fmt.Errorf("resolving smtp_password: %w", err)
		}
	}
	d, err := r.deliver(ctx, m.From.Address, m.Recipients(), raw, password)
	if err != nil {
		return notify.Result{}, fmt.Errorf("sending email via %s: %w", r.s.SMTPHost, err)
	}
	detail := fmt.Sprintf("sent <%s> to %d recipient(s) via %s:%d", m.ID, len(d.accepted), r.s.SMTPHost, r.s.SMTPPort)
	if d.reply != "" {
		detail += ": " + oneLine(d.reply, 200)
	}
	if len(d.rejected) > 0 {
		detail += "; refused: " + strings.Join(d.rejected, "; ")
		r.log.Warn("server refused some recipients", "refused", d.rejected, "accepted", len(d.accepted))
	}
	return notify.Result{Detail: detail}, nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

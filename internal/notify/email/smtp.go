package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/wardenhq/warden/internal/notify"
)

// dialTimeout bounds connecting when the context has no earlier deadline;
// ioTimeout bounds the whole conversation.
const (
	dialTimeout = 15 * time.Second
	ioTimeout   = 2 * time.Minute
)

// delivery is the outcome of one SMTP transaction.
type delivery struct {
	accepted []string
	rejected []string // "addr: reply"
	reply    string   // the server's answer to the message
}

// deliver sends raw to rcpts over one SMTP session. Errors are classified
// for the dispatcher: a 5xx reply (including a failed AUTH) is permanent,
// a 4xx reply or a network error is retried.
func (r *Receiver) deliver(ctx context.Context, from string, rcpts []string, raw []byte, password string) (delivery, error) {
	var d delivery
	addr := net.JoinHostPort(r.s.SMTPHost, strconv.Itoa(r.s.SMTPPort))
	tlsConf, err := r.tlsConfig()
	if err != nil {
		return d, notify.Permanent(err)
	}
	dialer := &net.Dialer{Timeout: dialTimeout}
	var conn net.Conn
	if r.s.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tlsConf}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return d, classify("connecting to "+addr, err)
	}
	deadline := time.Now().Add(ioTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var c *smtp.Client
	if r.s.TLS == TLSStartTLS {
		if c, err = smtp.NewClientStartTLS(conn, tlsConf); err != nil {
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				return d, notify.Permanent(fmt.Errorf("%s does not offer STARTTLS (set tls: tls for implicit TLS)", addr))
			}
			return d, classify("starting TLS with "+addr, err)
		}
		// The handshake happens on the next command: make it now, so a
		// certificate problem is reported as one.
		if err := c.Noop(); err != nil {
			return d, classify("starting TLS with "+addr, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = time.Until(deadline), time.Until(deadline)
	if r.s.SMTPUsername != "" {
		user := r.s.SMTPUsername
		if IsSecretRef(user) { // the user name may be a reference too
			v, err := r.cfg.Secrets.Resolve(ctx, user)
			if err != nil {
				return d, fmt.Errorf("resolving smtp_username: %w", err)
			}
			user = v
		}
		var auth sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			auth = sasl.NewPlainClient("", user, password)
		case c.SupportsAuth(sasl.Login):
			auth = sasl.NewLoginClient(user, password)
		default:
			return d, notify.Permanent(fmt.Errorf("%s offers neither AUTH PLAIN nor LOGIN", addr))
		}
		if err := c.Auth(auth); err != nil {
			return d, classify("authenticating to "+addr+" as "+user, err)
		}
	}
	if err := c.Mail(from, nil); err != nil {
		return d, classify("MAIL FROM", err)
	}
	var temporary bool
	for _, rc := range rcpts {
		if err := c.Rcpt(rc, nil); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) { // the connection broke
				return d, classify("RCPT TO", err)
			}
			temporary = temporary || se.Temporary()
			d.rejected = append(d.rejected, rc+": "+reply(se))
			continue
		}
		d.accepted = append(d.accepted, rc)
	}
	if len(d.accepted) == 0 {
		err := fmt.Errorf("every recipient was refused: %s", strings.Join(d.rejected, "; "))
		if !temporary {
			err = notify.Permanent(err)
		}
		return d, err
	}
	w, err := c.Data()
	if err != nil {
		return d, classify("DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return d, classify("sending the message", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return d, classify("sending the message", err)
	}
	d.reply = resp.StatusText
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return d, nil
}

func (r *Receiver) tlsConfig() (*tls.Config, error) {
	conf := &tls.Config{ServerName: strings.Trim(r.s.SMTPHost, "[]"), MinVersion: tls.VersionTLS12}
	if r.s.CAFile != "" {
		pem, err := os.ReadFile(r.s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file: %s holds no PEM certificate", r.s.CAFile)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// classify wraps err with what was being done and marks what retrying
// cannot fix as permanent: 5xx replies and certificate problems.
func classify(doing string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e := fmt.Errorf("%s: %s", doing, reply(se))
		if se.Code >= 500 {
			return notify.Permanent(e)
		}
		return e
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) {
		return notify.Permanent(fmt.Errorf("%s: %w", doing, err))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// reply formats an SMTP reply on one line.
func reply(se *smtp.SMTPError) string {
	msg := strings.Join(strings.Fields(se.Message), " ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return fmt.Sprintf("%d %s", se.Code, msg)
}

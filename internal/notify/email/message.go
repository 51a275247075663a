package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

// Mail is a rendered email, ready to encode.
type Mail struct {
	From    *mail.Address
	To, Cc  []*mail.Address
	Subject string
	Text    string
	HTML    string
	Date    time.Time
	// ID is the Message-ID without angle brackets; References lists
	// message ids this one threads under.
	ID         string
	References []string
	// Kind is sent as X-Warden-Kind.
	Kind notify.Kind
}

// Recipients returns the envelope recipients: To then Cc.
func (m *Mail) Recipients() []string {
	out := make([]string, 0, len(m.To)+len(m.Cc))
	for _, a := range append(append([]*mail.Address{}, m.To...), m.Cc...) {
		out = append(out, a.Address)
	}
	return out
}

// maxSubject bounds the subject, in runes, before the prefix.
const maxSubject = 200

// Compose renders msg for an email receiver: the subject, text and html
// parts from the first of types that has them (SES falls back from "ses"
// to "email"), the resolved recipients, and the threading headers. It
// returns a permanent error when no recipient remains.
func Compose(r notify.Renderer, receiver string, types []string, a *Addressing, msg *notify.Message) (*Mail, []string, error) {
	from, err := ParseAddress(a.From)
	if err != nil {
		return nil, nil, notify.Permanent(fmt.Errorf("from: %w", err))
	}
	to, cc, dropped := a.Recipients(msg)
	if len(to) == 0 && len(cc) == 0 {
		return nil, dropped, notify.Permanent(fmt.Errorf("no recipient left after resolving %v (dropped invalid: %q)", append(append([]string{}, a.To...), a.Cc...), dropped))
	}
	if len(to) == 0 { // Cc only: promote, a message needs a To
		to, cc = cc, nil
	}
	parts := map[string]string{}
	for _, part := range []string{"subject", "text", "html"} {
		out, err := render(r, receiver, types, part, msg)
		if err != nil {
			return nil, dropped, notify.Permanent(err)
		}
		parts[part] = out
	}
	now := msg.Now
	if now.IsZero() {
		now = time.Now()
	}
	m := &Mail{
		From: from, To: to, Cc: cc,
		Subject: a.SubjectPrefix + tmpl.Truncate(maxSubject, tmpl.OneLine(parts["subject"])),
		Text:    parts["text"],
		HTML:    parts["html"],
		Date:    now,
		Kind:    msg.Kind,
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	m.ID = messageID(receiver, msg) + "@" + domain
	if len(msg.Items) == 1 {
		// Every message about one finding threads under the same id.
		sum := sha256.Sum256([]byte(msg.Items[0].Record.FindingID))
		m.References = []string{"finding-" + hex.EncodeToString(sum[:12]) + "@" + domain}
	}
	return m, dropped, nil
}

func render(r notify.Renderer, receiver string, types []string, part string, msg *notify.Message) (string, error) {
	var err error
	for _, typ := range types {
		var out string
		if out, err = r.Render(receiver, typ, part, msg); err == nil {
			return out, nil
		}
		if !errors.Is(err, tmpl.ErrNoTemplate) {
			return "", err
		}
	}
	return "", err
}

// messageID is the same for the same message (receiver, kind, group,
// findings, their versions and decision times; a digest's title), so a
// retried send carries the same Message-ID and mail systems that
// deduplicate on it drop the repeat. The send time is left out: a retry
// happens later.
func messageID(receiver string, msg *notify.Message) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", receiver, msg.Kind, msg.Group, msg.Title)
	if msg.Kind == notify.KindDigest || msg.Kind == notify.KindTest {
		fmt.Fprintf(h, "\x00%s", msg.Now.UTC().Format("2006-01-02T15"))
	}
	for _, it := range msg.Items {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%s\x00%d", it.Kind, it.Record.FindingID, it.Record.Fingerprint, it.Record.DecidedAt.UnixNano())
	}
	return "warden." + hex.EncodeToString(h.Sum(nil)[:16])
}

// Encode writes the message as RFC 5322 with a multipart/alternative
// body (text/plain then text/html, UTF-8, quoted-printable). Headers are
// built only from parsed addresses, the encoded subject and generated
// ids: no CR or LF from a finding or a recipient can reach them.
func (m *Mail) Encode() ([]byte, error) {
	if m.From == nil || len(m.To) == 0 {
		return nil, errors.New("encoding message: from and to are required")
	}
	var b bytes.Buffer
	h := headerWriter{b: &b}
	h.add("Date", m.Date.Format(time.RFC1123Z))
	h.add("From", m.From.String())
	h.add("To", addressList(m.To))
	if len(m.Cc) > 0 {
		h.add("Cc", addressList(m.Cc))
	}
	h.add("Subject", encodeWord(tmpl.OneLine(m.Subject)))
	h.add("Message-ID", "<"+m.ID+">")
	if len(m.References) > 0 {
		refs := "<" + strings.Join(m.References, "> <") + ">"
		h.add("In-Reply-To", refs)
		h.add("References", refs)
	}
	h.add("MIME-Version", "1.0")
	// RFC 3834: no auto-replies (out-of-office) to machine mail.
	h.add("Auto-Submitted", "auto-generated")
	h.add("X-Auto-Response-Suppress", "All")
	if m.Kind != "" {
		h.add("X-Warden-Kind", string(m.Kind))
	}
	mw := multipart.NewWriter(&b)
	h.add("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	if h.err != nil {
		return nil, h.err
	}
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=UTF-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("encoding %s part: %w", p.typ, err)
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(strings.ToValidUTF8(p.body, "\uFFFD"))); err != nil {
			return nil, fmt.Errorf("encoding %s part: %w", p.typ, err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("encoding %s part: %w", p.typ, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("encoding message: %w", err)
	}
	return b.Bytes(), nil
}

type headerWriter struct {
	b   *bytes.Buffer
	err error
}

// add writes one header, folded at spaces to lines of at most 78
// characters where possible. A value with a CR, LF or other control
// character is refused: it would start a new header.
func (h *headerWriter) add(name, value string) {
	if strings.ContainsFunc(value, isControl) {
		if h.err == nil {
			h.err = fmt.Errorf("encoding message: header %s has a control character", name)
		}
		return
	}
	line := name + ":"
	for i, word := range strings.Split(value, " ") {
		if i > 0 && len(line)+1+len(word) > 78 && strings.TrimSpace(line) != name+":" {
			h.b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + word
	}
	h.b.WriteString(line + "\r\n")
}

func addressList(list []*mail.Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// encodeWord returns s as is when it is printable ASCII and cannot be
// mistaken for an encoded word, else as RFC 2047 B-encoded words of at
// most 75 characters, split between runes.
func encodeWord(s string) string {
	plain := !strings.Contains(s, "=?")
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= ' ' && s[i] < 0x7f
	}
	if plain {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	const maxBytes = 42 // 56 base64 characters + "=?UTF-8?B?" + "?=" = 68, and "Subject: " fits in 78
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxBytes {
				break
			}
			n += size
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

package email

import (
	"bytes"
	"errors"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

func TestEncodeWord(t *testing.T) {
	dec := new(mime.WordDecoder)
	for _, s := range []string{
		"plain ASCII subject",
		"=?UTF-8?B?ZXZpbA==?= looks encoded",
		"Überwachung: 日本語のタイトル 🚨",
		strings.Repeat("日本語", 40),
		"tab\there",
	} {
		enc := encodeWord(s)
		if got, err := dec.DecodeHeader(enc); err != nil || got != s {
			t.Errorf("encodeWord(%q) = %q decodes to %q, %v", s, enc, got, err)
		}
		for _, w := range strings.Fields(enc) {
			if strings.HasPrefix(w, "=?") && len(w) > 75 {
				t.Errorf("encoded word longer than 75: %q", w)
			}
		}
		if strings.Contains(s, "=?") && !strings.HasPrefix(enc, "=?UTF-8?B?") {
			t.Errorf("encodeWord(%q) left an encoded-word look-alike: %q", s, enc)
		}
	}
}

func TestEncode(t *testing.T) {
	from, _ := ParseAddress("Wärden Bot <warden@example.com>")
	to, _ := ParseAddress("alice@example.com")
	cc, _ := ParseAddress(`"Ops, Team" <ops@example.com>`)
	long := strings.Repeat("word ", 40) + "Überlänge"
	m := &Mail{From: from, To: []*mail.Address{to}, Cc: []*mail.Address{cc}, Subject: long, Text: "héllo\n" + strings.Repeat("x", 200), HTML: "<p>héllo</p>", Date: now, ID: "id.1@example.com", Kind: notify.KindDigest}
	raw, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line longer than 78: %q", line)
		}
	}
	p := parse(t, raw)
	if p.Subject != long {
		t.Errorf("subject %q", p.Subject)
	}
	if got, _ := p.Header.AddressList("From"); len(got) != 1 || got[0].Name != "Wärden Bot" || got[0].Address != "warden@example.com" {
		t.Errorf("From %v", got)
	}
	if got, _ := p.Header.AddressList("Cc"); len(got) != 1 || got[0].Name != "Ops, Team" {
		t.Errorf("Cc %v", got)
	}
	if p.Text != "héllo\r\n"+strings.Repeat("x", 200) || p.HTML != "<p>héllo</p>" {
		t.Errorf("parts %q %q", p.Text, p.HTML)
	}
	if p.Header.Get("References") != "" || p.Header.Get("X-Warden-Kind") != "digest" {
		t.Errorf("headers %v", p.Header)
	}

	m.Subject = "x\r\nBcc: evil@example.com\x00"
	raw, err = m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if p := parse(t, raw); p.Subject != "x Bcc: evil@example.com" || p.Header.Get("Bcc") != "" {
		t.Errorf("subject %q, Bcc %q", p.Subject, p.Header.Get("Bcc"))
	}
	h := headerWriter{b: new(bytes.Buffer)}
	if h.add("X-Test", "a\r\nBcc: b"); h.err == nil || h.b.Len() != 0 {
		t.Errorf("a header value with CR LF was written: %q", h.b)
	}
}

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"alice@example.com", true},
		{"Alice Smith <alice@example.com>", true},
		{"Ünïcode Name <a@example.com>", true},
		{"alice@example.com\r\nBcc: evil@example.com", false},
		{"alice@example.com, bob@example.com", false},
		{"team: a@example.com;", false},
		{"arn:aws:iam::111122223333:user/mallory", false},
		{"n/a", false},
		{"ünï@example.com", false},
		{`"a b"@example.com`, false},
		{"a@[127.0.0.1]", false},
		{"", false},
	} {
		_, err := ParseAddress(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseAddress(%q): %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestSettings(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"from": "warden@example.com", "to": []any{"a@example.com"}, "smtp_host": "smtp.example.com"}
	}
	with := func(kv ...any) map[string]any {
		m := base()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	for _, tc := range []struct {
		name     string
		settings map[string]any
		want     string // "" = valid
		port     int
	}{
		{"minimal", base(), "", 587},
		{"implicit TLS defaults to 465", with("tls", "tls"), "", 465},
		{"explicit port", with("smtp_port", float64(2525)), "", 2525},
		{"local relay", with("tls", "none", "smtp_host", "localhost", "smtp_port", 25), "", 25},
		{"local relay by IP", with("tls", "none", "smtp_host", "127.0.0.1"), "", 587},
		{"tokens", with("to", []any{"{owner}", "{tag:Owner}", "{account_tag:security}"}, "cc", []any{"{security_contact}", "{actor}"}), "", 587},
		{"no from", with("from", nil), "from: required", 0},
		{"bad from", with("from", "not an address"), "from: invalid address", 0},
		{"no to", with("to", nil), "to: at least one recipient", 0},
		{"bad to", with("to", []any{"ok@example.com", "x@example.com\nBcc: y@example.com"}), "to[1]:", 0},
		{"unknown token", with("cc", []any{"{manager}"}), `cc[0]: unknown recipient token "{manager}"`, 0},
		{"no host", with("smtp_host", nil), "smtp_host: required", 0},
		{"host with port", with("smtp_host", "smtp.example.com:587"), "smtp_host:", 0},
		{"none on a remote host", with("tls", "none"), `tls: "none" is only allowed for a relay on localhost`, 0},
		{"bad tls", with("tls", "ssl"), `tls: "ssl" is not one of`, 0},
		{"bad port", with("smtp_port", 70000), "smtp_port: 70000", 0},
		{"port as string", with("smtp_port", "587"), "smtp_port: must be a int", 0},
		{"literal password", with("smtp_username", "u", "smtp_password", "hunter2"), "smtp_password: must be a secret reference", 0},
		{"password without user", with("smtp_password", "env:P"), "smtp_username: required", 0},
		{"user without password", with("smtp_username", "u"), "smtp_password: required", 0},
		{"unknown setting", with("smtp_server", "x"), "smtp_server: unknown setting", 0},
		{"subject prefix with newline", with("subject_prefix", "[x]\n"), "subject_prefix:", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, _ := tmpl.Default()
			r, err := New(notify.Config{Name: "mail", Type: Type, Settings: tc.settings, Templates: set})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if p := r.(*Receiver).s.SMTPPort; p != tc.port {
					t.Errorf("port %d, want %d", p, tc.port)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(fmtErr(err), "hunter2") {
				t.Errorf("error echoes the password: %v", err)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestComposeFallsBackToEmailTemplates(t *testing.T) {
	set, err := tmpl.Default()
	if err != nil {
		t.Fatal(err)
	}
	a := &Addressing{From: "warden@example.com", To: []string{"a@example.com"}}
	m, _, err := Compose(set, "mail-ses", []string{"ses", "email"}, a, message(item()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Subject, "[HIGH] payments-prod") || !strings.Contains(m.HTML, "<html") {
		t.Errorf("subject %q", m.Subject)
	}
	if _, _, err := Compose(set, "x", []string{"nosuch"}, a, message(item())); !errors.Is(err, tmpl.ErrNoTemplate) || !notify.IsPermanent(err) {
		t.Errorf("missing template: %v", err)
	}
	// The same message gives the same Message-ID (a retry is recognisable).
	m2, _, _ := Compose(set, "mail-ses", []string{"email"}, a, message(item()))
	if m.ID != m2.ID || !strings.HasSuffix(m.ID, "@example.com") {
		t.Errorf("ids %q %q", m.ID, m2.ID)
	}
}

package email

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const hostileTitle = `Backdoor <script>alert(1)</script> "><img src=x onerror=alert(2)>` + "\r\nBcc: victim@evil.example"

// item is a GuardDuty finding whose text an attacker controls.
func item() notify.Item {
	return notify.Item{
		Kind: notify.KindFiring,
		Record: decide.Record{
			FindingID: "arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f1",
			Product:   "GuardDuty", Title: hostileTitle,
			AccountID: "111122223333", Region: "us-east-1", Severity: finding.SeverityHigh,
			ResourceID: "i-0abc",
			Enrichment: enrich.Context{AccountName: "payments-prod", Environment: "prod", Owner: "alice@example.com", SecurityContact: "Sec Ops <secops@example.com>"},
			Actions:    []decide.Action{{Type: decide.ActionNotify, Receiver: "mail", Mode: "auto", Status: decide.StatusPlanned}},
			FirstSeen:  now.Add(-time.Hour), NotifyCount: 1, DecidedAt: now,
		},
		Description:    "<b>bold</b> & \u202Etxt.exe",
		RemediationURL: "javascript:alert(3)",
		ConsoleURL:     "https://console.aws.amazon.com/guardduty/home#/findings?fId=f1",
		ResourceTags:   map[string]string{"Owner": "bob@example.com\r\nBcc: victim@evil.example", "Team": "n/a"},
	}
}

func message(items ...notify.Item) *notify.Message {
	return &notify.Message{Receiver: "mail", Kind: notify.KindFiring, Items: items, Now: now}
}

type fixture struct {
	r    notify.Receiver
	logs *bytes.Buffer
}

func newReceiver(t *testing.T, ms *mailServer, settings map[string]any) fixture {
	t.Helper()
	set, err := tmpl.Default()
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]any{
		"from":      "Warden <warden@example.com>",
		"to":        []any{"soc@example.com", "{owner}"},
		"smtp_host": ms.Host, "smtp_port": ms.Port,
		"ca_file": ms.CAFile,
	}
	for k, v := range settings {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	var logs bytes.Buffer
	r, err := notify.New(notify.Config{
		Name: "mail", Type: Type, Settings: base, Templates: set,
		Secrets: secrets{"env:SMTP_PASSWORD": ms.pass, "env:WRONG": "not-the-password"},
		Log:     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{r: r, logs: &logs}
}

// parsed is a received message taken apart.
type parsed struct {
	Header     mail.Header
	Subject    string
	Text, HTML string
	Parts      []string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing message: %v\n%s", err, raw)
	}
	p := parsed{Header: m.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct := part.Header.Get("Content-Type")
		p.Parts = append(p.Parts, ct)
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part %s: Content-Transfer-Encoding %q", ct, cte)
		}
		raw, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\r\n") {
			if len(line) > 76 {
				t.Errorf("part %s: line longer than 76: %q", ct, line)
			}
		}
		body, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatalf("part %s: bad quoted-printable: %v", ct, err)
		}
		switch ct {
		case "text/plain; charset=UTF-8":
			p.Text = string(body)
		case "text/html; charset=UTF-8":
			p.HTML = string(body)
		}
	}
	return p
}

func TestSendSTARTTLSWithAuth(t *testing.T) {
	ms := newMailServer(t, modeStartTLS)
	f := newReceiver(t, ms, map[string]any{
		"cc":            []any{"{security_contact}", "{tag:Owner}", "{tag:Team}", "soc@example.com"},
		"smtp_username": "warden", "smtp_password": "env:SMTP_PASSWORD",
		"subject_prefix": "[warden] ",
	})
	res, err := f.r.Send(context.Background(), message(item()))
	if err != nil {
		t.Fatal(err)
	}
	got := ms.received()
	if len(got) != 1 {
		t.Fatalf("server got %d messages", len(got))
	}
	rc := got[0]
	if !rc.TLS || rc.User != "warden" || rc.From != "warden@example.com" {
		t.Errorf("tls %v user %q from %q", rc.TLS, rc.User, rc.From)
	}
	// soc@ once (to wins over cc); the tag holding a header injection and
	// the "n/a" tag are dropped.
	if want := "alice@example.com soc@example.com secops@example.com"; strings.Join(rc.Rcpts, " ") != want {
		t.Errorf("recipients %q, want %q", rc.Rcpts, want)
	}
	p := parse(t, rc.Data)
	head, _, _ := bytes.Cut(rc.Data, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(head), "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") || strings.ContainsAny(line, "\r\n") {
			t.Errorf("header injection reached the headers: %q", line)
		}
	}
	if p.Header.Get("Bcc") != "" {
		t.Errorf("Bcc header: %q", p.Header.Get("Bcc"))
	}
	for h, want := range map[string]string{
		"From":           `"Warden" <warden@example.com>`,
		"To":             "<alice@example.com>, <soc@example.com>",
		"Cc":             `"Sec Ops" <secops@example.com>`,
		"Mime-Version":   "1.0",
		"Auto-Submitted": "auto-generated",
		"X-Warden-Kind":  "firing",
	} {
		if got := p.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if d, err := p.Header.Date(); err != nil || !d.Equal(now) {
		t.Errorf("Date %v %v", d, err)
	}
	id := p.Header.Get("Message-Id")
	if !strings.HasPrefix(id, "<warden.") || !strings.HasSuffix(id, "@example.com>") || !strings.Contains(res.Detail, id) {
		t.Errorf("Message-ID %q, detail %q", id, res.Detail)
	}
	if refs := p.Header.Get("References"); !strings.HasPrefix(refs, "<finding-") || p.Header.Get("In-Reply-To") != refs {
		t.Errorf("References %q In-Reply-To %q", refs, p.Header.Get("In-Reply-To"))
	}
	wantSubject := `[warden] [HIGH] payments-prod: Backdoor <script>alert(1)</script> "><img src=x onerror=alert(2)> Bcc: victim@evil.example`
	if p.Subject != wantSubject {
		t.Errorf("subject %q\nwant    %q", p.Subject, wantSubject)
	}
	if strings.Join(p.Parts, ",") != "text/plain; charset=UTF-8,text/html; charset=UTF-8" {
		t.Errorf("parts %v", p.Parts)
	}
	for _, bad := range []string{"<script", "<img", "<b>", "javascript:", "\u202E"} {
		if strings.Contains(p.HTML, bad) {
			t.Errorf("HTML part contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img", "&lt;b&gt;bold&lt;/b&gt; &amp; txt.exe", `href="https://console.aws.amazon.com/guardduty/home#/findings?fId=f1"`} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	if !strings.Contains(p.Text, "Backdoor <script>alert(1)</script>") || strings.Contains(p.Text, "javascript:") || strings.Contains(p.Text, "\r\nBcc") {
		t.Errorf("text part:\n%s", p.Text)
	}
	if strings.Contains(f.logs.String(), ms.pass) || strings.Contains(res.Detail, ms.pass) {
		t.Errorf("secret leaked into logs or result")
	}
	if !strings.Contains(f.logs.String(), "dropping recipients") {
		t.Errorf("dropped recipients not logged: %s", f.logs)
	}
}

func TestSendModes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     serverMode
		settings map[string]any
	}{
		{"implicit TLS", modeImplicitTLS, map[string]any{"tls": "tls", "smtp_username": "warden", "smtp_password": "env:SMTP_PASSWORD"}},
		{"local relay without TLS", modePlain, map[string]any{"tls": "none", "ca_file": nil}},
		{"local relay without TLS, with AUTH", modePlain, map[string]any{"tls": "none", "ca_file": nil, "smtp_username": "warden", "smtp_password": "env:SMTP_PASSWORD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := newMailServer(t, tc.mode)
			f := newReceiver(t, ms, tc.settings)
			if _, err := f.r.Send(context.Background(), message(item())); err != nil {
				t.Fatal(err)
			}
			got := ms.received()
			if len(got) != 1 || len(got[0].Rcpts) != 2 {
				t.Fatalf("received %+v", got)
			}
			if got[0].TLS != (tc.mode == modeImplicitTLS) {
				t.Errorf("tls %v", got[0].TLS)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	smtpErr := func(code int, msg string) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
	}
	for _, tc := range []struct {
		name      string
		mode      serverMode
		script    func(ms *mailServer)
		settings  map[string]any
		msg       *notify.Message
		permanent bool
		want      string
	}{
		{name: "auth failure", settings: map[string]any{"smtp_username": "warden", "smtp_password": "env:WRONG"}, permanent: true, want: "535"},
		{name: "unknown secret", settings: map[string]any{"smtp_username": "warden", "smtp_password": "env:MISSING"}, want: "resolving smtp_password"},
		{name: "MAIL 451 greylisted", script: func(ms *mailServer) { ms.mailErr = smtpErr(451, "try again later") }, want: "451 try again later"},
		{name: "MAIL 553 sender refused", script: func(ms *mailServer) { ms.mailErr = smtpErr(553, "sender not allowed") }, permanent: true, want: "553"},
		{name: "all RCPT 450 mailbox busy", script: func(ms *mailServer) {
			ms.rcptErr["soc@example.com"], ms.rcptErr["alice@example.com"] = smtpErr(450, "busy"), smtpErr(450, "busy")
		}, want: "every recipient was refused"},
		{name: "all RCPT 550", script: func(ms *mailServer) {
			ms.rcptErr["soc@example.com"], ms.rcptErr["alice@example.com"] = smtpErr(550, "no such user"), smtpErr(550, "no such user")
		}, permanent: true, want: "550 no such user"},
		{name: "DATA 452 storage", script: func(ms *mailServer) { ms.dataErr = smtpErr(452, "insufficient storage") }, want: "452"},
		{name: "DATA 554 rejected", script: func(ms *mailServer) { ms.dataErr = smtpErr(554, "message rejected as spam") }, permanent: true, want: "554"},
		{name: "STARTTLS not offered", mode: modeNoStartTLS, permanent: true, want: "does not offer STARTTLS"},
		{name: "untrusted certificate", settings: map[string]any{"ca_file": nil}, permanent: true, want: "starting TLS with 127.0.0.1"},
		{name: "no recipient left", settings: map[string]any{"to": []any{"{owner}", "{tag:Team}"}}, msg: func() *notify.Message {
			it := item()
			it.Record.Enrichment.Owner = ""
			return message(it)
		}(), permanent: true, want: "no recipient left"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := newMailServer(t, tc.mode)
			if tc.script != nil {
				tc.script(ms)
			}
			f := newReceiver(t, ms, tc.settings)
			msg := tc.msg
			if msg == nil {
				msg = message(item())
			}
			_, err := f.r.Send(context.Background(), msg)
			if err == nil {
				t.Fatal("no error")
			}
			if notify.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q (permanent %v), want %q (permanent %v)", err, notify.IsPermanent(err), tc.want, tc.permanent)
			}
			if len(ms.received()) != 0 {
				t.Errorf("a message was delivered")
			}
			// Never the password, in errors or logs.
			for _, s := range []string{err.Error(), f.logs.String()} {
				if strings.Contains(s, ms.pass) || strings.Contains(s, "not-the-password") {
					t.Errorf("secret leaked: %s", s)
				}
			}
		})
	}
}

func TestSendPartialRefusal(t *testing.T) {
	ms := newMailServer(t, modeStartTLS)
	ms.rcptErr["alice@example.com"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	f := newReceiver(t, ms, nil)
	res, err := f.r.Send(context.Background(), message(item()))
	if err != nil {
		t.Fatal(err)
	}
	got := ms.received()
	if len(got) != 1 || strings.Join(got[0].Rcpts, ",") != "soc@example.com" {
		t.Fatalf("received %+v", got)
	}
	if !strings.Contains(res.Detail, "refused: alice@example.com: 550") || !strings.Contains(res.Detail, "to 1 recipient") {
		t.Errorf("detail %q", res.Detail)
	}
}

func TestSendServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	f := newReceiver(t, &mailServer{Host: "127.0.0.1", Port: port}, map[string]any{"ca_file": nil})
	_, err = f.r.Send(context.Background(), message(item()))
	if err == nil || notify.IsPermanent(err) || !strings.Contains(err.Error(), "connecting to 127.0.0.1") {
		t.Errorf("error %v (permanent %v), want a retryable connection error", err, notify.IsPermanent(err))
	}
}

func TestSendCancelled(t *testing.T) {
	// A server that accepts the connection and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
		}
	}()
	f := newReceiver(t, &mailServer{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}, map[string]any{"ca_file": nil})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.r.Send(ctx, message(item())); err == nil || notify.IsPermanent(err) {
		t.Errorf("error %v, want a retryable timeout", err)
	}
}

package tmpl

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/notify"
)

// evil is put in every string an attacker can influence.
const evil = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>\r\nBcc: x@evil.example\u202E[x](javascript:alert(3)) <!channel> {code}\x00"

// hostileMessages are the samples with every finding string replaced by
// evil and every URL by a hostile one.
func hostileMessages() map[string]*notify.Message {
	out := sampleMessages()
	urls := []string{"javascript:alert(4)", `https://ok.example/"><script>alert(5)</script>`}
	for _, m := range out {
		m.Receiver = evil
		m.Title = evil
		if m.GroupLabels != nil {
			m.GroupLabels = map[string]string{evil: evil}
		}
		for i := range m.Items {
			it := &m.Items[i]
			r := &it.Record
			r.FindingID, r.Title, r.Product, r.AccountID, r.Region, r.ResourceID, r.PolicyCommit = evil, evil, evil, evil, evil, evil, evil
			r.Enrichment.AccountName, r.Enrichment.Owner, r.Enrichment.Environment, r.Enrichment.BusinessUnit = evil, evil, evil, evil
			r.MatchedRules, r.Notes = []string{evil}, []string{evil, evil}
			for j := range r.Actions {
				r.Actions[j].Receiver, r.Actions[j].Playbook, r.Actions[j].Mode = evil, evil, evil
			}
			it.Description, it.Types, it.ResourceType, it.RemediationText = evil, []string{evil}, evil, evil
			it.Actor, it.SourceIP = evil, evil
			it.RemediationURL, it.ConsoleURL = urls[i%2], urls[(i+1)%2]
			if it.Action != nil {
				a := it.Action
				a.Playbook, a.Mode, a.Summary, a.ApproveCommand, a.CancelCommand = evil, evil, evil, evil, evil
			}
		}
	}
	return out
}

var (
	tagRe     = regexp.MustCompile(`^<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-z-]+="[^"<>]*")*)\s*>`)
	attrRe    = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
	allowTags = map[string]bool{"html": true, "head": true, "meta": true, "title": true, "body": true, "table": true, "tr": true, "td": true, "th": true, "h1": true, "p": true, "div": true, "span": true, "strong": true, "code": true, "a": true, "br": true}
	allowAttr = map[string]bool{"lang": true, "charset": true, "name": true, "content": true, "role": true, "width": true, "cellpadding": true, "cellspacing": true, "border": true, "style": true, "align": true, "valign": true, "href": true}
)

// TestEmailHostile renders every kind with attacker-controlled content
// everywhere and checks that the HTML holds only the template's own tags
// and attributes, links only to http(s), and that the subject and text
// carry no control or bidi characters.
func TestEmailHostile(t *testing.T) {
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for name, msg := range hostileMessages() {
		t.Run(name, func(t *testing.T) {
			h, err := set.Render("r", "email", "html", msg)
			if err != nil {
				t.Fatal(err)
			}
			checkHTMLDoc(t, h)
			subject, err := set.Render("r", "email", "subject", msg)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(subject, "\r\n\x00\u202E") {
				t.Errorf("subject has control characters: %q", subject)
			}
			text, err := set.Render("r", "email", "text", msg)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(text, "\r\x00\u202E") || strings.Contains(text, "javascript:alert(4)") {
				t.Errorf("text part has control characters or a javascript: link")
			}
			if len(msg.Items) > 0 && !strings.Contains(text, "<script>alert(1)</script>") {
				t.Errorf("text part lost the finding text")
			}
		})
	}
}

func checkHTMLDoc(t *testing.T, h string) {
	t.Helper()
	if !strings.HasPrefix(h, "<!DOCTYPE html>\n") {
		t.Fatalf("no doctype: %.40q", h)
	}
	h = strings.TrimPrefix(h, "<!DOCTYPE html>\n")
	for i := strings.IndexByte(h, '<'); i >= 0; i = next(h, i, '<') {
		m := tagRe.FindStringSubmatch(h[i:])
		if m == nil || !allowTags[strings.ToLower(m[2])] {
			t.Fatalf("unexpected markup at %d: %.80q", i, h[i:])
		}
		for _, a := range attrRe.FindAllStringSubmatch(m[3], -1) {
			if !allowAttr[a[1]] {
				t.Errorf("unexpected attribute %s in %q", a[1], m[0])
			}
			if a[1] == "href" && !strings.HasPrefix(a[2], "https://") && !strings.HasPrefix(a[2], "http://") {
				t.Errorf("link to %q", a[2])
			}
			if strings.ContainsAny(a[2], "<>'") {
				t.Errorf("attribute %s holds markup: %q", a[1], a[2])
			}
		}
	}
	if strings.ContainsAny(h, "\x00\u202E") || strings.Contains(h, "javascript:alert(4)\"") {
		t.Errorf("HTML holds control characters or a javascript: link")
	}
}

// TestFuncs covers the helpers templates use.
func TestFuncs(t *testing.T) {
	exp := t0.Add(time.Hour)
	for _, c := range []struct{ got, want string }{
		{Since(t0, t0.Add(30*time.Second)), "just now"},
		{Since(t0, t0.Add(5*time.Minute)), "5 minutes ago"},
		{Since(t0, t0.Add(61*time.Minute)), "1 hour ago"},
		{Since(t0, t0.Add(47*time.Hour)), "47 hours ago"},
		{Since(t0, t0.Add(72*time.Hour)), "3 days ago"},
		{Since(t0.Add(2*time.Hour), t0), "in 2 hours"},
		{Since(time.Time{}, t0), ""},
		{Since(&exp, t0), "in 1 hour"},
		{Due(t0, t0.Add(-25*time.Hour)), "due in 25 hours"},
		{Due(t0, t0.Add(3*24*time.Hour)), "overdue by 3 days"},
		{Due((*time.Time)(nil), t0), ""},
		{RFC3339(t0.In(time.FixedZone("x", 3600))), "2026-11-25T09:00:00Z"},
		{UTC(&exp), "2026-11-25 10:00 UTC"},
		{UTC(nil), ""},
		{SeverityLabel(gdItem().Record.Severity), "High"},
		{SeverityCounts(sampleMessages()["digest"].Items), "2 high, 1 medium"},
		{MaxSeverity(sampleMessages()["digest"].Items).String(), "HIGH"},
		{KindLabel(notify.KindEscalated), "Escalated"},
		{Plural(1, "finding"), "1 finding"},
		{Plural(0, "finding"), "0 findings"},
		{Join(", ", []string{"a", "b"}), "a, b"},
		{Labels(map[string]string{"b": "2", "a": "1"}), "a: 1, b: 2"},
		{Indent(2, "a\nb"), "a\n  b"},
		{ActionText(decide.Action{Type: decide.ActionNotify, Receiver: "pager", Status: decide.StatusDryRun}), "notify pager [dry run: nothing is done]"},
		{ActionText(decide.Action{Type: decide.ActionRemediate, Playbook: "s3-block-public-access", Mode: "auto"}), "run s3-block-public-access automatically"},
		{ActionText(decide.Action{Type: decide.ActionRemediate, Playbook: "ec2-isolate", Destructive: true, Mode: "delay", NotBefore: &exp}), "run ec2-isolate (destructive) at 2026-11-25 10:00 UTC unless cancelled"},
		{ActionText(decide.Action{Type: decide.ActionRemediate, Playbook: "p", Mode: "approval", Status: "failed"}), "run p once approved [failed]"},
		{ActionInfoText(&notify.ActionInfo{Status: "pending", Mode: "delay", NotBefore: exp}), "scheduled for 2026-11-25 10:00 UTC unless cancelled (delay)"},
		{ActionInfoText(&notify.ActionInfo{Status: "done", Mode: "auto", Destructive: true}), "done (auto, destructive)"},
		{ActionInfoText(&notify.ActionInfo{Status: "failed", Destructive: true}), "failed (destructive)"},
		{ActionInfoText(nil), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	items := sampleMessages()["digest"].Items
	if len(Limit(2, items)) != 2 || More(2, items) != 1 || More(5, items) != 0 || len(Limit(-1, items)) != 0 {
		t.Error("Limit/More")
	}
	if !Overdue(t0, t0) || Overdue(time.Time{}, t0) || Overdue(t0.Add(time.Second), t0) {
		t.Error("Overdue")
	}
	if len(Remediations(gdItem().Record.Actions)) != 2 || len(Notifications(gdItem().Record.Actions)) != 2 {
		t.Error("filters")
	}
}

// TestLoadOverrides checks that a policy repo's templates override the
// defaults by receiver name and by type, and that errors name the file.
func TestLoadOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := writeFile(dir, name, text); err != nil {
			t.Fatal(err)
		}
	}
	write("email.subject.tmpl", "type: {{ .Kind }}")
	write("oncall.subject.tmpl", "receiver: {{ .Kind }}")
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	msg := sampleMessages()["firing"]
	for _, c := range []struct{ receiver, typ, part, want string }{
		{"oncall", "email", "subject", "receiver: firing"},
		{"other", "email", "subject", "type: firing"},
	} {
		if got, err := set.Render(c.receiver, c.typ, c.part, msg); err != nil || got != c.want {
			t.Errorf("Render(%s, %s, %s) = %q, %v", c.receiver, c.typ, c.part, got, err)
		}
	}
	if _, err := set.Render("x", "nosuch", "subject", msg); err == nil {
		t.Error("missing template rendered")
	}
	write("broken.body.tmpl", "{{ .Kind ")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "broken.body.tmpl") {
		t.Errorf("error %v does not name the file", err)
	}
}

func writeFile(dir, name, text string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
}

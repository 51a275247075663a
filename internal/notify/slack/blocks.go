package slack

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
	"github.com/wardenhq/warden/internal/notify/webhook"
)

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks),
// and Warden's own caps.
const (
	maxHeader  = 150  // header block text
	maxSection = 3000 // section text
	maxField   = 2000 // one section field
	maxFields  = 10   // fields in a section
	maxBlocks  = 50   // blocks in a message
	maxContext = 2000 // context element text
	maxText    = 3000 // the fallback text (Slack truncates past 40,000)
	maxLines   = 20   // findings listed in a message about several
	maxLine    = 500  // one listed finding
)

// Payload is the JSON body of an incoming-webhook post or of
// chat.postMessage.
type Payload struct {
	Channel     string  `json:"channel,omitempty"`
	Text        string  `json:"text"`
	Blocks      []Block `json:"blocks"`
	UnfurlLinks bool    `json:"unfurl_links"`
	UnfurlMedia bool    `json:"unfurl_media"`
}

// Block is a Block Kit header, section or context block.
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Fields   []Text `json:"fields,omitempty"`
	Elements []Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type  string `json:"type"` // plain_text or mrkdwn
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

func mrkdwn(s string) Text { return Text{Type: "mrkdwn", Text: s} }

// slackLink makes a SafeURL safe inside <url|text>: Slack reads entities
// in the whole text, links included.
func slackLink(s string) string { return strings.ReplaceAll(s, "&", "&amp;") }

// Payload renders msg with the receiver's templates and builds the Block
// Kit message within Slack's limits.
func (r *Receiver) Payload(msg *notify.Message) (Payload, error) {
	safe := webhook.Prepare(msg, slackLink)
	render := func(part string, m *notify.Message) (string, error) {
		s, err := r.templates.Render(r.name, Type, part, m)
		return strings.TrimSpace(s), err
	}
	header, err := render("header", safe)
	if err != nil {
		return Payload{}, err
	}
	header = tmpl.Truncate(maxHeader, oneLine(header))
	if header == "" {
		header = "Warden"
	}
	text, err := render("text", safe)
	if err != nil {
		return Payload{}, err
	}
	text = cut(maxText, text)
	if text == "" {
		text = tmpl.Mrkdwn(header)
	}
	blocks := []Block{{Type: "header", Text: &Text{Type: "plain_text", Text: header, Emoji: true}}}
	switch len(safe.Items) {
	case 0:
		blocks = append(blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: cut(maxSection, text)}})
	case 1:
		it := safe.Items[0]
		body, err := render("item", webhook.One(safe, it))
		if err != nil {
			return Payload{}, err
		}
		b := Block{Type: "section", Fields: fields(it)}
		if body != "" {
			b.Text = &Text{Type: "mrkdwn", Text: cut(maxSection, body)}
		}
		blocks = append(blocks, b)
	default:
		lines := make([]string, 0, maxLines+1)
		for i, it := range safe.Items {
			if i == maxLines {
				lines = append(lines, fmt.Sprintf("…and %d more", len(safe.Items)-maxLines))
				break
			}
			l, err := render("line", webhook.One(safe, it))
			if err != nil {
				return Payload{}, err
			}
			lines = append(lines, tmpl.Truncate(maxLine, oneLine(l)))
		}
		blocks = append(blocks, pack(lines)...)
	}
	foot, err := render("context", safe)
	if err != nil {
		return Payload{}, err
	}
	if foot != "" {
		blocks = append(blocks, Block{Type: "context", Elements: []Text{mrkdwn(cut(maxContext, foot))}})
	}
	return Payload{Text: text, Blocks: limitBlocks(blocks)}, nil
}

// fields are the facts of a one-finding message, escaped for mrkdwn.
func fields(it notify.Item) []Text {
	rec := it.Record
	out := make([]Text, 0, maxFields)
	add := func(label, value string) {
		if value != "" && len(out) < maxFields {
			out = append(out, mrkdwn(cut(maxField, "*"+label+"*\n"+tmpl.Mrkdwn(tmpl.Truncate(300, value)))))
		}
	}
	add("Severity", rec.Severity.String())
	add("Account", account(rec))
	add("Environment", rec.Enrichment.Environment)
	add("Region", rec.Region)
	add("Resource", rec.ResourceID)
	add("Owner", rec.Enrichment.Owner)
	if !rec.FirstSeen.IsZero() {
		add("First seen", rec.FirstSeen.UTC().Format("2006-01-02 15:04 UTC"))
	}
	add("Times notified", strconv.Itoa(rec.NotifyCount))
	if !it.SLADue.IsZero() {
		add("SLA due", it.SLADue.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return out
}

func account(rec decide.Record) string {
	if n := rec.Enrichment.AccountName; n != "" {
		return n + " (" + rec.AccountID + ")"
	}
	return rec.AccountID
}

// pack puts lines into as few sections as the section limit allows.
func pack(lines []string) []Block {
	var out []Block
	var b strings.Builder
	size := 0 // characters in b
	flush := func() {
		if b.Len() > 0 {
			out = append(out, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: b.String()}})
			b.Reset()
			size = 0
		}
	}
	for _, l := range lines {
		l = cut(maxSection, l)
		n := runes(l)
		if size > 0 && size+1+n > maxSection {
			flush()
		}
		if size > 0 {
			b.WriteByte('\n')
			size++
		}
		b.WriteString(l)
		size += n
	}
	flush()
	return out
}

// limitBlocks keeps a message within maxBlocks, saying what was left out.
func limitBlocks(blocks []Block) []Block {
	if len(blocks) <= maxBlocks {
		return blocks
	}
	n := len(blocks) - (maxBlocks - 1)
	out := append(blocks[:maxBlocks-1:maxBlocks-1], Block{Type: "context", Elements: []Text{mrkdwn(fmt.Sprintf("…message shortened: %d more blocks left out", n))}})
	return out
}

// cut shortens mrkdwn text to n characters, at a line end when one is in
// the second half, so a cut does not split a link or an entity mid-line.
func cut(n int, s string) string {
	if runes(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := lastNewline(r); i > n/2 {
		r = r[:i]
	}
	return string(r) + "…"
}

func lastNewline(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == '\n' {
			return i
		}
	}
	return -1
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

package teams

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
	"github.com/wardenhq/warden/internal/notify/webhook"
)

// Limits.
const (
	maxBytes = 28000 // Teams rejects messages over about 28 KB
	maxLines = 20    // findings listed in a card about several
	maxTitle = 200   // heading characters
	maxText  = 2000  // one TextBlock
	maxLine  = 600   // one listed finding
)

// Envelope is the Workflows webhook request: a message with one Adaptive
// Card attachment.
type Envelope struct {
	Type        string       `json:"type"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment carries the card.
type Attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     Card    `json:"content"`
}

// Card is an Adaptive Card.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	Actions []Action  `json:"actions,omitempty"`
	MSTeams *MSTeams  `json:"msteams,omitempty"`
}

// MSTeams holds Teams-specific card options.
type MSTeams struct {
	Width string `json:"width"`
}

// Element is a TextBlock or a FactSet.
type Element struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Wrap     bool   `json:"wrap,omitempty"`
	Size     string `json:"size,omitempty"`
	Weight   string `json:"weight,omitempty"`
	Color    string `json:"color,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
	Spacing  string `json:"spacing,omitempty"`
	Facts    []Fact `json:"facts,omitempty"`
}

// Fact is one row of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is an Action.OpenUrl button.
type Action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

func textBlock(s string) Element {
	return Element{Type: "TextBlock", Text: tmpl.Truncate(maxText, s), Wrap: true}
}

// Envelope renders msg with the receiver's templates, listing at most
// lines findings when it has several.
func (r *Receiver) Envelope(msg *notify.Message, lines int) (Envelope, error) {
	safe := webhook.Prepare(msg, nil)
	render := func(part string, m *notify.Message) (string, error) {
		s, err := r.templates.Render(r.name, Type, part, m)
		return strings.TrimSpace(s), err
	}
	title, err := render("title", safe)
	if err != nil {
		return Envelope{}, err
	}
	title = tmpl.Truncate(maxTitle, strings.Join(strings.Fields(title), " "))
	if title == "" {
		title = "Warden"
	}
	card := Card{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		MSTeams: &MSTeams{Width: "Full"},
	}
	head := textBlock(title)
	head.Size, head.Weight, head.Color = "Large", "Bolder", color(safe)
	card.Body = append(card.Body, head)
	switch len(safe.Items) {
	case 0:
		card.Body = append(card.Body, textBlock("Delivery from Warden to this channel works."))
	case 1:
		it := safe.Items[0]
		text, err := render("item", webhook.One(safe, it))
		if err != nil {
			return Envelope{}, err
		}
		for _, p := range paragraphs(text) {
			card.Body = append(card.Body, textBlock(p))
		}
		card.Body = append(card.Body, Element{Type: "FactSet", Facts: facts(it)})
		if it.ConsoleURL != "" {
			card.Actions = append(card.Actions, Action{Type: "Action.OpenUrl", Title: "Open in AWS console", URL: it.ConsoleURL})
		}
		if it.RemediationURL != "" {
			card.Actions = append(card.Actions, Action{Type: "Action.OpenUrl", Title: "Remediation guide", URL: it.RemediationURL})
		}
	default:
		for i, it := range safe.Items {
			if i == lines {
				more := textBlock(fmt.Sprintf("…and %d more", len(safe.Items)-lines))
				more.IsSubtle = true
				card.Body = append(card.Body, more)
				break
			}
			l, err := render("line", webhook.One(safe, it))
			if err != nil {
				return Envelope{}, err
			}
			e := textBlock(tmpl.Truncate(maxLine, strings.Join(strings.Fields(l), " ")))
			e.Spacing = "Small"
			card.Body = append(card.Body, e)
		}
	}
	foot, err := render("context", safe)
	if err != nil {
		return Envelope{}, err
	}
	if foot != "" {
		e := textBlock(foot)
		e.Size, e.IsSubtle, e.Spacing = "Small", true, "Medium"
		card.Body = append(card.Body, e)
	}
	return Envelope{Type: "message", Attachments: []Attachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: card,
	}}}, nil
}

// paragraphs splits rendered text at blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// facts are the facts of a one-finding card, escaped for the card's
// Markdown.
func facts(it notify.Item) []Fact {
	rec := it.Record
	var out []Fact
	add := func(title, value string) {
		if value != "" {
			out = append(out, Fact{Title: title, Value: tmpl.Adaptive(tmpl.Truncate(300, value))})
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

// color is the heading's colour: green for good news, red for high and
// critical findings and failed remediations, yellow for medium.
func color(msg *notify.Message) string {
	switch msg.Kind {
	case notify.KindResolved:
		return "Good"
	case notify.KindTest, notify.KindDigest:
		return "Default"
	}
	worst := finding.SeverityUnknown
	for _, it := range msg.Items {
		if a := it.Action; a != nil && len(msg.Items) == 1 {
			switch a.Status {
			case "done":
				return "Good"
			case "failed":
				return "Attention"
			}
		}
		worst = max(worst, it.Record.Severity)
	}
	switch {
	case worst >= finding.SeverityHigh:
		return "Attention"
	case worst == finding.SeverityMedium:
		return "Warning"
	}
	return "Default"
}

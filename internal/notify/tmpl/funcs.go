package tmpl

import (
	"fmt"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
)

// Funcs returns the functions templates may use. All are pure: the time
// they compare against is the message's (.Now), never the clock.
//
// Escapers (escape.go, markup.go, url.go): html, htmllines, mrkdwn,
// markdown, jira, adaptive, json, plain, oneline, trunc N, safeurl.
//
// Findings: severity (label, "High"), sevcolor (hex colour for HTML),
// maxseverity ITEMS, sevcounts ITEMS ("1 critical, 2 high"), kindlabel
// KIND ("New finding"), action ACTION (what Warden does with a
// decide.Action), actioninfo INFO (status of a notify.ActionInfo),
// remediations ACTIONS and notifications ACTIONS (filters).
//
// Time: rfc3339 T, utc T ("2006-01-02 15:04 UTC"), since T NOW ("3 hours
// ago"), due T NOW ("due in 2 days", "overdue by 3 hours"), overdue T NOW.
// T may be a time.Time or *time.Time; the zero time gives "".
//
// Lists: join SEP LIST, plural N WORD ("3 findings"), limit N ITEMS,
// more N ITEMS (how many limit left out), add A B, labels MAP ("k: v,
// …" sorted), indent N S (indents
// every line of S but the first by N spaces).
func Funcs() template.FuncMap {
	return template.FuncMap{
		"html":      HTML,
		"htmllines": HTMLLines,
		"mrkdwn":    Mrkdwn,
		"markdown":  Markdown,
		"jira":      Jira,
		"adaptive":  Adaptive,
		"json":      JSON,
		"plain":     Plain,
		"oneline":   OneLine,
		"trunc":     Truncate,
		"safeurl":   SafeURL,

		"severity":      SeverityLabel,
		"sevcolor":      SeverityColor,
		"maxseverity":   MaxSeverity,
		"sevcounts":     SeverityCounts,
		"kindlabel":     KindLabel,
		"action":        ActionText,
		"actioninfo":    ActionInfoText,
		"remediations":  Remediations,
		"notifications": Notifications,

		"rfc3339": RFC3339,
		"utc":     UTC,
		"since":   Since,
		"due":     Due,
		"overdue": Overdue,

		"join":   Join,
		"plural": Plural,
		"limit":  Limit,
		"more":   More,
		"add":    func(a, b int) int { return a + b },
		"indent": Indent,
		"labels": Labels,
	}
}

// SeverityLabel returns the severity as a word with a capital ("High").
func SeverityLabel(s finding.Severity) string {
	l := s.String()
	if l == "" {
		return ""
	}
	return l[:1] + strings.ToLower(l[1:])
}

// SeverityColor returns a colour for the severity, for HTML badges.
func SeverityColor(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical:
		return "#7a0019"
	case finding.SeverityHigh:
		return "#c62828"
	case finding.SeverityMedium:
		return "#e65100"
	case finding.SeverityLow:
		return "#1565c0"
	case finding.SeverityInformational:
		return "#546e7a"
	}
	return "#616161"
}

// MaxSeverity returns the highest severity among the items.
func MaxSeverity(items []notify.Item) finding.Severity {
	var m finding.Severity
	for i := range items {
		m = max(m, items[i].Record.Severity)
	}
	return m
}

// SeverityCounts summarises the items by severity, highest first
// ("1 critical, 2 high").
func SeverityCounts(items []notify.Item) string {
	var n [finding.SeverityCritical + 1]int
	for i := range items {
		if s := items[i].Record.Severity; s <= finding.SeverityCritical {
			n[s]++
		}
	}
	var parts []string
	for s := finding.SeverityCritical; ; s-- {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], strings.ToLower(s.String())))
		}
		if s == finding.SeverityUnknown {
			break
		}
	}
	return strings.Join(parts, ", ")
}

// KindLabel names a message kind for people.
func KindLabel(k notify.Kind) string {
	switch k {
	case notify.KindFiring:
		return "New finding"
	case notify.KindRenotify:
		return "Still open"
	case notify.KindEscalated:
		return "Escalated"
	case notify.KindResolved:
		return "Resolved"
	case notify.KindDigest:
		return "Digest"
	case notify.KindAction:
		return "Remediation"
	case notify.KindTest:
		return "Test message"
	}
	return "Notification"
}

// Join joins list with sep; its argument order suits pipelines
// ({{ .Types | join ", " }} is not valid, {{ join ", " .Types }} is).
func Join(sep string, list []string) string { return strings.Join(list, sep) }

// Plural returns "1 finding", "3 findings".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Limit returns at most the first n items.
func Limit(n int, items []notify.Item) []notify.Item {
	if n < 0 {
		n = 0
	}
	if len(items) <= n {
		return items
	}
	return items[:n]
}

// More returns how many items Limit(n, items) leaves out.
func More(n int, items []notify.Item) int { return max(len(items)-max(n, 0), 0) }

// Labels writes a map as "k1: v1, k2: v2", sorted by key (group labels).
func Labels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + m[k]
	}
	return strings.Join(parts, ", ")
}

// Indent puts n spaces before every line of s but the first, so
// multi-line text lines up under a label in plain-text messages.
func Indent(n int, s string) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", max(n, 0)))
}

// asTime accepts a time.Time or *time.Time.
func asTime(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case *time.Time:
		if t != nil {
			return *t
		}
	}
	return time.Time{}
}

// RFC3339 formats t in UTC as RFC 3339 ("" for the zero time).
func RFC3339(t any) string {
	if v := asTime(t); !v.IsZero() {
		return v.UTC().Format(time.RFC3339)
	}
	return ""
}

// UTC formats t for people: "2026-11-25 09:00 UTC" ("" for the zero
// time).
func UTC(t any) string {
	if v := asTime(t); !v.IsZero() {
		return v.UTC().Format("2006-01-02 15:04 UTC")
	}
	return ""
}

// Since says how long ago t was at now: "just now", "5 minutes ago",
// "3 hours ago", "2 days ago", or "in 2 hours" for a future t ("" for the
// zero time).
func Since(t any, now time.Time) string {
	v := asTime(t)
	if v.IsZero() {
		return ""
	}
	d := now.Sub(v)
	switch {
	case d < -time.Minute:
		return "in " + span(-d)
	case d < time.Minute:
		return "just now"
	}
	return span(d) + " ago"
}

// Due says when a deadline falls relative to now: "due in 5 hours" or
// "overdue by 2 days" ("" for the zero time).
func Due(t any, now time.Time) string {
	v := asTime(t)
	if v.IsZero() {
		return ""
	}
	if d := v.Sub(now); d > 0 {
		return "due in " + span(d)
	}
	return "overdue by " + span(now.Sub(v))
}

// Overdue reports whether the deadline t has passed at now (false for the
// zero time).
func Overdue(t any, now time.Time) bool {
	v := asTime(t)
	return !v.IsZero() && !now.Before(v)
}

// span says a duration in its largest whole unit.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return Plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return Plural(int(d/time.Hour), "hour")
	}
	return Plural(int(d/(24*time.Hour)), "day")
}

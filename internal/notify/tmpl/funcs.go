package tmpl

import (
	"text/template"
)

// Funcs returns the functions templates may use: the escapers (html,
// mrkdwn, markdown, jira, adaptive, json, plain) and helpers for
// formatting findings.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"html":     HTML,
		"mrkdwn":   Mrkdwn,
		"markdown": Markdown,
		"jira":     Jira,
		"adaptive": Adaptive,
		"json":     JSON,
		"plain":    Plain,
		"trunc":    Truncate,
	}
}

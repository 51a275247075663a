package tmpl

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/notify"
)

// ActionText says in one line what Warden does or will do for a planned
// action of the decision record, e.g. "notify security-email" or "run
// ec2-isolate (destructive) once approved; the approval lapses 2026-11-25
// 10:00 UTC". Names come from the policy, not the finding, but templates
// escape the result like any other text.
func ActionText(a decide.Action) string {
	var s string
	switch a.Type {
	case decide.ActionNotify:
		s = "notify " + a.Receiver
	case decide.ActionRemediate:
		pb := a.Playbook
		if a.Destructive {
			pb += " (destructive)"
		}
		switch a.Mode {
		case "auto":
			s = "run " + pb + " automatically"
		case "delay":
			s = "run " + pb
			if t := UTC(a.NotBefore); t != "" {
				s += " at " + t
			} else {
				s += " after a delay"
			}
			s += " unless cancelled"
		case "approval":
			s = "run " + pb + " once approved"
			if t := UTC(a.Expires); t != "" {
				s += "; the approval lapses " + t
			}
		case "ticket":
			s = "ask the owner to run " + pb + "; not run automatically"
		default:
			s = "run " + pb + " (mode " + a.Mode + ")"
		}
	default:
		s = a.Type
	}
	switch a.Status {
	case "", decide.StatusPlanned:
	case decide.StatusDryRun:
		s += " [dry run: nothing is done]"
	default:
		s += " [" + a.Status + "]"
	}
	return s
}

// ActionInfoText says where a remediation of a KindAction message stands,
// e.g. "waiting for approval until 2026-11-25 10:00 UTC".
func ActionInfoText(a *notify.ActionInfo) string {
	if a == nil {
		return ""
	}
	var s string
	switch a.Status {
	case "waiting":
		s = "waiting for approval"
		if t := UTC(a.Expires); t != "" {
			s += " until " + t
		}
	case "pending":
		s = "scheduled"
		if t := UTC(a.NotBefore); t != "" {
			s += " for " + t
		}
		s += " unless cancelled"
	case "done":
		s = "done"
	case "failed":
		s = "failed"
	case "skipped":
		s = "skipped"
	default:
		s = a.Status
	}
	mode := a.Mode
	if a.Destructive {
		mode = strings.TrimSpace(mode + ", destructive")
	}
	if mode != "" {
		s = fmt.Sprintf("%s (%s)", s, strings.TrimPrefix(mode, ", "))
	}
	return s
}

// Remediations returns the remediate actions.
func Remediations(actions []decide.Action) []decide.Action {
	return filter(actions, decide.ActionRemediate)
}

// Notifications returns the notify actions.
func Notifications(actions []decide.Action) []decide.Action {
	return filter(actions, decide.ActionNotify)
}

func filter(actions []decide.Action, typ string) []decide.Action {
	var out []decide.Action
	for _, a := range actions {
		if a.Type == typ {
			out = append(out, a)
		}
	}
	return out
}

package act

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/store"
)

// Defaults of the safety rails (remediation.limits, remediation.role_name).
const (
	DefaultWindow      = time.Hour
	DefaultPerResource = 3
	DefaultPerAccount  = 25
	DefaultPerPlaybook = 20
	DefaultRoleName    = "WardenRemediation"
	// EscalatedTarget is the store ref target under which the time of the
	// last blast-radius escalation of each playbook is kept.
	EscalatedTarget = "act:escalated"
)

// Limits are the effective rail numbers.
type Limits struct {
	PerResource, PerAccount, PerPlaybook int
	Window                               time.Duration
}

// LimitsOf applies the defaults to the policy's limits.
func LimitsOf(s policy.RemediationSettings) Limits {
	l := Limits{PerResource: s.Limits.PerResource, PerAccount: s.Limits.PerAccount, PerPlaybook: s.Limits.PerPlaybook, Window: time.Duration(s.Limits.Window)}
	if l.PerResource <= 0 {
		l.PerResource = DefaultPerResource
	}
	if l.PerAccount <= 0 {
		l.PerAccount = DefaultPerAccount
	}
	if l.PerPlaybook <= 0 {
		l.PerPlaybook = DefaultPerPlaybook
	}
	if l.Window <= 0 {
		l.Window = DefaultWindow
	}
	return l
}

// window counts the remediations done in the rails' window, by key. It
// is loaded once per pass and grows as the pass runs jobs.
type window struct {
	limits     Limits
	byResource map[string][]time.Time
	byAccount  map[string][]time.Time
	byPlaybook map[string][]time.Time
}

func loadWindow(ctx context.Context, st store.JobStore, l Limits, now time.Time) (*window, error) {
	w := &window{limits: l, byResource: map[string][]time.Time{}, byAccount: map[string][]time.Time{}, byPlaybook: map[string][]time.Time{}}
	done, err := st.Jobs(ctx, store.JobFilter{Kind: store.JobRemediate, Status: []store.JobStatus{store.JobDone}, UpdatedSince: now.Add(-l.Window)})
	if err != nil {
		return nil, fmt.Errorf("counting recent remediations: %w", err)
	}
	for i := range done {
		p, err := DecodePayload(&done[i])
		if err != nil {
			// Still counts for its playbook; its resource and account are
			// unknown.
			w.byPlaybook[done[i].Target] = append(w.byPlaybook[done[i].Target], done[i].Updated)
			continue
		}
		w.add(&p, done[i].Target, done[i].Updated)
	}
	for _, m := range []map[string][]time.Time{w.byResource, w.byAccount, w.byPlaybook} {
		for k := range m {
			sort.Slice(m[k], func(a, b int) bool { return m[k][a].Before(m[k][b]) })
		}
	}
	return w, nil
}

func resourceKey(p *Payload) string {
	if len(p.Resources) == 0 {
		return ""
	}
	return p.Resources[0].ID
}

func (w *window) add(p *Payload, playbook string, at time.Time) {
	if k := resourceKey(p); k != "" {
		w.byResource[k] = append(w.byResource[k], at)
	}
	if p.AccountID != "" {
		w.byAccount[p.AccountID] = append(w.byAccount[p.AccountID], at)
	}
	w.byPlaybook[playbook] = append(w.byPlaybook[playbook], at)
}

// count returns how many of times fall in the window (now-Window, now],
// and the earliest of them.
func (w *window) count(times []time.Time, now time.Time) (int, time.Time) {
	from := now.Add(-w.limits.Window)
	n, first := 0, time.Time{}
	for _, t := range times {
		if t.After(from) {
			if n == 0 {
				first = t
			}
			n++
		}
	}
	return n, first
}

// railKind names the rail that stopped a job.
type railKind int

const (
	railNone railKind = iota
	railLoop
	railResource
	railAccount
	railPlaybook
)

// verdict is a rail's answer: stop (skip), defer until, or go.
type verdict struct {
	rail   railKind
	reason string
	until  time.Time // railAccount: when the window has room
}

// check applies the limits to one request.
func (w *window) check(p *Payload, playbook string, now time.Time) verdict {
	l := w.limits
	if n, _ := w.count(w.byPlaybook[playbook], now); n >= l.PerPlaybook {
		return verdict{rail: railPlaybook, reason: fmt.Sprintf("blast-radius cap: playbook %s already ran %d times in the last %s (remediation.limits.per_playbook %d)", playbook, n, l.Window, l.PerPlaybook)}
	}
	if k := resourceKey(p); k != "" {
		if n, _ := w.count(w.byResource[k], now); n >= l.PerResource {
			return verdict{rail: railResource, reason: fmt.Sprintf("per-resource limit: %s was remediated %d times in the last %s (remediation.limits.per_resource %d)", k, n, l.Window, l.PerResource)}
		}
	}
	if p.AccountID != "" {
		if n, first := w.count(w.byAccount[p.AccountID], now); n >= l.PerAccount {
			until := first.Add(l.Window)
			return verdict{rail: railAccount, until: until, reason: fmt.Sprintf("per-account limit: %d remediations in account %s in the last %s (remediation.limits.per_account %d); deferred to %s", n, p.AccountID, l.Window, l.PerAccount, until.Format(time.RFC3339))}
		}
	}
	return verdict{}
}

// loopGuard reports whether actor is one of Warden's own principals.
func loopGuard(s policy.RemediationSettings, actor string) (string, bool) {
	if actor == "" {
		return "", false
	}
	role := s.RoleName
	if role == "" {
		role = DefaultRoleName
	}
	role = strings.NewReplacer("{account_id}", "*", "{region}", "*").Replace(role)
	globs := append([]string{"arn:*:iam::*:role/" + role, "arn:*:iam::*:role/*/" + role}, s.WardenPrincipals...)
	forms := []string{actor}
	if r, ok := roleOfSession(actor); ok {
		forms = append(forms, r)
	}
	for _, g := range globs {
		for _, f := range forms {
			if glob(g, f) {
				return fmt.Sprintf("loop guard: actor %s is Warden's own principal (%s)", actor, g), true
			}
		}
	}
	return "", false
}

// roleOfSession turns arn:P:sts::A:assumed-role/R/S into arn:P:iam::A:role/R.
func roleOfSession(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sts" {
		return "", false
	}
	res, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return "", false
	}
	role, _, ok := strings.Cut(res, "/")
	if !ok || role == "" {
		return "", false
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role, true
}

// glob matches s against a pattern where * is any run of characters
// (slashes too, unlike path.Match) and ? is one character.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

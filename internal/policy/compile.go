package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/pattern"
	"github.com/wardenhq/warden/internal/remediate"
	"github.com/wardenhq/warden/internal/route"
)

// Set is a compiled policy repo. It is immutable and safe for concurrent
// use; a reload compiles a new Set and swaps it in whole.
type Set struct {
	Dir       string
	Commit    string
	Settings  Settings
	Inventory *enrich.Inventory
	Rules     []*CompiledRule
	Receivers map[string]Receiver
	// Routes is the notification routing tree (routes.yaml, or the
	// default route of warden.yaml when the repo has none). Never nil.
	Routes *route.Tree
	// Detect runs the enabled detections (built-in pack and the repo's).
	Detect     *detect.Engine
	Detections []SourcedDetection

	patterns  *pattern.Set
	scopeOnly []int // rules without a finding pattern
}

// CompiledRule is a rule ready to evaluate.
type CompiledRule struct {
	Rule
	File    string
	Line    int
	pattern *pattern.Pattern
	scope   scope
}

// Compile checks cross-references and compiles patterns. All problems are
// returned together.
func Compile(r *Repo) (*Set, error) {
	s := &Set{Dir: r.Dir, Commit: r.Commit, Settings: r.Settings, Receivers: map[string]Receiver{}}
	var errs []error
	add := func(e error) { errs = append(errs, e) }

	groups := compileInventory(r, add)
	s.Inventory = enrich.NewInventory(r.Inventory.Accounts)
	compileReceivers(r, s, add)
	compileSettings(r, s, add)
	compileRoutes(r, s, add)

	b := pattern.NewBuilder()
	seen := map[string]string{}
	for i, sr := range r.Rules {
		base := []string{"rules", strconv.Itoa(sr.Index)}
		at := func(p []string, format string, args ...any) {
			add(r.at(sr.File, append(append([]string(nil), base...), p...), format, args...))
		}
		if prev, dup := seen[sr.ID]; dup {
			at([]string{"id"}, "rule id %q already used in %s", sr.ID, prev)
		}
		seen[sr.ID] = sr.File
		cr := &CompiledRule{Rule: sr.Rule, File: sr.File, scope: newScope(sr.Match)}
		if f, ok := r.files[sr.File]; ok {
			if n := f.node(base); n != nil {
				cr.Line = n.GetToken().Position.Line
			}
		}
		checkRule(sr, groups, s, at)
		if len(sr.Match.Finding) > 0 {
			src, err := json.Marshal(sr.Match.Finding)
			if err != nil {
				at([]string{"match", "finding"}, "pattern: %v", err)
			} else if p, err := pattern.Parse(src); err != nil {
				var pe *pattern.Error
				if errors.As(err, &pe) {
					at(append([]string{"match", "finding"}, pe.Path...), "pattern: %s", pe.Msg)
				} else {
					at([]string{"match", "finding"}, "pattern: %v", err)
				}
			} else {
				cr.pattern = p
				b.Add(i, p)
			}
		} else {
			s.scopeOnly = append(s.scopeOnly, i)
		}
		s.Rules = append(s.Rules, cr)
	}
	s.patterns = b.Build()
	compileDetections(r, s, add)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func compileInventory(r *Repo, add func(error)) map[string]bool {
	at := func(p []string, format string, args ...any) { add(r.at(AccountsFile, p, format, args...)) }
	byKey := map[string]*enrich.Account{}
	for i, a := range r.Inventory.Accounts {
		p := []string{"accounts", strconv.Itoa(i)}
		if _, dup := byKey[a.ID]; dup {
			at(append(p, "id"), "account id %s listed twice", a.ID)
		}
		if o, dup := byKey[a.Name]; dup && o.ID != a.ID {
			at(append(p, "name"), "account name %q already used by %s", a.Name, o.ID)
		}
		byKey[a.ID], byKey[a.Name] = a, a
	}
	groups := map[string]bool{}
	names := make([]string, 0, len(r.Inventory.Groups))
	for n := range r.Inventory.Groups {
		names = append(names, n)
		groups[n] = true
	}
	sort.Strings(names)
	for _, n := range names {
		g := r.Inventory.Groups[n]
		p := []string{"groups", n}
		members := map[*enrich.Account]bool{}
		for j, ref := range g.Accounts {
			a, ok := byKey[ref]
			if !ok {
				at(append(p, "accounts", strconv.Itoa(j)), "group %s: unknown account %q (not an id or name in accounts)", n, ref)
				continue
			}
			members[a] = true
		}
		if g.Select != nil {
			if len(g.Select.Group) > 0 {
				at(append(p, "select", "group"), "group %s: a group selector cannot refer to other groups", n)
			}
			sel := newSelector(g.Select)
			for _, a := range r.Inventory.Accounts {
				if ok, _ := sel.match(a); ok {
					members[a] = true
				}
			}
		}
		for a := range members {
			a.Groups = append(a.Groups, n)
		}
	}
	for _, a := range r.Inventory.Accounts {
		sort.Strings(a.Groups)
	}
	return groups
}

// secretKeys are receiver settings that must be given by reference,
// wherever they are nested.
var secretKeys = []string{"password", "token", "secret", "key", "webhook", "credential"}

// CheckReceiver, when set, checks a receiver's type-specific settings
// (the receiver packages' own validation, without resolving secrets).
// The application sets it (internal/app.Register); the policy package
// cannot import the receivers, which import it.
var CheckReceiver func(rc Receiver) error

// urlIsSecret lists receiver types whose URL carries the credential
// (Slack and Teams incoming webhooks).
var urlIsSecret = map[string]bool{"slack": true, "teams": true}

// checkSecrets walks a receiver's settings and reports every secret given
// inline.
func checkSecrets(rc Receiver, path []string, v any, report func(path []string, key string)) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(append([]string(nil), path...), k)
			if isSecretKey(rc.Type, k) {
				if str, ok := x[k].(string); !ok || !SecretRef(str) {
					report(p, k)
				}
				continue
			}
			checkSecrets(rc, p, x[k], report)
		}
	case []any:
		for i, e := range x {
			checkSecrets(rc, append(append([]string(nil), path...), strconv.Itoa(i)), e, report)
		}
	}
}

func isSecretKey(typ, key string) bool {
	lk := strings.ToLower(key)
	for _, sk := range secretKeys {
		if strings.Contains(lk, sk) {
			return true
		}
	}
	// Slack's api_url is the public API endpoint (overridable for a proxy
	// or tests), not a credential.
	return urlIsSecret[typ] && strings.Contains(lk, "url") && lk != "api_url"
}

// SecretRef reports whether v is a secret reference (env:, file:, ssm:,
// secretsmanager:).
func SecretRef(v string) bool {
	for _, p := range []string{"env:", "file:", "ssm:", "secretsmanager:"} {
		if strings.HasPrefix(v, p) && len(v) > len(p) {
			return true
		}
	}
	return false
}

func compileReceivers(r *Repo, s *Set, add func(error)) {
	for i, rc := range r.Receivers {
		p := []string{"receivers", strconv.Itoa(i)}
		if _, dup := s.Receivers[rc.Name]; dup {
			add(r.at(ReceiversFile, append(p, "name"), "receiver %q defined twice", rc.Name))
		}
		s.Receivers[rc.Name] = rc
		if CheckReceiver != nil {
			if err := CheckReceiver(rc); err != nil {
				add(r.at(ReceiversFile, append(p, "config"), "receiver %s (%s): %v", rc.Name, rc.Type, err))
			}
		}
		checkSecrets(rc, append(p, "config"), rc.Config, func(path []string, key string) {
			add(r.at(ReceiversFile, path, "receiver %s: %s is a secret: give it by reference (env:NAME, file:PATH, ssm:/path, secretsmanager:name), never inline", rc.Name, key))
		})
	}
}

func compileSettings(r *Repo, s *Set, add func(error)) {
	for i, n := range r.Settings.Default.Notify {
		if _, ok := s.Receivers[n]; !ok {
			add(r.at(SettingsFile, []string{"default", "notify", strconv.Itoa(i)}, "unknown receiver %q (define it in %s)", n, ReceiversFile))
		}
	}
	for _, f := range []struct {
		path []string
		name string
	}{
		{[]string{"strategy", "ticket_receiver"}, r.Settings.Strategy.TicketReceiver},
		{[]string{"remediation", "escalate"}, r.Settings.Remediation.Escalate},
	} {
		if _, ok := s.Receivers[f.name]; f.name != "" && !ok {
			add(r.at(SettingsFile, f.path, "unknown receiver %q (define it in %s)", f.name, ReceiversFile))
		}
	}
	if s.Settings.Default.Tier == 0 {
		s.Settings.Default.Tier = 3
	}
	if s.Settings.Tracking.RenotifyAfter == 0 {
		s.Settings.Tracking.RenotifyAfter = Duration(15 * 24 * time.Hour)
	}
}

func checkRule(sr SourcedRule, groups map[string]bool, s *Set, at func([]string, string, ...any)) {
	checkGroups := func(m *AccountMatch, p []string) {
		if m == nil {
			return
		}
		for j, g := range m.Group {
			if !groups[g] {
				at(append(p, "group", strconv.Itoa(j)), "unknown account group %q (define it under groups in %s)", g, AccountsFile)
			}
		}
	}
	checkGroups(sr.Match.Accounts, []string{"match", "accounts"})
	if sr.Match.Exclude != nil {
		checkGroups(sr.Match.Exclude.Accounts, []string{"match", "exclude", "accounts"})
	}
	for j, n := range sr.Notify {
		if _, ok := s.Receivers[n]; !ok {
			at([]string{"notify", strconv.Itoa(j)}, "unknown receiver %q (define it in %s)", n, ReceiversFile)
		}
	}
	if sr.Remediate != nil {
		spec, ok := remediate.Lookup(sr.Remediate.Playbook)
		if !ok {
			at([]string{"remediate", "playbook"}, "unknown playbook %q (known: %s)", sr.Remediate.Playbook, strings.Join(remediate.Names(), ", "))
		} else {
			for _, e := range spec.CheckParams(sr.Remediate.Params) {
				at([]string{"remediate", "params"}, "%v", e)
			}
		}
	}
	acts := 0
	for _, set := range []bool{sr.Suppress != nil, sr.Tier != 0, len(sr.Notify) > 0, sr.Remediate != nil, sr.Ignore, sr.WriteBack != nil} {
		if set {
			acts++
		}
	}
	switch {
	case acts == 0:
		at(nil, "rule %s does nothing: set suppress, tier, notify, remediate, ignore or write_back", sr.ID)
	case sr.Suppress != nil && (len(sr.Notify) > 0 || sr.Remediate != nil):
		at([]string{"suppress"}, "rule %s both suppresses and notifies/remediates; split it into two rules", sr.ID)
	case sr.Suppress != nil && !sr.Suppress.Created.IsZero() && sr.Suppress.Expires.Before(sr.Suppress.Created.Time):
		at([]string{"suppress", "expires"}, "expires %s is before created %s", sr.Suppress.Expires, sr.Suppress.Created)
	}
}

func compileDetections(r *Repo, s *Set, add func(error)) {
	var all []SourcedDetection
	if r.Settings.Detections.Builtin {
		builtin, err := detect.LoadBuiltin()
		if err != nil {
			add(fmt.Errorf("loading built-in detections: %w", err))
		}
		disabled := set(r.Settings.Detections.Disable)
		known := map[string]bool{}
		for i, d := range builtin {
			known[d.ID] = true
			if !disabled[d.ID] {
				all = append(all, SourcedDetection{Rule: d, File: "builtin", Index: i})
			}
		}
		for j, id := range r.Settings.Detections.Disable {
			if !known[id] {
				add(r.at(SettingsFile, []string{"detections", "disable", strconv.Itoa(j)}, "unknown built-in detection %q", id))
			}
		}
	}
	all = append(all, r.Detections...)
	rules := make([]detect.Rule, len(all))
	for i, d := range all {
		rules[i] = d.Rule
	}
	eng, err := detect.New(rules)
	if err != nil {
		for _, e := range unjoin(err) {
			var re *detect.RuleError
			if errors.As(e, &re) && re.Index >= 0 && re.Index < len(all) {
				d := all[re.Index]
				path := []string{"detections", strconv.Itoa(d.Index)}
				path = append(path, re.FieldPath()...)
				var pe *pattern.Error
				if errors.As(re.Err, &pe) {
					path = append(path, pe.Path...)
				}
				add(r.at(d.File, path, "detection %s: %v", d.ID, re.Err))
				continue
			}
			add(e)
		}
		return
	}
	s.Detect = eng
	s.Detections = all
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Account returns the inventory account for an id (a stand-in with
// environment "unknown" when it is not in the inventory) and whether it
// was known.
func (s *Set) Account(id string) (*enrich.Account, bool) {
	return s.Inventory.Lookup(id)
}

// Match returns the rules that select the finding, in evaluation order
// (files sorted by name, rules in file order), stopping after a rule with
// stop: true. dst is reused.
func (s *Set) Match(f *finding.Finding, a *enrich.Account, dst []*CompiledRule) ([]*CompiledRule, error) {
	var buf [32]int
	ids, err := s.patterns.Match(f.Doc, buf[:0])
	if err != nil {
		return dst, fmt.Errorf("matching finding %s: %w", f.ID, err)
	}
	if len(s.scopeOnly) > 0 {
		ids = append(ids, s.scopeOnly...)
		sort.Ints(ids)
	}
	for _, i := range ids {
		r := s.Rules[i]
		if ok, _ := r.scope.allows(a, f.Region); !ok {
			continue
		}
		dst = append(dst, r)
		if r.Stop {
			break
		}
	}
	return dst, nil
}

// RuleCheck is how one rule fared against a finding, for `warden explain`.
type RuleCheck struct {
	Rule    *CompiledRule
	InScope bool
	Scope   string   // why not in scope
	Matched bool     // scope and pattern both hold
	Pattern []string // pattern explanation lines
	Skipped bool     // after a matching rule with stop: true
}

// Explain checks every rule against the finding and says why each matched
// or not.
func (s *Set) Explain(f *finding.Finding, a *enrich.Account) ([]RuleCheck, error) {
	out := make([]RuleCheck, 0, len(s.Rules))
	stopped := false
	for _, r := range s.Rules {
		c := RuleCheck{Rule: r, Skipped: stopped}
		c.InScope, c.Scope = r.scope.allows(a, f.Region)
		pm := true
		if r.pattern != nil {
			ok, lines, err := r.pattern.Explain(f.Doc)
			if err != nil {
				return nil, fmt.Errorf("explaining rule %s on finding %s: %w", r.ID, f.ID, err)
			}
			pm, c.Pattern = ok, lines
		}
		c.Matched = c.InScope && pm && !stopped
		if c.Matched && r.Stop {
			stopped = true
		}
		out = append(out, c)
	}
	return out, nil
}

// RenotifyAfter returns the re-notification period for a severity.
func (s *Set) RenotifyAfter(sev finding.Severity) time.Duration {
	if d, ok := s.Settings.Tracking.RenotifyAfterBySeverity[sev.String()]; ok {
		return time.Duration(d)
	}
	return time.Duration(s.Settings.Tracking.RenotifyAfter)
}

// ModeFor returns the strategy matrix mode for an environment and a
// destructive flag. An environment no row lists gets the strictest mode,
// ticket.
func (s *Set) ModeFor(env string, destructive bool) Mode {
	for _, row := range s.Settings.Strategy.Matrix {
		for _, e := range row.Environments {
			if e == env || e == "*" {
				if destructive {
					return row.Destructive
				}
				return row.NonDestructive
			}
		}
	}
	return ModeTicket
}

// Pattern returns the rule's compiled finding pattern (nil for scope-only
// rules).
func (r *CompiledRule) Pattern() *pattern.Pattern { return r.pattern }

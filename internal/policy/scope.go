package policy

import (
	"path"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/enrich"
)

// selector is a compiled AccountMatch. Within a field, values are
// alternatives; every field that is set must hold.
type selector struct {
	ids, groups, envs, units map[string]bool
	names                    []string // globs
	ous                      []string // path prefixes
	tags                     map[string]map[string]bool
}

func newSelector(m *AccountMatch) *selector {
	if m == nil {
		return nil
	}
	return &selector{
		ids:    set(m.ID),
		groups: set(m.Group),
		envs:   set(m.Environment),
		units:  set(m.BusinessUnit),
		names:  m.Name,
		ous:    m.OU,
		tags:   tagSet(m.Tags),
	}
}

func set(l []string) map[string]bool {
	if len(l) == 0 {
		return nil
	}
	m := make(map[string]bool, len(l))
	for _, v := range l {
		m[v] = true
	}
	return m
}

func tagSet(t map[string][]string) map[string]map[string]bool {
	if len(t) == 0 {
		return nil
	}
	m := make(map[string]map[string]bool, len(t))
	for k, vs := range t {
		m[k] = set(vs)
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
	}
	return m
}

// match reports whether the account is selected and, if not, which field
// failed (for explanations).
func (s *selector) match(a *enrich.Account) (bool, string) {
	if s.ids != nil && !s.ids[a.ID] {
		return false, "account id " + a.ID + " not listed"
	}
	if s.names != nil && !globAny(s.names, a.Name) {
		return false, "account name " + a.Name + " not listed"
	}
	if s.envs != nil && !s.envs[a.Environment] {
		return false, "environment " + a.Environment + " not listed"
	}
	if s.units != nil && !s.units[a.BusinessUnit] {
		return false, "business unit " + orNone(a.BusinessUnit) + " not listed"
	}
	if s.groups != nil && !anyIn(s.groups, a.Groups) {
		return false, "account in none of the groups " + strings.Join(keys(s.groups), ", ")
	}
	if s.ous != nil && !ouAny(s.ous, a.OU) {
		return false, "OU " + orNone(a.OU) + " not under the listed OUs"
	}
	for k, vs := range s.tags {
		v, ok := a.Tags[k]
		if !ok {
			return false, "account tag " + k + " missing"
		}
		if len(vs) > 0 && !vs[v] {
			return false, "account tag " + k + "=" + v + " not listed"
		}
	}
	return true, ""
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func globAny(globs []string, s string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok || g == s {
			return true
		}
	}
	return false
}

func anyIn(m map[string]bool, l []string) bool {
	for _, v := range l {
		if m[v] {
			return true
		}
	}
	return false
}

// ouAny: /Root/Workloads selects /Root/Workloads and everything below it,
// not /Root/WorkloadsOld.
func ouAny(prefixes []string, ou string) bool {
	for _, p := range prefixes {
		p = strings.TrimSuffix(p, "/")
		if ou == p || strings.HasPrefix(ou, p+"/") {
			return true
		}
	}
	return false
}

// scope is a rule's account and region scope: exclude first, then include.
type scope struct {
	include, exclude   *selector
	regions, exRegions map[string]bool
}

func newScope(m Match) scope {
	s := scope{include: newSelector(m.Accounts), regions: set(m.Regions)}
	if m.Exclude != nil {
		s.exclude = newSelector(m.Exclude.Accounts)
		s.exRegions = set(m.Exclude.Regions)
	}
	return s
}

// allows reports whether the account and region are in scope, with the
// reason when they are not.
func (s *scope) allows(a *enrich.Account, region string) (bool, string) {
	if s.exRegions[region] {
		return false, "region " + region + " excluded"
	}
	if s.exclude != nil {
		if ok, _ := s.exclude.match(a); ok {
			return false, "account " + a.Name + " excluded"
		}
	}
	if s.regions != nil && !s.regions[region] {
		return false, "region " + orNone(region) + " not listed"
	}
	if s.include != nil {
		return s.include.match(a)
	}
	return true, ""
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

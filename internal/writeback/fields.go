package writeback

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Security Hub's limits on ASFF UserDefinedFields: at most 50 pairs, keys
// of 1 to 128 characters, values of 1 to 1024 characters.
const (
	MaxFields     = 50
	MaxFieldKey   = 128
	MaxFieldValue = 1024
)

// The user-defined field keys Warden writes.
const (
	FieldTier        = "tier"
	FieldOwner       = "owner"
	FieldEnvironment = "environment"
	FieldRules       = "rules"
	FieldTicket      = "ticket"
)

// Fields are the decision values Warden shares with downstream consumers
// as user-defined fields.
type Fields struct {
	Tier        int      // 1, 2, 3; 0 leaves it out
	Owner       string   // the account or resource owner
	Environment string   // prod, staging, …
	Rules       []string // the matched rules
	Ticket      string   // the Jira issue key
}

// Map returns the fields as UserDefinedFields: empty values are left
// out, values are cut to MaxFieldValue characters, and the rule list is a
// comma list cut at a rule boundary (ending in ",…") when too long.
func (f Fields) Map() map[string]string {
	m := map[string]string{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			m[k] = cut(v, MaxFieldValue)
		}
	}
	if f.Tier > 0 {
		m[FieldTier] = strconv.Itoa(f.Tier)
	}
	set(FieldOwner, f.Owner)
	set(FieldEnvironment, f.Environment)
	set(FieldTicket, f.Ticket)
	var rules []string
	for _, r := range f.Rules {
		if r = strings.TrimSpace(r); r != "" {
			rules = append(rules, r)
		}
	}
	if s := strings.Join(rules, ","); utf8.RuneCountInString(s) <= MaxFieldValue {
		set(FieldRules, s)
	} else {
		var b strings.Builder
		for i, r := range rules {
			next := r
			if i > 0 {
				next = "," + r
			}
			if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(next)+2 > MaxFieldValue {
				break
			}
			b.WriteString(next)
		}
		set(FieldRules, b.String()+",…")
	}
	return m
}

// checkFields fits fields into Security Hub's limits: keys out of bounds
// and empty values are dropped, long values cut, and beyond MaxFields
// pairs the last keys (by name) are dropped. Each change is described.
func checkFields(in map[string]string) (map[string]string, []string) {
	if len(in) == 0 {
		return nil, nil
	}
	var notes []string
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]string{}
	for _, k := range keys {
		v := in[k]
		n := utf8.RuneCountInString(k)
		switch {
		case n == 0 || n > MaxFieldKey || strings.TrimSpace(k) == "":
			notes = append(notes, fmt.Sprintf("user-defined field key %q dropped: keys are 1 to %d characters", cut(k, 40), MaxFieldKey))
			continue
		case v == "":
			notes = append(notes, fmt.Sprintf("user-defined field %s dropped: empty value", k))
			continue
		case len(out) == MaxFields:
			notes = append(notes, fmt.Sprintf("user-defined field %s dropped: at most %d fields", k, MaxFields))
			continue
		}
		if utf8.RuneCountInString(v) > MaxFieldValue {
			v = cut(v, MaxFieldValue)
			notes = append(notes, fmt.Sprintf("user-defined field %s cut to %d characters", k, MaxFieldValue))
		}
		out[k] = v
	}
	return out, notes
}

// cut shortens s to n characters, ending with "…" when it cuts.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

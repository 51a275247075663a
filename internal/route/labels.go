package route

import (
	"sort"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/store"
)

// Labels gives a finding's label values by name. A label may have
// several values (type, group, rule, resource_type, tag:KEY) or none.
type Labels interface {
	// Label appends the values of the named label to dst and returns it.
	Label(name string, dst []string) []string
}

// Map is Labels held in a map (tests, callers with ad-hoc values).
type Map map[string][]string

// Label implements Labels.
func (m Map) Label(name string, dst []string) []string { return append(dst, m[name]...) }

// Label prefixes: tag:KEY is a tag of the finding's resources,
// account_tag:KEY a tag of its account.
const (
	PrefixTag        = "tag:"
	PrefixAccountTag = "account_tag:"
)

// GroupAll in group_by makes every finding its own group.
const GroupAll = "..."

// Where a label can be read. Routes see a finding when it is decided and
// have every label. Inhibition sources and digests see tracked findings
// as stored (store.State plus the account), which have fewer; inhibition
// targets see the decision record.
const (
	inDecision = 1 << iota
	inRecord
	inState
)

const everywhere = inDecision | inRecord | inState

// labelInfo says where each label is available.
var labelInfo = map[string]int{
	"finding_id":       everywhere,
	"product":          everywhere,
	"severity":         everywhere,
	"verdict":          everywhere, // for stored state: the last verdict
	"account_id":       everywhere,
	"region":           everywhere,
	"title":            everywhere,
	"account_name":     everywhere,
	"environment":      everywhere,
	"owner":            everywhere,
	"business_unit":    everywhere,
	"security_contact": everywhere,
	"ou":               everywhere,
	"group":            everywhere,
	"overdue":          everywhere,
	"format":           inDecision | inRecord,
	"tier":             inDecision | inRecord,
	"reason":           inDecision | inRecord,
	"resource_id":      inDecision | inRecord, // the record has the first resource only
	"rule":             inDecision | inRecord,
	"type":             inDecision,
	"resource_type":    inDecision,
	"control":          inDecision,
	"compliance":       inDecision,
	"generator":        inDecision,
}

// LabelNames lists the label names (without the tag: and account_tag:
// prefixes), sorted.
func LabelNames() []string {
	out := make([]string, 0, len(labelInfo))
	for n := range labelInfo {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// availability returns where a label name can be read, 0 when it is not
// a label.
func availability(name string) int {
	if k, ok := strings.CutPrefix(name, PrefixTag); ok && k != "" {
		return inDecision
	}
	if k, ok := strings.CutPrefix(name, PrefixAccountTag); ok && k != "" {
		return everywhere
	}
	return labelInfo[name]
}

// Facts are the attributes labels are read from. Package decide fills
// them from the finding being decided, decide.Record.Facts from a
// decision record, FactsFromState (or policy.Set.StateFacts) from a
// stored state; what the source does not hold stays empty.
type Facts struct {
	FindingID  string
	Product    string
	Format     string
	Severity   string
	Verdict    string
	Reason     string
	Title      string
	Region     string
	AccountID  string
	Control    string
	Compliance string
	Generator  string
	Tier       int
	Overdue    bool
	Types      []string
	Resources  []finding.Resource
	Rules      []string
	Account    enrich.Context
}

// Label implements Labels.
func (f *Facts) Label(name string, dst []string) []string {
	one := func(v string) []string {
		if v == "" {
			return dst
		}
		return append(dst, v)
	}
	switch name {
	case "finding_id":
		return one(f.FindingID)
	case "product":
		return one(f.Product)
	case "format":
		return one(f.Format)
	case "type":
		return append(dst, f.Types...)
	case "severity":
		return one(f.Severity)
	case "tier":
		if f.Tier == 0 {
			return dst
		}
		return append(dst, strconv.Itoa(f.Tier))
	case "verdict":
		return one(f.Verdict)
	case "reason":
		return one(f.Reason)
	case "account_id":
		return one(f.AccountID)
	case "account_name":
		return one(f.Account.AccountName)
	case "environment":
		return one(f.Account.Environment)
	case "owner":
		return one(f.Account.Owner)
	case "business_unit":
		return one(f.Account.BusinessUnit)
	case "security_contact":
		return one(f.Account.SecurityContact)
	case "ou":
		return one(f.Account.OU)
	case "group":
		return append(dst, f.Account.Groups...)
	case "region":
		return one(f.Region)
	case "resource_id":
		for _, r := range f.Resources {
			dst = one(r.ID)
		}
		return dst
	case "resource_type":
		for _, r := range f.Resources {
			dst = one(r.Type)
		}
		return dst
	case "rule":
		return append(dst, f.Rules...)
	case "title":
		return one(f.Title)
	case "control":
		return one(f.Control)
	case "compliance":
		return one(f.Compliance)
	case "generator":
		return one(f.Generator)
	case "overdue":
		return append(dst, strconv.FormatBool(f.Overdue))
	}
	if k, ok := strings.CutPrefix(name, PrefixTag); ok {
		for _, r := range f.Resources {
			if v, ok := r.Tags[k]; ok {
				dst = one(v)
			}
		}
		return dst
	}
	if k, ok := strings.CutPrefix(name, PrefixAccountTag); ok {
		return one(f.Account.AccountTags[k])
	}
	return dst
}

// FactsFromState returns the facts a stored finding state and its account
// give: finding_id, product, severity, verdict (the last one), account_id,
// region, title and the account's labels (account_name, environment,
// owner, business_unit, security_contact, ou, group, account_tag:KEY).
// overdue is false; callers that know the SLA set Overdue.
func FactsFromState(st store.State, a *enrich.Account, known bool) *Facts {
	f := &Facts{
		FindingID: st.ID, Product: st.Product, Severity: st.Severity.String(), Verdict: st.LastVerdict,
		Title: st.Title, Region: st.Region, AccountID: st.AccountID,
	}
	if a != nil {
		f.Account = enrich.ContextOf(a, known)
	}
	return f
}

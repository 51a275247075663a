// Package enrich attaches context to findings: the account's name,
// environment, owner, OU and groups from the inventory (accounts.yaml).
//
// An Inventory is immutable after NewInventory and safe for concurrent use.
package enrich

import "sort"

// Account is one AWS account and its context, as in accounts.yaml.
type Account struct {
	ID              string            `yaml:"id" json:"id"`
	Name            string            `yaml:"name" json:"name"`
	Email           string            `yaml:"email" json:"email,omitempty"`
	OU              string            `yaml:"ou" json:"ou,omitempty"` // path, e.g. /Root/Workloads/Prod
	Environment     string            `yaml:"environment" json:"environment"`
	BusinessUnit    string            `yaml:"business_unit" json:"business_unit,omitempty"`
	Owner           string            `yaml:"owner" json:"owner,omitempty"`
	SecurityContact string            `yaml:"security_contact" json:"security_contact,omitempty"`
	Tags            map[string]string `yaml:"tags" json:"tags,omitempty"`

	// Groups is filled by the policy compiler: the names of the groups the
	// account belongs to, sorted.
	Groups []string `yaml:"-" json:"groups,omitempty"`
}

// UnknownEnvironment is the environment of accounts missing from the
// inventory.
const UnknownEnvironment = "unknown"

// Inventory indexes accounts by id.
type Inventory struct {
	byID map[string]*Account
	list []*Account
}

// NewInventory indexes accounts; later duplicates of an id are ignored
// (the policy loader reports them).
func NewInventory(accounts []*Account) *Inventory {
	inv := &Inventory{byID: make(map[string]*Account, len(accounts))}
	for _, a := range accounts {
		if _, dup := inv.byID[a.ID]; dup {
			continue
		}
		inv.byID[a.ID] = a
		inv.list = append(inv.list, a)
	}
	return inv
}

// Lookup returns the account with the given id. For an id missing from the
// inventory it returns a stand-in named after the id with environment
// "unknown", and ok false.
func (inv *Inventory) Lookup(id string) (a *Account, ok bool) {
	if inv != nil {
		if a, ok := inv.byID[id]; ok {
			return a, true
		}
	}
	return &Account{ID: id, Name: id, Environment: UnknownEnvironment}, false
}

// Accounts returns every account, ordered by id.
func (inv *Inventory) Accounts() []*Account {
	out := append([]*Account(nil), inv.list...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Context is the enrichment recorded in a decision (DESIGN §7 `enrichment`).
type Context struct {
	AccountName     string            `json:"account_name"`
	Environment     string            `json:"environment"`
	Owner           string            `json:"owner,omitempty"`
	BusinessUnit    string            `json:"business_unit,omitempty"`
	SecurityContact string            `json:"security_contact,omitempty"`
	OU              string            `json:"ou,omitempty"`
	Groups          []string          `json:"groups,omitempty"`
	AccountTags     map[string]string `json:"account_tags,omitempty"`
	InInventory     bool              `json:"in_inventory"`
}

// ContextOf returns the enrichment for an account.
func ContextOf(a *Account, known bool) Context {
	return Context{
		AccountName:     a.Name,
		Environment:     a.Environment,
		Owner:           a.Owner,
		BusinessUnit:    a.BusinessUnit,
		SecurityContact: a.SecurityContact,
		OU:              a.OU,
		Groups:          a.Groups,
		AccountTags:     a.Tags,
		InInventory:     known,
	}
}

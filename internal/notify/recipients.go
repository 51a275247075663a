package notify

import (
	"sort"
	"strings"
)

// Dynamic recipient tokens a receiver's recipient list may contain besides
// literal addresses: {owner} and {security_contact} of the finding's
// account (inventory), {tag:KEY} a tag of the finding's resource (e.g.
// {tag:Owner}), {account_tag:KEY} an account tag, {actor} the CloudTrail
// principal (detections only).
const (
	TokenOwner           = "{owner}"
	TokenSecurityContact = "{security_contact}"
	TokenActor           = "{actor}"
)

// IsDynamic reports whether a recipient entry is a token.
func IsDynamic(s string) bool { return strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") }

// ValidToken reports whether a token is one of the known forms.
func ValidToken(s string) bool {
	switch {
	case s == TokenOwner, s == TokenSecurityContact, s == TokenActor:
		return true
	case strings.HasPrefix(s, "{tag:") && len(s) > len("{tag:}"):
		return true
	case strings.HasPrefix(s, "{account_tag:") && len(s) > len("{account_tag:}"):
		return true
	}
	return false
}

// Resolve expands a receiver's recipient list for one item: literal
// entries are kept, tokens are replaced by the item's values (and dropped
// when the item has none). The result is sorted and without duplicates.
func Resolve(spec []string, it *Item) []string {
	set := map[string]bool{}
	for _, s := range spec {
		if !IsDynamic(s) {
			set[s] = true
			continue
		}
		var v string
		switch {
		case s == TokenOwner:
			v = it.Record.Enrichment.Owner
		case s == TokenSecurityContact:
			v = it.Record.Enrichment.SecurityContact
		case s == TokenActor:
			v = it.Actor
		case strings.HasPrefix(s, "{tag:"):
			v = it.ResourceTags[s[len("{tag:"):len(s)-1]]
		case strings.HasPrefix(s, "{account_tag:"):
			v = it.Record.Enrichment.AccountTags[s[len("{account_tag:"):len(s)-1]]
		}
		if v = strings.TrimSpace(v); v != "" {
			set[v] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ResolveAll expands spec for every item of msg and returns the union.
func ResolveAll(spec []string, msg *Message) []string {
	set := map[string]bool{}
	for i := range msg.Items {
		for _, r := range Resolve(spec, &msg.Items[i]) {
			set[r] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

package route

import (
	"testing"
	"time"
)

func TestDigestNext(t *testing.T) {
	tree := compile(t, `{"digests": [
		{"name": "daily", "receiver": "owner", "schedule": "daily 08:00", "location": "Europe/Berlin"},
		{"name": "weekdays", "receiver": "owner", "schedule": "weekdays 07:30"},
		{"name": "weekly", "receiver": "owner", "schedule": "weekly mon 09:00", "location": "America/New_York"},
		{"name": "weekly-full", "receiver": "owner", "schedule": "Weekly Friday 17:00"},
		{"name": "dst-gap", "receiver": "owner", "schedule": "daily 02:30", "location": "Europe/Berlin"}
	]}`)
	byName := map[string]*Digest{}
	for _, d := range tree.Digests() {
		byName[d.Name] = d
	}
	tests := []struct {
		digest, after, want string
	}{
		{"daily", "2026-11-25T06:00:00Z", "2026-11-25T07:00:00Z"},    // 07:00 Berlin → 08:00 today
		{"daily", "2026-11-25T07:00:00Z", "2026-11-26T07:00:00Z"},    // exactly at the time: the next one
		{"daily", "2026-07-01T07:00:00Z", "2026-07-02T06:00:00Z"},    // summer time
		{"daily", "2026-12-31T08:00:00Z", "2027-01-01T07:00:00Z"},    // across the year
		{"weekdays", "2026-11-27T08:00:00Z", "2026-11-30T07:30:00Z"}, // Friday after: Monday
		{"weekdays", "2026-11-25T07:00:00Z", "2026-11-25T07:30:00Z"},
		{"weekly", "2026-11-25T12:00:00Z", "2026-11-30T14:00:00Z"}, // Monday 09:00 EST
		{"weekly", "2026-11-30T14:00:00Z", "2026-12-07T14:00:00Z"},
		{"weekly-full", "2026-11-27T16:59:59Z", "2026-11-27T17:00:00Z"},
		// 02:30 does not exist on 29 March 2026 in Berlin: the digest
		// runs at 03:30 CEST that day (Go's normalisation), once.
		{"dst-gap", "2026-03-28T02:00:00Z", "2026-03-29T01:30:00Z"},
		{"dst-gap", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z"},
	}
	for _, tt := range tests {
		got := byName[tt.digest].Next(at(tt.after))
		if !got.Equal(at(tt.want)) {
			t.Errorf("%s.Next(%s) = %s, want %s", tt.digest, tt.after, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
}

func TestDigestSelectsAndGroups(t *testing.T) {
	tree := compile(t, `{"digests": [
		{"name": "owners", "receiver": "owner", "schedule": "daily 08:00", "group_by": ["owner"],
		 "match": {"environment": ["prod", "staging"]}, "match_not": {"owner": [""]}, "include": ["new", "overdue"]},
		{"name": "all", "receiver": "team", "schedule": "daily 08:00"}
	]}`)
	owners, all := tree.Digests()[0], tree.Digests()[1]
	a := Map{"finding_id": {"1"}, "environment": {"prod"}, "owner": {"a@x"}}
	if !owners.Matches(a) {
		t.Error("prod finding with an owner not selected")
	}
	if owners.Matches(Map{"environment": {"prod"}}) {
		t.Error("finding without owner selected")
	}
	if owners.Matches(Map{"environment": {"dev"}, "owner": {"a@x"}}) {
		t.Error("dev finding selected")
	}
	if key, labels := owners.Group(a); key != `owner/digest:owners{owner="a@x"}` || labels["owner"] != "a@x" {
		t.Errorf("Group = %s %v", key, labels)
	}
	if key, _ := all.Group(a); key != `team/digest:all{}` {
		t.Errorf("a digest without group_by: %s", key)
	}
	if len(owners.Include) != 2 || len(all.Include) != 1 || all.Include[0] != IncludeOpen {
		t.Errorf("Include = %v / %v", owners.Include, all.Include)
	}
}

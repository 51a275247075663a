package route

import "testing"

func TestInhibited(t *testing.T) {
	tree := compile(t, `{"inhibit_rules": [
		{"name": "threat-first", "source_match": {"product": ["GuardDuty"]}, "target_match": {"product": ["Security Hub", "Config"]}, "equal": ["account_id"]},
		{"source_match": {"severity": ["CRITICAL"]}, "target_match": {"severity": ["HIGH", "CRITICAL"]}, "equal": ["account_id", "owner"]},
		{"source_match": {"environment": ["prod"]}, "target_match": {"environment": ["prod"]}, "equal": ["group"]},
		{"source_match": {"product": ["GuardDuty"]}, "target_match": {"environment": ["prod"]}, "equal": ["group"]}
	]}`)
	gd := func(id, acct string) Map {
		return Map{"finding_id": {id}, "product": {"GuardDuty"}, "account_id": {acct}, "severity": {"MEDIUM"}}
	}
	tests := []struct {
		name     string
		target   Map
		active   []Labels
		wantRule int
		wantOK   bool
	}{
		{"a GuardDuty finding in the same account", Map{"finding_id": {"c1"}, "product": {"Security Hub"}, "account_id": {"111"}},
			[]Labels{gd("g1", "111")}, 0, true},
		{"in another account: equal labels differ", Map{"finding_id": {"c1"}, "product": {"Security Hub"}, "account_id": {"111"}},
			[]Labels{gd("g1", "222")}, -1, false},
		{"no active source", Map{"finding_id": {"c1"}, "product": {"Config"}, "account_id": {"111"}},
			nil, -1, false},
		{"the target side does not match", Map{"finding_id": {"m1"}, "product": {"Macie"}, "account_id": {"111"}},
			[]Labels{gd("g1", "111")}, -1, false},
		{"a label missing on both sides is equal", Map{"finding_id": {"h1"}, "severity": {"HIGH"}, "account_id": {"111"}},
			[]Labels{Map{"finding_id": {"c9"}, "severity": {"CRITICAL"}, "account_id": {"111"}}}, 1, true},
		{"missing on one side only is not equal", Map{"finding_id": {"h1"}, "severity": {"HIGH"}, "account_id": {"111"}, "owner": {"a@x"}},
			[]Labels{Map{"finding_id": {"c9"}, "severity": {"CRITICAL"}, "account_id": {"111"}}}, -1, false},
		// Rule 1 matches CRITICAL on both sides: a CRITICAL target is not
		// inhibited by another CRITICAL (which matches both sides too)...
		{"both sides: not by a source that matches both", Map{"finding_id": {"c1"}, "severity": {"CRITICAL"}, "account_id": {"111"}},
			[]Labels{Map{"finding_id": {"c2"}, "severity": {"CRITICAL"}, "account_id": {"111"}}}, -1, false},
		// ...and a finding never inhibits itself.
		{"never itself", Map{"finding_id": {"c1"}, "severity": {"CRITICAL"}, "account_id": {"111"}},
			[]Labels{Map{"finding_id": {"c1"}, "severity": {"CRITICAL"}, "account_id": {"111"}}}, -1, false},
		// Rule 2 matches prod on both sides with equal groups: prod
		// findings never inhibit each other.
		{"symmetric rule", Map{"finding_id": {"p1"}, "environment": {"prod"}, "group": {"pci"}},
			[]Labels{Map{"finding_id": {"p2"}, "environment": {"prod"}, "group": {"pci"}}}, -1, false},
		// Its own stored state (fewer labels) matching the source side
		// does not inhibit the finding either.
		{"not by its own stored state", Map{"finding_id": {"c1"}, "product": {"Security Hub"}, "account_id": {"111"}},
			[]Labels{Map{"finding_id": {"c1"}, "product": {"GuardDuty"}, "account_id": {"111"}}}, -1, false},
		{"multi-valued equal label compared as a set", Map{"finding_id": {"p1"}, "environment": {"prod"}, "group": {"b", "a"}},
			[]Labels{Map{"finding_id": {"x"}, "product": {"GuardDuty"}, "group": {"a", "b"}}}, 3, true},
		{"multi-valued equal label: other values", Map{"finding_id": {"p1"}, "environment": {"prod"}, "group": {"b", "a"}},
			[]Labels{Map{"finding_id": {"x"}, "product": {"GuardDuty"}, "group": {"a"}}}, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, ok := tree.Inhibited(tt.target, tt.active)
			if rule != tt.wantRule || ok != tt.wantOK {
				t.Errorf("Inhibited = %d %v, want %d %v", rule, ok, tt.wantRule, tt.wantOK)
			}
		})
	}
	if rules := tree.InhibitRules(); len(rules) != 4 || rules[0].Name != "threat-first" || rules[1].Equal[1] != "owner" {
		t.Errorf("InhibitRules = %+v", rules)
	}
	if !tree.Inhibits() || compile(t, `{}`).Inhibits() {
		t.Error("Inhibits")
	}
}

// TestInhibitorIndex: one index answers for many targets, and two
// sources matching both sides let one inhibit the other.
func TestInhibitorIndex(t *testing.T) {
	tree := compile(t, `{"inhibit_rules": [
		{"source_match": {"severity": ["CRITICAL"]}, "target_match": {"product": ["Config", "GuardDuty"]}, "equal": ["account_id"]}
	]}`)
	active := []Labels{
		Map{"finding_id": {"a"}, "severity": {"CRITICAL"}, "product": {"GuardDuty"}, "account_id": {"1"}}, // both sides
		Map{"finding_id": {"b"}, "severity": {"CRITICAL"}, "product": {"GuardDuty"}, "account_id": {"1"}}, // both sides
		Map{"finding_id": {"c"}, "severity": {"CRITICAL"}, "product": {"Inspector"}, "account_id": {"2"}}, // source only
	}
	in := tree.NewInhibitor(active)
	tests := []struct {
		target Map
		want   bool
	}{
		// A CRITICAL GuardDuty target matches both sides: only source-only
		// findings inhibit it; in account 1 there are none.
		{Map{"finding_id": {"a"}, "severity": {"CRITICAL"}, "product": {"GuardDuty"}, "account_id": {"1"}}, false},
		// A HIGH GuardDuty target matches the target side only: a and b inhibit it.
		{Map{"finding_id": {"z"}, "severity": {"HIGH"}, "product": {"GuardDuty"}, "account_id": {"1"}}, true},
		// In account 2, c (source only) inhibits even a both-sides target.
		{Map{"finding_id": {"y"}, "severity": {"CRITICAL"}, "product": {"Config"}, "account_id": {"2"}}, true},
		{Map{"finding_id": {"x"}, "severity": {"LOW"}, "product": {"Config"}, "account_id": {"3"}}, false},
	}
	for _, tt := range tests {
		if _, ok := in.Inhibited(tt.target); ok != tt.want {
			t.Errorf("Inhibited(%v) = %v, want %v", tt.target, ok, tt.want)
		}
	}
}

package route

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/store"
)

var knownReceivers = map[string]bool{"team": true, "pager": true, "jira": true, "owner": true, "chat": true}

// compile builds a tree from routes.yaml written as JSON.
func compile(t *testing.T, src string) *Tree {
	t.Helper()
	var f File
	if err := json.Unmarshal([]byte(src), &f); err != nil {
		t.Fatalf("decoding %s: %v", src, err)
	}
	tree, errs := Compile(&f, Options{Receiver: func(n string) bool { return knownReceivers[n] }})
	if len(errs) > 0 {
		t.Fatalf("compile: %v", errs)
	}
	return tree
}

func compileErrors(src string) ([]string, error) {
	var f File
	if err := json.Unmarshal([]byte(src), &f); err != nil {
		return nil, err
	}
	_, errs := Compile(&f, Options{Receiver: func(n string) bool { return knownReceivers[n] }})
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out, nil
}

func TestGlob(t *testing.T) {
	tests := []struct {
		glob, s string
		want    bool
	}{
		{"prod", "prod", true},
		{"prod", "production", false},
		{"prod*", "production", true},
		{"*", "", true},
		{"*", "anything/at:all", true},
		{"arn:aws:ec2:*:instance/*", "arn:aws:ec2:us-east-1:instance/i-1", true},
		{"arn:aws:ec2:*:instance/*", "arn:aws:s3:::bucket", false},
		{"*Recon*Portscan", "TTPs/Discovery/Recon:EC2-Portscan", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"a*a", "a", false}, // prefix and suffix may not overlap
		{`literal\*star`, "literal*star", true},
		{`literal\*star`, "literalXstar", false},
		{`back\\slash`, `back\slash`, true},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.glob)
		if err != nil {
			t.Fatalf("%s: %v", tt.glob, err)
		}
		if got := g.match(tt.s); got != tt.want {
			t.Errorf("glob %q on %q = %v, want %v", tt.glob, tt.s, got, tt.want)
		}
	}
	if _, err := compileGlob(`bad\escape`); err == nil {
		t.Error(`glob bad\escape compiled`)
	}
}

func TestMatchers(t *testing.T) {
	l := Map{
		"severity": {"HIGH"}, "environment": {"prod"}, "type": {"TTPs/A", "Effects/B"},
		"owner": nil, "group": {"pci", "prod"},
	}
	tests := []struct {
		name      string
		match     string
		matchNot  string
		wantMatch bool
	}{
		{"one label, one value", `{"severity": ["HIGH"]}`, "", true},
		{"any value of the list", `{"severity": ["LOW", "HIGH"]}`, "", true},
		{"all labels must hold", `{"severity": ["HIGH"], "environment": ["dev"]}`, "", false},
		{"multi-valued: any value", `{"type": ["Effects/*"]}`, "", true},
		{"multi-valued: none", `{"type": ["Software*"]}`, "", false},
		{"absent label is the empty value", `{"owner": [""]}`, "", true},
		{"absent label does not match a value", `{"owner": ["*@example.com"]}`, "", false},
		{"star matches the empty value", `{"owner": ["*"]}`, "", true},
		{"match_not excludes", `{"severity": ["HIGH"]}`, `{"group": ["pci"]}`, false},
		{"match_not that does not hold", `{"severity": ["HIGH"]}`, `{"group": ["sandbox"]}`, true},
		{"numbers and booleans are text", `{"tier": [3]}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `{"route": {"receiver": "team", "routes": [{"id": "r", "receiver": "pager", "match": ` + tt.match
			if tt.matchNot != "" {
				src += `, "match_not": ` + tt.matchNot
			}
			src += `}]}}`
			tree := compile(t, src)
			got := tree.Match(l)
			if matched := len(got) == 1 && got[0].RouteID == "r"; matched != tt.wantMatch {
				t.Errorf("matched = %v (%+v), want %v", matched, got, tt.wantMatch)
			}
		})
	}
}

// routes lists route/receiver of each match.
func routes(ms []Match) string {
	var out []string
	for _, m := range ms {
		s := m.RouteID + "/" + m.Receiver
		if m.Root {
			s += "(root)"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestTreeMatchContinue(t *testing.T) {
	tree := compile(t, `{"route": {"receiver": "team", "routes": [
		{"id": "prod", "match": {"environment": ["prod"]}, "receiver": "pager", "continue": true, "routes": [
			{"id": "prod-critical", "match": {"severity": ["CRITICAL"]}, "receiver": "jira"},
			{"id": "prod-high", "match": {"severity": ["HIGH"]}}
		]},
		{"id": "payments", "match": {"business_unit": ["payments"]}, "receiver": "chat"},
		{"id": "never-after-payments", "match": {"business_unit": ["payments"]}, "receiver": "owner"},
		{"id": "swallow", "match": {"environment": ["sandbox"]}}
	]}}`)
	tests := []struct {
		labels Map
		want   string
	}{
		// No child matches: the root's fallback.
		{Map{"environment": {"dev"}}, "root/team(root)"},
		// prod matches, no child of it: prod itself; continue goes on.
		{Map{"environment": {"prod"}, "severity": {"LOW"}}, "prod/pager"},
		// the deepest matching route; then payments (continue on prod).
		{Map{"environment": {"prod"}, "severity": {"CRITICAL"}, "business_unit": {"payments"}}, "prod-critical/jira payments/chat"},
		// prod-high has no receiver: it inherits prod's.
		{Map{"environment": {"prod"}, "severity": {"HIGH"}}, "prod-high/pager"},
		// payments matches and does not continue: the next sibling is not tried.
		{Map{"business_unit": {"payments"}}, "payments/chat"},
		// A route whose receiver is inherited from the root.
		{Map{"environment": {"sandbox"}}, "swallow/team"},
	}
	for _, tt := range tests {
		if got := routes(tree.Match(tt.labels)); got != tt.want {
			t.Errorf("Match(%v) = %q, want %q", tt.labels, got, tt.want)
		}
	}
	if got := strings.Join(tree.Routes(), ","); got != "root,prod,prod-critical,prod-high,payments,never-after-payments,swallow" {
		t.Errorf("Routes() = %s", got)
	}
}

func TestTreeWithoutRootReceiver(t *testing.T) {
	tree := compile(t, `{"route": {"routes": [
		{"id": "nobody", "match": {"environment": ["sandbox"]}},
		{"id": "p", "match": {"environment": ["prod"]}, "receiver": "pager"}
	]}}`)
	if got := tree.Match(Map{"environment": {"sandbox"}}); len(got) != 0 {
		t.Errorf("a route without receiver sent to %v", got)
	}
	if got := tree.Match(Map{"environment": {"dev"}}); len(got) != 0 {
		t.Errorf("a root without receiver sent to %v", got)
	}
	// default.notify as the root's receivers is inherited like a receiver.
	var f File
	json.Unmarshal([]byte(`{"route": {"routes": [{"id": "nobody", "match": {"environment": ["sandbox"]}}]}}`), &f)
	tree2, errs := Compile(&f, Options{RootReceivers: []string{"team", "chat"}})
	if errs != nil {
		t.Fatal(errs)
	}
	if got := routes(tree2.Match(Map{"environment": {"sandbox"}})); got != "nobody/team nobody/chat" {
		t.Errorf("inherited root receivers: %s", got)
	}
	if got := routes(Default([]string{"team"}).Match(Map{})); got != "root/team(root)" {
		t.Errorf("Default tree: %s", got)
	}
}

func TestInheritanceAndGroupKeys(t *testing.T) {
	tree := compile(t, `{"route": {"receiver": "team", "group_by": ["account_id"], "group_wait": "10s", "group_interval": "2m", "repeat_interval": "2d",
		"routes": [
		{"id": "gd", "match": {"product": ["GuardDuty"]}, "receiver": "pager", "group_by": ["account_id", "resource_id"], "group_wait": "30s",
		 "escalate": {"after": 2, "receiver": "jira"},
		 "routes": [{"id": "gd-crit", "match": {"severity": ["CRITICAL"]}, "repeat_interval": "1h"}]},
		{"id": "each", "match": {"product": ["Config"]}, "group_by": ["..."], "group_interval": "1m"},
		{"id": "by-type", "match": {"product": ["Inspector"]}, "group_by": ["type"]}
	]}}`)
	type want struct {
		route, key             string
		labels                 map[string]string
		wait, interval, repeat time.Duration
		escalate               bool
	}
	res := []finding.Resource{{ID: "i-2"}, {ID: "i-1"}}
	tests := []struct {
		l    Labels
		want want
	}{
		{&Facts{FindingID: "f1", Product: "GuardDuty", AccountID: "111", Resources: res, Severity: "HIGH"},
			want{"gd", `pager/gd{account_id="111",resource_id="i-1,i-2"}`, map[string]string{"account_id": "111", "resource_id": "i-1,i-2"}, 30 * time.Second, 2 * time.Minute, 48 * time.Hour, true}},
		// gd-crit inherits gd's receiver, grouping and wait; escalate is not inherited.
		{&Facts{FindingID: "f2", Product: "GuardDuty", AccountID: "111", Severity: "CRITICAL"},
			want{"gd-crit", `pager/gd-crit{account_id="111",resource_id=""}`, map[string]string{"account_id": "111", "resource_id": ""}, 30 * time.Second, 2 * time.Minute, time.Hour, false}},
		// group_by [...]: every finding alone.
		{&Facts{FindingID: "f3", Product: "Config", AccountID: "111"},
			want{"each", `team/each{finding_id="f3"}`, map[string]string{"finding_id": "f3"}, 10 * time.Second, time.Minute, 48 * time.Hour, false}},
		// multi-valued group label: sorted, without repeats.
		{&Facts{FindingID: "f4", Product: "Inspector", Types: []string{"b", "a", "b"}},
			want{"by-type", `team/by-type{type="a,b"}`, map[string]string{"type": "a,b"}, 10 * time.Second, 2 * time.Minute, 48 * time.Hour, false}},
		// the root's fallback with the root's grouping.
		{&Facts{FindingID: "f5", Product: "Macie", AccountID: "222"},
			want{"root", `team/root{account_id="222"}`, map[string]string{"account_id": "222"}, 10 * time.Second, 2 * time.Minute, 48 * time.Hour, false}},
	}
	for _, tt := range tests {
		ms := tree.Match(tt.l)
		if len(ms) != 1 {
			t.Fatalf("%v: %d matches", tt.l, len(ms))
		}
		m, w := ms[0], tt.want
		if m.RouteID != w.route || m.GroupKey != w.key || fmt.Sprint(m.GroupLabels) != fmt.Sprint(w.labels) ||
			m.GroupWait != w.wait || m.GroupInterval != w.interval || m.RepeatInterval != w.repeat || (m.Escalate != nil) != w.escalate {
			t.Errorf("match = %+v\nwant %+v", m, w)
		}
	}
	if !tree.HasRepeat() || tree.MinRepeat() != time.Hour {
		t.Errorf("HasRepeat %v, MinRepeat %v", tree.HasRepeat(), tree.MinRepeat())
	}
	for _, tt := range tests {
		if got := tree.RepeatInterval(tt.l); got != tt.want.repeat {
			t.Errorf("RepeatInterval(%v) = %v, want %v", tt.l, got, tt.want.repeat)
		}
	}
	if compile(t, `{"route": {"receiver": "team"}}`).RepeatInterval(Map{}) != 0 {
		t.Error("RepeatInterval without repeat_interval")
	}
	// For: a rule's receiver gets the root's grouping; an escalation
	// receiver the route's.
	f := &Facts{FindingID: "f1", Product: "GuardDuty", AccountID: "111", Resources: res}
	if m := tree.For("", "chat", f); m.RouteID != "" || m.GroupKey != `chat/{account_id="111"}` || m.GroupWait != 10*time.Second {
		t.Errorf(`For("", chat) = %+v`, m)
	}
	if m := tree.For("gd", "jira", f); m.RouteID != "gd" || m.GroupKey != `jira/gd{account_id="111",resource_id="i-1,i-2"}` {
		t.Errorf(`For(gd, jira) = %+v`, m)
	}
	if e := tree.Match(f)[0].Escalate; e == nil || e.After != 2 || e.Receiver != "jira" || e.Tier != 3 {
		t.Errorf("escalate = %+v, want after 2 to jira, tier 3 (default)", e)
	}
}

func TestFactsLabels(t *testing.T) {
	f := &Facts{
		FindingID: "id", Product: "GuardDuty", Format: "asff", Severity: "HIGH", Verdict: "notify", Reason: "new",
		Title: "t", Region: "us-east-1", AccountID: "111", Control: "S3.8", Compliance: "FAILED", Generator: "g",
		Tier: 2, Overdue: true, Types: []string{"T1", "T2"}, Rules: []string{"r1", "r2"},
		Resources: []finding.Resource{{Type: "AwsEc2Instance", ID: "i-1", Tags: map[string]string{"Owner": "a"}}, {Type: "AwsEc2Volume", ID: "v-1", Tags: map[string]string{"Owner": "b"}}},
		Account: enrich.Context{AccountName: "prod-1", Environment: "prod", Owner: "o@x", BusinessUnit: "bu", SecurityContact: "s@x",
			OU: "/Root/P", Groups: []string{"g1", "g2"}, AccountTags: map[string]string{"lifecycle": "migrating"}},
	}
	want := map[string][]string{
		"finding_id": {"id"}, "product": {"GuardDuty"}, "format": {"asff"}, "type": {"T1", "T2"}, "severity": {"HIGH"},
		"tier": {"2"}, "verdict": {"notify"}, "reason": {"new"}, "account_id": {"111"}, "account_name": {"prod-1"},
		"environment": {"prod"}, "owner": {"o@x"}, "business_unit": {"bu"}, "security_contact": {"s@x"}, "ou": {"/Root/P"},
		"group": {"g1", "g2"}, "region": {"us-east-1"}, "resource_id": {"i-1", "v-1"}, "resource_type": {"AwsEc2Instance", "AwsEc2Volume"},
		"rule": {"r1", "r2"}, "title": {"t"}, "control": {"S3.8"}, "compliance": {"FAILED"}, "generator": {"g"}, "overdue": {"true"},
		"tag:Owner": {"a", "b"}, "tag:Missing": nil, "account_tag:lifecycle": {"migrating"}, "account_tag:none": nil, "no-such-label": nil,
	}
	for name, w := range want {
		if got := f.Label(name, nil); !slices.Equal(got, w) {
			t.Errorf("Label(%s) = %q, want %q", name, got, w)
		}
	}
	// Every documented label is read by Facts.
	for _, n := range LabelNames() {
		if _, ok := want[n]; !ok {
			t.Errorf("label %s not covered", n)
		}
	}
	st := store.State{ID: "s1", Product: "GuardDuty", AccountID: "111", Region: "eu-west-1", Title: "x", Severity: finding.SeverityHigh, LastVerdict: "notify"}
	sf := FactsFromState(st, &enrich.Account{ID: "111", Name: "n", Environment: "prod", Groups: []string{"g"}}, true)
	for name, w := range map[string][]string{"finding_id": {"s1"}, "severity": {"HIGH"}, "verdict": {"notify"}, "environment": {"prod"}, "group": {"g"}, "overdue": {"false"}, "format": nil} {
		if got := sf.Label(name, nil); !slices.Equal(got, w) {
			t.Errorf("state Label(%s) = %q, want %q", name, got, w)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown receiver", `{"route": {"receiver": "nobody"}}`, `route.receiver: unknown receiver "nobody" (define it in receivers.yaml)`},
		{"unknown label", `{"route": {"routes": [{"match": {"sevrity": ["HIGH"]}, "receiver": "team"}]}}`, `route.routes.0.match.sevrity: unknown label "sevrity"`},
		{"empty values", `{"route": {"routes": [{"match": {"severity": []}, "receiver": "team"}]}}`, `route.routes.0.match.severity: label severity: give at least one value`},
		{"bad glob", `{"route": {"routes": [{"match": {"title": ["a\\b"]}, "receiver": "team"}]}}`, `route.routes.0.match.title.0: label title: glob`},
		{"root match", `{"route": {"receiver": "team", "match": {"severity": ["HIGH"]}}}`, `route.match: the root route matches every finding`},
		{"root continue", `{"route": {"receiver": "team", "continue": true}}`, `route.continue: the root route cannot have continue`},
		{"root mute", `{"route": {"receiver": "team", "mute_time_intervals": ["x"]}, "time_intervals": [{"name": "x", "time_intervals": [{}]}]}`, `route.mute_time_intervals: the root route cannot have`},
		{"root id", `{"route": {"id": "top"}}`, `route.id: the root route's id is "root"`},
		{"duplicate id", `{"route": {"routes": [{"id": "a", "match": {"severity": ["LOW"]}}, {"id": "a", "match": {"severity": ["HIGH"]}}]}}`, `route.routes.1.id: route id "a" used twice`},
		{"unreachable sibling", `{"route": {"routes": [{"id": "all", "receiver": "team"}, {"id": "b", "match": {"severity": ["HIGH"]}}]}}`, `route.routes.0: route all matches every finding and does not continue`},
		{"unknown interval", `{"route": {"routes": [{"match": {"severity": ["LOW"]}, "mute_time_intervals": ["nights"]}]}}`, `route.routes.0.mute_time_intervals.0: unknown time interval "nights"`},
		{"interval twice", `{"time_intervals": [{"name": "a", "time_intervals": [{}]}, {"name": "a", "time_intervals": [{}]}]}`, `time_intervals.1.name: time interval "a" defined twice`},
		{"group_by all with labels", `{"route": {"group_by": ["...", "owner"]}}`, `route.group_by.0: group_by [...] groups every finding alone`},
		{"group_by unknown", `{"route": {"group_by": ["ownr"]}}`, `route.group_by.0: unknown label "ownr"`},
		{"group_by twice", `{"route": {"group_by": ["owner", "owner"]}}`, `route.group_by.1: label owner listed twice`},
		{"zero group interval", `{"route": {"group_interval": "0s"}}`, `route.group_interval: group_interval must be more than 0`},
		{"zero repeat", `{"route": {"repeat_interval": "0s"}}`, `route.repeat_interval: repeat_interval must be more than 0`},
		{"escalate after 0", `{"route": {"escalate": {"after": 0, "receiver": "jira"}}}`, `route.escalate.after: escalate.after must be 1 or more`},
		{"escalate receiver", `{"route": {"escalate": {"after": 1, "receiver": "nope"}}}`, `route.escalate.receiver: unknown receiver "nope"`},
		{"times cross midnight", `{"time_intervals": [{"name": "n", "time_intervals": [{"times": ["22:00-06:00"]}]}]}`, `time_intervals.0.time_intervals.0.times.0: time range 22:00-06:00: the start must be before the end (a range cannot cross midnight: write 22:00-24:00 and 00:00-06:00)`},
		{"bad time", `{"time_intervals": [{"name": "n", "time_intervals": [{"times": [{"start_time": "9:00", "end_time": "17:00"}]}]}]}`, `times.0: start_time: invalid time "9:00" (want HH:MM, 00:00 to 24:00)`},
		{"start 24:00", `{"time_intervals": [{"name": "n", "time_intervals": [{"times": ["24:00-24:00"]}]}]}`, `start_time 24:00`},
		{"minute 60", `{"time_intervals": [{"name": "n", "time_intervals": [{"times": ["10:60-11:00"]}]}]}`, `invalid time "10:60"`},
		{"weekday range backwards", `{"time_intervals": [{"name": "n", "time_intervals": [{"weekdays": ["saturday:sunday"]}]}]}`, `weekdays.0: weekday range "saturday:sunday": the week runs from sunday to saturday`},
		{"weekday abbreviation", `{"time_intervals": [{"name": "n", "time_intervals": [{"weekdays": ["mon"]}]}]}`, `unknown weekday "mon"`},
		{"day 0", `{"time_intervals": [{"name": "n", "time_intervals": [{"days_of_month": [0]}]}]}`, `days_of_month.0: invalid day of the month "0"`},
		{"day 32", `{"time_intervals": [{"name": "n", "time_intervals": [{"days_of_month": ["32"]}]}]}`, `invalid day of the month "32"`},
		{"negative start, positive end", `{"time_intervals": [{"name": "n", "time_intervals": [{"days_of_month": ["-3:5"]}]}]}`, `day range "-3:5": when the start counts from the end of the month, the end must too`},
		{"day range always empty", `{"time_intervals": [{"name": "n", "time_intervals": [{"days_of_month": ["10:-25"]}]}]}`, `day range "10:-25": the end is always before the start`},
		{"month range backwards", `{"time_intervals": [{"name": "n", "time_intervals": [{"months": ["december:january"]}]}]}`, `month range "december:january"`},
		{"month 13", `{"time_intervals": [{"name": "n", "time_intervals": [{"months": [13]}]}]}`, `unknown month "13"`},
		{"year range backwards", `{"time_intervals": [{"name": "n", "time_intervals": [{"years": ["2030:2020"]}]}]}`, `year range "2030:2020"`},
		{"unknown location", `{"time_intervals": [{"name": "n", "time_intervals": [{"location": "Mars/Olympus"}]}]}`, `location: unknown time zone "Mars/Olympus"`},
		{"inhibit needs both sides", `{"inhibit_rules": [{"source_match": {"product": ["GuardDuty"]}, "target_match": {}}]}`, `inhibit_rules.0: an inhibit rule needs source_match and target_match`},
		{"inhibit source label not stored", `{"inhibit_rules": [{"source_match": {"type": ["x"]}, "target_match": {"product": ["Config"]}}]}`, `inhibit_rules.0.source_match.type: label type is not available to inhibition sources`},
		{"inhibit target label not recorded", `{"inhibit_rules": [{"source_match": {"product": ["x"]}, "target_match": {"tag:Owner": ["a"]}}]}`, `inhibit_rules.0.target_match.tag:Owner: label tag:Owner is not available to inhibition targets`},
		{"inhibit equal not on both sides", `{"inhibit_rules": [{"source_match": {"product": ["x"]}, "target_match": {"product": ["y"]}, "equal": ["rule"]}]}`, `inhibit_rules.0.equal.0: label rule is not available to equal`},
		{"digest schedule", `{"digests": [{"name": "d", "receiver": "owner", "schedule": "daily at 8"}]}`, `digests.0.schedule: invalid schedule "daily at 8"`},
		{"digest weekly day", `{"digests": [{"name": "d", "receiver": "owner", "schedule": "weekly someday 08:00"}]}`, `unknown weekday "someday"`},
		{"digest time", `{"digests": [{"name": "d", "receiver": "owner", "schedule": "daily 24:00"}]}`, `the time must be HH:MM, 00:00 to 23:59`},
		{"digest receiver", `{"digests": [{"name": "d", "receiver": "nobody", "schedule": "daily 08:00"}]}`, `digests.0.receiver: unknown receiver "nobody"`},
		{"digest label", `{"digests": [{"name": "d", "receiver": "owner", "schedule": "daily 08:00", "group_by": ["resource_type"]}]}`, `digests.0.group_by.0: label resource_type is not available to digests`},
		{"digest twice", `{"digests": [{"name": "d", "receiver": "owner", "schedule": "daily 08:00"}, {"name": "d", "receiver": "owner", "schedule": "daily 09:00"}]}`, `digests.1.name: digest "d" defined twice`},
		{"digest group all", `{"digests": [{"name": "d", "receiver": "owner", "schedule": "daily 08:00", "group_by": ["..."]}]}`, `group_by [...] makes no sense for a digest`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs, err := compileErrors(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) == 0 {
				t.Fatalf("compiled, want an error containing %q", tt.want)
			}
			found := false
			for _, e := range errs {
				found = found || strings.Contains(e, tt.want)
			}
			if !found {
				t.Errorf("errors %q\ndo not contain %q", errs, tt.want)
			}
		})
	}
}

func TestCompileReportsEveryError(t *testing.T) {
	errs, _ := compileErrors(`{"route": {"receiver": "nobody", "routes": [{"match": {"x": ["1"]}, "receiver": "nobody2"}]},
		"time_intervals": [{"name": "n", "time_intervals": [{"times": ["10:00-09:00"], "weekdays": ["funday"]}]}]}`)
	if len(errs) != 5 {
		t.Errorf("got %d errors, want 5: %q", len(errs), errs)
	}
}

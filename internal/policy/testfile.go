package policy

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// TestFile is one tests/*.yaml: policy tests run by `warden test`.
type TestFile struct {
	File  string     `yaml:"-" json:"-"`
	Now   string     `yaml:"now" json:"now,omitempty"`
	Tests []TestCase `yaml:"tests" json:"tests"`
}

// TestCase feeds findings through the policies and checks the decisions.
type TestCase struct {
	Name    string         `yaml:"name" json:"name"`
	Now     string         `yaml:"now" json:"now,omitempty"`
	Given   []GivenItem    `yaml:"given" json:"given,omitempty"`
	Input   string         `yaml:"input" json:"input,omitempty"`
	Finding map[string]any `yaml:"finding" json:"finding,omitempty"`
	Expect  []Expectation  `yaml:"expect" json:"expect"`
	Line    int            `yaml:"-" json:"-"`
}

// GivenItem is a file processed before the input, to build state; Now,
// when set, is the clock for it (so a test can let time pass between
// versions). In YAML it is a path, or {input: path, now: time}.
type GivenItem struct {
	Input string `yaml:"input" json:"input"`
	Now   string `yaml:"now" json:"now,omitempty"`
}

// UnmarshalJSON accepts a plain path or the long form.
func (g *GivenItem) UnmarshalJSON(b []byte) error {
	var path string
	if err := json.Unmarshal(b, &path); err == nil {
		g.Input = path
		return nil
	}
	type long GivenItem
	var l long
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*g = GivenItem(l)
	return nil
}

// Expectation is what one decision must say; fields left out are not
// checked.
type Expectation struct {
	FindingID    string         `yaml:"finding_id" json:"finding_id,omitempty"`
	Verdict      string         `yaml:"verdict" json:"verdict,omitempty"`
	Reason       string         `yaml:"reason" json:"reason,omitempty"`
	Tier         *int           `yaml:"tier" json:"tier,omitempty"`
	Severity     string         `yaml:"severity" json:"severity,omitempty"`
	MatchedRules *[]string      `yaml:"matched_rules" json:"matched_rules,omitempty"`
	SuppressedBy string         `yaml:"suppressed_by" json:"suppressed_by,omitempty"`
	Receivers    *[]string      `yaml:"receivers" json:"receivers,omitempty"`
	Playbooks    *[]PlaybookExp `yaml:"playbooks" json:"playbooks,omitempty"`
	Environment  string         `yaml:"environment" json:"environment,omitempty"`
	// Notes are substrings each of which some note must contain.
	Notes []string `yaml:"notes" json:"notes,omitempty"`
	// ExpiredSuppressions are the rule ids of matched accepted risks that
	// have expired.
	ExpiredSuppressions *[]string `yaml:"expired_suppressions" json:"expired_suppressions,omitempty"`
	// Notify is the exact list of notify actions, in order, each checked
	// on the fields it gives.
	Notify *[]NotifyExp `yaml:"notify" json:"notify,omitempty"`
	// SLA checks the decision's service level.
	SLA *SLAExp `yaml:"sla" json:"sla,omitempty"`
	// Inhibited says whether the decision's messages would be held back by
	// an inhibit rule, given the findings active in the test's state after
	// the input (as the dispatcher checks before sending); InhibitedBy
	// names the rule (its name, else its index in inhibit_rules).
	Inhibited   *bool  `yaml:"inhibited" json:"inhibited,omitempty"`
	InhibitedBy string `yaml:"inhibited_by" json:"inhibited_by,omitempty"`
}

// NotifyExp is an expected notification.
type NotifyExp struct {
	Receiver    string            `yaml:"receiver" json:"receiver"`
	Kind        string            `yaml:"kind" json:"kind,omitempty"`
	Route       *string           `yaml:"route" json:"route,omitempty"`
	Group       string            `yaml:"group" json:"group,omitempty"`
	GroupLabels map[string]string `yaml:"group_labels" json:"group_labels,omitempty"`
	GroupWait   *Duration         `yaml:"group_wait" json:"group_wait,omitempty"`
	// NotBefore is when a muted route lets the message go ("" : checks
	// that it is not held).
	NotBefore *string `yaml:"not_before" json:"not_before,omitempty"`
}

// SLAExp is an expected service level; fields left out are not checked.
type SLAExp struct {
	Due     string `yaml:"due" json:"due,omitempty"`
	Overdue *bool  `yaml:"overdue" json:"overdue,omitempty"`
}

// PlaybookExp is an expected remediation.
type PlaybookExp struct {
	Playbook string `yaml:"playbook" json:"playbook"`
	Mode     string `yaml:"mode" json:"mode,omitempty"`
}

// Clock returns the test's time: its own now, else the file's, else ok
// false (use the real clock).
func (tc *TestCase) Clock(file *TestFile) (time.Time, bool, error) {
	v := tc.Now
	if v == "" {
		v = file.Now
	}
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil, err
}

// ReadTests reads and checks every tests/*.yaml of the repo.
func ReadTests(dir string) ([]TestFile, error) {
	names, err := yamlFiles(dir, TestsDir)
	if err != nil {
		return nil, err
	}
	r := &Repo{Dir: dir, files: map[string]*yamlFile{}}
	var out []TestFile
	var errs []error
	for _, name := range names {
		f, problems := r.readFile(name, kindTests, true)
		if len(problems) > 0 {
			errs = append(errs, problems...)
			continue
		}
		tf := TestFile{File: name}
		if err := f.decode(&tf); err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range tf.Tests {
			if n := f.node([]string{"tests", strconv.Itoa(i)}); n != nil {
				tf.Tests[i].Line = n.GetToken().Position.Line
			}
			if _, _, err := tf.Tests[i].Clock(&tf); err != nil {
				errs = append(errs, f.at([]string{"tests", strconv.Itoa(i), "now"}, "now: want RFC 3339 time: %v", err))
			}
			for j, e := range tf.Tests[i].Expect {
				at := func(p ...string) []string {
					return append([]string{"tests", strconv.Itoa(i), "expect", strconv.Itoa(j)}, p...)
				}
				if e.SLA != nil && e.SLA.Due != "" {
					if _, err := time.Parse(time.RFC3339, e.SLA.Due); err != nil {
						errs = append(errs, f.at(at("sla", "due"), "due: want RFC 3339 time: %v", err))
					}
				}
				if e.Notify == nil {
					continue
				}
				for k, n := range *e.Notify {
					if n.NotBefore != nil && *n.NotBefore != "" {
						if _, err := time.Parse(time.RFC3339, *n.NotBefore); err != nil {
							errs = append(errs, f.at(at("notify", strconv.Itoa(k), "not_before"), "not_before: want RFC 3339 time: %v", err))
						}
					}
				}
			}
			for j, g := range tf.Tests[i].Given {
				if g.Now == "" {
					continue
				}
				if _, err := time.Parse(time.RFC3339, g.Now); err != nil {
					errs = append(errs, f.at([]string{"tests", strconv.Itoa(i), "given", strconv.Itoa(j), "now"}, "now: want RFC 3339 time: %v", err))
				}
			}
		}
		out = append(out, tf)
	}
	return out, errors.Join(errs...)
}

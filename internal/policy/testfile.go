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

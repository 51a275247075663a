// Package route is the notification routing tree of a policy repo
// (routes.yaml), after Prometheus Alertmanager's: a tree of routes that
// select findings by their labels and name receivers, with grouping and
// timing inherited down the tree, mute and active time intervals,
// inhibition rules, escalation and scheduled digests.
//
// The package does not know decisions or policies: it works on Labels, a
// neutral view of a finding's attributes (Facts builds them from a
// finding's decision context or from its stored state). Package policy
// compiles routes.yaml into a Tree; package decide plans notifications
// with Tree.Match; the outbox dispatcher asks Tree.Muted and an Inhibitor
// before it sends.
//
// A compiled Tree is immutable and safe for concurrent use.
package route

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// File is routes.yaml as written.
type File struct {
	// Route is the root of the tree.
	Route *Config `yaml:"route" json:"route"`
	// TimeIntervals are named sets of times for mute_time_intervals and
	// active_time_intervals.
	TimeIntervals []TimeIntervalConfig `yaml:"time_intervals" json:"time_intervals,omitempty"`
	// InhibitRules mute findings while other findings are active.
	InhibitRules []InhibitConfig `yaml:"inhibit_rules" json:"inhibit_rules,omitempty"`
	// Digests are scheduled summaries.
	Digests []DigestConfig `yaml:"digests" json:"digests,omitempty"`
}

// Config is one route as written. Unset grouping and timing fields are
// inherited from the parent route; match, match_not, continue, the time
// intervals and escalate are not.
type Config struct {
	ID       string            `yaml:"id" json:"id,omitempty"`
	Receiver string            `yaml:"receiver" json:"receiver,omitempty"`
	Match    map[string]Values `yaml:"match" json:"match,omitempty"`
	MatchNot map[string]Values `yaml:"match_not" json:"match_not,omitempty"`
	// Continue goes on to the next sibling route after this one matched.
	Continue       bool      `yaml:"continue" json:"continue,omitempty"`
	GroupBy        []string  `yaml:"group_by" json:"group_by,omitempty"`
	GroupWait      *Duration `yaml:"group_wait" json:"group_wait,omitempty"`
	GroupInterval  *Duration `yaml:"group_interval" json:"group_interval,omitempty"`
	RepeatInterval *Duration `yaml:"repeat_interval" json:"repeat_interval,omitempty"`
	// MuteTimeIntervals name time intervals during which the route sends
	// nothing; ActiveTimeIntervals, when set, the only ones during which
	// it sends.
	MuteTimeIntervals   []string          `yaml:"mute_time_intervals" json:"mute_time_intervals,omitempty"`
	ActiveTimeIntervals []string          `yaml:"active_time_intervals" json:"active_time_intervals,omitempty"`
	Escalate            *EscalationConfig `yaml:"escalate" json:"escalate,omitempty"`
	Routes              []Config          `yaml:"routes" json:"routes,omitempty"`
}

// EscalationConfig moves a finding up after repeated re-notifications.
type EscalationConfig struct {
	After    int    `yaml:"after" json:"after"`
	Receiver string `yaml:"receiver" json:"receiver"`
	Tier     int    `yaml:"tier" json:"tier,omitempty"`
}

// TimeIntervalConfig is a named time interval: it holds when any of its
// entries holds.
type TimeIntervalConfig struct {
	Name          string          `yaml:"name" json:"name"`
	TimeIntervals []IntervalEntry `yaml:"time_intervals" json:"time_intervals"`
}

// IntervalEntry is one entry of a time interval: it holds when every
// field given holds (a field holds when any of its values does).
type IntervalEntry struct {
	Times       []TimeRange `yaml:"times" json:"times,omitempty"`
	Weekdays    []string    `yaml:"weekdays" json:"weekdays,omitempty"`
	DaysOfMonth Values      `yaml:"days_of_month" json:"days_of_month,omitempty"`
	Months      Values      `yaml:"months" json:"months,omitempty"`
	Years       Values      `yaml:"years" json:"years,omitempty"`
	Location    string      `yaml:"location" json:"location,omitempty"`
}

// TimeRange is a range of the day, start inclusive, end exclusive:
// written "09:00-17:00" or {start_time: "09:00", end_time: "17:00"}.
type TimeRange struct {
	Start string `yaml:"start_time" json:"start_time"`
	End   string `yaml:"end_time" json:"end_time"`
}

// UnmarshalJSON accepts both forms. What the times say is checked when
// the tree is compiled, with the position of the value.
func (r *TimeRange) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		start, end, _ := strings.Cut(s, "-")
		r.Start, r.End = strings.TrimSpace(start), strings.TrimSpace(end)
		return nil
	}
	type long TimeRange
	var l long
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*r = TimeRange(l)
	return nil
}

// InhibitConfig mutes notifications about target findings while a
// source finding is active, when both have the same values of the equal
// labels.
type InhibitConfig struct {
	Name        string            `yaml:"name" json:"name,omitempty"`
	SourceMatch map[string]Values `yaml:"source_match" json:"source_match"`
	TargetMatch map[string]Values `yaml:"target_match" json:"target_match"`
	Equal       []string          `yaml:"equal" json:"equal,omitempty"`
}

// DigestConfig is a scheduled summary of tracked findings.
type DigestConfig struct {
	Name     string            `yaml:"name" json:"name"`
	Receiver string            `yaml:"receiver" json:"receiver"`
	Schedule string            `yaml:"schedule" json:"schedule"`
	Location string            `yaml:"location" json:"location,omitempty"`
	GroupBy  []string          `yaml:"group_by" json:"group_by,omitempty"`
	Match    map[string]Values `yaml:"match" json:"match,omitempty"`
	MatchNot map[string]Values `yaml:"match_not" json:"match_not,omitempty"`
	Include  []string          `yaml:"include" json:"include,omitempty"`
}

// Values is a matcher's list of values or globs. YAML numbers and
// booleans are taken as their text (tier: [3], overdue: [true]).
type Values []string

// UnmarshalJSON accepts strings, numbers and booleans.
func (v *Values) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Values, 0, len(raw))
	for _, r := range raw {
		var s string
		if err := json.Unmarshal(r, &s); err == nil {
			out = append(out, s)
			continue
		}
		var n json.Number
		if err := json.Unmarshal(r, &n); err == nil {
			out = append(out, n.String())
			continue
		}
		var t bool
		if err := json.Unmarshal(r, &t); err == nil {
			out = append(out, strconv.FormatBool(t))
			continue
		}
		return fmt.Errorf("matcher value %s: want a string, number or boolean", r)
	}
	*v = out
	return nil
}

package route

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Digest includes: which tracked findings a digest lists.
const (
	// IncludeOpen: every active finding the digest selects.
	IncludeOpen = "open"
	// IncludeNew: findings first seen since the previous digest.
	IncludeNew = "new"
	// IncludeOverdue: active findings past their SLA.
	IncludeOverdue = "overdue"
)

// Digest is a compiled digest: a scheduled summary of tracked findings
// for one receiver, one message per group. Its labels are those of
// tracked findings as stored (FactsFromState).
type Digest struct {
	Name     string
	Receiver string
	// Include lists what the digest reports (IncludeOpen, IncludeNew,
	// IncludeOverdue); default [open].
	Include []string
	GroupBy []string

	match matchers
	sched schedule
}

// schedule is daily, on weekdays (Monday to Friday) or weekly on one day,
// at a wall-clock time in a location.
type schedule struct {
	every   string       // daily, weekdays, weekly
	weekday time.Weekday // weekly
	minute  int          // of the day
	loc     *time.Location
}

// Matches reports whether the digest selects a tracked finding.
func (d *Digest) Matches(l Labels) bool { return d.match.holds(l, nil) }

// Group returns the group key of a finding in this digest
// (receiver/digest:NAME{label="value",...}) and the group's label values.
// Without group_by every finding the digest selects is in one group.
func (d *Digest) Group(l Labels) (key string, labels map[string]string) {
	return groupKey(d.Receiver, "digest:"+d.Name, d.GroupBy, false, l, new([]string))
}

// Next returns the first scheduled time strictly after after.
func (d *Digest) Next(after time.Time) time.Time {
	s := d.sched
	local := after.In(s.loc)
	y, m, day := local.Date()
	for i := 0; i <= 8; i++ {
		c := time.Date(y, m, day+i, s.minute/60, s.minute%60, 0, 0, s.loc)
		if !c.After(after) {
			continue
		}
		switch wd := c.Weekday(); s.every {
		case "weekdays":
			if wd == time.Saturday || wd == time.Sunday {
				continue
			}
		case "weekly":
			if wd != s.weekday {
				continue
			}
		}
		return c
	}
	return time.Time{} // unreachable: every schedule fires within 8 days
}

// Digests returns the tree's digests in file order.
func (t *Tree) Digests() []*Digest { return t.digests }

var shortWeekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseSchedule reads "daily HH:MM", "weekdays HH:MM" or "weekly DAY
// HH:MM" (DAY: mon ... sun or the full name).
func parseSchedule(s string, loc *time.Location) (schedule, error) {
	f := strings.Fields(s)
	bad := fmt.Errorf("invalid schedule %q (want \"daily 08:00\", \"weekdays 08:00\" or \"weekly mon 08:00\")", s)
	if len(f) < 2 {
		return schedule{}, bad
	}
	sc := schedule{every: strings.ToLower(f[0]), loc: loc}
	clock := f[len(f)-1]
	switch {
	case (sc.every == "daily" || sc.every == "weekdays") && len(f) == 2:
	case sc.every == "weekly" && len(f) == 3:
		day := strings.ToLower(f[1])
		wd, ok := shortWeekdays[day]
		if !ok {
			d, full := weekdayNames[day]
			if !full {
				return schedule{}, fmt.Errorf("invalid schedule %q: unknown weekday %q", s, f[1])
			}
			wd = time.Weekday(d)
		}
		sc.weekday = wd
	default:
		return schedule{}, bad
	}
	m, err := parseClock(clock)
	if err != nil || m >= 24*60 {
		return schedule{}, fmt.Errorf("invalid schedule %q: the time must be HH:MM, 00:00 to 23:59", s)
	}
	sc.minute = m
	return sc, nil
}

func (c *compiler) compileDigest(i int, cfg DigestConfig) *Digest {
	p := []string{"digests", strconv.Itoa(i)}
	at := func(f ...string) []string { return append(append([]string(nil), p...), f...) }
	d := &Digest{Name: cfg.Name, Receiver: cfg.Receiver, Include: cfg.Include, GroupBy: cfg.GroupBy}
	if len(d.Include) == 0 {
		d.Include = []string{IncludeOpen}
	}
	c.checkReceiver(at("receiver"), cfg.Receiver)
	loc := time.UTC
	if cfg.Location != "" {
		l, err := time.LoadLocation(cfg.Location)
		if err != nil {
			c.errf(at("location"), "unknown time zone %q (want an IANA name such as Europe/Berlin, or UTC)", cfg.Location)
		} else {
			loc = l
		}
	}
	sc, err := parseSchedule(cfg.Schedule, loc)
	if err != nil {
		c.errf(at("schedule"), "%v", err)
	}
	d.sched = sc
	const what = "digests"
	for j, g := range cfg.GroupBy {
		if g == GroupAll {
			c.errf(at("group_by", strconv.Itoa(j)), "group_by [...] makes no sense for a digest: leave group_by out for one message, or name labels")
			continue
		}
		c.checkLabel(at("group_by", strconv.Itoa(j)), g, inState, what)
	}
	d.match = matchers{
		all:  c.compileMatchers(at("match"), cfg.Match, inState, what),
		none: c.compileMatchers(at("match_not"), cfg.MatchNot, inState, what),
	}
	return d
}

package route

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "time/tzdata" // time zones without the system's database (containers, Lambda)
)

// timeInterval is a compiled named time interval: it holds when one of
// its entries holds.
type timeInterval struct {
	name    string
	entries []intervalEntry
}

// intervalEntry holds when every field that is set holds, in its
// location (UTC by default). Ranges are inclusive except times, whose end
// is exclusive.
type intervalEntry struct {
	loc         *time.Location
	times       []span // minutes of the day, [start, end)
	weekdays    []span // 0 = Sunday
	daysOfMonth []span // negative: from the end of the month
	months      []span // 1 = January
	years       []span
}

type span struct{ lo, hi int }

func (ti *timeInterval) contains(t time.Time) bool {
	for i := range ti.entries {
		if ti.entries[i].contains(t) {
			return true
		}
	}
	return false
}

func (e *intervalEntry) contains(t time.Time) bool {
	t = t.In(e.loc)
	if e.times != nil {
		m := t.Hour()*60 + t.Minute()
		if !inSpans(e.times, m, true) {
			return false
		}
	}
	if e.weekdays != nil && !inSpans(e.weekdays, int(t.Weekday()), false) {
		return false
	}
	if e.daysOfMonth != nil && !e.dayOfMonth(t) {
		return false
	}
	if e.months != nil && !inSpans(e.months, int(t.Month()), false) {
		return false
	}
	if e.years != nil && !inSpans(e.years, t.Year(), false) {
		return false
	}
	return true
}

func inSpans(spans []span, v int, endExclusive bool) bool {
	for _, s := range spans {
		if v >= s.lo && (v < s.hi || !endExclusive && v == s.hi) {
			return true
		}
	}
	return false
}

// dayOfMonth resolves negative days against the month's length and clamps
// ranges to the month, as Alertmanager does: ['1:31'] holds on every day
// of February; a range whose start is past the month's end never holds.
func (e *intervalEntry) dayOfMonth(t time.Time) bool {
	n := daysIn(t.Month(), t.Year())
	d := t.Day()
	for _, s := range e.daysOfMonth {
		lo, hi := s.lo, s.hi
		if lo < 0 {
			lo = n + lo + 1
		}
		if hi < 0 {
			hi = n + hi + 1
		}
		if lo > n {
			continue
		}
		lo, hi = max(lo, 1), min(hi, n)
		if d >= lo && d <= hi {
			return true
		}
	}
	return false
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nextChange returns the first instant after t at which the interval
// may start or stop holding: the next start or end of a time range, the
// next local midnight (weekday, day, month and year change there), or
// the next change of the location's UTC offset, whichever comes first,
// over all entries.
func (ti *timeInterval) nextChange(t time.Time) time.Time {
	var next time.Time
	for i := range ti.entries {
		c := ti.entries[i].nextChange(t)
		if next.IsZero() || c.Before(next) {
			next = c
		}
	}
	return next
}

func (e *intervalEntry) nextChange(t time.Time) time.Time {
	local := t.In(e.loc)
	// The start of the current minute, as an instant: offsets are whole
	// minutes, so a local minute is an absolute minute.
	base := local.Add(-time.Duration(local.Second())*time.Second - time.Duration(local.Nanosecond()))
	m0 := local.Hour()*60 + local.Minute()
	best := 24*60 - m0 // midnight
	for _, s := range e.times {
		for _, b := range [2]int{s.lo, s.hi} {
			if b > m0 && b-m0 < best {
				best = b - m0
			}
		}
	}
	next := base.Add(time.Duration(best) * time.Minute)
	// Within one zone period local time runs with absolute time; at a
	// transition (daylight saving) the arithmetic above stops being exact,
	// so the transition itself is a change point.
	if _, end := local.ZoneBounds(); !end.IsZero() && end.After(t) && end.Before(next) {
		next = end
	}
	return next
}

// compileInterval checks and compiles one named time interval.
func (c *compiler) compileInterval(path []string, cfg TimeIntervalConfig) *timeInterval {
	ti := &timeInterval{name: cfg.Name}
	for i, e := range cfg.TimeIntervals {
		p := append(append([]string(nil), path...), "time_intervals", strconv.Itoa(i))
		at := func(field string, j int) []string {
			q := append(append([]string(nil), p...), field)
			if j >= 0 {
				q = append(q, strconv.Itoa(j))
			}
			return q
		}
		ce := intervalEntry{loc: time.UTC}
		if e.Location != "" {
			loc, err := time.LoadLocation(e.Location)
			if err != nil {
				c.errf(at("location", -1), "unknown time zone %q (want an IANA name such as Europe/Berlin, or UTC)", e.Location)
			} else {
				ce.loc = loc
			}
		}
		for j, r := range e.Times {
			s, err := parseTimeRange(r)
			if err != nil {
				c.errf(at("times", j), "%v", err)
				continue
			}
			ce.times = append(ce.times, s)
		}
		ce.weekdays = c.spans(e.Weekdays, func(j int) []string { return at("weekdays", j) }, parseWeekdays)
		ce.daysOfMonth = c.spans(e.DaysOfMonth, func(j int) []string { return at("days_of_month", j) }, parseDays)
		ce.months = c.spans(e.Months, func(j int) []string { return at("months", j) }, parseMonths)
		ce.years = c.spans(e.Years, func(j int) []string { return at("years", j) }, parseYears)
		ti.entries = append(ti.entries, ce)
	}
	return ti
}

// spans parses a list of ranges; nil when the list is empty (the field
// is not set and holds always).
func (c *compiler) spans(list []string, at func(int) []string, parse func(string) (span, error)) []span {
	if len(list) == 0 {
		return nil
	}
	out := make([]span, 0, len(list))
	for j, v := range list {
		s, err := parse(v)
		if err != nil {
			c.errf(at(j), "%v", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// parseTimeRange reads HH:MM start (00:00–23:59) and end (00:01–24:00).
// Ranges cannot cross midnight: write two (22:00-24:00 and 00:00-06:00).
func parseTimeRange(r TimeRange) (span, error) {
	lo, err := parseClock(r.Start)
	if err != nil {
		return span{}, fmt.Errorf("start_time: %v", err)
	}
	hi, err := parseClock(r.End)
	if err != nil {
		return span{}, fmt.Errorf("end_time: %v", err)
	}
	if lo == 24*60 {
		return span{}, fmt.Errorf("start_time 24:00: a range starts at 23:59 at the latest")
	}
	if lo >= hi {
		return span{}, fmt.Errorf("time range %s-%s: the start must be before the end (a range cannot cross midnight: write %s-24:00 and 00:00-%s)", r.Start, r.End, r.Start, r.End)
	}
	return span{lo, hi}, nil
}

// parseClock reads HH:MM (two digits each; 24:00 allowed) as minutes.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("invalid time %q (want HH:MM, 00:00 to 24:00)", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) || !digits(s[:2]+s[3:]) {
		return 0, fmt.Errorf("invalid time %q (want HH:MM, 00:00 to 24:00)", s)
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var weekdayNames = map[string]int{"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6}

var monthNames = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
	"july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}

// parseRange splits "a:b" (or "a") and reads both ends with one.
func parseRange(s string, one func(string) (int, error)) (span, error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), ":")
	lo, err := one(strings.TrimSpace(a))
	if err != nil {
		return span{}, err
	}
	hi := lo
	if isRange {
		if hi, err = one(strings.TrimSpace(b)); err != nil {
			return span{}, err
		}
	}
	return span{lo, hi}, nil
}

// parseWeekdays reads a weekday or a range of them, by full name, the
// week running from Sunday to Saturday: saturday:sunday is an error
// (write ['saturday', 'sunday']).
func parseWeekdays(s string) (span, error) {
	r, err := parseRange(s, func(v string) (int, error) {
		d, ok := weekdayNames[strings.ToLower(v)]
		if !ok {
			return 0, fmt.Errorf("unknown weekday %q (want a full name: sunday ... saturday)", v)
		}
		return d, nil
	})
	if err == nil && r.lo > r.hi {
		err = fmt.Errorf("weekday range %q: the week runs from sunday to saturday, so the start must not be after the end (list the days instead)", s)
	}
	return r, err
}

// parseDays reads days of the month, 1 to 31 or -31 to -1 (from the end
// of the month). A range may not start negative and end positive, nor be
// empty in every month.
func parseDays(s string) (span, error) {
	r, err := parseRange(s, func(v string) (int, error) {
		d, err := strconv.Atoi(v)
		if err != nil || d == 0 || d < -31 || d > 31 {
			return 0, fmt.Errorf("invalid day of the month %q (want 1 to 31, or -31 to -1 counting from the end)", v)
		}
		return d, nil
	})
	if err != nil {
		return r, err
	}
	if r.lo < 0 && r.hi > 0 {
		return r, fmt.Errorf("day range %q: when the start counts from the end of the month, the end must too", s)
	}
	lo, hi := r.lo, r.hi
	if lo < 0 {
		lo += 28
	}
	if hi < 0 {
		hi += 28
	}
	if lo > hi {
		return r, fmt.Errorf("day range %q: the end is always before the start", s)
	}
	return r, nil
}

// parseMonths reads months by full name or number (1 = January).
func parseMonths(s string) (span, error) {
	r, err := parseRange(s, func(v string) (int, error) {
		if m, ok := monthNames[strings.ToLower(v)]; ok {
			return m, nil
		}
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 12 {
			return 0, fmt.Errorf("unknown month %q (want january ... december or 1 to 12)", v)
		}
		return m, nil
	})
	if err == nil && r.lo > r.hi {
		err = fmt.Errorf("month range %q: the start must not be after the end", s)
	}
	return r, err
}

// parseYears reads years (positive numbers) and ranges of them.
func parseYears(s string) (span, error) {
	r, err := parseRange(s, func(v string) (int, error) {
		y, err := strconv.Atoi(v)
		if err != nil || y < 1 || y > 9999 {
			return 0, fmt.Errorf("invalid year %q", v)
		}
		return y, nil
	})
	if err == nil && r.lo > r.hi {
		err = fmt.Errorf("year range %q: the start must not be after the end", s)
	}
	return r, err
}

// mutedHorizon bounds the search for the end of a mute: a route muted for
// longer than this is reported muted with no end.
const mutedHorizon = 10 * 366 * 24 * time.Hour

// Muted reports whether route routeID sends nothing at t (t is within
// one of its mute_time_intervals, or it has active_time_intervals and t
// is within none) and, if so, until when: the first instant sending is
// allowed again (zero when that is more than ten years away). When the
// route is not muted, until is t. Unknown route ids (a route removed by a
// policy change), "" (a rule's receivers) and the root are never muted.
func (t *Tree) Muted(routeID string, at time.Time) (muted bool, until time.Time) {
	n, ok := t.byID[routeID]
	if !ok || (len(n.mute) == 0 && len(n.active) == 0) {
		return false, at
	}
	if !n.mutedAt(at) {
		return false, at
	}
	c := at
	for c.Sub(at) < mutedHorizon {
		c = n.nextChange(c)
		if !n.mutedAt(c) {
			return true, c
		}
	}
	return true, time.Time{}
}

func (n *node) mutedAt(t time.Time) bool {
	for _, ti := range n.mute {
		if ti.contains(t) {
			return true
		}
	}
	if len(n.active) == 0 {
		return false
	}
	for _, ti := range n.active {
		if ti.contains(t) {
			return false
		}
	}
	return true
}

func (n *node) nextChange(t time.Time) time.Time {
	var next time.Time
	for _, list := range [2][]*timeInterval{n.mute, n.active} {
		for _, ti := range list {
			if c := ti.nextChange(t); next.IsZero() || c.Before(next) {
				next = c
			}
		}
	}
	return next
}

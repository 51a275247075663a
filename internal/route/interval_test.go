package route

import (
	"testing"
	"time"
)

// interval compiles one named time interval written as JSON.
func interval(t *testing.T, entries string) *timeInterval {
	t.Helper()
	tree := compile(t, `{"time_intervals": [{"name": "x", "time_intervals": `+entries+`}],
		"route": {"routes": [{"id": "r", "match": {"severity": ["LOW"]}, "mute_time_intervals": ["x"]}]}}`)
	return tree.byID["r"].mute[0]
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestIntervalContains(t *testing.T) {
	tests := []struct {
		name, entries, at string
		want              bool
	}{
		// Alertmanager's documented example: 9 to 5, Monday to Friday, in Sydney.
		{"sydney business hours", `[{"times": [{"start_time": "09:00", "end_time": "17:00"}], "weekdays": ["monday:friday"], "location": "Australia/Sydney"}]`, "2026-11-24T23:30:00Z", true}, // Wed 10:30 AEDT
		{"sydney before nine", `[{"times": ["09:00-17:00"], "weekdays": ["monday:friday"], "location": "Australia/Sydney"}]`, "2026-11-24T21:59:00Z", false},                                  // Wed 08:59 AEDT
		{"sydney saturday", `[{"times": ["09:00-17:00"], "weekdays": ["monday:friday"], "location": "Australia/Sydney"}]`, "2026-11-27T23:30:00Z", false},                                     // Sat 10:30 AEDT
		{"start inclusive", `[{"times": ["09:00-17:00"]}]`, "2026-11-25T09:00:00Z", true},
		{"end exclusive", `[{"times": ["09:00-17:00"]}]`, "2026-11-25T17:00:00Z", false},
		{"end 24:00", `[{"times": ["22:00-24:00"]}]`, "2026-11-25T23:59:59Z", true},
		{"night as two ranges", `[{"times": ["22:00-24:00", "00:00-06:00"]}]`, "2026-11-25T03:00:00Z", true},
		{"weekday names any case", `[{"weekdays": ["Saturday", "SUNDAY"]}]`, "2026-11-29T12:00:00Z", true},
		{"weekday range", `[{"weekdays": ["monday:wednesday"]}]`, "2026-11-26T12:00:00Z", false}, // Thursday
		{"last day of january", `[{"days_of_month": ["-1"]}]`, "2026-01-31T12:00:00Z", true},
		{"last day of february (leap year)", `[{"days_of_month": [-1]}]`, "2028-02-29T12:00:00Z", true},
		{"not the last day", `[{"days_of_month": [-1]}]`, "2028-02-28T12:00:00Z", false},
		{"1:31 clamps in february", `[{"days_of_month": ["1:31"]}]`, "2026-02-28T12:00:00Z", true},
		{"last three days", `[{"days_of_month": ["1:5", "-3:-1"]}]`, "2026-04-28T00:00:00Z", true},
		{"not in the last three days", `[{"days_of_month": ["1:5", "-3:-1"]}]`, "2026-04-27T23:59:00Z", false},
		{"start past the month's end never holds", `[{"days_of_month": ["30:31"]}]`, "2026-02-28T12:00:00Z", false},
		{"months by name and number", `[{"months": ["1:3", "may:august", "december"]}]`, "2026-07-01T00:00:00Z", true},
		{"month not listed", `[{"months": ["1:3", "may:august", "december"]}]`, "2026-04-15T00:00:00Z", false},
		{"years", `[{"years": ["2020:2022", "2030"]}]`, "2030-06-01T00:00:00Z", true},
		{"year not listed", `[{"years": ["2020:2022", "2030"]}]`, "2026-06-01T00:00:00Z", false},
		{"every field must hold", `[{"weekdays": ["wednesday"], "times": ["09:00-10:00"]}]`, "2026-11-25T11:00:00Z", false},
		{"one entry is enough", `[{"weekdays": ["monday"]}, {"times": ["10:00-12:00"]}]`, "2026-11-25T11:00:00Z", true},
		{"an empty entry holds always", `[{}]`, "2026-11-25T11:00:00Z", true},
		{"location shifts the day", `[{"weekdays": ["thursday"], "location": "Asia/Tokyo"}]`, "2026-11-25T16:00:00Z", true}, // Thu 01:00 JST
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := interval(t, tt.entries).contains(at(tt.at)); got != tt.want {
				t.Errorf("contains(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

// mutedTree has routes muted in various ways, all in Europe/Berlin.
const mutedTree = `{
	"time_intervals": [
		{"name": "off-hours", "time_intervals": [
			{"weekdays": ["saturday", "sunday"], "location": "Europe/Berlin"},
			{"times": ["00:00-08:00", "18:00-24:00"], "location": "Europe/Berlin"}]},
		{"name": "business-hours", "time_intervals": [
			{"weekdays": ["monday:friday"], "times": ["08:00-18:00"], "location": "Europe/Berlin"}]},
		{"name": "lunch", "time_intervals": [{"times": ["12:00-13:00"], "location": "Europe/Berlin"}]},
		{"name": "night-0230", "time_intervals": [{"times": ["01:00-02:30"], "location": "Europe/Berlin"}]},
		{"name": "until-2027", "time_intervals": [{"years": ["2020:2026"]}]},
		{"name": "forever", "time_intervals": [{}]}
	],
	"route": {"routes": [
		{"id": "mute-off-hours", "match": {"severity": ["LOW"]}, "mute_time_intervals": ["off-hours"], "continue": true},
		{"id": "active-business", "match": {"severity": ["LOW"]}, "active_time_intervals": ["business-hours"], "continue": true},
		{"id": "active-but-lunch", "match": {"severity": ["LOW"]}, "active_time_intervals": ["business-hours"], "mute_time_intervals": ["lunch"], "continue": true},
		{"id": "dst", "match": {"severity": ["LOW"]}, "mute_time_intervals": ["night-0230"], "continue": true},
		{"id": "years", "match": {"severity": ["LOW"]}, "mute_time_intervals": ["until-2027"], "continue": true},
		{"id": "forever", "match": {"severity": ["LOW"]}, "mute_time_intervals": ["forever"], "continue": true},
		{"id": "never", "match": {"severity": ["LOW"]}}
	]}}`

func TestMuted(t *testing.T) {
	tree := compile(t, mutedTree)
	tests := []struct {
		route, at string
		muted     bool
		until     string // "" with muted: zero (no end in sight)
	}{
		// Wednesday 23:30 in Berlin (UTC+1): until Thursday 08:00.
		{"mute-off-hours", "2026-11-25T22:30:00Z", true, "2026-11-26T07:00:00Z"},
		// Wednesday 10:00: not muted, until is the time asked.
		{"mute-off-hours", "2026-11-25T09:00:00Z", false, "2026-11-25T09:00:00Z"},
		// Friday 18:00 (the end of the day's range is exclusive): until Monday 08:00.
		{"mute-off-hours", "2026-11-27T17:00:00Z", true, "2026-11-30T07:00:00Z"},
		// Friday 17:59:30: still in business hours.
		{"mute-off-hours", "2026-11-27T16:59:30Z", false, "2026-11-27T16:59:30Z"},
		// Summer (UTC+2): Saturday noon until Monday 08:00 CEST.
		{"mute-off-hours", "2026-07-04T10:00:00Z", true, "2026-07-06T06:00:00Z"},
		// Across the change to summer time (Sunday 29 March 2026, 02:00 CET → 03:00 CEST).
		{"mute-off-hours", "2026-03-28T12:00:00Z", true, "2026-03-30T06:00:00Z"},
		// Active intervals: muted outside them, until the next one starts.
		{"active-business", "2026-11-25T22:30:00Z", true, "2026-11-26T07:00:00Z"},
		{"active-business", "2026-11-25T10:00:00Z", false, "2026-11-25T10:00:00Z"},
		// Active and muted: at lunch, muted until 13:00.
		{"active-but-lunch", "2026-11-25T11:15:00Z", true, "2026-11-25T12:00:00Z"},
		// Muted 01:00-02:30 on the night of the change to summer time:
		// 02:00 CET becomes 03:00 CEST, past 02:30, so the mute ends at
		// the change (01:00 UTC).
		{"dst", "2026-03-29T00:30:00Z", true, "2026-03-29T01:00:00Z"},
		// ...and on the night back to winter time (25 October 2026, 03:00
		// CEST → 02:00 CET) the mute ends at the first 02:30, and the
		// repeated 02:00-02:30 (CET) mutes again.
		{"dst", "2026-10-24T23:30:00Z", true, "2026-10-25T00:30:00Z"},
		{"dst", "2026-10-25T00:45:00Z", false, "2026-10-25T00:45:00Z"},
		{"dst", "2026-10-25T01:10:00Z", true, "2026-10-25T01:30:00Z"},
		{"years", "2026-06-01T12:00:00Z", true, "2027-01-01T00:00:00Z"},
		{"forever", "2026-06-01T12:00:00Z", true, ""},
		{"never", "2026-06-01T12:00:00Z", false, "2026-06-01T12:00:00Z"},
		{"no-such-route", "2026-06-01T12:00:00Z", false, "2026-06-01T12:00:00Z"},
		{"", "2026-06-01T12:00:00Z", false, "2026-06-01T12:00:00Z"},
		{RootID, "2026-06-01T12:00:00Z", false, "2026-06-01T12:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.route+"@"+tt.at, func(t *testing.T) {
			muted, until := tree.Muted(tt.route, at(tt.at))
			want := time.Time{}
			if tt.until != "" {
				want = at(tt.until)
			}
			if muted != tt.muted || !until.Equal(want) {
				t.Errorf("Muted = %v until %s, want %v until %s", muted, until.UTC().Format(time.RFC3339), tt.muted, tt.until)
			}
		})
	}
}

// TestMutedUntilIsTheFirstUnmutedMinute checks Muted's answer against a
// minute-by-minute walk, from many starting times over a year (both
// daylight saving changes included).
func TestMutedUntilIsTheFirstUnmutedMinute(t *testing.T) {
	tree := compile(t, mutedTree)
	start := at("2026-01-01T00:07:00Z")
	for _, id := range []string{"mute-off-hours", "active-business", "active-but-lunch", "dst"} {
		n := tree.byID[id]
		for h := 0; h < 365*24; h += 37 { // every 37 hours: all hours of the day, all weekdays
			from := start.Add(time.Duration(h) * time.Hour)
			muted, until := tree.Muted(id, from)
			if muted != n.mutedAt(from) {
				t.Fatalf("%s at %s: Muted says %v, the intervals %v", id, from, muted, n.mutedAt(from))
			}
			if !muted {
				continue
			}
			// Walk minute by minute (from the next whole minute) to the
			// first unmuted instant.
			c := from.Truncate(time.Minute)
			for n.mutedAt(c) || c.Before(from) {
				c = c.Add(time.Minute)
			}
			if !until.Equal(c) {
				t.Fatalf("%s at %s: until %s, walking finds %s", id, from, until, c)
			}
		}
	}
}

func TestNextChangeNeverStalls(t *testing.T) {
	ti := interval(t, `[{"times": ["09:00-17:00"], "location": "America/St_Johns"}, {"weekdays": ["friday"], "location": "Asia/Kathmandu"}]`)
	c := at("2026-03-01T00:00:00Z")
	for i := 0; i < 2000; i++ {
		next := ti.nextChange(c)
		if !next.After(c) {
			t.Fatalf("nextChange(%s) = %s, not after", c, next)
		}
		if next.Sub(c) > 25*time.Hour {
			t.Fatalf("nextChange(%s) = %s: skipped a day", c, next)
		}
		c = next
	}
}

package store

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Times are stored as UTC Unix nanoseconds (int64), with 0 meaning the zero
// time. That covers 1678-2262; Validate rejects anything outside, and an
// instant exactly at the Unix epoch reads back as the zero time.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// Validate reports what makes e unstorable: an empty State.ID, an empty
// Record, or a time the store cannot represent.
func (e *Entry) Validate() error {
	if e.State.ID == "" {
		return errors.New("state.id: empty")
	}
	if len(e.Record) == 0 {
		return errors.New("record: empty (every state change is audited)")
	}
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{
		{"state.first_seen", e.State.FirstSeen},
		{"state.last_seen", e.State.LastSeen},
		{"state.last_notified", e.State.LastNotified},
	} {
		if !f.t.IsZero() && (f.t.Before(minTime) || f.t.After(maxTime)) {
			return fmt.Errorf("%s: %s is outside the storable range (years 1678-2262)", f.name, f.t.Format(time.RFC3339))
		}
	}
	for i := range e.Jobs {
		if err := validateJob(&e.Jobs[i]); err != nil {
			return fmt.Errorf("jobs[%d]: %w", i, err)
		}
	}
	return nil
}

// validate checks a whole batch before anything is written.
func validate(entries []Entry) error {
	for i := range entries {
		if err := entries[i].Validate(); err != nil {
			return fmt.Errorf("entry %d (finding %q): %w", i, entries[i].State.ID, err)
		}
	}
	return nil
}

// unixNano converts a time for storage: 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano is the inverse of unixNano, in UTC.
func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// normalize returns s as a store hands it back: times in UTC, truncated to
// what unixNano keeps, without monotonic readings.
func normalize(s State) State {
	s.FirstSeen = fromUnixNano(unixNano(s.FirstSeen))
	s.LastSeen = fromUnixNano(unixNano(s.LastSeen))
	s.LastNotified = fromUnixNano(unixNano(s.LastNotified))
	return s
}

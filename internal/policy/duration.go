package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/route"
)

// Duration is a time.Duration written as "15d", "36h", "90m". It is
// defined in package route (the routing tree, which this package compiles,
// needs it and cannot import this package).
type Duration = route.Duration

// ParseDuration accepts Go durations plus a "d" (24h) unit.
func ParseDuration(s string) (Duration, error) { return route.ParseDuration(s) }

// Date is a calendar date (YYYY-MM-DD), the end of which is the moment an
// accepted risk expires.
type Date struct{ time.Time }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("invalid date %q (want YYYY-MM-DD)", string(b))
	}
	d.Time = t
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte(""), nil
	}
	return []byte(d.Format("2006-01-02")), nil
}

// String returns YYYY-MM-DD.
func (d Date) String() string { return d.Format("2006-01-02") }

// End is the first instant after the date (UTC): an accepted risk expiring
// on 2027-06-30 still holds on that whole day.
func (d Date) End() time.Time { return d.Time.AddDate(0, 0, 1) }

// UnmarshalJSON reads "YYYY-MM-DD" (time.Time's own RFC 3339 form would
// otherwise be used through the embedding).
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid date %s (want YYYY-MM-DD)", b)
	}
	return d.UnmarshalText([]byte(s))
}

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) {
	t, _ := d.MarshalText()
	return json.Marshal(string(t))
}

package normalize

import (
	"errors"
	"strconv"
	"time"
)

// asffLayouts are the timestamp forms Security Hub accepts: RFC 3339 with
// up to 9 fraction digits and an offset written Z, ±hh:mm or ±hhmm.
var asffLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"}

// nativeLayouts add the forms native service events use: Inspector2
// writes "Wed Feb 08 21:11:57.673 UTC 2023"; some producers drop the T.
var nativeLayouts = append(append([]string(nil), asffLayouts...),
	"Mon Jan 02 15:04:05.000 MST 2006", "Mon Jan 02 15:04:05 MST 2006",
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999")

var errBadTime = errors.New("bad timestamp")

// parseTime parses s with layouts; "" is the zero time.
func parseTime(s string, layouts []string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errBadTime
}

// epochMillis reads an OCSF timestamp_t (milliseconds since the epoch).
func epochMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// stamp is a timestamp field that may arrive as RFC 3339 text or as epoch
// milliseconds, as OCSF and some native events have it.
type stamp struct {
	text string
	ms   int64
}

func (s *stamp) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		u, err := strconv.Unquote(string(b))
		if err != nil {
			return err
		}
		s.text = u
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	s.ms = int64(f)
	return nil
}

// time returns the timestamp; text is parsed with nativeLayouts.
func (s stamp) time() (time.Time, error) {
	if s.text != "" {
		return parseTime(s.text, nativeLayouts)
	}
	return epochMillis(s.ms), nil
}

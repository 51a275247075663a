package normalize

import "time"

// checker collects the problems of one finding: each is reported with the
// finding's path, and a finding with any is not returned.
type checker struct {
	d      *decoder
	item   int
	prefix string
	n      int
}

func (d *decoder) checker(item int, prefix string) *checker {
	return &checker{d: d, item: item, prefix: prefix}
}

func (c *checker) fail(field, format string, args ...any) {
	c.n++
	c.d.fail(c.item, join(c.prefix, field), format, args...)
}

func (c *checker) ok() bool { return c.n == 0 }

// time parses a timestamp field, reporting a bad one with its path.
func (c *checker) time(field, s string, layouts []string) time.Time {
	t, err := parseTime(s, layouts)
	if err != nil {
		c.fail(field, "bad timestamp %q: want RFC 3339, e.g. 2024-01-31T23:00:00Z", s)
	}
	return t
}

// stampTime reads a timestamp given as text (dt) or epoch milliseconds.
func (c *checker) stampTime(field string, dt, ms stamp) time.Time {
	s := ms
	if dt.text != "" || dt.ms != 0 {
		s = dt
		field += "_dt"
	}
	t, err := s.time()
	if err != nil {
		c.fail(field, "bad timestamp %q: want RFC 3339 or epoch milliseconds", s.text)
	}
	return t
}

package source

import (
	"strconv"

	"github.com/wardenhq/warden/internal/finding"
)

// Error is a problem with one record, or with a whole file, and where.
type Error struct {
	Origin finding.Origin
	// File is true when the problem is with the file, not one record (it
	// cannot be opened, a read failed): Origin.Source names the file and
	// Origin.Index counts the records read before the failure.
	File bool
	Err  error
}

func (e *Error) Error() string {
	if e.File {
		return e.Origin.Source + ": " + e.Err.Error()
	}
	return Where(e.Origin) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Where formats a record's origin for messages: "findings.jsonl line 7"
// for input read line by line, "export.json index 3" for array elements.
// Package normalize uses it too, so that every message about a record
// names it the same way.
func Where(o finding.Origin) string {
	src := o.Source
	if src == "" {
		src = "record"
	}
	if o.Line > 0 {
		return src + " line " + strconv.Itoa(o.Line)
	}
	return src + " index " + strconv.Itoa(o.Index)
}

package detect

import (
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// RuleError is one problem with one detection, found by New. Index is the
// rule's position in the slice given to New, so a loader that kept the
// source position of each rule can report file:line:col; Field names the
// rule field at fault ("id", "title", "severity", "types[2]", "match",
// "resource.id", "key[1]", "remediation_url"). For Field "match", Err is
// (or wraps) the *pattern.Error whose Path locates the problem inside the
// pattern.
type RuleError struct {
	Index int
	ID    string
	Field string
	Err   error
}

func (e *RuleError) Error() string {
	id := e.ID
	if id == "" {
		id = fmt.Sprintf("#%d", e.Index)
	}
	return fmt.Sprintf("detection %s: %s: %v", id, e.Field, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// FieldPath is Field as YAML path segments, "key[1]" as ["key", "1"] and
// "resource.id" as ["resource", "id"], for positioning the error in the
// detection's source.
func (e *RuleError) FieldPath() []string {
	var out []string
	for _, part := range strings.Split(e.Field, ".") {
		name, idx, ok := strings.Cut(part, "[")
		out = append(out, name)
		if ok {
			out = append(out, strings.TrimSuffix(idx, "]"))
		}
	}
	return out
}

// EventError is an event that could not be examined (not JSON, or not
// shaped like an event). Origin says which record it was.
type EventError struct {
	Origin finding.Origin
	Err    error
}

func (e *EventError) Error() string {
	o := e.Origin
	switch {
	case o.Line > 0:
		return fmt.Sprintf("%s:%d: detecting: %v", o.Source, o.Line, e.Err)
	case o.Source != "":
		return fmt.Sprintf("%s: record %d: detecting: %v", o.Source, o.Index, e.Err)
	}
	return fmt.Sprintf("record %d: detecting: %v", o.Index, e.Err)
}

func (e *EventError) Unwrap() error { return e.Err }

package pattern

import (
	"fmt"
	"strings"
)

// Error is a positioned pattern error.
type Error struct {
	// Path is the key path inside the pattern to the offending element,
	// array indices as decimal strings, e.g. ["detail","severity","0","numeric"].
	Path []string
	// Offset is the byte offset of the offending element in the pattern
	// source, -1 if unknown.
	Offset int
	// Msg says what is wrong, e.g. `unknown operator "prefx"`.
	Msg string
}

// Error renders the path the way it reads in the pattern, indices in
// brackets, followed by the message: `detail.severity[0].numeric: expected
// operator, got 5`. A key made only of digits is rendered like an index.
func (e *Error) Error() string {
	p := renderPath(e.Path)
	if p == "" {
		return e.Msg
	}
	return p + ": " + e.Msg
}

// renderPath joins path segments with dots, decimal segments as [n].
func renderPath(path []string) string {
	var sb strings.Builder
	for _, seg := range path {
		if isIndex(seg) {
			sb.WriteByte('[')
			sb.WriteString(seg)
			sb.WriteByte(']')
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(seg)
	}
	return sb.String()
}

func isIndex(seg string) bool {
	if seg == "" {
		return false
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return false
		}
	}
	return true
}

// errAt builds an *Error for the element at off reached by path. The path
// is copied so callers may keep appending to theirs.
func errAt(path []string, off int, format string, args ...any) *Error {
	return &Error{
		Path:   append([]string(nil), path...),
		Offset: off,
		Msg:    fmt.Sprintf(format, args...),
	}
}

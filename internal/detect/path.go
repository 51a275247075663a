package detect

import (
	"bytes"
	"strings"

	"github.com/wardenhq/warden/internal/jsonscan"
)

// This file holds the small extractor that reads a few dotted field paths
// out of a raw event without decoding the whole document. It runs only for
// events that matched a detection, so it favours being simple, bounded and
// allocation-light over being a full JSON parser: it assumes the pattern
// matcher has already seen the document, and on malformed input it stops
// and reports nothing rather than failing.

// maxDepth bounds nesting while walking a document, so hostile input
// cannot drive recursion arbitrarily deep.
const maxDepth = 64

// splitPath turns "detail.requestParameters.name" into its segments and
// reports whether the path is well formed (non-empty, no empty segment).
func splitPath(p string) ([]string, bool) {
	if p == "" {
		return nil, false
	}
	segs := strings.Split(p, ".")
	for _, s := range segs {
		if s == "" {
			return nil, false
		}
	}
	return segs, true
}

// lookup calls visit with every value found at path in doc. As in
// EventBridge patterns, arrays are transparent: a path that reaches an
// array continues into each element, and an array at the end of the path
// yields each element. Strings are unquoted; numbers, booleans, objects
// are given as their JSON text; null yields nothing.
func lookup(doc []byte, path []string, visit func(string)) {
	walk(doc, path, visit, 0)
}

// lookupFirst returns the first value at path, or "".
func lookupFirst(doc []byte, path []string) string {
	var out string
	found := false
	lookup(doc, path, func(v string) {
		if !found {
			out, found = v, true
		}
	})
	return out
}

// walk follows path into the JSON value v. Malformed input ends the walk
// quietly: the matcher has already seen the document.
func walk(v []byte, path []string, visit func(string), depth int) {
	i := jsonscan.SkipSpace(v, 0)
	if depth > maxDepth || i >= len(v) {
		return
	}
	if len(path) == 0 {
		leaf(v[i:], visit, depth)
		return
	}
	switch v[i] {
	case '{':
		jsonscan.Object(v, i, func(key, val []byte) error { //nolint:errcheck // malformed: stop quietly
			if jsonscan.KeyIs(key, path[0]) {
				walk(val, path[1:], visit, depth+1)
			}
			return nil
		})
	case '[':
		jsonscan.Array(v, i, func(_ int, el []byte) error { //nolint:errcheck // malformed: stop quietly
			walk(el, path, visit, depth+1)
			return nil
		})
	}
}

// leaf visits the value v (no leading space).
func leaf(v []byte, visit func(string), depth int) {
	if depth > maxDepth || len(v) == 0 {
		return
	}
	switch v[0] {
	case '"':
		if s, ok := jsonscan.String(v); ok {
			visit(s)
		}
	case '[':
		jsonscan.Array(v, 0, func(_ int, el []byte) error { //nolint:errcheck // malformed: stop quietly
			leaf(el, visit, depth+1)
			return nil
		})
	case 'n':
		// null: nothing there.
	default:
		visit(string(v))
	}
}

// members calls fn with each member of the object v: the key with its
// escapes decoded, and the value. It stops quietly on malformed input.
func members(v []byte, fn func(key, value []byte)) {
	jsonscan.Object(v, 0, func(key, val []byte) error { //nolint:errcheck // malformed: stop quietly
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(jsonscan.Unquote(key))
		}
		fn(key, val)
		return nil
	})
}

// stringAt returns the string value v, or "" if it is not a string.
func stringAt(v []byte) string {
	s, _ := jsonscan.String(v)
	return s
}

package detect

import (
	"bytes"
	"encoding/json"
	"strings"
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
	walk(doc, skipWS(doc, 0), path, visit, 0)
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

func walk(b []byte, i int, path []string, visit func(string), depth int) {
	if depth > maxDepth || i >= len(b) {
		return
	}
	if len(path) == 0 {
		leaf(b, i, visit, depth)
		return
	}
	switch b[i] {
	case '{':
		i = skipWS(b, i+1)
		for i < len(b) && b[i] != '}' {
			if b[i] != '"' {
				return
			}
			kEnd, ok := skipString(b, i)
			if !ok {
				return
			}
			key := b[i+1 : kEnd-1]
			i = skipWS(b, kEnd)
			if i >= len(b) || b[i] != ':' {
				return
			}
			v := skipWS(b, i+1)
			if keyEquals(key, path[0]) {
				walk(b, v, path[1:], visit, depth+1)
			}
			end, ok := skipValue(b, v)
			if !ok {
				return
			}
			i = skipWS(b, end)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
			}
		}
	case '[':
		i = skipWS(b, i+1)
		for i < len(b) && b[i] != ']' {
			walk(b, i, path, visit, depth+1)
			end, ok := skipValue(b, i)
			if !ok {
				return
			}
			i = skipWS(b, end)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
			}
		}
	}
}

// members calls fn with each member of the object at b[i] (the raw key,
// still escaped, and the index where its value starts). It stops quietly
// on malformed input.
func members(b []byte, i int, fn func(key []byte, v int)) {
	i = skipWS(b, i)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i = skipWS(b, i+1)
	for i < len(b) && b[i] == '"' {
		kEnd, ok := skipString(b, i)
		if !ok {
			return
		}
		key := b[i+1 : kEnd-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(unquote(b[i:kEnd]))
		}
		i = skipWS(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return
		}
		v := skipWS(b, i+1)
		fn(key, v)
		end, ok := skipValue(b, v)
		if !ok {
			return
		}
		i = skipWS(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
		}
	}
}

// stringAt returns the string value at b[i], or "" if it is not a string.
func stringAt(b []byte, i int) string {
	if i >= len(b) || b[i] != '"' {
		return ""
	}
	end, ok := skipString(b, i)
	if !ok {
		return ""
	}
	return unquote(b[i:end])
}

// leaf visits the value starting at b[i].
func leaf(b []byte, i int, visit func(string), depth int) {
	if depth > maxDepth || i >= len(b) {
		return
	}
	switch b[i] {
	case '"':
		end, ok := skipString(b, i)
		if !ok {
			return
		}
		visit(unquote(b[i:end]))
	case '[':
		i = skipWS(b, i+1)
		for i < len(b) && b[i] != ']' {
			leaf(b, i, visit, depth+1)
			end, ok := skipValue(b, i)
			if !ok {
				return
			}
			i = skipWS(b, end)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
			}
		}
	case 'n':
		// null: nothing there.
	default:
		end, ok := skipValue(b, i)
		if !ok || end <= i {
			return
		}
		visit(string(b[i:end]))
	}
}

// keyEquals compares a raw (still escaped) object key with want.
func keyEquals(raw []byte, want string) bool {
	for _, c := range raw {
		if c == '\\' {
			var s string
			q := make([]byte, 0, len(raw)+2)
			q = append(append(append(q, '"'), raw...), '"')
			if json.Unmarshal(q, &s) != nil {
				return false
			}
			return s == want
		}
	}
	return string(raw) == want
}

// unquote decodes a JSON string token (quotes included).
func unquote(tok []byte) string {
	body := tok[1 : len(tok)-1]
	for _, c := range body {
		if c == '\\' {
			var s string
			if json.Unmarshal(tok, &s) != nil {
				return string(body)
			}
			return s
		}
	}
	return string(body)
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at b[i]=='"'.
func skipString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return len(b), false
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, ok := skipString(b, j)
				if !ok {
					return len(b), false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return len(b), false
	default:
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return j, j > i
			}
			j++
		}
		return j, j > i
	}
}

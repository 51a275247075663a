package pattern

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// The event scanner makes one pass over the event bytes, walking the
// set's path trie alongside. Values at paths some pattern uses are
// recorded; everything else is skipped without decoding or allocating.
//
// Validation is partial, the trade Quamina makes too: the object and array
// structure of the whole event, the ends of all strings and every value
// at a used path are checked; inside skipped parts, numbers, literals and
// control characters in strings are not, nor are control characters in
// keys. Match never reports an error for valid JSON, but may accept some
// invalid JSON.

// maxEventDepth matches encoding/json's nesting limit.
const maxEventDepth = 10000

// EventError says why an event could not be read.
type EventError struct {
	Offset int    // byte offset in the event
	Msg    string // what is wrong
}

func (e *EventError) Error() string {
	return fmt.Sprintf("invalid event JSON at offset %d: %s", e.Offset, e.Msg)
}

func eventErr(off int, format string, args ...any) error {
	return &EventError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// scan reads event and records the values of every field under root.
func (sc *scratch) scan(root *trieNode, b []byte) error {
	sc.reset(b)
	if len(b) > math.MaxInt32 {
		return eventErr(0, "event larger than 2 GiB")
	}
	i := skipWS(b, 0)
	if i >= len(b) {
		return eventErr(i, "empty event")
	}
	if b[i] != '{' {
		return eventErr(i, "event must be a JSON object")
	}
	i, err := sc.object(b, i, root, 1)
	if err != nil {
		return err
	}
	if i = skipWS(b, i); i < len(b) {
		return eventErr(i, "unexpected %q after the event", b[i])
	}
	return nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// object reads the object starting at b[i] ('{') with n as its trie node.
func (sc *scratch) object(b []byte, i int, n *trieNode, depth int) (int, error) {
	if depth > maxEventDepth {
		return i, eventErr(i, "nesting deeper than %d", maxEventDepth)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	outer := sc.inObj
	sc.inObj = len(sc.stack)
	i, err := sc.members(b, i, n, depth)
	sc.inObj = outer
	return i, err
}

// members reads an object's members, from the first key to the closing
// brace.
func (sc *scratch) members(b []byte, i int, n *trieNode, depth int) (int, error) {
	for {
		if i >= len(b) || b[i] != '"' {
			return i, eventErr(i, "expected a quoted key")
		}
		j, esc, ok := keyEnd(b, i)
		if !ok {
			return i, eventErr(i, "malformed key")
		}
		key := b[i+1 : j-1]
		if esc {
			sc.key = unescape(sc.key[:0], key)
			key = sc.key
		}
		c := n.child(key)
		// Events are mostly compact JSON: test for the common case
		// before calling skipWS.
		i = j
		if i < len(b) && b[i] <= ' ' {
			i = skipWS(b, i)
		}
		if i >= len(b) || b[i] != ':' {
			return i, eventErr(i, "expected ':' after key")
		}
		i++
		if i < len(b) && b[i] <= ' ' {
			i = skipWS(b, i)
		}
		var err error
		switch {
		case c != nil:
			i, err = sc.value(b, i, c, depth)
		case i < len(b) && b[i] == '"':
			i, err = skipString(b, i)
		default:
			i, err = skipValue(b, i, depth)
		}
		if err != nil {
			return i, err
		}
		if i < len(b) && b[i] <= ' ' {
			i = skipWS(b, i)
		}
		if i >= len(b) {
			return i, eventErr(i, "unexpected end of event in object")
		}
		switch b[i] {
		case ',':
			i++
			if i < len(b) && b[i] <= ' ' {
				i = skipWS(b, i)
			}
		case '}':
			return i + 1, nil
		default:
			return i, eventErr(i, "expected ',' or '}'")
		}
	}
}

// value reads the value at b[i] for trie node n.
func (sc *scratch) value(b []byte, i int, n *trieNode, depth int) (int, error) {
	if i >= len(b) {
		return i, eventErr(i, "expected a value")
	}
	switch c := b[i]; c {
	case '{':
		if !n.hasKids() {
			return skipContainer(b, i, depth)
		}
		return sc.object(b, i, n, depth+1)
	case '[':
		return sc.array(b, i, n, depth+1)
	case '"':
		if n.field < 0 {
			return skipString(b, i)
		}
		end, esc, ok := stringEnd(b, i)
		if !ok {
			return end, eventErr(i, "malformed string")
		}
		if esc {
			start := len(sc.buf)
			sc.buf = unescape(sc.buf, b[i+1:end-1])
			sc.record(n.field, vString, start, len(sc.buf), true)
		} else {
			sc.record(n.field, vString, i+1, end-1, false)
		}
		return end, nil
	case 't', 'f', 'n':
		end, kind, ok := literal(b, i)
		if !ok {
			return i, eventErr(i, "invalid literal")
		}
		if n.field >= 0 {
			sc.record(n.field, kind, i, end, false)
		}
		return end, nil
	default:
		end, ok := scanNumber(b, i)
		if !ok {
			return i, eventErr(i, "invalid value")
		}
		if n.field >= 0 {
			sc.record(n.field, vNumber, i, end, false)
		}
		return end, nil
	}
}

// array reads the array at b[i]; its elements are values of the same
// trie node, since paths pass through arrays.
func (sc *scratch) array(b []byte, i int, n *trieNode, depth int) (int, error) {
	if depth > maxEventDepth {
		return i, eventErr(i, "nesting deeper than %d", maxEventDepth)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	top := len(sc.stack)
	sc.stack = append(sc.stack, trailPos{array: sc.arrays})
	sc.arrays++
	for idx := int32(0); ; idx++ {
		sc.stack[top].idx = idx
		var err error
		if i, err = sc.value(b, i, n, depth); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, eventErr(i, "unexpected end of event in array")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			sc.stack = sc.stack[:top]
			return i + 1, nil
		default:
			return i, eventErr(i, "expected ',' or ']'")
		}
	}
}

// literal checks true, false or null at b[i].
func literal(b []byte, i int) (int, vkind, bool) {
	rest := b[i:]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		return i + 4, vTrue, true
	case bytes.HasPrefix(rest, []byte("false")):
		return i + 5, vFalse, true
	case bytes.HasPrefix(rest, []byte("null")):
		return i + 4, vNull, true
	}
	return i, 0, false
}

// skipValue passes over the value at b[i] without recording anything.
func skipValue(b []byte, i int, depth int) (int, error) {
	if i >= len(b) {
		return i, eventErr(i, "expected a value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipContainer(b, i, depth)
	case 't', 'f', 'n':
		end, _, ok := literal(b, i)
		if !ok {
			return i, eventErr(i, "invalid literal")
		}
		return end, nil
	default:
		end, ok := scanNumber(b, i)
		if !ok {
			return i, eventErr(i, "invalid value")
		}
		return end, nil
	}
}

// skipString passes over the string whose opening quote is b[i], in a
// part of the event no pattern uses. It only looks for the closing quote:
// the first 16 bytes eight at a time, then with bytes.IndexByte, which is
// vectorised, checking that the quote found is not escaped by counting the
// backslashes before it.
func skipString(b []byte, i int) (int, error) {
	start := i
	i++
	for n := 0; n < 2 && i+8 <= len(b); n++ {
		m := quoteOrBackslash(binary.LittleEndian.Uint64(b[i:]))
		if m == 0 {
			i += 8
			continue
		}
		i += bits.TrailingZeros64(m) >> 3
		if b[i] == '"' {
			return i + 1, nil
		}
		i += 2 // an escape: its second byte is never the end
	}
	for i < len(b) {
		k := bytes.IndexByte(b[i:], '"')
		if k < 0 {
			break
		}
		i += k
		j := i - 1
		for j > start && b[j] == '\\' {
			j--
		}
		if (i-1-j)%2 == 0 {
			return i + 1, nil
		}
		i++
	}
	return len(b), eventErr(start, "unterminated string")
}

// skipContainer passes over the object or array at b[i], checking that
// brackets pair up (for the first 64 levels) and strings end.
func skipContainer(b []byte, i int, depth int) (int, error) {
	start := i
	var kinds uint64 // bit per level: 1 for an array
	level := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			var err error
			if i, err = skipString(b, i); err != nil {
				return i, err
			}
			continue
		case '{', '[':
			level++
			if depth+level > maxEventDepth {
				return i, eventErr(i, "nesting deeper than %d", maxEventDepth)
			}
			kinds <<= 1
			if c == '[' {
				kinds |= 1
			}
		case '}', ']':
			if level <= 64 && (kinds&1 == 1) != (c == ']') {
				return i, eventErr(i, "mismatched %q", c)
			}
			kinds >>= 1
			level--
			if level == 0 {
				return i + 1, nil
			}
		}
		i++
	}
	return i, eventErr(start, "unterminated %q", b[start])
}

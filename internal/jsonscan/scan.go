// Package jsonscan finds where JSON values begin and end without decoding
// them. One pass checks the grammar of RFC 8259 (structure, strings,
// escapes, numbers, literals; not UTF-8, which encoding/json does not check
// either) and returns the offset just past the value.
//
// Package source uses it to cut a stream into records and package normalize
// to find the findings inside a record, so that each finding is decoded
// once, by the decoder that builds the model, and never parsed twice.
package jsonscan

import (
	"fmt"
	"strconv"
)

// MaxDepth is the deepest nesting of objects and arrays accepted. Real
// findings and events nest fewer than 20 levels; the limit keeps recursive
// decoders that run after the scan far from their stack limits.
const MaxDepth = 512

// SyntaxError says what is wrong and at which byte offset of the scanned
// slice.
type SyntaxError struct {
	Offset int    // byte offset from the start of the scanned slice
	Msg    string // what is wrong, e.g. "invalid character 'x' in string escape"
	// End is true when the input stopped inside a value: more input might
	// complete it.
	End bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at byte %d", e.Msg, e.Offset)
}

func errAt(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func errEnd(off int) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: "unexpected end of input", End: true}
}

// describe names a byte for an error message.
func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// isSpace reports JSON whitespace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// SkipSpace returns the offset of the first byte at or after i that is not
// JSON whitespace (len(data) if there is none).
func SkipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// Skip scans the value that starts at data[i] (after optional whitespace)
// and returns the offset just past it. It does not look past the value.
func Skip(data []byte, i int) (int, error) {
	var arrays [MaxDepth / 64]uint64 // bit set: the open container at that depth is an array
	depth := 0
	i = SkipSpace(data, i)
	for {
		// A value starts at i.
		if i >= len(data) {
			return i, errEnd(i)
		}
		var err *SyntaxError
		switch c := data[i]; c {
		case '{', '[':
			if depth == MaxDepth {
				return i, errAt(i, "nesting deeper than %d levels", MaxDepth)
			}
			closer := byte('}')
			if c == '[' {
				closer = ']'
				arrays[depth/64] |= 1 << (depth % 64)
			} else {
				arrays[depth/64] &^= 1 << (depth % 64)
			}
			depth++
			i = SkipSpace(data, i+1)
			if i >= len(data) {
				return i, errEnd(i)
			}
			if data[i] == closer {
				depth--
				i++
				break // the empty container is a complete value
			}
			if c == '{' {
				if i, err = skipKey(data, i); err != nil {
					return i, err
				}
			}
			continue // the first member's value starts at i
		case '"':
			i, err = skipString(data, i)
		case 't':
			i, err = skipLiteral(data, i, "true")
		case 'f':
			i, err = skipLiteral(data, i, "false")
		case 'n':
			i, err = skipLiteral(data, i, "null")
		default:
			if c == '-' || (c >= '0' && c <= '9') {
				i, err = skipNumber(data, i)
			} else {
				return i, errAt(i, "invalid character %s looking for the beginning of a value", describe(c))
			}
		}
		if err != nil {
			return i, err
		}
		// A value ended at i: close containers until one continues.
		for {
			if depth == 0 {
				return i, nil
			}
			i = SkipSpace(data, i)
			if i >= len(data) {
				return i, errEnd(i)
			}
			closer := byte('}')
			if arrays[(depth-1)/64]&(1<<((depth-1)%64)) != 0 {
				closer = ']'
			}
			if data[i] == closer {
				depth--
				i++
				continue
			}
			if data[i] != ',' {
				return i, errAt(i, "invalid character %s after a value, want ',' or '%c'", describe(data[i]), closer)
			}
			i = SkipSpace(data, i+1)
			if closer == '}' {
				if i, err = skipKey(data, i); err != nil {
					return i, err
				}
			}
			break
		}
	}
}

// skipKey scans `"key" :` at i (i already past whitespace) and returns the
// offset of the member's value.
func skipKey(data []byte, i int) (int, *SyntaxError) {
	if i >= len(data) {
		return i, errEnd(i)
	}
	if data[i] != '"' {
		return i, errAt(i, "invalid character %s looking for the beginning of an object key", describe(data[i]))
	}
	i, err := skipString(data, i)
	if err != nil {
		return i, err
	}
	i = SkipSpace(data, i)
	if i >= len(data) {
		return i, errEnd(i)
	}
	if data[i] != ':' {
		return i, errAt(i, "invalid character %s after an object key, want ':'", describe(data[i]))
	}
	return SkipSpace(data, i+1), nil
}

// plain marks the bytes that need no attention inside a string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString scans the string whose opening quote is at data[i].
func skipString(data []byte, i int) (int, *SyntaxError) {
	i++
	for i < len(data) {
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i >= len(data) {
			break
		}
		c := data[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(data) {
				return i + 1, errEnd(i + 1)
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if i+k >= len(data) {
						return i + k, errEnd(i + k)
					}
					if !isHex(data[i+k]) {
						return i + k, errAt(i+k, "invalid character %s in \\u escape", describe(data[i+k]))
					}
				}
				i += 6
			default:
				return i + 1, errAt(i+1, "invalid character %s in string escape", describe(data[i+1]))
			}
		case c < 0x20:
			return i, errAt(i, "invalid control character %s in string", describe(c))
		default:
			i++
		}
	}
	return i, errEnd(i)
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func skipLiteral(data []byte, i int, lit string) (int, *SyntaxError) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(data) {
			return i + k, errEnd(i + k)
		}
		if data[i+k] != lit[k] {
			return i + k, errAt(i+k, "invalid character %s in literal %s", describe(data[i+k]), lit)
		}
	}
	return i + len(lit), nil
}

// skipNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at i.
func skipNumber(data []byte, i int) (int, *SyntaxError) {
	if data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return i, errEnd(i)
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i = digits(data, i)
	default:
		return i, errAt(i, "invalid character %s in number", describe(c))
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) {
			return i, errEnd(i)
		}
		if data[i] < '0' || data[i] > '9' {
			return i, errAt(i, "invalid character %s after the decimal point", describe(data[i]))
		}
		i = digits(data, i)
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) {
			return i, errEnd(i)
		}
		if data[i] < '0' || data[i] > '9' {
			return i, errAt(i, "invalid character %s in exponent", describe(data[i]))
		}
		i = digits(data, i)
	}
	return i, nil
}

func digits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// Kind names the JSON type of the value that starts with byte c:
// "object", "array", "string", "number", "boolean", "null".
func Kind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

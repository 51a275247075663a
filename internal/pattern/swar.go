package pattern

import (
	"encoding/binary"
	"math/bits"
)

// Strings make up most of an event's bytes, so finding where one ends is
// the scanner's inner loop. It looks at eight bytes at a time ("SIMD
// within a register"): a word holding no quote, no backslash and no
// control character is passed over in a handful of instructions.

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// special returns a word with the high bit set in (at least) the lowest
// byte of x that is '"', '\\' or below 0x20; zero if there is none. Bits
// above the lowest hit may be spurious, so only the lowest is used.
func special(x uint64) uint64 {
	q := x ^ (swarLo * '"')
	s := x ^ (swarLo * '\\')
	return ((q - swarLo) &^ q & swarHi) |
		((s - swarLo) &^ s & swarHi) |
		((x - swarLo*0x20) &^ x & swarHi)
}

// stringEnd checks the JSON string whose opening quote is b[i] and returns
// the index just after its closing quote and whether it holds escapes.
// ok is false for an unterminated string, a bad escape or a raw control
// character.
func stringEnd(b []byte, i int) (end int, esc bool, ok bool) {
	i++
	for {
		for i+8 <= len(b) {
			m := special(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		if i >= len(b) {
			return i, esc, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return len(b), esc, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					return i, esc, false
				}
				i += 6
			default:
				return i, esc, false
			}
		case c < 0x20:
			return i, esc, false
		default:
			i++
		}
	}
}

// quoteOrBackslash returns a word with the high bit set in (at least) the
// lowest byte of x that is '"' or '\\'; zero if there is none.
func quoteOrBackslash(x uint64) uint64 {
	q := x ^ (swarLo * '"')
	s := x ^ (swarLo * '\\')
	return ((q-swarLo)&^q | (s-swarLo)&^s) & swarHi
}

// keyEnd is stringEnd for object keys, which are short and rarely hold
// escapes: it looks only for the closing quote, falling back to stringEnd
// when it meets a backslash. Control characters in keys go unnoticed.
func keyEnd(b []byte, i int) (end int, esc bool, ok bool) {
	j := i + 1
	for {
		for j+8 <= len(b) {
			m := quoteOrBackslash(binary.LittleEndian.Uint64(b[j:]))
			if m == 0 {
				j += 8
				continue
			}
			j += bits.TrailingZeros64(m) >> 3
			break
		}
		if j >= len(b) {
			return j, false, false
		}
		switch b[j] {
		case '"':
			return j + 1, false, true
		case '\\':
			return stringEnd(b, i)
		}
		j++
	}
}

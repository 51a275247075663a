package pattern

import (
	"unicode"
	"unicode/utf8"
)

// Case-insensitive comparison for equals-ignore-case, in its plain, prefix,
// suffix and anything-but forms. Two characters are equal ignoring case when
// they are in the same Unicode simple case-folding orbit, the rule
// strings.EqualFold uses (EventBridge does not document its folding; simple
// folding is what Quamina does too). Simple folding maps one character to
// one character, so a prefix of n characters matches n characters.

func runeEqualFold(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// foldPrefixLen reports whether s starts with p ignoring case, and how many
// bytes of s the match covers.
func foldPrefixLen(s []byte, p string) (int, bool) {
	i := 0
	for j := 0; j < len(p); {
		if i >= len(s) {
			return 0, false
		}
		a, b := rune(s[i]), rune(p[j])
		na, nb := 1, 1
		if a >= utf8.RuneSelf {
			a, na = utf8.DecodeRune(s[i:])
		}
		if b >= utf8.RuneSelf {
			b, nb = utf8.DecodeRuneInString(p[j:])
		}
		if !runeEqualFold(a, b) {
			return 0, false
		}
		i += na
		j += nb
	}
	return i, true
}

func hasPrefixFold(s []byte, p string) bool {
	_, ok := foldPrefixLen(s, p)
	return ok
}

func equalFold(s []byte, p string) bool {
	n, ok := foldPrefixLen(s, p)
	return ok && n == len(s)
}

func hasSuffixFold(s []byte, p string) bool {
	i, j := len(s), len(p)
	for j > 0 {
		if i <= 0 {
			return false
		}
		a, na := utf8.DecodeLastRune(s[:i])
		b, nb := utf8.DecodeLastRuneInString(p[:j])
		if !runeEqualFold(a, b) {
			return false
		}
		i -= na
		j -= nb
	}
	return true
}

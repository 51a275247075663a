package pattern

import (
	"bytes"
	"fmt"
)

// wildcard is a compiled {"wildcard": "..."} operand. EventBridge documents
// "*" as matching zero or more characters, "\*" as a literal star and "\\"
// as a literal backslash; a backslash before anything else and two
// consecutive wildcards are rejected.
type wildcard struct {
	// segs are the literal parts between stars; with n stars there are n+1
	// segments, the first and last possibly empty.
	segs [][]byte
}

// compileWildcard checks and compiles the operand text s.
func compileWildcard(s string) (*wildcard, error) {
	w := &wildcard{}
	var cur []byte
	prevStar := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*':
			if prevStar {
				return nil, fmt.Errorf("consecutive wildcard characters at index %d", i)
			}
			w.segs = append(w.segs, cur)
			cur = nil
			prevStar = true
			continue
		case '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf(`unfinished escape at index %d; write \\ for a backslash`, i)
			}
			if s[i+1] != '*' && s[i+1] != '\\' {
				end := i + 2
				for end < len(s) && s[end]&0xC0 == 0x80 {
					end++
				}
				return nil, fmt.Errorf(`invalid escape %q at index %d; only \* and \\ are allowed`, s[i:end], i)
			}
			i++
			cur = append(cur, s[i])
		default:
			cur = append(cur, s[i])
		}
		prevStar = false
	}
	w.segs = append(w.segs, cur)
	return w, nil
}

// match reports whether s matches. Literal segments between stars are
// found leftmost-first, which is exact for patterns whose only
// metacharacter is "*".
func (w *wildcard) match(s []byte) bool {
	segs := w.segs
	first := segs[0]
	if len(segs) == 1 {
		return bytes.Equal(s, first)
	}
	last := segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !bytes.HasPrefix(s, first) || !bytes.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		k := bytes.Index(s, seg)
		if k < 0 {
			return false
		}
		s = s[k+len(seg):]
	}
	return true
}

// hasStar reports whether the operand contains an unescaped star.
func (w *wildcard) hasStar() bool { return len(w.segs) > 1 }

// literal is the text matched by a star-free wildcard.
func (w *wildcard) literal() string { return string(w.segs[0]) }

package writeback

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// NoteLimit is the length limit, in characters, of an ASFF Note.Text and
// of an OCSF finding's comment (BatchUpdateFindingsV2 Comment).
const NoteLimit = 512

// minCap is the shortest Warden's strings are cut to before whole keys of
// its note are dropped.
const minCap = 4

// textKey holds a note that was not a JSON object.
const textKey = "text"

// MergeNote returns the note to write: the existing note with Warden's
// part set under key, so that other tools' keys survive.
//
//   - An existing note that is a JSON object keeps its other keys as they
//     are (compacted); one that is not (free text) is kept under "text"
//     ("note" when key is "text").
//   - The result is a JSON object with sorted keys, at most limit
//     characters long. When it would be longer, Warden's part shrinks
//     deterministically: its strings are cut (with "…") to the longest
//     length that fits, and when even short strings do not fit, its
//     largest values are dropped one at a time.
//   - When the other keys alone leave no room for Warden's part, nothing
//     is written: ok is false and why says so. Other tools' keys are
//     never cut or dropped.
//
// shrunk describes what was cut ("" when nothing was).
func MergeNote(existing, key string, part map[string]any, limit int) (text, shrunk string, ok bool, why string) {
	others, err := otherKeys(existing, key)
	if err != nil {
		return "", "", false, err.Error()
	}
	if noteLen(others, key, nil) > limit {
		return "", "", false, fmt.Sprintf("the note's other keys take %d of its %d characters, leaving no room for Warden's part: the note is not written",
			utf8.RuneCountInString(string(mustJSON(others))), limit)
	}
	warden, err := normalize(part)
	if err != nil {
		return "", "", false, fmt.Sprintf("Warden's note is not JSON: %v", err)
	}
	var dropped []string
	for {
		if noteLen(others, key, warden) <= limit {
			return encodeNote(others, key, warden), shrinkNote(limit, 0, dropped), true, ""
		}
		if fit := fitCap(others, key, warden, limit, maxString(warden)-1); fit >= minCap {
			return encodeNote(others, key, capStrings(warden, fit).(map[string]any)), shrinkNote(limit, fit, dropped), true, ""
		}
		// Drop the key whose value is largest even when cut (ties: the
		// last by name), then try again.
		big, bigLen := "", -1
		for _, k := range sortedKeys(warden) {
			if n := len(mustJSON(capStrings(warden[k], minCap))); n >= bigLen {
				big, bigLen = k, n
			}
		}
		delete(warden, big)
		dropped = append(dropped, big)
	}
}

func shrinkNote(limit, cut int, dropped []string) string {
	var parts []string
	if cut > 0 {
		parts = append(parts, fmt.Sprintf("strings cut to %d characters", cut))
	}
	if len(dropped) > 0 {
		parts = append(parts, "dropped "+strings.Join(dropped, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("Warden's note shrunk to fit %d characters: %s", limit, strings.Join(parts, "; "))
}

// otherKeys parses the existing note without Warden's key.
func otherKeys(existing, key string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	s := strings.TrimSpace(existing)
	if s == "" {
		return out, nil
	}
	if s[0] == '{' {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var m map[string]json.RawMessage
		if err := dec.Decode(&m); err == nil && m != nil {
			if _, err := dec.Token(); err == io.EOF { // nothing after the object
				delete(m, key)
				return m, nil
			}
		}
	}
	tk := textKey
	if key == textKey {
		tk = "note"
	}
	b, err := marshal(existing)
	if err != nil {
		return nil, fmt.Errorf("keeping the existing note: %w", err)
	}
	out[tk] = b
	return out, nil
}

// normalize turns Warden's part into plain JSON values (maps, slices,
// strings, numbers, booleans), so it can be cut.
func normalize(part map[string]any) (map[string]any, error) {
	b, err := marshal(part)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

func encodeNote(others map[string]json.RawMessage, key string, warden map[string]any) string {
	all := make(map[string]json.RawMessage, len(others)+1)
	for k, v := range others {
		all[k] = v
	}
	if warden == nil {
		warden = map[string]any{}
	}
	all[key] = mustJSON(warden)
	return string(mustJSON(all))
}

func noteLen(others map[string]json.RawMessage, key string, warden map[string]any) int {
	return utf8.RuneCountInString(encodeNote(others, key, warden))
}

// fitCap finds the largest string length cap, at most hi, with which the
// note fits; minCap-1 when none does.
func fitCap(others map[string]json.RawMessage, key string, warden map[string]any, limit, hi int) int {
	lo, best := minCap, minCap-1
	for lo <= hi {
		mid := (lo + hi) / 2
		if noteLen(others, key, capStrings(warden, mid).(map[string]any)) <= limit {
			best, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return best
}

// capStrings copies v with every string cut to n characters.
func capStrings(v any, n int) any {
	switch x := v.(type) {
	case string:
		if utf8.RuneCountInString(x) <= n {
			return x
		}
		r := []rune(x)
		return string(r[:n-1]) + "…"
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = capStrings(e, n)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = capStrings(e, n)
		}
		return s
	}
	return v
}

// maxString is the length of the longest string in v.
func maxString(v any) int {
	switch x := v.(type) {
	case string:
		return utf8.RuneCountInString(x)
	case map[string]any:
		n := 0
		for _, e := range x {
			n = max(n, maxString(e))
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n = max(n, maxString(e))
		}
		return n
	}
	return 0
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// marshal encodes v without HTML escaping (the note is not HTML, and
// \u003c would cost five characters of the limit).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// mustJSON encodes values that came from JSON or from normalize.
func mustJSON(v any) []byte {
	b, err := marshal(v)
	if err != nil {
		return []byte("null")
	}
	return b
}

package jsonscan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSkip(t *testing.T) {
	tests := []struct {
		name, in string
		end      int    // expected end offset when ok
		err      string // substring of the error, "" when ok
		atEnd    bool   // error is an unexpected end
	}{
		{name: "empty object", in: `{}`, end: 2},
		{name: "object with space", in: " { \"a\" : [1, 2.5e-3, -0, true, false, null, \"x\\u00e9\"] } tail", end: 56},
		{name: "nested", in: `{"a":{"b":[{"c":{}}]}}`, end: 22},
		{name: "string", in: `"a\"b"`, end: 6},
		{name: "number stops at delimiter", in: `12,`, end: 2},
		{name: "empty input", in: ``, err: "unexpected end", atEnd: true},
		{name: "truncated object", in: `{"a":1`, err: "unexpected end", atEnd: true},
		{name: "truncated string", in: `{"a":"xy`, err: "unexpected end", atEnd: true},
		{name: "truncated escape", in: `"\u00`, err: "unexpected end", atEnd: true},
		{name: "missing colon", in: `{"a" 1}`, err: "want ':'"},
		{name: "bare key", in: `{a:1}`, err: "beginning of an object key"},
		{name: "trailing comma", in: `[1,]`, err: "beginning of a value"},
		{name: "bad escape", in: `"\x"`, err: "string escape"},
		{name: "control char", in: "\"a\nb\"", err: "control character"},
		{name: "leading zero is two values", in: `[01]`, err: "want ',' or ']'"},
		{name: "bad literal", in: `tru`, err: "unexpected end", atEnd: true},
		{name: "wrong literal", in: `nul!`, err: "in literal null"},
		{name: "bad exponent", in: `1e+x`, err: "exponent"},
		{name: "too deep", in: strings.Repeat("[", MaxDepth+1), err: "nesting deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, err := Skip([]byte(tt.in), 0)
			if tt.err == "" {
				if err != nil || end != tt.end {
					t.Fatalf("Skip = %d, %v; want %d, nil", end, err, tt.end)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.err) || se.End != tt.atEnd {
				t.Fatalf("Skip error = %v; want one containing %q (End=%v)", err, tt.err, tt.atEnd)
			}
		})
	}
}

func TestObjectSalvage(t *testing.T) {
	in := []byte(`{"a":1,"findings":[{"Id":"x"},{"Id":"y"},{"Id":"z`)
	var keys []string
	_, err := Object(in, 0, func(k, v []byte) error { keys = append(keys, string(k)); return nil })
	var me *MemberError
	if !errors.As(err, &me) || string(me.Key) != "findings" {
		t.Fatalf("Object error = %v; want a MemberError on findings", err)
	}
	if len(keys) != 1 || keys[0] != "a" {
		t.Fatalf("keys = %v", keys)
	}
	var ids []string
	_, err = Array(in, me.ValueStart, func(i int, v []byte) error { ids = append(ids, string(v)); return nil })
	if !errors.As(err, &me) || me.Index != 2 || len(ids) != 2 {
		t.Fatalf("Array = %v, %v; want 2 elements then a MemberError at index 2", ids, err)
	}
}

func TestUnquoteAndAppend(t *testing.T) {
	for _, s := range []string{"plain", "quote\" back\\ nl\n tab\t ctl\x01", "é ü 日本 \u2028", "bad \xff utf8"} {
		b := AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", s, b, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if got != want {
			t.Errorf("round trip of %q = %q", s, got)
		}
		if u, _ := String(b); u != want {
			t.Errorf("String(%s) = %q, want %q", b, u, want)
		}
	}
	if !KeyIs([]byte(`\u0049d`), "Id") || KeyIs([]byte("id"), "Id") {
		t.Error("KeyIs does not decode escapes or is case-insensitive")
	}
	if got, _ := String([]byte(`"\ud83d\ude00 \ud800 x"`)); got != "😀 \ufffd x" {
		t.Errorf("surrogates: %q", got)
	}
}

// FuzzSkip checks Skip against encoding/json: a whole input is one valid
// value for both or for neither.
func FuzzSkip(f *testing.F) {
	for _, s := range []string{`{}`, `[1,2]`, `{"a":"\u00e9"}`, `"x"`, `-1.5e3`, `{"a":[true,false,null]}`, `{"a" 1}`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		end, err := Skip(data, 0)
		ours := err == nil && SkipSpace(data, end) == len(data)
		if err == nil && (end <= 0 || end > len(data)) {
			t.Fatalf("end %d out of range", end)
		}
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("error of type %T", err)
		}
		if err != nil && strings.Contains(err.Error(), "nesting deeper") {
			return
		}
		if std := json.Valid(data); ours != std {
			t.Fatalf("Skip says valid=%v (%v), encoding/json says %v for %q", ours, err, std, data)
		}
	})
}

// FuzzTrusted: on input Skip accepts, Members and Elements find the same
// members and elements as Object and Array; on any input they do not panic.
func FuzzTrusted(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":{"c":"}\"]"},"d":[1,[2]]}`, `[{"a":"x\\"},"\\\\",3,true,null]`, `{"a":"\u0022"}`, `{"a" 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a, b []string
		_, errA := Object(data, 0, func(k, v []byte) error { a = append(a, string(k)+"="+string(v)); return nil })
		errB := Members(data, func(k, v []byte) error { b = append(b, string(k)+"="+string(v)); return nil })
		if errA == nil && (errB != nil || strings.Join(a, "\x00") != strings.Join(b, "\x00")) {
			t.Fatalf("Object %q, Members %q (%v)", a, b, errB)
		}
		a, b = nil, nil
		_, errA = Array(data, 0, func(i int, v []byte) error { a = append(a, string(v)); return nil })
		errB = Elements(data, func(i int, v []byte) error { b = append(b, string(v)); return nil })
		if errA == nil && (errB != nil || strings.Join(a, "\x00") != strings.Join(b, "\x00")) {
			t.Fatalf("Array %q, Elements %q (%v)", a, b, errB)
		}
	})
}

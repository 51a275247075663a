package writeback

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMergeNote(t *testing.T) {
	w := map[string]any{"verdict": "notify", "tier": 3, "ticket": "SEC-12"}
	const wj = `"warden":{"ticket":"SEC-12","tier":3,"verdict":"notify"}`
	long := strings.Repeat("r", 600)
	for _, tc := range []struct {
		name     string
		existing string
		key      string
		part     map[string]any
		want     string
		shrunk   string
		notOK    string
	}{
		{name: "empty", existing: "", want: `{` + wj + `}`},
		{name: "blank", existing: "  \n", want: `{` + wj + `}`},
		{name: "other tools kept", existing: `{ "soar": {"case": 42, "url": "https://x/<1>"}, "a": "b" }`,
			want: `{"a":"b","soar":{"case":42,"url":"https://x/<1>"},` + wj + `}`},
		{name: "old warden part replaced", existing: `{"warden":{"verdict":"suppressed","old":true},"z":1}`, want: `{` + wj + `,"z":1}`},
		{name: "free text kept", existing: "Checked by Bob: false positive", want: `{"text":"Checked by Bob: false positive",` + wj + `}`},
		{name: "free text, key text", existing: "hi", key: "text", want: `{"note":"hi","text":{"ticket":"SEC-12","tier":3,"verdict":"notify"}}`},
		{name: "json array is text", existing: `[1,2]`, want: `{"text":"[1,2]",` + wj + `}`},
		{name: "trailing garbage is text", existing: `{"a":1} and more`, want: `{"text":"{\"a\":1} and more",` + wj + `}`},
		{name: "big numbers kept exactly", existing: `{"n":12345678901234567890.5}`, want: `{"n":12345678901234567890.5,` + wj + `}`},
		{name: "strings cut", part: map[string]any{"reason": long, "verdict": "notify"},
			want:   `{"warden":{"reason":"` + strings.Repeat("r", 468) + `…","verdict":"notify"}}`,
			shrunk: "Warden's note shrunk to fit 512 characters: strings cut to 469 characters"},
		{name: "strings cut around other keys", existing: `{"soar":"` + strings.Repeat("s", 300) + `"}`, part: map[string]any{"reason": long, "rules": []any{"a-rule", long}},
			want:   `{"soar":"` + strings.Repeat("s", 300) + `","warden":{"reason":"` + strings.Repeat("r", 77) + `…","rules":["a-rule","` + strings.Repeat("r", 77) + `…"]}}`,
			shrunk: "strings cut to 78 characters"},
		{name: "keys dropped", existing: `{"soar":"` + strings.Repeat("s", 440) + `"}`,
			part:   map[string]any{"rules": []any{"aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff", "gggg", "hhhh"}, "verdict": "notify", "tier": 3},
			want:   `{"soar":"` + strings.Repeat("s", 440) + `","warden":{"tier":3,"verdict":"notify"}}`,
			shrunk: "dropped rules"},
		{name: "other keys too big", existing: `{"soar":"` + strings.Repeat("s", 520) + `"}`, notOK: "the note's other keys take 531 of its 512 characters"},
		{name: "free text too big", existing: strings.Repeat("t", 600), notOK: "leaving no room for Warden's part"},
		{name: "unicode counted in characters", part: map[string]any{"reason": strings.Repeat("é", 600)},
			want:   `{"warden":{"reason":"` + strings.Repeat("é", 487) + `…"}}`,
			shrunk: "strings cut to 488"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, part := tc.key, tc.part
			if key == "" {
				key = "warden"
			}
			if part == nil {
				part = w
			}
			got, shrunk, ok, why := MergeNote(tc.existing, key, part, NoteLimit)
			if tc.notOK != "" {
				if ok || !strings.Contains(why, tc.notOK) || got != "" {
					t.Fatalf("got %q ok %v why %q; want not ok: %q", got, ok, why, tc.notOK)
				}
				return
			}
			if !ok {
				t.Fatalf("not ok: %s", why)
			}
			if got != tc.want {
				t.Errorf("note\n got %s\nwant %s", got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > NoteLimit {
				t.Errorf("note has %d characters", n)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("note is not JSON")
			}
			if !strings.Contains(shrunk, tc.shrunk) || (tc.shrunk == "") != (shrunk == "") {
				t.Errorf("shrunk %q, want %q", shrunk, tc.shrunk)
			}
			// Deterministic: the same input gives the same note.
			if again, _, _, _ := MergeNote(tc.existing, key, part, NoteLimit); again != got {
				t.Errorf("second merge differs: %s", again)
			}
		})
	}
}

func TestFieldsMap(t *testing.T) {
	got := Fields{Tier: 2, Owner: "payments@example.com", Environment: "prod", Rules: []string{"s3-public", " ", "route-payments"}, Ticket: "SEC-9"}.Map()
	want := map[string]string{"tier": "2", "owner": "payments@example.com", "environment": "prod", "rules": "s3-public,route-payments", "ticket": "SEC-9"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if m := (Fields{}).Map(); len(m) != 0 {
		t.Errorf("empty fields give %v", m)
	}
	var rules []string
	for i := range 200 {
		rules = append(rules, "rule-"+strings.Repeat("x", 5)+string(rune('a'+i%26)))
	}
	r := Fields{Rules: rules}.Map()["rules"]
	if n := utf8.RuneCountInString(r); n > MaxFieldValue || !strings.HasSuffix(r, ",…") {
		t.Fatalf("rules %d characters, ends %q", n, r[len(r)-8:])
	}
	for _, p := range strings.Split(strings.TrimSuffix(r, ",…"), ",") {
		if len(p) != len("rule-xxxxxa") {
			t.Fatalf("rule cut mid-name: %q", p)
		}
	}
}

func TestCheckFields(t *testing.T) {
	in := map[string]string{
		strings.Repeat("k", 129): "v",
		"empty":                  "",
		"a-long":                 strings.Repeat("v", 1100),
		"a-ok":                   "fine",
	}
	for i := range 60 {
		in["z"+string(rune('A'+i/26))+string(rune('a'+i%26))] = "x"
	}
	out, notes := checkFields(in)
	if len(out) != MaxFields {
		t.Errorf("%d fields, want %d", len(out), MaxFields)
	}
	if utf8.RuneCountInString(out["a-long"]) != MaxFieldValue {
		t.Errorf("long value not cut")
	}
	if _, ok := out["empty"]; ok {
		t.Errorf("empty value kept")
	}
	joined := strings.Join(notes, "\n")
	for _, w := range []string{"keys are 1 to 128 characters", "empty dropped: empty value", "a-long cut to 1024", "dropped: at most 50 fields"} {
		if !strings.Contains(joined, w) {
			t.Errorf("notes lack %q:\n%s", w, joined)
		}
	}
}

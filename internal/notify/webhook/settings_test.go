package webhook

import (
	"strings"
	"testing"
)

func TestSettingsReaders(t *testing.T) {
	s := Settings{"a": "x", "n": 3.0, "ref": "env:X", "inline": "xoxb-s3cr3t", "m": map[string]any{"k": "v"}, "bad": map[string]any{"k": true}, "null": nil}
	if err := s.Check("a", "n", "ref", "inline", "m", "bad", "null"); err != nil {
		t.Error(err)
	}
	if err := s.Check("a"); err == nil || !strings.Contains(err.Error(), "setting bad: unknown (known: a)") {
		t.Errorf("Check: %v", err)
	}
	if v, err := s.String("a"); v != "x" || err != nil {
		t.Errorf("String(a) = %q, %v", v, err)
	}
	if v, err := s.String("missing"); v != "" || err != nil {
		t.Errorf("String(missing) = %q, %v", v, err)
	}
	if v, err := s.String("null"); v != "" || err != nil {
		t.Errorf("String(null) = %q, %v", v, err)
	}
	if _, err := s.String("n"); err == nil || err.Error() != "setting n: must be a string, not a number" {
		t.Errorf("String(n): %v", err)
	}
	if v, err := s.Ref("ref"); v != "env:X" || err != nil {
		t.Errorf("Ref(ref) = %q, %v", v, err)
	}
	if _, err := s.Ref("inline"); err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "setting inline: is a secret") {
		t.Errorf("Ref(inline): %v", err)
	}
	if m, err := s.StringMap("m"); err != nil || m["k"] != "v" {
		t.Errorf("StringMap(m) = %v, %v", m, err)
	}
	if _, err := s.StringMap("bad"); err == nil || err.Error() != "setting bad.k: must be a string, not a boolean" {
		t.Errorf("StringMap(bad): %v", err)
	}
	if _, err := s.StringMap("a"); err == nil || err.Error() != "setting a: must be a map of strings, not a string" {
		t.Errorf("StringMap(a): %v", err)
	}
}

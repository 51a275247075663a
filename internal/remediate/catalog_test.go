package remediate

import (
	"strings"
	"testing"
)

func TestCatalog(t *testing.T) {
	for name, s := range Catalog {
		if s.Name != name || s.Description == "" {
			t.Errorf("catalog entry %q is incomplete", name)
		}
	}
	if !Catalog["ec2-isolate"].Destructive || Catalog["cloudtrail-restart-logging"].Destructive {
		t.Error("destructive flags wrong")
	}
}

func TestCheckParams(t *testing.T) {
	s := Catalog["http-request"]
	tests := []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"url": "https://example.com"}, ""},
		{map[string]any{}, `"url" is required`},
		{map[string]any{"url": "u", "methd": "GET"}, `no parameter "methd"`},
		{map[string]any{"url": 5}, "params.url: want string"},
		{map[string]any{"url": "u", "headers": []any{"a", 1}}, ""},
		{map[string]any{"url": "u", "headers": "a"}, "params.headers: want strings"},
	}
	for _, tt := range tests {
		var msgs []string
		for _, e := range s.CheckParams(tt.params) {
			msgs = append(msgs, e.Error())
		}
		got := strings.Join(msgs, "; ")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("CheckParams(%v) = %q, want %q", tt.params, got, tt.want)
		}
	}
}

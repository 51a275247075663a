package normalize

import (
	"encoding/json"
	"testing"
)

func TestWithDerived(t *testing.T) {
	tests := []struct {
		raw      string
		addP     bool
		addR     bool
		wantKeys map[string]string
	}{
		{`{"Id":"x"}`, true, true, map[string]string{"Id": "x", "ProductName": "Security Hub", "Region": "us-east-1"}},
		{`  {"Id":"x","Region":"eu-west-1"}`, true, false, map[string]string{"ProductName": "Security Hub", "Region": "eu-west-1"}},
		{`{}`, true, true, map[string]string{"ProductName": "Security Hub", "Region": "us-east-1"}},
		{`{"Id":"x"}`, false, false, map[string]string{"Id": "x"}},
	}
	for _, tt := range tests {
		out := withDerived([]byte(tt.raw), tt.addP, "Security Hub", tt.addR, "us-east-1")
		var m map[string]string
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s -> %s: %v", tt.raw, out, err)
		}
		for k, v := range tt.wantKeys {
			if m[k] != v {
				t.Errorf("%s -> %s: %s = %q, want %q", tt.raw, out, k, m[k], v)
			}
		}
	}
}

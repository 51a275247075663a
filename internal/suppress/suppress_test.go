package suppress

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/policy"
)

func TestCheckAndRegister(t *testing.T) {
	ps, err := policy.Load(filepath.Join("..", "policy", "testdata", "good"))
	if err != nil {
		t.Fatal(err)
	}
	var sandbox, old *policy.CompiledRule
	for _, r := range ps.Rules {
		switch r.ID {
		case "sandbox-vpc":
			sandbox = r
		case "old-risk":
			old = r
		}
	}
	tests := []struct {
		now         time.Time
		active      string
		expired     int
		wantDaysLft int
	}{
		{time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), "old-risk", 0, 514},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "sandbox-vpc", 1, 514},
		{time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC), "", 2, -1},
	}
	for _, tt := range tests {
		a, exp := Check([]*policy.CompiledRule{old, sandbox}, tt.now)
		got := ""
		if a != nil {
			got = a.Rule
		}
		if got != tt.active || len(exp) != tt.expired {
			t.Errorf("at %s: active %q expired %d, want %q %d", tt.now, got, len(exp), tt.active, tt.expired)
		}
	}
	reg := Register(ps, map[string]int{"sandbox-vpc": 7}, time.Date(2027, 6, 5, 12, 0, 0, 0, time.UTC))
	if len(reg) != 2 || reg[0].Rule != "old-risk" || !reg[0].Expired || reg[0].DaysLeft >= 0 {
		t.Fatalf("register[0] = %+v", reg[0])
	}
	s := reg[1]
	if s.Rule != "sandbox-vpc" || s.Hides != 7 || s.Expired || !s.ExpiringSoon || s.DaysLeft != 25 || s.AgeDays != 520 {
		t.Errorf("register[1] = %+v", s)
	}
}

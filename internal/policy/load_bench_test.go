package policy_test

import (
	"testing"

	"github.com/wardenhq/warden/internal/bench"
	"github.com/wardenhq/warden/internal/policy"
)

// BenchmarkLoad measures start-up: reading, validating and compiling a
// policy repo of 1,000 rules, 200 accounts and the built-in detections.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	if err := bench.WriteRepo(dir, 1000, 1); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := policy.Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

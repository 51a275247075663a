package source

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// BenchmarkRead measures cutting JSON Lines of corpus findings into
// records, reporting records/s.
func BenchmarkRead(b *testing.B) {
	finding, err := os.ReadFile("../../../shared/corpus/asr-simdata/afsbp-ec2.2.json")
	if err != nil {
		b.Skip("corpus not found:", err)
	}
	var line bytes.Buffer
	for _, c := range finding {
		if c != '\n' {
			line.WriteByte(c)
		}
	}
	line.WriteByte('\n')
	const n = 1000
	data := bytes.Repeat(line.Bytes(), n)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	records := 0
	for b.Loop() {
		Read(context.Background(), Stdin, bytes.NewReader(data), func(Record) error { records++; return nil }, nil)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

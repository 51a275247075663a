package normalize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/source"
)

// BenchmarkDecode measures Decode per format, reporting findings (or
// events) per second on one core. The ASFF cases also run with
// encoding/json alone ("-std") for comparison.
func BenchmarkDecode(b *testing.B) {
	panther := func() []byte {
		data, err := os.ReadFile(filepath.Join(corpus, "panther-cloudtrail", "events.jsonl"))
		if err != nil {
			return nil
		}
		var row struct{ Event json.RawMessage }
		json.Unmarshal(data[:indexByte(data, '\n')], &row)
		return row.Event
	}
	read := func(path string) []byte {
		data, _ := os.ReadFile(path)
		return data
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"asff-envelope", read(filepath.Join(corpus, "asr-simdata", "cis23.json"))},
		{"asff-bare", read(filepath.Join(corpus, "asr-simdata", "afsbp-ec2.2.json"))},
		{"asff-guardduty-envelope", read("testdata/asff-guardduty-ec2-ssh-bruteforce.json")},
		{"guardduty", read("testdata/guardduty-ec2-ssh-bruteforce.json")},
		{"ocsf", read("testdata/ocsf-guardduty-ec2-ssh-bruteforce.json")},
		{"cloudtrail-record", panther()},
		{"config", read("testdata/config-noncompliant.json")},
	}
	for _, c := range cases {
		if len(c.data) == 0 {
			b.Logf("%s: input not found, skipped", c.name)
			continue
		}
		run := func(b *testing.B) {
			rec := source.Record{Data: c.data, Origin: finding.Origin{Source: "bench"}}
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				res := Decode(rec)
				if len(res.Errors) > 0 {
					b.Fatal(res.Errors[0])
				}
				n += len(res.Findings) + len(res.Events)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "findings/s")
		}
		b.Run(c.name, run)
		if c.name == "asff-envelope" || c.name == "asff-bare" {
			b.Run(c.name+"-std", func(b *testing.B) {
				fastDecode = false
				defer func() { fastDecode = true }()
				run(b)
			})
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return len(b)
}

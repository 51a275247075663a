package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
)

// generatedRules returns n synthetic detections shaped like the ones
// people write: event source and name lists, prefixes, error codes,
// principal types, bucket-name suffixes, source CIDRs, anything-but. Most
// do not match the benchmark events, as in production, where a handful of
// detections fire on a small share of events.
func generatedRules(n int) []Rule {
	services := []string{"iam", "s3", "ec2", "kms", "lambda", "sts", "rds", "cloudtrail", "guardduty", "secretsmanager", "ssm", "ecr"}
	verbs := []string{"Create", "Delete", "Put", "Update", "Attach", "Detach", "Modify", "Get", "List", "Describe"}
	rules := make([]Rule, n)
	for i := range rules {
		svc := services[i%len(services)] + ".amazonaws.com"
		name := fmt.Sprintf("%sResource%d", verbs[i%len(verbs)], i)
		var detail map[string]any
		switch i % 6 {
		case 0:
			detail = map[string]any{"eventSource": []any{svc}, "eventName": []any{name, name + "V2"}}
		case 1:
			detail = map[string]any{"eventSource": []any{svc}, "eventName": []any{map[string]any{"prefix": fmt.Sprintf("%sThing%d", verbs[i%len(verbs)], i)}},
				"userIdentity": map[string]any{"type": []any{"IAMUser", "AssumedRole"}}}
		case 2:
			detail = map[string]any{"eventName": []any{name}, "errorCode": []any{map[string]any{"exists": true}}}
		case 3:
			detail = map[string]any{"eventSource": []any{"s3.amazonaws.com"}, "eventName": []any{name},
				"requestParameters": map[string]any{"bucketName": []any{map[string]any{"suffix": fmt.Sprintf("-prod-%d", i)}}}}
		case 4:
			detail = map[string]any{"eventName": []any{name}, "sourceIPAddress": []any{map[string]any{"cidr": fmt.Sprintf("10.%d.0.0/16", i%256)}}}
		case 5:
			detail = map[string]any{"eventSource": []any{svc}, "eventName": []any{name},
				"userAgent": []any{map[string]any{"anything-but": map[string]any{"prefix": "aws-internal"}}}}
		}
		rules[i] = Rule{
			ID:       fmt.Sprintf("gen.rule-%04d", i),
			Title:    "generated {event_name}",
			Severity: "LOW",
			Match:    map[string]any{"detail": detail},
		}
	}
	return rules
}

// BenchmarkDetect runs detection over the Panther CloudTrail records
// wrapped as EventBridge events, one event per iteration, and reports
// events/s. Findings are built for every match, as in production.
//
//	go test -run '^$' -bench BenchmarkDetect -benchmem -cpu 1 ./internal/detect/
func BenchmarkDetect(b *testing.B) {
	recs := loadPanther(b)
	events := make([][]byte, len(recs))
	for i, r := range recs {
		events[i] = envelope(b, r.Event)
	}
	builtin, err := LoadBuiltin()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		rules []Rule
	}{
		{"builtin", builtin},
		{"builtin+1000", append(append([]Rule{}, builtin...), generatedRules(1000)...)},
	} {
		e, err := New(bc.rules)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			var out []*finding.Finding
			matched := 0
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				out, err = e.Detect(events[i%len(events)], finding.Origin{Index: i}, out[:0])
				if err != nil {
					b.Fatal(err)
				}
				matched += len(out)
			}
			reportRates(b, cpu0)
			b.ReportMetric(float64(matched)/float64(b.N), "findings/event")
		})
	}
}

// BenchmarkMatchOnly is the hot path without building findings: events
// that match nothing cost only the Set.Match.
func BenchmarkMatchOnly(b *testing.B) {
	recs := loadPanther(b)
	events := make([][]byte, len(recs))
	for i, r := range recs {
		events[i] = envelope(b, r.Event)
	}
	builtin, _ := LoadBuiltin()
	e, err := New(append(append([]Rule{}, builtin...), generatedRules(1000)...))
	if err != nil {
		b.Fatal(err)
	}
	var buf []int
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		buf, _ = e.set.Match(events[i%len(events)], buf[:0])
	}
	reportRates(b, cpu0)
}

// reportRates reports events/s by wall clock and by process CPU time (the
// latter is what one dedicated core would do; on a shared machine the two
// differ).
func reportRates(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
}

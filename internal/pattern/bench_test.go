package pattern

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vocab collects, from sample events, the values realistic patterns name.
type vocab struct {
	r      *rand.Rand
	values map[string][]string // dotted path -> distinct string values seen
}

func newVocab(events [][]byte, seed uint64) *vocab {
	v := &vocab{r: rand.New(rand.NewPCG(seed, 7)), values: map[string][]string{}}
	seen := map[string]bool{}
	for _, ev := range events {
		var m any
		if err := json.Unmarshal(ev, &m); err != nil {
			continue
		}
		var walk func(x any, path string)
		walk = func(x any, path string) {
			switch t := x.(type) {
			case map[string]any:
				for k, e := range t {
					p := k
					if path != "" {
						p = path + "." + k
					}
					walk(e, p)
				}
			case []any:
				for _, e := range t {
					walk(e, path)
				}
			case string:
				if k := path + "\x00" + t; !seen[k] {
					seen[k] = true
					v.values[path] = append(v.values[path], t)
				}
			}
		}
		walk(m, "")
	}
	// names:<eventSource> lists the event names seen for each service.
	for _, ev := range events {
		var e struct {
			Detail struct {
				EventSource string `json:"eventSource"`
				EventName   string `json:"eventName"`
			} `json:"detail"`
		}
		if json.Unmarshal(ev, &e) == nil && e.Detail.EventName != "" {
			k := "names:" + e.Detail.EventSource
			if !seen[k+"\x00"+e.Detail.EventName] {
				seen[k+"\x00"+e.Detail.EventName] = true
				v.values[k] = append(v.values[k], e.Detail.EventName)
			}
		}
	}
	for k := range v.values {
		slices.Sort(v.values[k])
	}
	return v
}

// pick returns a value seen at path (or a made-up one if none was).
func (v *vocab) pick(path string) string {
	vals := v.values[path]
	if len(vals) == 0 {
		return fmt.Sprintf("none-%d", v.r.IntN(100))
	}
	return vals[v.r.IntN(len(vals))]
}

func (v *vocab) picks(path string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		b, _ := json.Marshal(v.pick(path))
		parts[i] = string(b)
	}
	return strings.Join(parts, ",")
}

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

// cloudTrailPatterns generates n detection-style patterns over the
// envelope: exact lists on eventSource/eventName, prefixes on the actor's
// ARN, anything-but, numeric, cidr and $or, in proportions a detection
// pack might have. A few have no exact condition and so run on every event.
func cloudTrailPatterns(tb testing.TB, events [][]byte, n int) []*Pattern {
	v := newVocab(events, 42)
	var out []*Pattern
	for i := 0; len(out) < n; i++ {
		// Rules are coherent: the event names a rule lists belong to the
		// service it names.
		es := v.pick("detail.eventSource")
		src := "aws." + strings.TrimSuffix(es, ".amazonaws.com")
		names := v.picks("names:"+es, 1+v.r.IntN(4))
		var s string
		switch v.r.IntN(20) {
		case 0, 1, 2, 3, 4, 5:
			s = fmt.Sprintf(`{"source":[%s],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":[%s],"eventName":[%s]}}`,
				q(src), q(es), names)
		case 6, 7, 8:
			s = fmt.Sprintf(`{"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":[%s],"userIdentity":{"arn":[{"prefix":%s}]}}}`,
				names, q("arn:aws:iam::"+strings.Split(v.pick("detail.userIdentity.accountId")+"::", ":")[0]))
		case 9, 10:
			s = fmt.Sprintf(`{"detail":{"eventSource":[%s],"eventName":[%s],"userIdentity":{"type":[{"anything-but":["AWSService","AWSAccount"]}]}}}`,
				q(es), names)
		case 11, 12:
			s = fmt.Sprintf(`{"source":[%s],"detail":{"eventName":[%s],"errorCode":[{"exists":false}],"readOnly":[false]}}`,
				q(src), names)
		case 13:
			s = fmt.Sprintf(`{"detail":{"eventName":[%s],"sourceIPAddress":[{"cidr":"203.0.113.0/24"},{"cidr":"2001:db8::/32"}]}}`, names)
		case 14:
			s = fmt.Sprintf(`{"source":[%s],"detail":{"$or":[{"eventName":[%s]},{"errorCode":[%s]}]}}`,
				q(src), names, v.picks("detail.errorCode", 1))
		case 15:
			s = fmt.Sprintf(`{"detail":{"eventSource":["s3.amazonaws.com"],"eventName":[%s],"additionalEventData":{"bytesTransferredOut":[{"numeric":[">",%d]}]}}}`,
				names, 1000*(1+v.r.IntN(1000)))
		case 16:
			s = fmt.Sprintf(`{"detail":{"eventName":[{"prefix":%s}],"awsRegion":[{"anything-but":{"prefix":"us-"}}],"eventSource":[%s]}}`,
				q(v.pick("detail.eventName")[:3]), q(es))
		case 17:
			s = fmt.Sprintf(`{"detail":{"userIdentity":{"type":["Root"]},"eventType":[{"anything-but":"AwsServiceEvent"}],"eventName":[%s]}}`, names)
		case 18:
			s = fmt.Sprintf(`{"detail":{"eventName":[%s],"requestParameters":{"$or":[{"bucketName":[{"exists":true}]},{"roleName":[{"wildcard":"*admin*"}]}]}}}`, names)
		default:
			// No exact field: evaluated for every event. Keep these rare,
			// as in real rule packs.
			if v.r.IntN(4) == 0 {
				s = fmt.Sprintf(`{"detail":{"userIdentity":{"arn":[{"suffix":%s}]},"sourceIPAddress":[{"cidr":"10.%d.0.0/16"}]}}`,
					q(":root"), v.r.IntN(256))
			} else {
				s = fmt.Sprintf(`{"detail":{"eventSource":[%s],"eventName":[%s]}}`, q(es), names)
			}
		}
		p, err := Parse([]byte(s))
		if err != nil {
			tb.Fatalf("generated pattern %s: %v", s, err)
		}
		out = append(out, p)
	}
	return out
}

// asffPatterns generates n finding-policy patterns over ASFF.
func asffPatterns(tb testing.TB, events [][]byte, n int) []*Pattern {
	v := newVocab(events, 43)
	var out []*Pattern
	for len(out) < n {
		var s string
		switch v.r.IntN(8) {
		case 0, 1:
			s = fmt.Sprintf(`{"ProductFields":{"ControlId":[%s]},"Severity":{"Label":["HIGH","CRITICAL"]}}`, v.picks("ProductFields.ControlId", 1+v.r.IntN(3)))
		case 2:
			s = fmt.Sprintf(`{"Compliance":{"Status":["FAILED","WARNING"]},"GeneratorId":[{"prefix":%s}],"Resources":{"Type":[%s]}}`,
				q(strings.SplitN(v.pick("GeneratorId"), "/", 2)[0]), v.picks("Resources.Type", 2))
		case 3:
			s = fmt.Sprintf(`{"RecordState":["ACTIVE"],"Workflow":{"Status":["NEW","NOTIFIED"]},"Resources":{"Type":[%s]},"Severity":{"Normalized":[{"numeric":[">=",%d]}]}}`,
				v.picks("Resources.Type", 1), 10*v.r.IntN(10))
		case 4:
			s = fmt.Sprintf(`{"Resources":{"Type":[%s],"Region":[{"anything-but":["us-gov-west-1","cn-north-1"]}]},"Compliance":{"Status":[{"anything-but":"PASSED"}]}}`,
				v.picks("Resources.Type", 1))
		case 5:
			s = fmt.Sprintf(`{"$or":[{"ProductFields":{"ControlId":[%s]}},{"Title":[{"wildcard":%s}]}],"RecordState":["ACTIVE"]}`,
				v.picks("ProductFields.ControlId", 1), q("*"+strings.Fields(v.pick("Title") + " x")[0]+"*"))
		case 6:
			s = fmt.Sprintf(`{"detail-type":["Security Hub Findings - Imported","Security Hub Findings - Custom Action"],"detail":{"findings":{"ProductFields":{"ControlId":[%s]},"Compliance":{"Status":["FAILED"]}}}}`,
				v.picks("detail.findings.ProductFields.ControlId", 1))
		default:
			s = fmt.Sprintf(`{"AwsAccountId":[%s],"Severity":{"Label":[{"equals-ignore-case":"critical"}]},"ProductFields":{"StandardsArn":[{"prefix":"arn:aws:securityhub:::standards/"}]},"Types":[{"prefix":"Software and Configuration Checks"}],"Id":[%s]}`,
				v.picks("AwsAccountId", 1), v.picks("Id", 1))
		}
		p, err := Parse([]byte(s))
		if err != nil {
			tb.Fatalf("generated pattern %s: %v", s, err)
		}
		out = append(out, p)
	}
	return out
}

// cpuTime is the CPU time the process has used. On a shared machine
// wall-clock ns/op includes time spent waiting for a core; CPU time per
// event is the per-core cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRate reports events/s by wall clock and, from CPU time, the cost
// per event and the events/s one core sustains.
func reportRate(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
}

func buildSet(pats []*Pattern) *Set {
	b := NewBuilder()
	for i, p := range pats {
		b.Add(i, p)
	}
	return b.Build()
}

func benchSet(b *testing.B, events [][]byte, pats []*Pattern) {
	set := buildSet(pats)
	var dst []int
	total := 0
	for _, ev := range events {
		dst, _ = set.Match(ev, dst[:0])
		total += len(dst)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	i := 0
	for b.Loop() {
		var err error
		dst, err = set.Match(events[i%len(events)], dst[:0])
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRate(b, cpuTime()-cpu)
	b.ReportMetric(float64(total)/float64(len(events)), "matches/event")
}

// BenchmarkSetMatch matches CloudTrail events (EventBridge envelope) against
// sets of generated detection patterns.
func BenchmarkSetMatch(b *testing.B) {
	events := cloudTrailEvents(b)
	for _, n := range []int{10, 100, 1000} {
		pats := cloudTrailPatterns(b, events, n)
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) { benchSet(b, events, pats) })
	}
}

// BenchmarkSetMatchASFF matches ASFF findings against sets of generated
// finding-policy patterns.
func BenchmarkSetMatchASFF(b *testing.B) {
	events := asffFindings(b)
	for _, n := range []int{10, 100, 1000} {
		pats := asffPatterns(b, events, n)
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) { benchSet(b, events, pats) })
	}
}

// BenchmarkPatternMatch is one pattern, matched on its own.
func BenchmarkPatternMatch(b *testing.B) {
	events := cloudTrailEvents(b)
	p, err := Parse([]byte(`{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging","DeleteTrail","UpdateTrail"]}}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	i := 0
	for b.Loop() {
		if _, err := p.Match(events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRate(b, cpuTime()-cpu)
}

// BenchmarkParse parses a typical detection pattern.
func BenchmarkParse(b *testing.B) {
	src := []byte(`{"source":["aws.iam"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["CreateAccessKey","DeleteAccessKey","UpdateAccessKey"],"userIdentity":{"arn":[{"prefix":"arn:aws:iam::123456789012:user/"}],"type":[{"anything-but":["AWSService"]}]},"sourceIPAddress":[{"cidr":"203.0.113.0/24"}],"$or":[{"errorCode":[{"exists":false}]},{"errorCode":["AccessDenied"]}]}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild compiles a set of 1000 patterns.
func BenchmarkBuild(b *testing.B) {
	pats := cloudTrailPatterns(b, cloudTrailEvents(b), 1000)
	b.ReportAllocs()
	for b.Loop() {
		buildSet(pats)
	}
}

package pattern

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Edge cases where the AWS documentation is silent; doc.go and
// docs/PATTERNS.md record each choice.
func TestEdgeSemantics(t *testing.T) {
	runMatchCases(t, []matchCase{
		// Arrays in the event are transparent, at any depth.
		{"arrays/objects in array", `{"a":{"b":[2]}}`, `{"a":[{"b":1},{"b":2}]}`, true},
		{"arrays/array of arrays", `{"a":[3]}`, `{"a":[[1,2],[3]]}`, true},
		{"arrays/array inside object inside array", `{"a":{"b":{"c":["x"]}}}`, `{"a":[{"b":[{"c":["y","x"]}]}]}`, true},
		{"arrays/same element required", `{"r":{"type":["AwsS3Bucket"],"region":["eu-west-1"]}}`, `{"r":[{"type":"AwsS3Bucket","region":"us-east-1"},{"type":"AwsIamRole","region":"eu-west-1"}]}`, false},
		{"arrays/same element found", `{"r":{"type":["AwsS3Bucket"],"region":["eu-west-1"]}}`, `{"r":[{"type":"AwsS3Bucket","region":"us-east-1"},{"type":"AwsS3Bucket","region":"eu-west-1"}]}`, true},
		{"arrays/separate arrays are independent", `{"a":{"x":[1]},"b":{"y":[2]}}`, `{"a":[{"x":0},{"x":1}],"b":[{"y":2},{"y":3}]}`, true},
		{"arrays/inner arrays of one element", `{"a":{"b":{"c":[1],"d":[2]}}}`, `{"a":[{"b":[{"c":1},{"d":2}]}]}`, false},
		{"arrays/outer element shared", `{"a":{"b":{"c":[1]},"e":[3]}}`, `{"a":[{"b":[{"c":1}],"e":3},{"e":4}]}`, true},
		// Anything-but matches if any element is not excluded.
		{"anything-but/array any element", `{"a":[{"anything-but":"x"}]}`, `{"a":["x","y"]}`, true},
		{"anything-but/array all excluded", `{"a":[{"anything-but":["x","y"]}]}`, `{"a":["x","y"]}`, false},
		{"anything-but/empty array", `{"a":[{"anything-but":"x"}]}`, `{"a":[]}`, false},
		{"anything-but/null is not the string", `{"a":[{"anything-but":"x"}]}`, `{"a":null}`, true},
		{"anything-but/number is not a string", `{"a":[{"anything-but":"5"}]}`, `{"a":5}`, true},
		{"anything-but/string is not a number", `{"a":[{"anything-but":5}]}`, `{"a":"5"}`, true},
		{"anything-but/numbers compare as numbers", `{"a":[{"anything-but":[100]}]}`, `{"a":1e2}`, false},
		{"anything-but/prefix on number", `{"a":[{"anything-but":{"prefix":"1"}}]}`, `{"a":123}`, true},
		{"anything-but/object value", `{"a":[{"anything-but":"x"}]}`, `{"a":{"b":"y"}}`, false},
		// Exists and arrays, objects, null.
		{"exists/empty array", `{"a":[{"exists":false}]}`, `{"a":[]}`, true},
		{"exists/empty array not true", `{"a":[{"exists":true}]}`, `{"a":[]}`, false},
		{"exists/null exists", `{"a":[{"exists":true}]}`, `{"a":null}`, true},
		{"exists/empty object", `{"a":[{"exists":false}]}`, `{"a":{}}`, true},
		{"exists/in any element", `{"a":{"b":[{"exists":true}]}}`, `{"a":[{"c":1},{"b":2}]}`, true},
		{"exists/false anywhere in array", `{"a":{"b":[{"exists":false}]}}`, `{"a":[{"c":1},{"b":2}]}`, false},
		{"exists/false with other fields", `{"a":[1],"b":[{"exists":false}]}`, `{"a":1}`, true},
		{"exists/false alone on empty event", `{"a":[{"exists":false}]}`, `{}`, true},
		// Leaves versus objects.
		{"leaf/object is not a value", `{"a":["x"]}`, `{"a":{"b":"x"}}`, false},
		{"leaf/path through a string", `{"a":{"b":["x"]}}`, `{"a":"x"}`, false},
		{"leaf/dotted key is not a path", `{"a":{"b":["x"]}}`, `{"a.b":"x"}`, false},
		// Literals.
		{"literal/true", `{"a":[true]}`, `{"a":true}`, true},
		{"literal/true is not the string", `{"a":[true]}`, `{"a":"true"}`, false},
		{"literal/string is not true", `{"a":["true"]}`, `{"a":true}`, false},
		{"literal/negative zero", `{"a":[0]}`, `{"a":-0}`, false},
		{"literal/numeric zero", `{"a":[{"numeric":["=",0]}]}`, `{"a":-0}`, true},
		// Numeric details.
		{"numeric/bounds open", `{"a":[{"numeric":[">",1,"<",2]}]}`, `{"a":2}`, false},
		{"numeric/bounds closed", `{"a":[{"numeric":[">=",1,"<=",2]}]}`, `{"a":1}`, true},
		{"numeric/huge event value", `{"a":[{"numeric":[">",1]}]}`, `{"a":6e9}`, true},
		{"numeric/unrepresentable", `{"a":[{"numeric":[">",1]}]}`, `{"a":1e400}`, false},
		{"numeric/true is not a number", `{"a":[{"numeric":[">",0]}]}`, `{"a":true}`, false},
		{"numeric/any element", `{"a":[{"numeric":[">",10]}]}`, `{"a":[1,"x",11]}`, true},
		// Case folding beyond ASCII (Unicode simple folding).
		{"fold/accents", `{"a":[{"equals-ignore-case":"émile"}]}`, `{"a":"ÉMILE"}`, true},
		{"fold/kelvin", `{"a":[{"equals-ignore-case":"k"}]}`, `{"a":"\u212a"}`, true},
		{"fold/prefix counts characters", `{"a":[{"prefix":{"equals-ignore-case":"É"}}]}`, `{"a":"éa"}`, true},
		{"fold/suffix", `{"a":[{"suffix":{"equals-ignore-case":"ÉE"}}]}`, `{"a":"xée"}`, true},
		// Escapes in events are decoded before comparing.
		{"escape/unicode", `{"a":["é"]}`, `{"a":"\u00e9"}`, true},
		{"escape/key", `{"a":["x"]}`, `{"\u0061":"x"}`, true},
		{"escape/quote", `{"a":["say \"hi\""]}`, `{"a":"say \"hi\""}`, true},
		{"escape/surrogate pair", `{"a":["😀"]}`, `{"a":"\ud83d\ude00"}`, true},
		// Wildcards.
		{"wildcard/star matches all", `{"a":[{"wildcard":"*"}]}`, `{"a":""}`, true},
		{"wildcard/no star is exact", `{"a":[{"wildcard":"abc"}]}`, `{"a":"abcd"}`, false},
		{"wildcard/overlap", `{"a":[{"wildcard":"ab*ba"}]}`, `{"a":"aba"}`, false},
		{"wildcard/repeated segment", `{"a":[{"wildcard":"*a*a*"}]}`, `{"a":"xaya"}`, true},
		// CIDR details.
		{"cidr/host bits ignored", `{"a":[{"cidr":"10.0.0.7/24"}]}`, `{"a":"10.0.0.200"}`, true},
		{"cidr/mapped event address", `{"a":[{"cidr":"10.0.0.0/24"}]}`, `{"a":"::ffff:10.0.0.9"}`, true},
		{"cidr/zone is not an address", `{"a":[{"cidr":"fe80::/10"}]}`, `{"a":"fe80::1%eth0"}`, false},
		{"cidr/number", `{"a":[{"cidr":"10.0.0.0/8"}]}`, `{"a":10}`, false},
		// $or details.
		{"$or/same field inside and out", `{"a":["x"],"$or":[{"a":["y"]},{"b":[1]}]}`, `{"a":["x","y"]}`, true},
		{"$or/same field must hold both", `{"a":["x"],"$or":[{"a":["y"]},{"b":[1]}]}`, `{"a":"x"}`, false},
		{"$or/in array element", `{"r":{"$or":[{"t":["a"]},{"u":["b"]}],"v":[1]}}`, `{"r":[{"t":"a","v":0},{"u":"b","v":1}]}`, true},
		{"$or/exists false branch", `{"$or":[{"a":[{"exists":false}]},{"a":["x"]}]}`, `{"a":"x"}`, true},
		// Duplicate keys in the event: every occurrence counts.
		{"event duplicates/both seen", `{"a":["x"]}`, `{"a":"y","a":"x"}`, true},
		// Other white space.
		{"whitespace", `{ "a" : [ "x" ] }`, " \n{ \"a\" :\t\"x\" }\r\n", true},
	})
}

func TestMatchEventErrors(t *testing.T) {
	p, err := Parse([]byte(`{"a":["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, event, want string }{
		{"empty", ``, "invalid event JSON at offset 0: empty event"},
		{"array", `[{"a":"x"}]`, "invalid event JSON at offset 0: event must be a JSON object"},
		{"string", `"a"`, "invalid event JSON at offset 0: event must be a JSON object"},
		{"unterminated", `{"a":"x"`, "invalid event JSON at offset 8: unexpected end of event in object"},
		{"trailing", `{"a":"x"} x`, `invalid event JSON at offset 10: unexpected 'x' after the event`},
		{"bad value", `{"a":tru}`, "invalid event JSON at offset 5: invalid literal"},
		{"bad number", `{"a":01}`, "invalid event JSON at offset 6: expected ',' or '}'"},
		{"control char", "{\"a\":\"x\ny\"}", "invalid event JSON at offset 5: malformed string"},
		{"bad escape", `{"a":"\q"}`, "invalid event JSON at offset 5: malformed string"},
		{"skipped bad bracket", `{"b":[1,2}`, `invalid event JSON at offset 9: mismatched '}'`},
		{"skipped unterminated", `{"b":{"c":[1}`, `invalid event JSON at offset 12: mismatched '}'`},
		{"missing colon", `{"a" "x"}`, "invalid event JSON at offset 5: expected ':' after key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Match([]byte(tc.event))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Match error = %v, want %s", err, tc.want)
			}
			var ee *EventError
			if !errors.As(err, &ee) {
				t.Fatalf("error is %T, want *EventError", err)
			}
			b := NewBuilder()
			b.Add(1, p)
			dst := []int{42}
			got, err := b.Build().Match([]byte(tc.event), dst)
			if err == nil || !slices.Equal(got, []int{42}) {
				t.Fatalf("Set.Match = %v, %v; want dst unchanged and an error", got, err)
			}
		})
	}
}

func TestSetMatch(t *testing.T) {
	parse := func(s string) *Pattern {
		p, err := Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ec2 := parse(`{"source":["aws.ec2"]}`)
	state := parse(`{"detail":{"state":["running","terminated"]}}`)
	never := parse(`{"source":["aws.s3"]}`)
	noExact := parse(`{"detail":{"c-count":[{"numeric":[">",1]}]}}`)
	absent := parse(`{"detail":{"missing":[{"exists":false}]}}`)

	b := NewBuilder()
	b.Add(30, ec2)
	b.Add(10, state)
	b.Add(20, never)
	b.Add(10, ec2) // same id again: reported once
	b.Add(5, noExact)
	b.Add(-3, absent)
	b.Add(99, nil) // ignored
	s := b.Build()
	if s.Len() != 5 {
		t.Errorf("Len = %d, want 5", s.Len())
	}
	got, err := s.Match([]byte(rulerEvent), []int{1000})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1000, -3, 5, 10, 30}; !slices.Equal(got, want) {
		t.Errorf("Match = %v, want %v", got, want)
	}
	got, _ = s.Match([]byte(`{"source":"aws.s3","detail":{"missing":1}}`), nil)
	if want := []int{20}; !slices.Equal(got, want) {
		t.Errorf("Match = %v, want %v", got, want)
	}
	empty := NewBuilder().Build()
	if got, err := empty.Match([]byte(rulerEvent), nil); err != nil || len(got) != 0 || empty.Len() != 0 {
		t.Errorf("empty set: %v, %v, Len %d", got, err, empty.Len())
	}
	if _, err := empty.Match([]byte(`{`), nil); err == nil {
		t.Error("empty set accepted invalid JSON")
	}
	// The builder keeps working after Build.
	b.Add(40, never)
	if s2 := b.Build(); s2.Len() != 6 || s.Len() != 5 {
		t.Errorf("rebuild: Len %d, old set Len %d", s2.Len(), s.Len())
	}
}

// TestSetConcurrent runs one Set from many goroutines; run with -race.
func TestSetConcurrent(t *testing.T) {
	b := NewBuilder()
	srcs := []string{
		`{"source":["aws.ec2"],"detail":{"state":["running"]}}`,
		`{"detail":{"c-count":[{"numeric":[">",1]}]}}`,
		`{"detail":{"source-ip":[{"cidr":"10.0.0.0/8"}]}}`,
		`{"resources":[{"prefix":"arn:aws:ec2"}]}`,
	}
	for i, s := range srcs {
		p, err := Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		b.Add(i, p)
	}
	s := b.Build()
	events := [][]byte{[]byte(rulerEvent), []byte(ec2Terminated), []byte(noState)}
	want := make([][]int, len(events))
	for i, ev := range events {
		want[i], _ = s.Match(ev, nil)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dst []int
			for i := range 500 {
				k := (i + g) % len(events)
				dst, _ = s.Match(events[k], dst[:0])
				if !slices.Equal(dst, want[k]) {
					t.Errorf("goroutine %d: got %v, want %v", g, dst, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestPathsAndString(t *testing.T) {
	p, err := Parse([]byte(`{
		"source": ["aws.ec2"],
		"detail": {
			"state": [{"anything-but": ["a", "b"]}, "x\u0001"],
			"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5e0]}]}, {"d": {"e": [null, true, 1.50]}}],
			"ip": [{"cidr": "10.0.0.0/8"}, {"prefix": {"equals-ignore-case": "A"}}]
		},
		"a-b": [{"wildcard": "x\\*y*"}, {"exists": true}]
	}`))
	if err == nil {
		t.Fatal("exists combined with wildcard was accepted")
	}
	p, err = Parse([]byte(`{
		"source": ["aws.ec2"],
		"detail": {
			"state": [{"anything-but": ["a", "b"]}, "x\u0001"],
			"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5e0]}]}, {"d": {"e": [null, true, 1.50]}}],
			"ip": [{"cidr": "10.0.0.0/8"}, {"prefix": {"equals-ignore-case": "A"}}]
		},
		"a-b": [{"wildcard": "x\\*y*"}, {"anything-but": {"suffix": "z"}}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a-b":[{"wildcard":"x\\*y*"},{"anything-but":{"suffix":"z"}}],"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5e0]}]},{"d":{"e":[null,true,1.50]}}],"ip":[{"cidr":"10.0.0.0/8"},{"prefix":{"equals-ignore-case":"A"}}],"state":[{"anything-but":["a","b"]},"x\u0001"]},"source":["aws.ec2"]}`
	if got := p.String(); got != want {
		t.Errorf("String =\n%s\nwant\n%s", got, want)
	}
	again, err := Parse([]byte(p.String()))
	if err != nil || again.String() != p.String() {
		t.Errorf("reparse: %v, %s", err, again)
	}
	wantPaths := []string{"a-b", "detail.c-count", "detail.d.e", "detail.ip", "detail.state", "source"}
	if got := p.Paths(); !slices.Equal(got, wantPaths) {
		t.Errorf("Paths = %v, want %v", got, wantPaths)
	}
	p.Paths()[0] = "changed"
	if p.Paths()[0] != "a-b" {
		t.Error("Paths returned the pattern's own slice")
	}
	if !strings.Contains(p.String(), `"$or"`) {
		t.Error("canonical form lost $or")
	}
}

// TestConsistencySearchIsBounded: conditions on independent arrays must
// not multiply the search. Six arrays of 60 objects each, and a last
// condition that no element satisfies together with the first.
func TestConsistencySearchIsBounded(t *testing.T) {
	var ev strings.Builder
	ev.WriteString("{")
	for k := range 6 {
		if k > 0 {
			ev.WriteString(",")
		}
		ev.WriteString(`"a` + string(rune('0'+k)) + `":[`)
		for i := range 60 {
			if i > 0 {
				ev.WriteString(",")
			}
			if k == 0 && i == 59 {
				ev.WriteString(`{"x":2,"z":1}`)
			} else {
				ev.WriteString(`{"x":1}`)
			}
		}
		ev.WriteString("]")
	}
	ev.WriteString("}")
	p, err := Parse([]byte(`{"a0":{"x":[1],"z":[1]},"a1":{"x":[1]},"a2":{"x":[1]},"a3":{"x":[1]},"a4":{"x":[1]},"a5":{"x":[1]}}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	go func() {
		ok, _ := p.Match([]byte(ev.String()))
		done <- ok
	}()
	select {
	case ok := <-done:
		if ok {
			t.Error("matched, but z=1 only sits beside x=2")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("consistency search did not finish in 10s")
	}
}

// TestMatchDoesNotAllocate guards the steady state: no allocation per
// event, whatever operators run.
func TestMatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	b := NewBuilder()
	for i, s := range []string{
		`{"source":["aws.ec2"],"detail":{"state":["running"]}}`,
		`{"detail":{"c-count":[{"numeric":[">",1]}],"x-limit":[{"anything-but":[1,2]}]}}`,
		`{"detail":{"source-ip":[{"cidr":"10.0.0.0/8"}],"state":[{"wildcard":"r*g"}]}}`,
		`{"resources":[{"prefix":{"equals-ignore-case":"ARN:"}}],"$or":[{"id":[{"suffix":"3"}]},{"time":[{"exists":true}]}]}`,
		`{"detail":{"host":[{"cidr":"10.0.0.0/8"}],"esc":["a\"b"]}}`,
	} {
		p, err := Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		b.Add(i, p)
	}
	set := b.Build()
	events := [][]byte{[]byte(rulerEvent), []byte(`{"detail":{"host":"ec2.amazonaws.com","esc":"a\"b","arr":[{"x":[1,2]}]}}`)}
	var dst []int
	for _, ev := range events {
		dst, _ = set.Match(ev, dst[:0]) // warm the pool
	}
	for i, ev := range events {
		if n := testing.AllocsPerRun(100, func() { dst, _ = set.Match(ev, dst[:0]) }); n != 0 {
			t.Errorf("event %d: %v allocations per Match", i, n)
		}
	}
}

package pattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"
	"unicode/utf8"
)

// Seeds beyond testdata/fuzz: the documented examples.
var fuzzSeeds = []struct{ pattern, event string }{
	{`{"source":["aws.ec2"],"detail":{"state":["terminated"]}}`, ec2Terminated},
	{`{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"x-limit":[{"anything-but":[100,200,300]}],"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, rulerEvent},
	{`{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]}]}}`, rulerEvent},
	{`{"detail":{"responseElements":[null],"eventVersion":[""]}}`, autoscalingNulls},
	{`{"detail":{"c-count":[{"exists":false}]},"detail-type":[{"equals-ignore-case":"EC2 INSTANCE STATE-CHANGE NOTIFICATION"}]}`, noState},
	{`{"employees":{"firstName":["Anna"],"lastName":[{"wildcard":"S*h"}]}}`, `{"employees":[{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`},
	{`{"a":[{"suffix":{"equals-ignore-case":"\u00c9"}},{"anything-but":{"wildcard":["x\\*",""]}}]}`, `{"a":["\u00e9",{"b":[1,"x*"]}]}`},
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s.pattern))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error is %T, want *Error: %v", err, err)
			}
			if pe.Offset < -1 || pe.Offset > len(src) {
				t.Fatalf("offset %d outside the %d-byte source", pe.Offset, len(src))
			}
			return
		}
		canon := p.String()
		again, err := Parse([]byte(canon))
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", canon, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable:\n%s\n%s", canon, again.String())
		}
		if !slices.Equal(again.Paths(), p.Paths()) {
			t.Fatalf("paths changed: %v vs %v", p.Paths(), again.Paths())
		}
		if !json.Valid([]byte(canon)) {
			t.Fatalf("canonical form is not JSON: %s", canon)
		}
		ok1, err1 := p.Match([]byte(rulerEvent))
		ok2, err2 := again.Match([]byte(rulerEvent))
		if ok1 != ok2 || err1 != nil || err2 != nil {
			t.Fatalf("reparsed pattern matches differently: %v %v / %v %v", ok1, err1, ok2, err2)
		}
	})
}

func FuzzMatch(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s.pattern), []byte(s.event))
	}
	others := []*Pattern{}
	for _, s := range []string{
		`{"detail":{"state":["running"],"c-count":[{"numeric":[">",1]}]}}`,
		`{"a":{"b":[{"exists":true}]},"source":[{"prefix":"aws."}]}`,
		`{"$or":[{"a":["x"]},{"b":[{"anything-but":"y"}]}]}`,
	} {
		p, err := Parse([]byte(s))
		if err != nil {
			f.Fatal(err)
		}
		others = append(others, p)
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		got, err := p.Match(event)
		valid := json.Valid(event)
		if valid && err != nil && jsonObject(event) {
			t.Fatalf("Match on valid JSON: %v", err)
		}
		if err != nil {
			var ee *EventError
			if !errors.As(err, &ee) {
				t.Fatalf("Match error is %T", err)
			}
		}

		b := NewBuilder()
		b.Add(1, p)
		for i, o := range others {
			b.Add(10+i, o)
		}
		b.Add(1, p)
		ids, serr := b.Build().Match(event, nil)
		if err == nil && serr == nil && slices.Contains(ids, 1) != got {
			t.Fatalf("Set.Match says %v, Pattern.Match says %v", ids, got)
		}
		if valid && (err == nil) != (serr == nil) {
			t.Fatalf("Pattern.Match error %v, Set.Match error %v", err, serr)
		}
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Fatalf("ids not ascending and unique: %v", ids)
		}
		if err == nil {
			matched, _, xerr := p.Explain(event)
			if xerr != nil || matched != got {
				t.Fatalf("Explain says %v (%v), Match says %v", matched, xerr, got)
			}
		}

		if !valid || !utf8.Valid(event) || len(event) > 4096 || hasDuplicateKeys(event) {
			return
		}
		want, rerr := refMatch(pattern, event)
		if errors.Is(rerr, errRefBudget) {
			return
		}
		if (rerr != nil) != (err != nil) {
			t.Fatalf("reference error %v, Match error %v", rerr, err)
		}
		if rerr == nil && want != got {
			t.Fatalf("reference says %v, Match says %v\npattern %s\nevent %s", want, got, pattern, event)
		}
	})
}

// jsonObject reports whether valid JSON b is an object.
func jsonObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// hasDuplicateKeys reports whether some object in valid JSON b repeats a
// key (after decoding). The reference evaluator, built on encoding/json,
// keeps only the last; the matcher sees every occurrence.
func hasDuplicateKeys(b []byte) bool {
	d := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj   bool
		key   bool // next string token is a key
		names map[string]bool
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			return true // let the caller skip it
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.obj && top.key {
			if top.names[s] {
				return true
			}
			top.names[s] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, key: true, names: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true
		}
	}
}

package pattern

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, pattern, want string
		path                []string
		offset              int
	}{
		// The pattern as a whole.
		{"not an object", `["a"]`, `pattern must be a JSON object, got ["a"]`, nil, 0},
		{"empty pattern", `{}`, `empty pattern`, nil, 0},
		{"not JSON", ``, `invalid JSON: unexpected end of input at offset 0`, nil, 0},
		{"trailing comma", `{"a":["x"],}`, `invalid JSON: expected a quoted key, got '}' at offset 11`, nil, 11},
		{"trailing data", `{"a":["x"]} x`, `invalid JSON: unexpected 'x' after the pattern at offset 12`, nil, 12},
		{"bad number", `{"a":[01]}`, `invalid JSON: expected ',' or ']', got '1' at offset 7`, nil, 7},
		{"bad UTF-8", "{\"a\":[\"\xff\"]}", `invalid UTF-8 in string at offset 6`, nil, 6},
		// Objects and leaves.
		{"leaf not in array", `{"source": "aws.ec2"}`, `source: expected an array of values or an object, got "aws.ec2"`, []string{"source"}, 11},
		{"leaf number", `{"detail":{"n":5}}`, `detail.n: expected an array of values or an object, got 5`, []string{"detail", "n"}, 15},
		{"empty list", `{"a":[]}`, `a: empty value list`, []string{"a"}, 5},
		{"empty object", `{"a":{}}`, `a: empty object`, []string{"a"}, 5},
		{"nested array", `{"a":[["x"]]}`, `a[0]: expected a string, number, true, false, null or operator object, got ["x"]`, []string{"a", "0"}, 6},
		{"unknown operator", `{"a":[{"prefx":"x"}]}`, `a[0]: unknown operator "prefx"`, []string{"a", "0"}, 7},
		{"unsupported contains", `{"a":[{"contains":"x"}]}`, `a[0]: unknown operator "contains"`, []string{"a", "0"}, 7},
		{"empty operator", `{"a":[{}]}`, `a[0]: empty operator object`, []string{"a", "0"}, 6},
		{"two operators", `{"a":[{"prefix":"x","suffix":"y"}]}`, `a[0]: operator object must have exactly one key, got 2`, []string{"a", "0"}, 20},
		{"exists mixed", `{"a":[{"exists":true},"x"]}`, `a: exists cannot be combined with other values`, []string{"a"}, 5},
		{"exists not bool", `{"a":[{"exists":"yes"}]}`, `a[0].exists: expected true or false, got "yes"`, []string{"a", "0", "exists"}, 16},
		// Numeric.
		{"numeric operand first", `{"detail":{"severity":[{"numeric":[5]}]}}`, `detail.severity[0].numeric: expected operator, got 5`, []string{"detail", "severity", "0", "numeric"}, 35},
		{"numeric not array", `{"a":[{"numeric":"x"}]}`, `a[0].numeric: expected an array, got "x"`, []string{"a", "0", "numeric"}, 17},
		{"numeric empty", `{"a":[{"numeric":[]}]}`, `a[0].numeric: empty comparison`, []string{"a", "0", "numeric"}, 17},
		{"numeric unknown operator", `{"a":[{"numeric":["=>",5]}]}`, `a[0].numeric: unknown operator "=>", want =, <, <=, > or >=`, []string{"a", "0", "numeric"}, 18},
		{"numeric missing number", `{"a":[{"numeric":[">"]}]}`, `a[0].numeric: expected a number after ">"`, []string{"a", "0", "numeric"}, 17},
		{"numeric string number", `{"a":[{"numeric":[">","5"]}]}`, `a[0].numeric: expected a number after ">", got "5"`, []string{"a", "0", "numeric"}, 22},
		{"numeric out of range", `{"a":[{"numeric":[">",6e9]}]}`, `a[0].numeric: 6e9 is out of range; numbers must be between -5.0e9 and 5.0e9`, []string{"a", "0", "numeric"}, 22},
		{"numeric two lower bounds", `{"a":[{"numeric":[">",1,">",2]}]}`, `a[0].numeric: expected < or <= after a lower bound, got ">"`, []string{"a", "0", "numeric"}, 24},
		{"numeric upper first", `{"a":[{"numeric":["<",1,">",2]}]}`, `a[0].numeric: unexpected ">" after "<"; a range gives > or >= first, then < or <=`, []string{"a", "0", "numeric"}, 24},
		{"numeric equals then more", `{"a":[{"numeric":["=",1,"<",2]}]}`, `a[0].numeric: unexpected "<" after "="; a range gives > or >= first, then < or <=`, []string{"a", "0", "numeric"}, 24},
		{"numeric empty range", `{"a":[{"numeric":[">",5,"<",5]}]}`, `a[0].numeric: empty range: no number is > 5 and < 5`, []string{"a", "0", "numeric"}, 17},
		{"numeric too long", `{"a":[{"numeric":[">",5,"<",9,"<",10]}]}`, `a[0].numeric: too many elements`, []string{"a", "0", "numeric"}, 30},
		// String operators.
		{"prefix number", `{"a":[{"prefix":1}]}`, `a[0].prefix: expected a string or {"equals-ignore-case": string}, got 1`, []string{"a", "0", "prefix"}, 16},
		{"prefix option", `{"a":[{"prefix":{"equals":"x"}}]}`, `a[0].prefix: unknown option "equals", want equals-ignore-case`, []string{"a", "0", "prefix"}, 17},
		{"prefix fold number", `{"a":[{"prefix":{"equals-ignore-case":1}}]}`, `a[0].prefix.equals-ignore-case: expected a string, got 1`, []string{"a", "0", "prefix", "equals-ignore-case"}, 38},
		{"suffix two options", `{"a":[{"suffix":{"a":"x","b":"y"}}]}`, `a[0].suffix: expected a string or {"equals-ignore-case": string}, got {"a":"x","b":"y"}`, []string{"a", "0", "suffix"}, 16},
		{"equals-ignore-case list", `{"a":[{"equals-ignore-case":["x"]}]}`, `a[0].equals-ignore-case: expected a string, got ["x"]`, []string{"a", "0", "equals-ignore-case"}, 28},
		{"wildcard consecutive", `{"a":[{"wildcard":"a**b"}]}`, `a[0].wildcard: consecutive wildcard characters at index 2`, []string{"a", "0", "wildcard"}, 18},
		{"wildcard bad escape", `{"a":[{"wildcard":"a\\b"}]}`, `a[0].wildcard: invalid escape "\\b" at index 1; only \* and \\ are allowed`, []string{"a", "0", "wildcard"}, 18},
		{"wildcard trailing backslash", `{"a":[{"wildcard":"a\\"}]}`, `a[0].wildcard: unfinished escape at index 1; write \\ for a backslash`, []string{"a", "0", "wildcard"}, 18},
		{"cidr bits", `{"a":[{"cidr":"10.0.0.0/33"}]}`, `a[0].cidr: invalid CIDR "10.0.0.0/33": prefix length out of range`, []string{"a", "0", "cidr"}, 14},
		{"cidr no slash", `{"a":[{"cidr":"10.0.0.1"}]}`, `a[0].cidr: invalid CIDR "10.0.0.1": no '/'`, []string{"a", "0", "cidr"}, 14},
		// Anything-but.
		{"anything-but bool", `{"a":[{"anything-but":true}]}`, `a[0].anything-but: expected a string, number, list or operator object, got true`, []string{"a", "0", "anything-but"}, 22},
		{"anything-but empty list", `{"a":[{"anything-but":[]}]}`, `a[0].anything-but: empty list`, []string{"a", "0", "anything-but"}, 22},
		{"anything-but mixed", `{"a":[{"anything-but":["x",1]}]}`, `a[0].anything-but[1]: list mixes strings and numbers`, []string{"a", "0", "anything-but", "1"}, 27},
		{"anything-but null", `{"a":[{"anything-but":[null]}]}`, `a[0].anything-but[0]: expected a string or number, got null`, []string{"a", "0", "anything-but", "0"}, 23},
		{"anything-but numeric", `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, `a[0].anything-but: unsupported operator "numeric", want prefix, suffix, equals-ignore-case or wildcard`, []string{"a", "0", "anything-but"}, 23},
		{"anything-but empty prefix", `{"a":[{"anything-but":{"prefix":""}}]}`, `a[0].anything-but.prefix: empty string not allowed`, []string{"a", "0", "anything-but", "prefix"}, 32},
		{"anything-but empty suffix in list", `{"a":[{"anything-but":{"suffix":["x",""]}}]}`, `a[0].anything-but.suffix[1]: empty string not allowed`, []string{"a", "0", "anything-but", "suffix", "1"}, 37},
		{"anything-but prefix number", `{"a":[{"anything-but":{"prefix":5}}]}`, `a[0].anything-but.prefix: expected a string or a list of strings, got 5`, []string{"a", "0", "anything-but", "prefix"}, 32},
		{"anything-but wildcard", `{"a":[{"anything-but":{"wildcard":["a**"]}}]}`, `a[0].anything-but.wildcard[0]: consecutive wildcard characters at index 2`, []string{"a", "0", "anything-but", "wildcard", "0"}, 35},
		{"anything-but huge number", `{"a":[{"anything-but":1e999}]}`, `a[0].anything-but: number 1e999 is out of range`, []string{"a", "0", "anything-but"}, 22},
		// $or.
		{"$or one", `{"$or":[{"a":["x"]}]}`, `$or: needs at least 2 alternatives, got 1`, []string{"$or"}, 7},
		{"$or object", `{"$or":{"a":["x"]}}`, `$or: expected an array of at least 2 objects, got {"a":["x"]}`, []string{"$or"}, 7},
		{"$or not object", `{"$or":[{"a":["x"]},5]}`, `$or[1]: expected an object, got 5`, []string{"$or", "1"}, 20},
		{"$or empty alternative", `{"$or":[{"a":["x"]},{}]}`, `$or[1]: empty object`, []string{"$or", "1"}, 20},
		{"$or nested error", `{"d":{"$or":[{"a":[]},{"b":["x"]}]}}`, `d.$or[0].a: empty value list`, []string{"d", "$or", "0", "a"}, 18},
		{"duplicate key both checked", `{"a":[{"prefx":1}],"a":["x"]}`, `a[0]: unknown operator "prefx"`, []string{"a", "0"}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.pattern))
			if err == nil {
				t.Fatalf("Parse(%s) = %s, want error", tc.pattern, p)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, want *Error", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			if !slices.Equal(pe.Path, tc.path) || pe.Offset != tc.offset {
				t.Errorf("Path %q Offset %d, want %q %d", pe.Path, pe.Offset, tc.path, tc.offset)
			}
		})
	}
}

// TestOrLimit checks EventBridge's limit of 1000 combinations.
func TestOrLimit(t *testing.T) {
	or := func(n int) string {
		alts := make([]string, n)
		for i := range alts {
			alts[i] = `{"k":["v"]}`
		}
		return `[` + strings.Join(alts, ",") + `]`
	}
	ok := `{"a":{"$or":` + or(10) + `},"b":{"$or":` + or(10) + `},"c":{"$or":` + or(10) + `}}`
	if _, err := Parse([]byte(ok)); err != nil {
		t.Errorf("1000 combinations rejected: %v", err)
	}
	tooMany := `{"a":{"$or":` + or(10) + `},"b":{"$or":` + or(10) + `},"c":{"$or":` + or(11) + `}}`
	_, err := Parse([]byte(tooMany))
	if err == nil || err.Error() != "$or multiplies out to more than 1000 combinations" {
		t.Errorf("1100 combinations: %v", err)
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 70) + `["x"]` + strings.Repeat(`}`, 70)
	if _, err := Parse([]byte(deep)); err == nil || !strings.Contains(err.Error(), "deeper than 64") {
		t.Errorf("deep pattern: %v", err)
	}
	event := strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001)
	p, _ := Parse([]byte(`{"a":["x"]}`))
	if _, err := p.Match([]byte(`{"a":` + event + `}`)); err == nil {
		t.Error("event nested 10001 deep accepted")
	}
	if _, err := p.Match([]byte(`{"b":` + event + `}`)); err == nil {
		t.Error("skipped event nested 10001 deep accepted")
	}
}

func TestErrorRendering(t *testing.T) {
	for _, tc := range []struct {
		path []string
		want string
	}{
		{nil, "msg"},
		{[]string{"a"}, "a: msg"},
		{[]string{"0"}, "[0]: msg"},
		{[]string{"detail", "severity", "0", "numeric"}, "detail.severity[0].numeric: msg"},
		{[]string{"$or", "1", "a", "2"}, "$or[1].a[2]: msg"},
	} {
		if got := (&Error{Path: tc.path, Offset: -1, Msg: "msg"}).Error(); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.path, got, tc.want)
		}
	}
}

// Package pattern implements Amazon EventBridge event patterns: Parse
// checks a pattern, Pattern.Match and Pattern.Explain test one event, and a
// Set compiled by a Builder matches an event against many patterns at once.
// Warden policies select findings and CloudTrail events with them.
//
// # Operators
//
// Exactly the EventBridge operators are supported; anything else is a
// parse error naming the element:
//
//	"exact"                                   string, case-sensitive
//	5, true, false, null                      same JSON text (300 ≠ 300.0)
//	{"prefix": "us-"}                         {"prefix": {"equals-ignore-case": "us-"}}
//	{"suffix": ".png"}                        {"suffix": {"equals-ignore-case": ".png"}}
//	{"equals-ignore-case": "alice"}
//	{"wildcard": "dir/*.png"}                 \* and \\ escape; ** is rejected
//	{"anything-but": "x" | 5 | ["x","y"] | [1,2]}
//	{"anything-but": {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": "x" | ["x","y"]}}
//	{"numeric": [">", 0, "<=", 5]}            = < <= > >=; bounds within ±5.0e9
//	{"cidr": "10.0.0.0/24"}                   IPv4 or IPv6
//	{"exists": true | false}
//	"$or": [{...}, {...}]                     at any object level
//
// # Semantics
//
// A pattern is a non-empty object; nested objects are nested field paths
// and every leaf is a non-empty array of values and operators, ORed. All
// fields a pattern names must match (AND); fields it does not name are
// ignored. Arrays in the event are transparent: a field matches if any
// element does, through arrays of objects too ({"a":[{"b":1},{"b":2}]} has
// a.b = 1 and a.b = 2). Fields of objects that sit in different elements of
// one array never match together (array-consistent matching, as in Event
// Ruler and Quamina).
//
// Where the AWS documentation is silent this package follows Event Ruler
// and Quamina, as docs/PATTERNS.md records: every operator but
// {"exists": false} needs a value, so anything-but and numeric never match
// a missing field; exists looks at leaf values only (null counts, an object or an empty
// array does not), and {"exists": false} holds when the path has no leaf
// value anywhere in the event; anything-but matches every leaf value not
// excluded, null and values of the other type included, and with an event
// array it needs one element not excluded; numeric compares float64 values
// and only matches JSON numbers; anything-but numbers compare numerically;
// equals-ignore-case uses Unicode simple case folding; cidr only matches
// strings holding an IP address literal. A key repeated in one pattern
// object keeps its last value, as EventBridge documents; a key repeated in
// an event counts every time. "$or" is always the operator, never a field
// name.
//
// # Performance
//
// A Set shares one trie of field paths among all its patterns. Matching
// scans the event once, without encoding/json, recording only values at
// paths some pattern uses and skipping every other subtree; strings are
// scanned eight bytes at a time. Each pattern alternative is indexed under
// its most selective exact-value field, so an event only evaluates the
// alternatives whose key it contains. Working memory comes from a
// sync.Pool: matching allocates nothing in steady state.
package pattern

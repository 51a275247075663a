package pattern_test

import (
	"fmt"

	"github.com/wardenhq/warden/internal/pattern"
)

func ExampleParse() {
	_, err := pattern.Parse([]byte(`{"detail": {"severity": [{"numeric": [5]}]}}`))
	fmt.Println(err)
	// Output: detail.severity[0].numeric: expected operator, got 5
}

func ExampleSet_Match() {
	rules := []string{
		`{"source": ["aws.cloudtrail"], "detail": {"eventName": ["StopLogging", "DeleteTrail"]}}`,
		`{"detail": {"userIdentity": {"type": ["Root"]}}}`,
		`{"detail": {"sourceIPAddress": [{"cidr": "203.0.113.0/24"}]}}`,
	}
	b := pattern.NewBuilder()
	for i, r := range rules {
		p, err := pattern.Parse([]byte(r))
		if err != nil {
			panic(err)
		}
		b.Add(i, p)
	}
	set := b.Build()
	event := []byte(`{"source": "aws.cloudtrail", "detail-type": "AWS API Call via CloudTrail",
		"detail": {"eventName": "StopLogging", "userIdentity": {"type": "Root"}, "sourceIPAddress": "198.51.100.7"}}`)
	ids, err := set.Match(event, nil)
	fmt.Println(ids, err)
	// Output: [0 1] <nil>
}

func ExamplePattern_Explain() {
	p, _ := pattern.Parse([]byte(`{"Severity": {"Label": ["HIGH", "CRITICAL"]}, "Compliance": {"Status": ["FAILED"]}, "RecordState": ["ACTIVE"]}`))
	matched, lines, _ := p.Explain([]byte(`{"Severity": {"Label": "LOW"}, "RecordState": "ACTIVE"}`))
	fmt.Println(matched)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// false
	// Compliance.Status: missing
	// RecordState: "ACTIVE" matched
	// Severity.Label: "LOW" not in ["HIGH","CRITICAL"]
}

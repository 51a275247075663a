package pattern

import (
	"slices"
	"testing"
)

func TestExplain(t *testing.T) {
	finding := `{"Severity":{"Label":"LOW"},"Workflow":{"Status":"NEW"},"Resources":[{"Type":"AwsS3Bucket","Region":"us-east-1"},{"Type":"AwsIamRole","Region":"eu-west-1"}],
		"detail":{"eventName":"StopLogging","tags":["a","b"],"n":7}}`
	for _, tc := range []struct {
		name, pattern string
		matched       bool
		lines         []string
	}{
		{"matched and not", `{"Severity":{"Label":["HIGH","CRITICAL"]},"Compliance":{"Status":["FAILED"]},"detail":{"eventName":["StopLogging"]}}`, false, []string{
			`Compliance.Status: missing`,
			`Severity.Label: "LOW" not in ["HIGH","CRITICAL"]`,
			`detail.eventName: "StopLogging" matched`,
		}},
		{"operators", `{"detail":{"n":[{"numeric":[">",10]},{"anything-but":7}],"tags":[{"prefix":"b"}],"eventName":[{"wildcard":"Stop*"}]}}`, false, []string{
			`detail.eventName: "StopLogging" matched`,
			`detail.n: 7 does not match [{"numeric":[">",10]},{"anything-but":7}]`,
			`detail.tags: "b" matched`,
		}},
		{"several values", `{"detail":{"tags":["c"]}}`, false, []string{
			`detail.tags: ["a","b"] not in ["c"]`,
		}},
		{"exists", `{"Workflow":{"Status":[{"exists":true}]},"detail":{"errorCode":[{"exists":false}],"n":[{"exists":false}]}}`, false, []string{
			`Workflow.Status: "NEW" matched`,
			`detail.errorCode: missing, as required by {"exists":false}`,
			`detail.n: 7 present, but {"exists":false} wants it missing`,
		}},
		{"$or", `{"detail":{"$or":[{"n":[1]},{"eventName":["StopLogging"]}]}}`, true, []string{
			`detail.$or[0].n: 7 not in [1]`,
			`detail.$or[1].eventName: "StopLogging" matched`,
		}},
		{"array elements", `{"Resources":{"Type":["AwsS3Bucket"],"Region":["eu-west-1"]}}`, false, []string{
			`Resources.Region: "eu-west-1" matched`,
			`Resources.Type: "AwsS3Bucket" matched`,
			`no single element of the event's arrays satisfies every field together`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.pattern))
			if err != nil {
				t.Fatal(err)
			}
			matched, lines, err := p.Explain([]byte(finding))
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := p.Match([]byte(finding)); matched != want || matched != tc.matched {
				t.Errorf("matched = %v, Match = %v, want %v", matched, want, tc.matched)
			}
			if !slices.Equal(lines, tc.lines) {
				t.Errorf("lines:\n%q\nwant\n%q", lines, tc.lines)
			}
		})
	}
	p, _ := Parse([]byte(`{"a":["x"]}`))
	if _, _, err := p.Explain([]byte(`{"a":`)); err == nil {
		t.Error("Explain accepted invalid JSON")
	}
}

package pattern

import (
	"testing"
)

// Cases taken from the behaviour AWS documents: the EventBridge user guide
// pages "Event patterns", "Content filtering", "Comparison operators",
// "Arrays in event patterns" and "Matching null values and empty strings",
// and the README of aws/event-ruler (the library behind EventBridge
// matching). Each names the page section it comes from.

// Sample events used on those pages.
const (
	ec2Terminated = `{
  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}}`

	// Event Ruler's README example event.
	rulerEvent = `{
  "version": "0", "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "012345679012", "time": "2017-10-02T16:24:49Z", "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000", "state": "running"}}`

	autoscalingNulls = `{
  "version": "0", "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
  "detail-type": "EC2 Instance Launch Successful", "source": "aws.autoscaling",
  "account": "123456789012", "time": "2015-11-11T21:31:47Z", "region": "us-east-1",
  "resources": [], "detail": {"eventVersion": "", "responseElements": null}}`

	macieFinding = `{
  "version": "0", "id": "0948ba87-d3b8-c6d4-f2da-732a1example", "detail-type": "Macie Finding",
  "source": "aws.macie", "account": "123456789012", "time": "2021-04-29T23:12:15Z",
  "region": "us-east-1", "resources": [],
  "detail": {"schemaVersion": "1.0", "type": "Policy:IAMUser/S3BucketEncryptionDisabled",
    "severity": {"score": 1, "description": "Low"}, "count": 2}}`

	// The "exists" section's second event, which has no detail.state.
	noState = `{
  "detail-type": [ "EC2 Instance State-change Notification" ],
  "resources": [ "arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341" ],
  "detail": { "c-count" : { "c1" : 100 } }}`
)

type matchCase struct {
	name    string
	pattern string
	event   string
	want    bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.pattern, err)
			}
			got, err := p.Match([]byte(tc.event))
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tc.want {
				_, lines, _ := p.Explain([]byte(tc.event))
				t.Errorf("Match = %v, want %v\npattern %s\nwhy: %q", got, tc.want, tc.pattern, lines)
			}
			b := NewBuilder()
			b.Add(7, p)
			ids, err := b.Build().Match([]byte(tc.event), nil)
			if err != nil {
				t.Fatalf("Set.Match: %v", err)
			}
			if (len(ids) == 1) != tc.want {
				t.Errorf("Set.Match = %v, want match %v", ids, tc.want)
			}
			if ref, err := refMatch([]byte(tc.pattern), []byte(tc.event)); err != nil || ref != tc.want {
				t.Errorf("reference = %v, %v; want %v", ref, err, tc.want)
			}
		})
	}
}

func TestAWSDocumentedBehaviour(t *testing.T) {
	runMatchCases(t, []matchCase{
		// Event patterns: the introductory example.
		{"intro/terminated", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["terminated"]}}`, ec2Terminated, true},
		{"intro/other state", `{"source":["aws.ec2"],"detail":{"state":["running"]}}`, ec2Terminated, false},
		{"intro/field must exist", `{"source":["aws.ec2"],"detail":{"reason":["x"]}}`, ec2Terminated, false},
		{"intro/nesting must agree", `{"state":["terminated"]}`, ec2Terminated, false},
		{"intro/exact is case-sensitive", `{"source":["AWS.EC2"]}`, ec2Terminated, false},
		// Matching values: a value list is an OR.
		{"values/or", `{"source":["aws.ec2","aws.fargate"]}`, ec2Terminated, true},
		{"values/or none", `{"source":["aws.s3","aws.fargate"]}`, ec2Terminated, false},
		// Null values and empty strings.
		{"null/matches null", `{"detail":{"responseElements":[null]}}`, autoscalingNulls, true},
		{"null/empty string", `{"detail":{"eventVersion":[""]}}`, autoscalingNulls, true},
		{"null/not interchangeable 1", `{"detail":{"eventVersion":[null]}}`, autoscalingNulls, false},
		{"null/not interchangeable 2", `{"detail":{"responseElements":[""]}}`, autoscalingNulls, false},
		{"null/field example", `{"source":["aws.autoscaling"],"detail-type":["EC2 Instance Launch Successful"],"detail":{"responseElements":[null]}}`, autoscalingNulls, true},
		// Value matching on numbers (Macie example).
		{"numbers/macie", `{"source":["aws.macie"],"detail-type":["Macie Finding"],"detail":{"severity":{"score":[1]},"count":[2]}}`, macieFinding, true},
		{"numbers/macie other score", `{"source":["aws.macie"],"detail":{"severity":{"score":[2]}}}`, macieFinding, false},
		{"numbers/string is not number", `{"detail":{"count":["2"]}}`, macieFinding, false},
		// "For numbers, EventBridge uses string representation. For
		// example, 300, 300.0, and 3.0e2 are not considered equal."
		{"numbers/300 vs 300", `{"n":[300]}`, `{"n":300}`, true},
		{"numbers/300 vs 300.0", `{"n":[300]}`, `{"n":300.0}`, false},
		{"numbers/300 vs 3.0e2", `{"n":[300]}`, `{"n":3.0e2}`, false},
		{"numbers/3.0e2 vs 3.0e2", `{"n":[3.0e2]}`, `{"n":3.0e2}`, true},
		// Arrays: the event array matches if it intersects the pattern's.
		{"arrays/intersection", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f","arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`,
			`{"resources":["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate","arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
		{"arrays/no intersection", `{"resources":["arn:x"]}`, `{"resources":["arn:y","arn:z"]}`, false},
		{"arrays/empty event array", `{"resources":["arn:x"]}`, `{"resources":[]}`, false},
		// Prefix, with and without case.
		{"prefix/time", `{"time":[{"prefix":"2017-10-02"}]}`, rulerEvent, true},
		{"prefix/no", `{"time":[{"prefix":"2017-10-03"}]}`, rulerEvent, false},
		{"prefix/case-sensitive", `{"source":[{"prefix":"AWS."}]}`, rulerEvent, false},
		{"prefix/ignore case", `{"detail":{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}}`, `{"detail":{"service":"eventbridge"}}`, true},
		{"prefix/ignore case upper", `{"detail":{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}}`, `{"detail":{"service":"EVENTBRIDGE"}}`, true},
		{"prefix/only strings", `{"n":[{"prefix":"1"}]}`, `{"n":123}`, false},
		// Suffix, with and without case.
		{"suffix/png", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.png"}`, true},
		{"suffix/jpg", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.jpg"}`, false},
		{"suffix/case-sensitive", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.PNG"}`, false},
		{"suffix/ignore case", `{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}}`, `{"detail":{"FileName":"IMAGE.PNG"}}`, true},
		{"suffix/ruler source", `{"source":[{"suffix":"ec2"}]}`, rulerEvent, true},
		// Anything-but.
		{"anything-but/string", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, rulerEvent, true},
		{"anything-but/string excluded", `{"detail":{"state":[{"anything-but":"running"}]}}`, rulerEvent, false},
		{"anything-but/number", `{"detail":{"x-limit":[{"anything-but":123}]}}`, rulerEvent, true},
		{"anything-but/number excluded", `{"detail":{"x-limit":[{"anything-but":301.8}]}}`, rulerEvent, false},
		{"anything-but/string list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, rulerEvent, true},
		{"anything-but/string list excluded", `{"detail":{"state":[{"anything-but":["stopped","running"]}]}}`, rulerEvent, false},
		{"anything-but/number list", `{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, rulerEvent, true},
		{"anything-but/number list excluded", `{"detail":{"c-count":[{"anything-but":[4,5,6]}]}}`, rulerEvent, false},
		{"anything-but/prefix", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, rulerEvent, true},
		{"anything-but/prefix excluded", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{"state":"initializing"}}`, false},
		{"anything-but/prefix list", `{"detail":{"state":[{"anything-but":{"prefix":["init","error"]}}]}}`, `{"detail":{"state":"error-x"}}`, false},
		{"anything-but/suffix", `{"detail":{"instance-id":[{"anything-but":{"suffix":"1234"}}]}}`, rulerEvent, true},
		{"anything-but/suffix excluded", `{"FileName":[{"anything-but":{"suffix":".png"}}]}`, `{"FileName":"a.png"}`, false},
		{"anything-but/suffix list", `{"detail":{"instance-id":[{"anything-but":{"suffix":["1234","0000"]}}]}}`, rulerEvent, false},
		{"anything-but/ignore case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":"Stopped"}}]}}`, rulerEvent, true},
		{"anything-but/ignore case excluded", `{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"INITIALIZING"}`, false},
		{"anything-but/ignore case list", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Stopped","RUNNING"]}}]}}`, rulerEvent, false},
		{"anything-but/wildcard", `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/bin/x"}`, true},
		{"anything-but/wildcard excluded", `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/lib/x"}`, false},
		{"anything-but/wildcard list", `{"detail":{"state":[{"anything-but":{"wildcard":["*/bin/*.jar","*/bin/*.class"]}}]}}`, `{"detail":{"state":"/opt/bin/app.class"}}`, false},
		{"anything-but/missing field", `{"detail":{"reason":[{"anything-but":"x"}]}}`, rulerEvent, false},
		// Numeric.
		{"numeric/range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, rulerEvent, true},
		{"numeric/less", `{"detail":{"d-count":[{"numeric":["<",10]}]}}`, rulerEvent, true},
		{"numeric/equals other spelling", `{"detail":{"x-limit":[{"numeric":["=",3.018e2]}]}}`, rulerEvent, true},
		{"numeric/all fields", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, rulerEvent, true},
		{"numeric/outside", `{"detail":{"c-count":[{"numeric":[">",5]}]}}`, rulerEvent, false},
		{"numeric/price table", `{"Price":[{"numeric":[">",10,"<=",20]}]}`, `{"Price":20}`, true},
		{"numeric/price equals", `{"Price":[{"numeric":["=",100]}]}`, `{"Price":100.0}`, true},
		{"numeric/not on strings", `{"detail":{"state":[{"numeric":[">",0]}]}}`, `{"detail":{"state":"5"}}`, false},
		{"numeric/missing field", `{"detail":{"e-count":[{"numeric":[">",0]}]}}`, rulerEvent, false},
		// IP address matching.
		{"cidr/v4", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, rulerEvent, true},
		{"cidr/v4 outside", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, rulerEvent, false},
		{"cidr/v6", `{"detail":{"sourceIPAddress":[{"cidr":"2001:db8::/32"}]}}`, `{"detail":{"sourceIPAddress":"2001:db8:1::5"}}`, true},
		{"cidr/v6 outside", `{"detail":{"sourceIPAddress":[{"cidr":"2001:db8::/32"}]}}`, `{"detail":{"sourceIPAddress":"2001:db9::5"}}`, false},
		{"cidr/not an address", `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/8"}]}}`, `{"detail":{"sourceIPAddress":"ec2.amazonaws.com"}}`, false},
		// Exists: only on leaf nodes.
		{"exists/true", `{"detail":{"state":[{"exists":true}]}}`, rulerEvent, true},
		{"exists/true on second event", `{"detail":{"state":[{"exists":true}]}}`, noState, false},
		{"exists/false", `{"detail":{"c-count":[{"exists":false}]}}`, ec2Terminated, true},
		{"exists/false present", `{"detail":{"c-count":[{"exists":false}]}}`, rulerEvent, false},
		{"exists/false on intermediate node", `{"detail":{"c-count":[{"exists":false}]}}`, noState, true},
		{"exists/true on intermediate node", `{"detail":{"c-count":[{"exists":true}]}}`, noState, false},
		{"exists/product name", `{"ProductName":[{"exists":true}]}`, `{"ProductName":"x"}`, true},
		// Equals-ignore-case.
		{"equals-ignore-case/detail-type", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`, noState, true},
		{"equals-ignore-case/name", `{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"Alice"}`, true},
		{"equals-ignore-case/not prefix", `{"Name":[{"equals-ignore-case":"alic"}]}`, `{"Name":"Alice"}`, false},
		// Wildcard.
		{"wildcard/ruler", `{"source":[{"wildcard":"Simple*Service"}]}`, `{"source":"SimpleQueueService"}`, true},
		{"wildcard/dir png", `{"FileName":[{"wildcard":"dir/*.png"}]}`, `{"FileName":"dir/a/b.png"}`, true},
		{"wildcard/dir png other dir", `{"FileName":[{"wildcard":"dir/*.png"}]}`, `{"FileName":"other/b.png"}`, false},
		{"wildcard/middle", `{"t":[{"wildcard":"*Title*"}]}`, `{"t":"The Title Page"}`, true},
		{"wildcard/zero characters", `{"t":[{"wildcard":"*.png"}]}`, `{"t":".png"}`, true},
		{"wildcard/escaped star", `{"t":[{"wildcard":"a\\*b"}]}`, `{"t":"a*b"}`, true},
		{"wildcard/escaped star is literal", `{"t":[{"wildcard":"a\\*b"}]}`, `{"t":"axb"}`, false},
		{"wildcard/escaped backslash", `{"t":[{"wildcard":"a\\\\*"}]}`, `{"t":"a\\bc"}`, true},
		{"wildcard/only strings", `{"n":[{"wildcard":"1*"}]}`, `{"n":123}`, false},
		// Complex example with multiple matching.
		{"complex/ruler", `{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}],"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, rulerEvent, true},
		// "If you include a key more than once the last reference will be
		// the one used."
		{"duplicate key/last wins", `{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}`, `{"detail":{"location":"eu-west"}}`, true},
		{"duplicate key/last wins 2", `{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}`, `{"detail":{"location":"us-east"}}`, false},
		// $or.
		{"$or/doc example", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`, rulerEvent, true},
		{"$or/doc example only one", `{"detail":{"$or":[{"c-count":[{"numeric":[">",50]}]},{"d-count":[{"numeric":["<",1]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`, rulerEvent, true},
		{"$or/doc example none", `{"detail":{"$or":[{"c-count":[{"numeric":[">",50]}]},{"d-count":[{"numeric":["<",1]}]},{"x-limit":[{"numeric":["=",7]}]}]}}`, rulerEvent, false},
		{"$or/location or day", `{"$or":[{"Location":["New York"]},{"Day":["Monday"]}]}`, `{"Location":"Boston","Day":"Monday"}`, true},
		{"$or/ruler normal", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, `{"source":"aws.cloudwatch","namespace":"AWS/ES"}`, true},
		{"$or/ruler normal needs source", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, `{"source":"aws.ec2","namespace":"AWS/ES"}`, false},
		{"$or/ruler parallel", `{"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}],"detail":{"$or":[{"source":["aws.cloudwatch"]},{"detail-type":["CloudWatch Alarm State Change"]}]}}`, `{"namespace":"AWS/EC2","detail":{"detail-type":"CloudWatch Alarm State Change"}}`, true},
		{"$or/ruler and inside", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"metricType":["MetricType"],"namespace":["AWS/EC2"]},{"scope":["Service"]}]}`, `{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/ES"}`, false},
		{"$or/ruler nested", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"metricType":["MetricType"],"namespace":["AWS/EC2"],"$or":[{"metricId":[1234]},{"spaceId":[1000]}]},{"scope":["Service"]}]}`, `{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/EC2","spaceId":1000}`, true},
		// Event Ruler "JSON Array Matching": arrays are crushed out of
		// paths, but two fields from different elements of one array
		// never match together.
		{"array matching/anna", `{"employees":{"firstName":["Anna"]}}`, `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, true},
		{"array matching/nested arrays", `{"employees":{"firstName":["Peter"]}}`, `{"employees":[[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"}],[{"firstName":"Peter","lastName":"Jones"}]]}`, true},
		{"array matching/anna jones", `{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`, `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, false},
		{"array matching/anna smith", `{"employees":{"firstName":["Anna"],"lastName":["Smith"]}}`, `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, true},
	})
}

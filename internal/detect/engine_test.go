package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/pattern"
)

func stoppedRule() Rule {
	return Rule{
		ID:       "acme.trail-stopped",
		Title:    "Trail {detail.requestParameters.name} stopped by {actor}",
		Severity: "high",
		Types:    []string{"TTPs/Defense Evasion/CloudTrail logging stopped"},
		Match: map[string]any{"detail": map[string]any{
			"eventName": []any{"StopLogging"},
		}},
		Resource:       ResourceSpec{Type: "AwsCloudTrailTrail", ID: "detail.requestParameters.name"},
		Key:            []string{"detail.requestParameters.name"},
		Remediation:    "Start logging again.",
		RemediationURL: "https://example.com/runbooks/cloudtrail",
	}
}

func TestNewRuleErrors(t *testing.T) {
	good := stoppedRule()
	cases := []struct {
		name   string
		mutate func(*Rule)
		field  string
		msg    string
	}{
		{"missing id", func(r *Rule) { r.ID = "" }, "id", "missing"},
		{"bad id", func(r *Rule) { r.ID = "has space" }, "id", "letters, digits"},
		{"missing title", func(r *Rule) { r.Title = " " }, "title", "missing"},
		{"bad placeholder", func(r *Rule) { r.Title = "stopped by {who}" }, "title", "unknown placeholder {who}"},
		{"bad severity", func(r *Rule) { r.Severity = "urgent" }, "severity", "unknown severity"},
		{"no severity", func(r *Rule) { r.Severity = "" }, "severity", "missing"},
		{"bad type", func(r *Rule) { r.Types = []string{"Bad Stuff/Things"} }, "types[0]", "namespace"},
		{"no match", func(r *Rule) { r.Match = nil }, "match", "missing"},
		{"bad match", func(r *Rule) {
			r.Match = map[string]any{"detail": map[string]any{"eventName": []any{map[string]any{"prefx": "Stop"}}}}
		}, "match", "prefx"},
		{"bad key", func(r *Rule) { r.Key = []string{"detail.eventID", "detail..name"} }, "key[1]", "dotted"},
		{"bad resource id", func(r *Rule) { r.Resource.ID = ".name" }, "resource.id", "dotted"},
		{"type without id", func(r *Rule) { r.Resource = ResourceSpec{Type: "AwsS3Bucket"} }, "resource.id", "missing"},
		{"bad url", func(r *Rule) { r.RemediationURL = "runbooks/cloudtrail" }, "remediation_url", "absolute"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			tc.mutate(&r)
			e, err := New([]Rule{stoppedRule(), r})
			if e != nil || err == nil {
				t.Fatalf("New: got engine %v, err %v; want an error", e, err)
			}
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RuleError", err)
			}
			if re.Index != 1 || re.Field != tc.field || !strings.Contains(re.Error(), tc.msg) {
				t.Fatalf("got %+v (%v), want index 1, field %q, message containing %q", re, re, tc.field, tc.msg)
			}
			want := strings.NewReplacer("[", ".", "]", "").Replace(tc.field)
			if got := strings.Join(re.FieldPath(), "."); got != want {
				t.Errorf("FieldPath = %s, want %s", got, want)
			}
		})
	}
}

func TestNewDuplicateAndAllErrors(t *testing.T) {
	a, b := stoppedRule(), stoppedRule()
	b.Severity = "nope"
	_, err := New([]Rule{a, b})
	if err == nil {
		t.Fatal("want errors")
	}
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var re *RuleError
		if errors.As(e, &re) {
			fields = append(fields, re.Field)
		}
	}
	if strings.Join(fields, ",") != "severity,id" {
		t.Fatalf("got fields %v, want every problem reported: severity,id (%v)", fields, err)
	}
}

func TestNewPatternErrorIsStructured(t *testing.T) {
	r := stoppedRule()
	r.Match = map[string]any{"detail": map[string]any{"eventName": "StopLogging"}} // not a list
	_, err := New([]Rule{r})
	var pe *pattern.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v does not carry a *pattern.Error", err)
	}
	if strings.Join(pe.Path, ".") != "detail.eventName" {
		t.Fatalf("pattern error path %v, want detail.eventName", pe.Path)
	}
}

func TestDetectFinding(t *testing.T) {
	e, err := New([]Rule{stoppedRule()})
	if err != nil {
		t.Fatal(err)
	}
	doc := fixture(t, "cloudtrail-stop-logging")
	origin := finding.Origin{Source: "events.jsonl", Line: 7, Index: 6}
	fs, err := e.Detect(doc, origin, nil)
	if err != nil || len(fs) != 1 {
		t.Fatalf("Detect: %d findings, err %v", len(fs), err)
	}
	f := fs[0]
	const trail = "arn:aws:cloudtrail:us-east-2:111122223333:trail/management-events"
	wantTime := time.Date(2023, 7, 19, 21, 20, 1, 0, time.UTC)
	checks := []struct{ name, got, want string }{
		{"ID prefix", f.ID[:strings.LastIndexByte(f.ID, '/')+1], "arn:aws:warden:us-east-2:111122223333:detection/acme.trail-stopped/"},
		{"Format", string(f.Format), "detection"},
		{"Product", f.Product, "Warden"},
		{"ProductArn", f.ProductArn, "arn:aws:securityhub:us-east-2::product/warden/detections"},
		{"GeneratorID", f.GeneratorID, "warden/detection/acme.trail-stopped"},
		{"ControlID", f.ControlID, "acme.trail-stopped"},
		{"Title", f.Title, "Trail " + trail + " stopped by arn:aws:sts::111122223333:assumed-role/Ops/ops-session"},
		{"AccountID", f.AccountID, "111122223333"},
		{"Region", f.Region, "us-east-2"},
		{"Partition", f.Partition, "aws"},
		{"Severity", f.Severity.String(), "HIGH"},
		{"Resource type", f.Resources[0].Type, "AwsCloudTrailTrail"},
		{"Resource id", f.Resources[0].ID, trail},
		{"RecordState", f.RecordState, "ACTIVE"},
		{"WorkflowStatus", f.WorkflowStatus, "NEW"},
		{"Compliance", f.Compliance, ""},
		{"Actor", f.Actor, "arn:aws:sts::111122223333:assumed-role/Ops/ops-session"},
		{"SourceIP", f.SourceIP, "192.0.2.11"},
		{"RemediationText", f.RemediationText, "Start logging again."},
		{"CreatedAt", f.CreatedAt.Format(time.RFC3339), wantTime.Format(time.RFC3339)},
		{"LastObservedAt", f.LastObservedAt.Format(time.RFC3339), wantTime.Format(time.RFC3339)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if f.Origin != origin || string(f.Raw) != string(doc) {
		t.Errorf("Origin/Raw not kept")
	}

	// The ASFF document carries the fields policy rules match on.
	var d map[string]any
	if err := json.Unmarshal(f.Doc, &d); err != nil {
		t.Fatalf("Doc is not JSON: %v", err)
	}
	for path, want := range map[string]string{
		"SchemaVersion":                        "2018-10-08",
		"Id":                                   f.ID,
		"ProductName":                          "Warden",
		"CompanyName":                          "Warden",
		"GeneratorId":                          "warden/detection/acme.trail-stopped",
		"AwsAccountId":                         "111122223333",
		"Severity.Label":                       "HIGH",
		"Workflow.Status":                      "NEW",
		"RecordState":                          "ACTIVE",
		"ProductFields.warden/detection":       "acme.trail-stopped",
		"ProductFields.warden/eventName":       "StopLogging",
		"ProductFields.warden/eventSource":     "cloudtrail.amazonaws.com",
		"ProductFields.warden/sourceIPAddress": "192.0.2.11",
		"Action.AwsApiCallAction.Api":          "StopLogging",
		"Remediation.Recommendation.Url":       "https://example.com/runbooks/cloudtrail",
		"CreatedAt":                            "2023-07-19T21:20:01Z",
	} {
		if got := dig(d, path); got != want {
			t.Errorf("Doc %s = %v, want %q", path, got, want)
		}
	}
	if res := d["Resources"].([]any)[0].(map[string]any); res["Type"] != "AwsCloudTrailTrail" || res["Id"] != trail {
		t.Errorf("Doc Resources[0] = %v", res)
	}

	// The same event again gives the same finding identity (repetition
	// groups), and the finding does not alias the caller's buffer.
	again, _ := e.Detect(doc, origin, nil)
	if again[0].ID != f.ID {
		t.Errorf("identity not stable: %s vs %s", again[0].ID, f.ID)
	}
	doc[0] = 'X'
	if f.Raw[0] == 'X' {
		t.Error("finding aliases the caller's buffer")
	}
}

// dig follows a dotted path through decoded JSON objects; keys may
// contain '/' but not '.'.
func dig(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[seg]
	}
	return v
}

func TestDetectDefaults(t *testing.T) {
	// A rule without key or resource: identity is the event, resource the
	// actor (the role for an assumed-role session, the account for root).
	r := Rule{ID: "acme.any", Title: "{event_name} by {actor} in {account}/{region} from {source_ip} on {resource}",
		Severity: "LOW", Match: map[string]any{"detail": map[string]any{"eventSource": []any{map[string]any{"exists": true}}}}}
	e, err := New([]Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		fixture, resType, resID, actor, keySuffix string
	}{
		{"cloudtrail-stop-logging", "AwsIamRole", "arn:aws:iam::111122223333:role/Ops", "arn:aws:sts::111122223333:assumed-role/Ops/ops-session", "/00000001-aaaa-bbbb-cccc-ddddeeeeffff"},
		{"signin-iam-user-no-mfa", "AwsIamUser", "arn:aws:iam::111122223333:user/anaya", "arn:aws:iam::111122223333:user/anaya", "/3fcfb182-98f8-4744-bd45-10a395ab61cb"},
		{"signin-root-no-mfa", "AwsAccount", "AWS::::Account:111122223333", "arn:aws:iam::111122223333:root", "/deb1e1f9-c99b-4612-8e9f-21f93b5d79c0"},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			fs, err := e.Detect(fixture(t, tc.fixture), finding.Origin{}, nil)
			if err != nil || len(fs) != 1 {
				t.Fatalf("Detect: %d, %v", len(fs), err)
			}
			f := fs[0]
			if f.Resources[0].Type != tc.resType || f.Resources[0].ID != tc.resID || f.Actor != tc.actor {
				t.Errorf("resource %+v actor %s", f.Resources[0], f.Actor)
			}
			if !strings.HasSuffix(f.ID, tc.keySuffix) {
				t.Errorf("ID %s, want suffix %s", f.ID, tc.keySuffix)
			}
			if strings.Contains(f.Title, "?") {
				t.Errorf("title has an unfilled placeholder: %s", f.Title)
			}
		})
	}
}

func TestDetectBadInput(t *testing.T) {
	e := builtinEngine(t)
	for _, doc := range []string{``, `{`, `[]`, `not json`, `{"detail": {"eventName": "StopLogging"`} {
		fs, err := e.Detect([]byte(doc), finding.Origin{Source: "q", Index: 3}, nil)
		if len(fs) != 0 {
			t.Errorf("%q: %d findings", doc, len(fs))
		}
		var ee *EventError
		if err != nil && (!errors.As(err, &ee) || ee.Origin.Index != 3 || !strings.Contains(err.Error(), "q: record 3")) {
			t.Errorf("%q: error %v does not name the record", doc, err)
		}
	}
	// Valid JSON that is not an event: no findings, no error.
	for _, doc := range []string{`{}`, `{"detail": 5}`, `{"detail": {"eventName": 5}}`} {
		if fs, err := e.Detect([]byte(doc), finding.Origin{}, nil); err != nil || len(fs) != 0 {
			t.Errorf("%q: %d findings, %v", doc, len(fs), err)
		}
	}
}

func TestIdentityKey(t *testing.T) {
	cases := []struct {
		vals []string
		want string
	}{
		{[]string{"management-events"}, "management-events"},
		{[]string{"sg-0123", "default"}, "sg-0123/default"},
		{[]string{"3fcfb182-98f8-4744-bd45-10a395ab61cb"}, "3fcfb182-98f8-4744-bd45-10a395ab61cb"},
		{[]string{"StopConfigurationRecorder", "default", ""}, "StopConfigurationRecorder/default/-"},
	}
	for _, c := range cases {
		if got := encodeKey(c.vals); got != c.want {
			t.Errorf("encodeKey(%q) = %q, want %q", c.vals, got, c.want)
		}
	}
	// Unsafe, empty or long values are hashed, without ambiguity.
	hashed := [][]string{
		{"arn:aws:cloudtrail:us-east-2:111122223333:trail/x"},
		{"a", "-"},
		{strings.Repeat("x", 65)},
		{"a/b", "c"},
		{"a", "b/c"},
	}
	seen := map[string]bool{}
	for _, v := range hashed {
		k := encodeKey(v)
		if len(k) != 32 || seen[k] {
			t.Errorf("encodeKey(%q) = %q: want a fresh 32-hex-digit hash", v, k)
		}
		seen[k] = true
	}
}

func TestLookup(t *testing.T) {
	doc := []byte(`{"a": {"b": [{"c": "x"}, {"c": ["y", 5, null, true]}, {"d": 1}], "e\u0066": "esc\"aped", "n": null},
		"arr": [[1, 2], {"k": {"z": 1}}], "s": "\u00e9"}`)
	cases := []struct {
		path string
		want string
	}{
		{"a.b.c", "x|y|5|true"},
		{"a.ef", `esc"aped`},
		{"a.n", ""},
		{"a.b.d", "1"},
		{"arr", "1|2|{\"k\": {\"z\": 1}}"},
		{"arr.k.z", "1"},
		{"s", "é"},
		{"missing.path", ""},
		{"a.b.c.deeper", ""},
	}
	for _, c := range cases {
		segs, _ := splitPath(c.path)
		var got []string
		lookup(doc, segs, func(v string) { got = append(got, v) })
		if strings.Join(got, "|") != c.want {
			t.Errorf("lookup(%s) = %q, want %q", c.path, got, c.want)
		}
	}
	// Truncated and hostile input: no panic, nothing or partial results.
	for _, bad := range []string{`{"a": {"b": [`, `{"a": "unterminated`, `{"a" 1}`, `[[[[[[`, strings.Repeat("[", 10000), `{"a": {"b": "c"`} {
		lookup([]byte(bad), []string{"a", "b"}, func(string) {})
	}
}

func TestTemplate(t *testing.T) {
	for _, bad := range []string{"{actor", "x}", "{nope}", "{detail..x}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("parseTemplate(%q): want error", bad)
		}
	}
	tp, err := parseTemplate("{{literal}} {detail.eventName} {detail.missing}")
	if err != nil {
		t.Fatal(err)
	}
	ctx := &buildContext{doc: []byte(`{"detail": {"eventName": "X"}}`)}
	if got := tp.render(ctx); got != "{literal} X ?" {
		t.Errorf("render = %q", got)
	}
	if got := truncate(strings.Repeat("é", 300), maxTitle); len([]rune(got)) != maxTitle || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate: %d runes", len([]rune(got)))
	}
}

// TestDetectConcurrent shares one Engine between goroutines (run with
// -race): the Engine is immutable and findings share nothing mutable.
func TestDetectConcurrent(t *testing.T) {
	e := builtinEngine(t)
	docs := [][]byte{fixture(t, "signin-root-no-mfa"), fixture(t, "ec2-sg-ingress-ipv6-world"), fixture(t, "s3-put-bucket-policy-public")}
	want := make([]string, len(docs))
	for i, d := range docs {
		want[i] = strings.Join(firedIDs(t, e, d), ",")
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				d := docs[i%len(docs)]
				fs, err := e.Detect(d, finding.Origin{Index: i}, nil)
				if err != nil {
					done <- err
					return
				}
				var ids []string
				for _, f := range fs {
					ids = append(ids, f.ControlID)
				}
				slices.Sort(ids)
				if got := strings.Join(ids, ","); got != want[i%len(docs)] {
					done <- fmt.Errorf("got %s, want %s", got, want[i%len(docs)])
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestDetectNoMatchAllocs pins the hot path: an event no detection
// matches costs one Set.Match and no allocation.
func TestDetectNoMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	e := builtinEngine(t)
	doc := fixture(t, "iam-user-create-user")
	var out []*finding.Finding
	allocs := testing.AllocsPerRun(100, func() {
		out, _ = e.Detect(doc, finding.Origin{}, out[:0])
	})
	if len(out) != 0 || allocs != 0 {
		t.Fatalf("%d findings, %.1f allocs per Detect; want 0 and 0", len(out), allocs)
	}
}

package detect

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
)

// envelope wraps a CloudTrail record the way EventBridge delivers it (and
// the way package normalize wraps records read from CloudTrail log files),
// so one fixture serves both channels. A document that already has a
// detail-type is returned unchanged.
func envelope(t testing.TB, rec []byte) []byte {
	t.Helper()
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(rec, &probe); err != nil {
		t.Fatalf("fixture is not a JSON object: %v", err)
	}
	if _, ok := probe["detail-type"]; ok {
		return rec
	}
	var r struct {
		EventID            string `json:"eventID"`
		EventSource        string `json:"eventSource"`
		EventTime          string `json:"eventTime"`
		EventType          string `json:"eventType"`
		AWSRegion          string `json:"awsRegion"`
		RecipientAccountID string `json:"recipientAccountId"`
		UserIdentity       struct {
			AccountID string `json:"accountId"`
		} `json:"userIdentity"`
	}
	// Lenient: Panther's redacted records carry odd types in places.
	_ = json.Unmarshal(rec, &r)
	detailType := "AWS API Call via CloudTrail"
	switch r.EventType {
	case "AwsConsoleSignIn":
		detailType = "AWS Console Sign In via CloudTrail"
	case "AwsServiceEvent":
		detailType = "AWS Service Event via CloudTrail"
	}
	account := r.RecipientAccountID
	if account == "" {
		account = r.UserIdentity.AccountID
	}
	env := struct {
		Version    string          `json:"version"`
		ID         string          `json:"id"`
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Account    string          `json:"account"`
		Time       string          `json:"time"`
		Region     string          `json:"region"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}{"0", r.EventID, detailType, "aws." + strings.TrimSuffix(r.EventSource, ".amazonaws.com"),
		account, r.EventTime, r.AWSRegion, []string{}, json.RawMessage(rec)}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatalf("wrapping record: %v", err)
	}
	return out
}

// fixture reads testdata/events/<name>.json in envelope shape.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return envelope(t, b)
}

// builtinEngine compiles the built-in pack.
func builtinEngine(t testing.TB) *Engine {
	t.Helper()
	rules, err := LoadBuiltin()
	if err != nil {
		t.Fatalf("LoadBuiltin: %v", err)
	}
	e, err := New(rules)
	if err != nil {
		t.Fatalf("New(builtin): %v", err)
	}
	return e
}

// firedIDs runs the engine and returns the detection ids that fired, sorted.
func firedIDs(t testing.TB, e *Engine, doc []byte) []string {
	t.Helper()
	fs, err := e.Detect(doc, finding.Origin{Source: "test"}, nil)
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	ids := make([]string, 0, len(fs))
	for _, f := range fs {
		ids = append(ids, f.ControlID)
	}
	slices.Sort(ids)
	return ids
}

// pantherRecord is one line of the Panther labelled corpus.
type pantherRecord struct {
	RuleID          string          `json:"rule_id"`
	RuleDescription string          `json:"rule_description"`
	Severity        string          `json:"severity"`
	TestName        string          `json:"test_name"`
	ExpectedResult  bool            `json:"expected_result"`
	Event           json.RawMessage `json:"event"`
}

const pantherCorpus = "../../../shared/corpus/panther-cloudtrail/events.jsonl"

func loadPanther(t testing.TB) []pantherRecord {
	t.Helper()
	b, err := os.ReadFile(pantherCorpus)
	if err != nil {
		t.Skipf("Panther corpus not available: %v", err)
	}
	var out []pantherRecord
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r pantherRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s:%d: %v", pantherCorpus, i+1, err)
		}
		out = append(out, r)
	}
	return out
}

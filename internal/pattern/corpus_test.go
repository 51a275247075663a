package pattern

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The benchmarks and some tests read the shared public sample data
// (see /work/shared/corpus/README.md): CloudTrail records from the Panther
// rule tests and ASFF findings from the AWS automated-security-response
// simulation data. WARDEN_CORPUS overrides where it is looked for.

func corpusDir(tb testing.TB) string {
	dir := os.Getenv("WARDEN_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("sample corpus not found at %s (set WARDEN_CORPUS): %v", dir, err)
	}
	return dir
}

// cloudTrailEvents returns the Panther CloudTrail records, each wrapped in
// the EventBridge envelope EventBridge puts around CloudTrail events.
func cloudTrailEvents(tb testing.TB) [][]byte {
	f, err := os.Open(filepath.Join(corpusDir(tb), "panther-cloudtrail", "events.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			tb.Fatal(err)
		}
		out = append(out, envelope(tb, line.Event))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// envelope wraps a CloudTrail record as EventBridge delivers it:
// {"version":"0","id":...,"detail-type":"AWS API Call via CloudTrail",
// "source":"aws.<service>","account":...,"time":...,"region":...,
// "resources":[],"detail":{record}}.
func envelope(tb testing.TB, rec json.RawMessage) []byte {
	var r struct {
		EventSource        string `json:"eventSource"`
		EventTime          string `json:"eventTime"`
		AWSRegion          string `json:"awsRegion"`
		RecipientAccountID string `json:"recipientAccountId"`
		EventID            string `json:"eventID"`
	}
	_ = json.Unmarshal(rec, &r) // a few records have other shapes; keep defaults
	src := "aws." + strings.TrimSuffix(r.EventSource, ".amazonaws.com")
	env := map[string]any{
		"version":     "0",
		"id":          "6f5b4c3a-2e1d-4c0b-9a8f-" + fmtID(r.EventID),
		"detail-type": "AWS API Call via CloudTrail",
		"source":      src,
		"account":     r.RecipientAccountID,
		"time":        r.EventTime,
		"region":      r.AWSRegion,
		"resources":   []string{},
		"detail":      rec,
	}
	// encoding/json sorts map keys, which puts "detail" before "id"; write
	// the envelope fields in EventBridge's order instead.
	var sb strings.Builder
	sb.WriteByte('{')
	for i, k := range []string{"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"} {
		if i > 0 {
			sb.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(env[k])
		if err != nil {
			tb.Fatal(err)
		}
		sb.Write(kb)
		sb.WriteByte(':')
		sb.Write(vb)
	}
	sb.WriteByte('}')
	return []byte(sb.String())
}

func fmtID(s string) string {
	s = strings.ReplaceAll(s, "-", "")
	for len(s) < 12 {
		s += "0"
	}
	return s[:12]
}

// asffFindings returns the ASFF sample findings (a few are EventBridge
// "Security Hub Findings" envelopes), each as compact JSON.
func asffFindings(tb testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join(corpusDir(tb), "asr-simdata", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(files)
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		c, _ := json.Marshal(v)
		out = append(out, c)
	}
	return out
}

package cli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

const (
	examples = "../../examples"
	corpus   = "../../../shared/corpus"
	now      = "2026-11-25T09:00:00Z"
)

// run runs the CLI in-process and returns exit code, stdout, stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func decisions(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line is not JSON: %v: %.200s", err, sc.Text())
		}
		recs = append(recs, m)
	}
	return recs
}

func TestProcessCorpusEveryFileDecided(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus, "asr-simdata", "*.json"))
	if err != nil || len(files) != 109 {
		t.Fatalf("want the 109 corpus files beside the repo, got %d (%v)", len(files), err)
	}
	state := filepath.Join(t.TempDir(), "w.db")
	code, out, errs := run(t, "", "process", "--policy", examples, "--state", state, "--now", now, filepath.Join(corpus, "asr-simdata"))
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	recs := decisions(t, out)
	seen := map[string]bool{}
	for _, r := range recs {
		for _, k := range []string{"finding_id", "product", "account_id", "region", "severity", "verdict", "tier", "matched_rules", "enrichment", "actions", "policy_commit", "decided_at"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("decision lacks %s: %v", k, r)
			}
		}
		src := r["source"].(map[string]any)["file"].(string)
		seen[filepath.Base(src)] = true
	}
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s got no decision", filepath.Base(f))
		}
	}
}

func TestProcessTwiceIsDuplicate(t *testing.T) {
	state := filepath.Join(t.TempDir(), "w.db")
	args := []string{"process", "--policy", examples, "--state", state, "--now", now, filepath.Join(examples, "findings")}
	code, out1, errs := run(t, "", args...)
	if code != ExitOK {
		t.Fatalf("first run: exit %d\n%s", code, errs)
	}
	code, out2, errs := run(t, "", args...)
	if code != ExitOK {
		t.Fatalf("second run: exit %d\n%s", code, errs)
	}
	first, second := decisions(t, out1), decisions(t, out2)
	if len(first) == 0 || len(first) != len(second) {
		t.Fatalf("decisions: %d then %d", len(first), len(second))
	}
	for _, r := range second {
		if r["verdict"] != "duplicate" {
			t.Errorf("second run: %s verdict %v, want duplicate", r["finding_id"], r["verdict"])
		}
		if acts := r["actions"].([]any); len(acts) != 0 {
			t.Errorf("second run: %s plans actions again: %v", r["finding_id"], acts)
		}
	}
	// The audit chain holds both runs and verifies.
	code, out, _ := run(t, "", "audit", "verify", "--state", state)
	if code != ExitOK || !strings.Contains(out, "chain intact") {
		t.Fatalf("audit verify: exit %d: %s", code, out)
	}
}

func TestDryRunLeavesStateUntouched(t *testing.T) {
	state := filepath.Join(t.TempDir(), "w.db")
	code, out, errs := run(t, "", "process", "--policy", examples, "--state", state, "--dry-run", "--now", now, filepath.Join(examples, "findings"))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("--dry-run created the state file")
	}
	for _, r := range decisions(t, out) {
		for _, a := range r["actions"].([]any) {
			if s := a.(map[string]any)["status"]; s != "dry-run" {
				t.Errorf("dry-run action status %v", s)
			}
		}
	}
}

func TestAuditVerifyDetectsOneChangedByte(t *testing.T) {
	state := filepath.Join(t.TempDir(), "w.db")
	if code, _, errs := run(t, "", "process", "--policy", examples, "--state", state, "--now", now, filepath.Join(examples, "findings")); code != ExitOK {
		t.Fatalf("process: %s", errs)
	}
	if code, out, _ := run(t, "", "audit", "verify", "--state", state); code != ExitOK {
		t.Fatalf("verify before tampering: %s", out)
	}
	db, err := sql.Open("sqlite", state)
	if err != nil {
		t.Fatal(err)
	}
	var rec []byte
	if err := db.QueryRow("SELECT record FROM audit WHERE seq = 3").Scan(&rec); err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(rec, []byte(`"verdict":"`)) + len(`"verdict":"`)
	rec[i] ^= 0x01 // one byte
	if _, err := db.Exec("UPDATE audit SET record = ? WHERE seq = 3", rec); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ := run(t, "", "audit", "verify", "--state", state)
	if code != ExitFindings || !strings.Contains(out, "record 3") {
		t.Fatalf("verify after tampering: exit %d: %s", code, out)
	}
}

func TestProcessRejectsBadRecordsAndGoesOn(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(corpus, "asr-simdata", "afsbp-ec2.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, good); err != nil {
		t.Fatal(err)
	}
	line := compact.String()
	badType := strings.Replace(line, `"Label":"CRITICAL"`, `"Label":5`, 1)
	if badType == line {
		t.Fatal("fixture has no Severity.Label CRITICAL")
	}
	other := strings.Replace(line, "863e6dda", "00000000", -1)
	input := strings.Join([]string{line, `{"not": "a finding"}`, `{broken json`, badType, other}, "\n") + "\n"
	code, out, errs := run(t, input, "process", "--policy", examples, "--state", filepath.Join(dir, "w.db"), "--now", now, "-")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d (some input rejected)\nstderr: %s", code, ExitFindings, errs)
	}
	if n := len(decisions(t, out)); n != 2 {
		t.Errorf("good records (lines 1 and 5) not both decided: %d decisions", n)
	}
	for _, want := range []string{"line 2", "line 3", "line 4", "Severity.Label"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr does not name %s:\n%s", want, errs)
		}
	}
}

func TestPatternTest(t *testing.T) {
	tests := []struct {
		pattern, event string
		code           int
		out            string
	}{
		{`{"detail":{"eventName":["StopLogging"]}}`, `{"detail":{"eventName":"StopLogging"}}`, ExitOK, `{"result":true}`},
		{`{"detail":{"eventName":[{"prefix":"Delete"}]}}`, `{"detail":{"eventName":"StopLogging"}}`, ExitOK, `{"result":false}`},
		{`{"source":["aws.ec2"],"detail":{"n":[{"numeric":[">",5]}]}}`, `{"source":"aws.ec2","detail":{"n":7}}`, ExitOK, `{"result":true}`},
		{"{\n  \"detail\": {\"eventName\": [{\"prefx\": \"Stop\"}]}\n}", `{}`, ExitUsage, ""},
	}
	for _, tt := range tests {
		code, out, errs := run(t, "", "pattern", "test", tt.pattern, tt.event)
		if code != tt.code || strings.TrimSpace(out) != tt.out {
			t.Errorf("pattern test %s: exit %d out %q stderr %q", tt.pattern, code, out, errs)
		}
		if tt.code == ExitUsage && !strings.Contains(errs, "pattern:2:") {
			t.Errorf("invalid pattern error not positioned: %q", errs)
		}
	}
}

func TestValidateAndTest(t *testing.T) {
	if code, out, errs := run(t, "", "validate", "--policy", examples); code != ExitOK {
		t.Fatalf("validate examples: exit %d %s %s", code, out, errs)
	}
	code, _, errs := run(t, "", "validate", "--policy", "../policy/testdata/bad-refs")
	if code != ExitUsage || !strings.Contains(errs, "rules/r.yaml:5:14: unknown receiver") {
		t.Fatalf("validate bad repo: exit %d\n%s", code, errs)
	}
	if code, out, _ := run(t, "", "test", "--policy", examples); code != ExitOK {
		t.Fatalf("warden test on examples failed:\n%s", out)
	}
}

// TestTestFailsWithDiff changes one expectation in a copy of the examples:
// `warden test` must fail and say what differs.
func TestTestFailsWithDiff(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(examples)); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "tests", "*.yaml"))
	changed := false
	for _, f := range files {
		b, _ := os.ReadFile(f)
		s := string(b)
		for _, v := range []string{"verdict: remediate", "verdict: notify", "verdict: suppressed"} {
			if strings.Contains(s, v) {
				s = strings.Replace(s, v, "verdict: ignored", 1)
				os.WriteFile(f, []byte(s), 0o644)
				changed = true
				break
			}
		}
		if changed {
			break
		}
	}
	if !changed {
		t.Fatal("no expectation to change in examples/tests")
	}
	code, out, _ := run(t, "", "test", "--policy", dir)
	if code != ExitFindings || !strings.Contains(out, "FAIL") || !strings.Contains(out, "want ignored") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestRisksRegister(t *testing.T) {
	state := filepath.Join(t.TempDir(), "w.db")
	if code, _, errs := run(t, "", "process", "--policy", examples, "--state", state, "--now", now, filepath.Join(examples, "findings")); code != ExitOK {
		t.Fatalf("process: %s", errs)
	}
	code, out, errs := run(t, "", "risks", "--policy", examples, "--state", state, "--now", now, "--json")
	if code != ExitOK {
		t.Fatalf("risks: exit %d %s", code, errs)
	}
	var expired, soon, hides int
	for _, r := range decisions(t, out) {
		for _, k := range []string{"rule", "reason", "owner", "ticket", "approved_by", "expires", "age_days", "days_left", "hides"} {
			if _, ok := r[k]; !ok {
				t.Errorf("risk lacks %s: %v", k, r)
			}
		}
		if r["expired"] == true {
			expired++
		}
		if r["expiring_soon"] == true {
			soon++
		}
		hides += int(r["hides"].(float64))
	}
	if expired == 0 || soon == 0 || hides == 0 {
		t.Errorf("examples should show an expired risk, one expiring within 30 days and hidden findings: expired=%d soon=%d hides=%d", expired, soon, hides)
	}
	code, out, _ = run(t, "", "risks", "--policy", examples, "--state", state, "--now", now)
	if code != ExitOK || !strings.Contains(out, "EXPIRED") || !strings.Contains(out, "expiring soon") {
		t.Errorf("risks table:\n%s", out)
	}
}

func TestExplain(t *testing.T) {
	code, out, errs := run(t, "", "explain", "--policy", examples, "--now", now, "--state", filepath.Join(t.TempDir(), "none.db"), filepath.Join(examples, "findings", "guardduty-c2-dns.json"))
	if code != ExitOK {
		t.Fatalf("explain: exit %d %s", code, errs)
	}
	for _, want := range []string{"finding arn:aws:guardduty:", "rules (", "✓ ", "✗ ", "scope:", "pattern:", "tracking: never seen before", "decision: remediate", "record: {"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range commands() {
		args := []string{c.name, "--help"}
		switch c.name {
		case "pattern":
			args = []string{"pattern", "test", "--help"}
		case "audit":
			args = []string{"audit", "verify", "--help"}
		case "version":
			continue
		}
		code, _, errs := run(t, "", args...)
		if code != ExitOK || !strings.Contains(errs, "Usage: warden "+c.name) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	if code, _, _ := run(t, "", "frobnicate"); code != ExitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
}

func TestSafeEscapesControlCharacters(t *testing.T) {
	got := safe("evil\x1b[2Jtitle\nnext")
	if strings.ContainsAny(got, "\x1b\n") {
		t.Fatalf("safe left control characters: %q", got)
	}
	if safe("plain title") != "plain title" {
		t.Fatal("safe changed a plain string")
	}
}

func TestExplainSaysWhenNoDetectionMatches(t *testing.T) {
	ev := filepath.Join(t.TempDir(), "ev.json")
	os.WriteFile(ev, []byte(`{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111111111111:assumed-role/app/x","accountId":"111111111111"},"recipientAccountId":"111111111111","eventID":"e2","eventTime":"2026-11-25T08:00:00Z"}`), 0o644)
	code, out, errs := run(t, "", "explain", "--policy", examples, "--state", filepath.Join(t.TempDir(), "none.db"), ev)
	if code != ExitOK || !strings.Contains(out, "no detection turns it into a finding") {
		t.Fatalf("exit %d out %q err %q", code, out, errs)
	}
}

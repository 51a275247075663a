package normalize

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/source"
)

const corpus = "../../../shared/corpus"

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
)

// TestCorpusASFF decodes every file of the public ASFF sample set: no
// errors, and every finding has a plausible identity, account, region,
// severity and product.
func TestCorpusASFF(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpus, "asr-simdata", "*.json"))
	if len(files) == 0 {
		t.Skip("corpus not found")
	}
	if len(files) != 109 {
		t.Errorf("corpus has %d files, want 109", len(files))
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			res := Decode(source.Record{Data: data, Origin: finding.Origin{Source: filepath.Base(name)}})
			for _, err := range res.Errors {
				t.Error(err)
			}
			if len(res.Findings) == 0 {
				t.Fatal("no findings")
			}
			for _, f := range res.Findings {
				switch {
				case f.ID == "" || !strings.HasPrefix(f.ID, "arn:"):
					t.Errorf("ID %q", f.ID)
				case !accountRE.MatchString(f.AccountID):
					t.Errorf("AccountID %q", f.AccountID)
				case !regionRE.MatchString(f.Region):
					t.Errorf("Region %q", f.Region)
				case f.Severity == finding.SeverityUnknown:
					t.Errorf("Severity unknown")
				case f.Product == "":
					t.Errorf("Product empty")
				case !json.Valid(f.Doc):
					t.Errorf("Doc is not JSON")
				}
			}
		})
	}
}

// TestCorpusCloudTrail wraps every CloudTrail record of the Panther test
// set (the record is under "event") in an EventBridge envelope.
func TestCorpusCloudTrail(t *testing.T) {
	f, err := os.Open(filepath.Join(corpus, "panther-cloudtrail", "events.jsonl"))
	if err != nil {
		t.Skip("corpus not found:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, noAccount, noRegion := 0, 0, 0
	for line := 1; sc.Scan(); line++ {
		var row struct{ Event json.RawMessage }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		res := Decode(source.Record{Data: row.Event, Origin: finding.Origin{Source: "events.jsonl", Line: line}})
		if len(res.Errors) != 0 || len(res.Findings) != 0 || len(res.Events) != 1 {
			t.Errorf("line %d: %d events, %d findings, errors %v", line, len(res.Events), len(res.Findings), res.Errors)
			continue
		}
		var env struct {
			Source     *string `json:"source"`
			DetailType *string `json:"detail-type"`
			Account    *string `json:"account"`
			Region     *string `json:"region"`
			Detail     json.RawMessage
		}
		if err := json.Unmarshal(res.Events[0].Doc, &env); err != nil {
			t.Errorf("line %d: Doc is not JSON: %v", line, err)
			continue
		}
		if env.Source == nil || env.DetailType == nil || *env.DetailType == "" || env.Account == nil || env.Region == nil {
			t.Errorf("line %d: envelope fields missing: %s", line, res.Events[0].Doc[:200])
		}
		if !json.Valid(env.Detail) || string(env.Detail) != string(row.Event) {
			t.Errorf("line %d: detail is not the record as received", line)
		}
		// The record says its account and region somewhere: the envelope has them.
		if env.Account != nil && *env.Account == "" {
			noAccount++
		}
		if env.Region != nil && *env.Region == "" {
			noRegion++
		}
		n++
	}
	t.Logf("%d records; %d name no account anywhere, %d no region", n, noAccount, noRegion)
	if n != 461 {
		t.Errorf("%d records decoded, want 461", n)
	}
}

package normalize

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/source"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden is what a fixture decodes to, as stored in testdata/golden.
type golden struct {
	Findings []goldenFinding `json:"findings,omitempty"`
	Events   []goldenEvent   `json:"events,omitempty"`
	Errors   []string        `json:"errors,omitempty"`
}

type goldenFinding struct {
	ID              string             `json:"id"`
	Format          finding.Format     `json:"format"`
	Product         string             `json:"product"`
	ProductArn      string             `json:"product_arn,omitempty"`
	GeneratorID     string             `json:"generator_id,omitempty"`
	ControlID       string             `json:"control_id,omitempty"`
	Types           []string           `json:"types,omitempty"`
	Title           string             `json:"title"`
	AccountID       string             `json:"account_id"`
	Region          string             `json:"region"`
	Partition       string             `json:"partition,omitempty"`
	Severity        finding.Severity   `json:"severity"`
	Resources       []finding.Resource `json:"resources,omitempty"`
	Compliance      string             `json:"compliance,omitempty"`
	RecordState     string             `json:"record_state,omitempty"`
	WorkflowStatus  string             `json:"workflow_status,omitempty"`
	FirstObservedAt time.Time          `json:"first_observed_at,omitzero"`
	LastObservedAt  time.Time          `json:"last_observed_at,omitzero"`
	CreatedAt       time.Time          `json:"created_at,omitzero"`
	UpdatedAt       time.Time          `json:"updated_at,omitzero"`
	RemediationURL  string             `json:"remediation_url,omitempty"`
	Actor           string             `json:"actor,omitempty"`
	SourceIP        string             `json:"source_ip,omitempty"`
	Resolved        bool               `json:"resolved,omitempty"`
	Origin          finding.Origin     `json:"origin"`
	Fingerprint     string             `json:"fingerprint"`
	// Doc is the ASFF-shaped document when it was built; "raw" when it is
	// the finding as received.
	Doc json.RawMessage `json:"doc"`
}

type goldenEvent struct {
	Origin finding.Origin  `json:"origin"`
	Doc    json.RawMessage `json:"doc"`
}

func toGolden(t *testing.T, res Result) golden {
	var g golden
	for _, f := range res.Findings {
		doc := json.RawMessage(`"raw"`)
		if !bytes.Equal(f.Doc, f.Raw) {
			if !json.Valid(f.Doc) {
				t.Errorf("%s: Doc is not valid JSON: %s", f.ID, f.Doc)
			}
			doc = f.Doc
		}
		g.Findings = append(g.Findings, goldenFinding{
			ID: f.ID, Format: f.Format, Product: f.Product, ProductArn: f.ProductArn, GeneratorID: f.GeneratorID,
			ControlID: f.ControlID, Types: f.Types, Title: f.Title, AccountID: f.AccountID, Region: f.Region,
			Partition: f.Partition, Severity: f.Severity, Resources: f.Resources, Compliance: f.Compliance,
			RecordState: f.RecordState, WorkflowStatus: f.WorkflowStatus, FirstObservedAt: f.FirstObservedAt,
			LastObservedAt: f.LastObservedAt, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
			RemediationURL: f.RemediationURL, Actor: f.Actor, SourceIP: f.SourceIP, Resolved: f.Resolved(),
			Origin: f.Origin, Fingerprint: f.Fingerprint(), Doc: doc,
		})
	}
	for _, e := range res.Events {
		if !json.Valid(e.Doc) {
			t.Errorf("event %+v: Doc is not valid JSON: %s", e.Origin, e.Doc)
		}
		g.Events = append(g.Events, goldenEvent{Origin: e.Origin, Doc: e.Doc})
	}
	for _, err := range res.Errors {
		g.Errors = append(g.Errors, err.Error())
	}
	return g
}

// TestDecodeGolden decodes every fixture and compares the normalized
// fields with testdata/golden/<fixture>.golden; -update rewrites them.
func TestDecodeGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, name := range files {
		base := filepath.Base(name)
		t.Run(strings.TrimSuffix(base, ".json"), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			res := Decode(source.Record{Data: data, Origin: finding.Origin{Source: base, Line: 1}})
			if !strings.HasPrefix(base, "bad-") && len(res.Errors) > 0 {
				t.Errorf("errors decoding a good fixture: %v", res.Errors)
			}
			got, err := json.MarshalIndent(toGolden(t, res), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", strings.TrimSuffix(base, ".json")+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoded %s differs from %s (go test -update rewrites it):\n%s", base, path, got)
			}
		})
	}
}

package normalize

import (
	"slices"
	"strconv"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/jsonscan"
)

// kv is one ProductFields entry.
type kv struct{ k, v string }

// asffDoc builds the ASFF-shaped document that policy patterns match, for
// a finding that did not arrive as ASFF: the finding's own fields under
// their ASFF names, so that one rule (ProductName, Types, Severity.Label,
// Compliance.SecurityControlId, Resources[].Id, …) matches a finding
// whatever channel it came from. It is written directly, not marshalled:
// no reflection, and the field order is stable.
func asffDoc(f *finding.Finding, productFields []kv) []byte {
	size := 512 + len(f.ID) + len(f.Title) + len(f.Description) + len(f.RemediationText) + 200*len(f.Resources)
	for _, e := range productFields {
		size += len(e.k) + len(e.v) + 6
	}
	w := docWriter{b: make([]byte, 0, size)}
	w.b = append(w.b, '{')
	w.str("SchemaVersion", "2018-10-08")
	w.str("Id", f.ID)
	w.str("ProductArn", f.ProductArn)
	w.str("ProductName", f.Product)
	w.str("AwsAccountId", f.AccountID)
	w.str("Region", f.Region)
	w.str("GeneratorId", f.GeneratorID)
	if len(f.Types) > 0 {
		w.key("Types")
		w.b = append(w.b, '[')
		for i, t := range f.Types {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = jsonscan.AppendString(w.b, t)
		}
		w.b = append(w.b, ']')
	}
	w.time("FirstObservedAt", f.FirstObservedAt)
	w.time("LastObservedAt", f.LastObservedAt)
	w.time("CreatedAt", f.CreatedAt)
	w.time("UpdatedAt", f.UpdatedAt)
	w.key("Severity")
	w.b = append(w.b, `{"Label":`...)
	w.b = jsonscan.AppendString(w.b, f.Severity.String())
	w.b = append(w.b, `,"Normalized":`...)
	w.b = strconv.AppendInt(w.b, int64(normalizedOf[f.Severity]), 10)
	w.b = append(w.b, '}')
	w.str("Title", f.Title)
	w.str("Description", f.Description)
	if f.RemediationText != "" || f.RemediationURL != "" {
		w.key("Remediation")
		w.b = append(w.b, `{"Recommendation":{`...)
		inner := docWriter{b: w.b, n: 0}
		inner.str("Text", f.RemediationText)
		inner.str("Url", f.RemediationURL)
		w.b = append(inner.b, "}}"...)
	}
	if len(productFields) > 0 {
		w.key("ProductFields")
		w.b = append(w.b, '{')
		pf := slices.Clone(productFields)
		slices.SortFunc(pf, func(a, b kv) int {
			switch {
			case a.k < b.k:
				return -1
			case a.k > b.k:
				return 1
			}
			return 0
		})
		inner := docWriter{b: w.b}
		for _, e := range pf {
			inner.str(e.k, e.v)
		}
		w.b = append(inner.b, '}')
	}
	if len(f.Resources) > 0 {
		w.key("Resources")
		w.b = append(w.b, '[')
		for i, r := range f.Resources {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			inner := docWriter{b: append(w.b, '{')}
			inner.str("Type", r.Type)
			inner.str("Id", r.ID)
			inner.str("Partition", r.Partition)
			inner.str("Region", r.Region)
			if len(r.Tags) > 0 {
				inner.key("Tags")
				inner.b = append(inner.b, '{')
				tags := docWriter{b: inner.b}
				for _, k := range sortedKeys(r.Tags) {
					tags.str(k, r.Tags[k])
				}
				inner.b = append(tags.b, '}')
			}
			w.b = append(inner.b, '}')
		}
		w.b = append(w.b, ']')
	}
	if f.Compliance != "" || f.ControlID != "" {
		w.key("Compliance")
		inner := docWriter{b: append(w.b, '{')}
		inner.str("Status", f.Compliance)
		inner.str("SecurityControlId", f.ControlID)
		w.b = append(inner.b, '}')
	}
	w.str("RecordState", f.RecordState)
	if f.WorkflowStatus != "" {
		w.key("Workflow")
		w.b = append(w.b, `{"Status":`...)
		w.b = jsonscan.AppendString(w.b, f.WorkflowStatus)
		w.b = append(w.b, '}')
	}
	return append(w.b, '}')
}

// normalizedOf is the Severity.Normalized Security Hub gives a label
// (INFORMATIONAL 0, LOW 1, MEDIUM 40, HIGH 70, CRITICAL 90).
var normalizedOf = map[finding.Severity]int{
	finding.SeverityLow: 1, finding.SeverityMedium: 40, finding.SeverityHigh: 70, finding.SeverityCritical: 90,
}

// docWriter appends object members, with commas, skipping empty strings.
type docWriter struct {
	b []byte
	n int // members written
}

func (w *docWriter) key(k string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = jsonscan.AppendString(w.b, k)
	w.b = append(w.b, ':')
}

func (w *docWriter) str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	w.b = jsonscan.AppendString(w.b, v)
}

func (w *docWriter) time(k string, t time.Time) {
	if t.IsZero() {
		return
	}
	w.str(k, t.UTC().Format(time.RFC3339Nano))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
)

// Fingerprint is a digest of the fields that matter for a decision. Two
// versions of a finding with the same fingerprint are the same as far as
// Warden is concerned: a version that changed only LastObservedAt,
// UpdatedAt, ProcessedAt, Note, ProductFields, UserDefinedFields or a
// workflow status other than RESOLVED (Warden's own write-back sets NOTIFIED
// and SUPPRESSED) is a duplicate.
//
// Included: identity, severity, title, types, resource ids, compliance
// status, record state and whether the workflow is RESOLVED.
func (f *Finding) Fingerprint() string {
	h := sha256.New()
	w := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	w(f.ID)
	w(f.Severity.String())
	w(f.Title)
	types := append([]string(nil), f.Types...)
	sort.Strings(types)
	for _, t := range types {
		w(t)
	}
	w("\x01")
	ids := make([]string, 0, len(f.Resources))
	for _, r := range f.Resources {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	for _, id := range ids {
		w(id)
	}
	w("\x01")
	w(f.Compliance)
	w(f.RecordState)
	if f.WorkflowStatus == "RESOLVED" {
		w("RESOLVED")
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}

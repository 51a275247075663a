package audit

import "context"

// Record is one stored link of the audit chain. Package store re-exports it
// as store.AuditRecord, so every store.Store is a Log as it stands.
//
// Record lives here rather than in package store because store imports
// audit (for Link) to build the chain; defining the link type and the
// reading interface on this side lets Verify and Export take any store
// without an import cycle and without an adapter at the call site.
type Record struct {
	Seq      int64  // 1-based, contiguous
	PrevHash []byte // Hash of record Seq-1 (Genesis for Seq 1)
	Hash     []byte // Link(PrevHash, Record)
	Record   []byte // the decision record (JSON, DESIGN §7), byte for byte
}

// Log is a readable audit chain. store.Store implements it.
type Log interface {
	// Audit calls fn for each record with Seq > after, in Seq order, and
	// stops at and returns the first error fn returns.
	Audit(ctx context.Context, after int64, fn func(Record) error) error
}

// Package store keeps Warden's durable state: one row per tracked finding
// and the hash-chained audit log. Implementations: SQLite (the embedded
// default, sqlite.go), Memory (tests, memory.go) and the dry-run Overlay
// (overlay.go), which reads through to another store and writes only to
// memory. PostgreSQL will follow behind the same interface; every
// implementation passes the conformance suite in storetest. docs/PERFORMANCE.md has
// the SQLite store's measured throughput and settings.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/finding"
)

// Status is the tracked status of a finding.
type Status string

// Tracked statuses.
const (
	StatusActive     Status = "active"
	StatusResolved   Status = "resolved"
	StatusSuppressed Status = "suppressed"
)

// State is what Warden remembers of one finding identity.
type State struct {
	ID           string
	Product      string
	AccountID    string
	Region       string
	Title        string
	Status       Status
	Severity     finding.Severity
	Fingerprint  string
	FirstSeen    time.Time
	LastSeen     time.Time
	LastNotified time.Time // zero when never notified
	NotifyCount  int
	// SuppressedBy is the id of the rule whose accepted risk currently
	// hides the finding ("" when none).
	SuppressedBy string
	// LastVerdict is the verdict of the last decision on this finding.
	LastVerdict string
}

// Entry is the durable result of deciding one finding version: the new
// state and the decision record appended to the audit log. A batch of
// entries is applied in one transaction.
type Entry struct {
	State State
	// Record is the decision record (JSON, DESIGN §7) to append to the
	// audit log. It is stored byte for byte; the chain hashes these bytes.
	Record []byte
	// StateUnchanged says State is exactly what the store already holds
	// (or what an earlier entry of the same batch writes): only Record is
	// appended. A store may ignore it and write State anyway.
	StateUnchanged bool
	// Jobs are the act-stage work the decision asks for (messages,
	// remediations, write-backs), created in the same transaction. The
	// store assigns their IDs.
	Jobs []Job
}

// AuditRecord is one stored link of the audit chain: Seq (1-based,
// contiguous), PrevHash (hash of record Seq-1, audit.Genesis for Seq 1),
// Hash (audit.Link(PrevHash, Record)) and Record. It is an alias of
// audit.Record so that every Store is an audit.Log and audit.Verify and
// audit.Export take a Store as it stands (store imports audit for Link,
// so audit cannot import store).
type AuditRecord = audit.Record

// ErrNotFound is returned by lookups of unknown keys.
var ErrNotFound = errors.New("not found")

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("store closed")

// Store is durable state. Implementations are safe for concurrent use.
type Store interface {
	// Load returns the stored states of the given ids; ids never seen are
	// absent from the map. Times come back in UTC (zero stays zero).
	Load(ctx context.Context, ids []string) (map[string]State, error)
	// Apply upserts every entry's state and appends every entry's record to
	// the audit chain, in order, in one transaction: all or nothing.
	// Apply calls from several goroutines (or processes, for SQL stores)
	// are serialized into one chain. An invalid entry (see Entry.Validate)
	// fails the whole batch before anything is written.
	Apply(ctx context.Context, entries []Entry) error
	// Audit calls fn for each audit record with Seq > after, in order.
	// It stops at and returns the first error fn returns. fn may call the
	// store (implementations hold no lock or connection while calling it).
	Audit(ctx context.Context, after int64, fn func(AuditRecord) error) error
	// SuppressionCounts returns, per rule id, how many tracked findings it
	// currently suppresses.
	SuppressionCounts(ctx context.Context) (map[string]int, error)
	// Close releases the store.
	Close() error
	JobStore
}

// AuditHeader is implemented by stores that can name the last link of
// their audit chain without reading the chain. Overlay uses it to fork a
// dry-run chain from its base; stores without it are read to the end.
type AuditHeader interface {
	// AuditHead returns the Seq and Hash of the last audit record, or 0 and
	// audit.Genesis when the chain is empty.
	AuditHead(ctx context.Context) (seq int64, hash []byte, err error)
}

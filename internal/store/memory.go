package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/wardenhq/warden/internal/audit"
)

// Memory is a Store held in process memory, with the same semantics as the
// SQL stores: tests use it, and Overlay keeps dry-run writes in one. It is
// safe for concurrent use. Everything is lost on Close.
type Memory struct {
	mu     sync.RWMutex
	states map[string]State
	// chain holds the records after start (seq startSeq+1 on). records is
	// only ever appended to, so a reader may keep a slice of it after
	// unlocking.
	startSeq  int64
	startHash []byte
	records   []AuditRecord
	closed    bool
	jobs      memJobs
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{states: map[string]State{}, startHash: audit.Genesis}
}

// Load implements Store.
func (m *Memory) Load(ctx context.Context, ids []string) (map[string]State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	out := make(map[string]State, len(ids))
	for _, id := range ids {
		if s, ok := m.states[id]; ok {
			out[id] = s
		}
	}
	return out, nil
}

// Apply implements Store. The batch is validated and its records built
// before the lock is taken; the context is checked last, so a cancelled
// Apply changes nothing.
func (m *Memory) Apply(ctx context.Context, entries []Entry) error {
	if err := validate(entries); err != nil {
		return fmt.Errorf("applying %d entries: %w", len(entries), err)
	}
	if len(entries) == 0 {
		return ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("applying %d entries: %w", len(entries), err)
	}
	seq, prev := m.headLocked()
	for i := range entries {
		e := &entries[i]
		m.states[e.State.ID] = normalize(e.State)
		m.addJobsLocked(e)
		rec := clone(e.Record)
		hash := audit.Link(prev, rec)
		seq++
		m.records = append(m.records, AuditRecord{Seq: seq, PrevHash: prev, Hash: hash, Record: rec})
		prev = hash
	}
	return nil
}

func (m *Memory) headLocked() (int64, []byte) {
	if n := len(m.records); n > 0 {
		return m.records[n-1].Seq, m.records[n-1].Hash
	}
	return m.startSeq, m.startHash
}

// AuditHead implements AuditHeader.
func (m *Memory) AuditHead(ctx context.Context) (int64, []byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return 0, nil, ErrClosed
	}
	seq, hash := m.headLocked()
	return seq, clone(hash), nil
}

// Audit implements Store. It calls fn without holding the lock, on the
// records present when it was called; fn gets copies.
func (m *Memory) Audit(ctx context.Context, after int64, fn func(AuditRecord) error) error {
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	recs, start := m.records, m.startSeq
	m.mu.RUnlock()
	i := max(after-start, 0)
	for ; i < int64(len(recs)); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := recs[i]
		if err := fn(AuditRecord{Seq: r.Seq, PrevHash: clone(r.PrevHash), Hash: clone(r.Hash), Record: clone(r.Record)}); err != nil {
			return err
		}
	}
	return nil
}

// SuppressionCounts implements Store.
func (m *Memory) SuppressionCounts(ctx context.Context) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	out := map[string]int{}
	for _, s := range m.states {
		if s.SuppressedBy != "" {
			out[s.SuppressedBy]++
		}
	}
	return out, nil
}

// Close implements Store; later calls fail.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.states, m.records = nil, nil
	return nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func (m *Memory) checkOpen() error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	return nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/wardenhq/warden/internal/audit"
)

// overlay is the --dry-run store: reads fall through to base for ids the
// overlay has not written, writes stay in memory, and base is never
// written. Its audit chain forks from base's last record at the overlay's
// first Apply: Audit yields base's records up to the fork, then the
// overlay's, so the dry-run chain verifies end to end.
type overlay struct {
	base Store
	top  *Memory

	mu     sync.Mutex // serializes Apply and the fork
	forked bool
	fork   int64 // base Seq the overlay chain continues from
}

// NewOverlay returns a Store that reads through to base and writes only to
// itself. The overlay owns base: Close closes both, so a dry run can hold
// the overlay as its only handle.
func NewOverlay(base Store) Store {
	return &overlay{base: base, top: NewMemory()}
}

func (o *overlay) Load(ctx context.Context, ids []string) (map[string]State, error) {
	out, err := o.top.Load(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(out) == len(ids) {
		return out, nil
	}
	missing := make([]string, 0, len(ids)-len(out))
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			missing = append(missing, id)
		}
	}
	fromBase, err := o.base.Load(ctx, missing)
	if err != nil {
		return nil, fmt.Errorf("loading from base store: %w", err)
	}
	for id, s := range fromBase {
		if _, ok := out[id]; !ok {
			out[id] = s
		}
	}
	return out, nil
}

func (o *overlay) Apply(ctx context.Context, entries []Entry) error {
	if err := validate(entries); err != nil {
		return fmt.Errorf("applying %d entries: %w", len(entries), err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.top.checkOpen(); err != nil {
		return err
	}
	if len(entries) > 0 {
		if err := o.forkLocked(ctx); err != nil {
			return err
		}
	}
	return o.top.Apply(ctx, entries)
}

// forkLocked starts the overlay's chain after base's last record, once.
func (o *overlay) forkLocked(ctx context.Context) error {
	if o.forked {
		return nil
	}
	seq, hash, err := head(ctx, o.base)
	if err != nil {
		return fmt.Errorf("reading base audit head: %w", err)
	}
	o.top.mu.Lock()
	o.top.startSeq, o.top.startHash = seq, hash
	o.top.mu.Unlock()
	o.fork, o.forked = seq, true
	return nil
}

// head returns the last Seq and Hash of st's chain.
func head(ctx context.Context, st Store) (int64, []byte, error) {
	if h, ok := st.(AuditHeader); ok {
		return h.AuditHead(ctx)
	}
	var last AuditRecord
	err := st.Audit(ctx, 0, func(r AuditRecord) error { last = r; return nil })
	if err != nil {
		return 0, nil, err
	}
	if last.Seq == 0 {
		return 0, clone(audit.Genesis), nil
	}
	return last.Seq, last.Hash, nil
}

func (o *overlay) AuditHead(ctx context.Context) (int64, []byte, error) {
	if err := o.top.checkOpen(); err != nil {
		return 0, nil, err
	}
	o.mu.Lock()
	forked := o.forked
	o.mu.Unlock()
	if !forked {
		return head(ctx, o.base)
	}
	return o.top.AuditHead(ctx)
}

var errStopBase = errors.New("past the fork")

func (o *overlay) Audit(ctx context.Context, after int64, fn func(AuditRecord) error) error {
	if err := o.top.checkOpen(); err != nil {
		return err
	}
	o.mu.Lock()
	forked, fork := o.forked, o.fork
	o.mu.Unlock()
	if !forked {
		return o.base.Audit(ctx, after, fn)
	}
	if after < fork {
		err := o.base.Audit(ctx, after, func(r AuditRecord) error {
			if r.Seq > fork {
				return errStopBase
			}
			return fn(r)
		})
		if err != nil && !errors.Is(err, errStopBase) {
			return err
		}
	}
	return o.top.Audit(ctx, after, fn)
}

// SuppressionCounts counts base's suppressions, minus those of the findings
// the overlay has rewritten, plus the overlay's own.
func (o *overlay) SuppressionCounts(ctx context.Context) (map[string]int, error) {
	if err := o.top.checkOpen(); err != nil {
		return nil, err
	}
	counts, err := o.base.SuppressionCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting base suppressions: %w", err)
	}
	o.top.mu.RLock()
	if o.top.closed {
		o.top.mu.RUnlock()
		return nil, ErrClosed
	}
	ids := make([]string, 0, len(o.top.states))
	for id, s := range o.top.states {
		ids = append(ids, id)
		if s.SuppressedBy != "" {
			counts[s.SuppressedBy]++
		}
	}
	o.top.mu.RUnlock()
	old, err := o.base.Load(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("loading from base store: %w", err)
	}
	for _, s := range old {
		if s.SuppressedBy == "" {
			continue
		}
		if counts[s.SuppressedBy]--; counts[s.SuppressedBy] <= 0 {
			delete(counts, s.SuppressedBy)
		}
	}
	return counts, nil
}

func (o *overlay) Close() error {
	if o.top.checkOpen() != nil {
		return nil // closed already
	}
	return errors.Join(o.top.Close(), o.base.Close())
}

// The overlay's jobs and refs are its own (the dry run's outbox and
// pending actions); base's are never changed. Refs and States read
// through to base for what the overlay has not written.

func (o *overlay) Jobs(ctx context.Context, f JobFilter) ([]Job, error) { return o.top.Jobs(ctx, f) }

func (o *overlay) EnqueueJobs(ctx context.Context, jobs []Job, auditRec []byte) ([]int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.forkLocked(ctx); err != nil {
		return nil, err
	}
	return o.top.EnqueueJobs(ctx, jobs, auditRec)
}

func (o *overlay) Job(ctx context.Context, id int64) (Job, error) { return o.top.Job(ctx, id) }

func (o *overlay) UpdateJobs(ctx context.Context, updates []JobUpdate) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.forkLocked(ctx); err != nil {
		return err
	}
	return o.top.UpdateJobs(ctx, updates)
}

func (o *overlay) SetRefs(ctx context.Context, refs []Ref) error { return o.top.SetRefs(ctx, refs) }

func (o *overlay) Refs(ctx context.Context, target string, ids []string) (map[string]Ref, error) {
	out, err := o.base.Refs(ctx, target, ids)
	if err != nil {
		return nil, fmt.Errorf("reading refs from base store: %w", err)
	}
	top, err := o.top.Refs(ctx, target, ids)
	if err != nil {
		return nil, err
	}
	for id, r := range top {
		out[id] = r
	}
	return out, nil
}

func (o *overlay) States(ctx context.Context, statuses []Status, fn func(State) error) error {
	var list []State
	seen := map[string]bool{}
	if err := o.top.States(ctx, nil, func(s State) error {
		seen[s.ID] = true
		if len(statuses) == 0 || hasStatus(statuses, s.Status) {
			list = append(list, s)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := o.base.States(ctx, statuses, func(s State) error {
		if !seen[s.ID] {
			list = append(list, s)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("listing base store findings: %w", err)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	for _, s := range list {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

package store

import (
	"context"
	"fmt"
	"github.com/wardenhq/warden/internal/audit"
	"sort"
)

// memJobs is the job part of Memory, guarded by Memory.mu.
type memJobs struct {
	jobs   map[int64]Job
	nextID int64
	refs   map[[2]string]Ref // {target, id}
}

func (m *Memory) addJobsLocked(e *Entry) {
	if m.jobs.jobs == nil {
		m.jobs.jobs = map[int64]Job{}
		m.jobs.refs = map[[2]string]Ref{}
	}
	for i := range e.Jobs {
		m.jobs.nextID++
		j := normalizeJob(e.Jobs[i])
		j.ID = m.jobs.nextID
		j.Payload, j.Result = clone(j.Payload), clone(j.Result)
		m.jobs.jobs[j.ID] = j
		e.Jobs[i].ID = j.ID
	}
}

// EnqueueJobs implements JobStore.
func (m *Memory) EnqueueJobs(ctx context.Context, jobs []Job, auditRec []byte) ([]int64, error) {
	for i := range jobs {
		if err := validateJob(&jobs[i]); err != nil {
			return nil, fmt.Errorf("enqueueing jobs: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	e := Entry{Jobs: append([]Job(nil), jobs...)}
	m.addJobsLocked(&e)
	ids := make([]int64, len(jobs))
	for i := range e.Jobs {
		ids[i] = e.Jobs[i].ID
	}
	if auditRec != nil {
		seq, prev := m.headLocked()
		rec := clone(auditRec)
		m.records = append(m.records, AuditRecord{Seq: seq + 1, PrevHash: prev, Hash: audit.Link(prev, rec), Record: rec})
	}
	return ids, nil
}

// Jobs implements JobStore.
func (m *Memory) Jobs(ctx context.Context, f JobFilter) ([]Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	var out []Job
	for _, j := range m.jobs.jobs {
		if f.Match(&j) {
			j.Payload, j.Result = clone(j.Payload), clone(j.Result)
			out = append(out, j)
		}
	}
	sortJobs(out)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func sortJobs(js []Job) {
	sort.Slice(js, func(a, b int) bool {
		if !js[a].Due.Equal(js[b].Due) {
			return js[a].Due.Before(js[b].Due)
		}
		return js[a].ID < js[b].ID
	})
}

// Job implements JobStore.
func (m *Memory) Job(ctx context.Context, id int64) (Job, error) {
	if err := ctx.Err(); err != nil {
		return Job{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return Job{}, ErrClosed
	}
	j, ok := m.jobs.jobs[id]
	if !ok {
		return Job{}, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	j.Payload, j.Result = clone(j.Payload), clone(j.Result)
	return j, nil
}

// UpdateJobs implements JobStore.
func (m *Memory) UpdateJobs(ctx context.Context, updates []JobUpdate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for _, u := range updates {
		j, ok := m.jobs.jobs[u.ID]
		if !ok {
			return fmt.Errorf("job %d: %w", u.ID, ErrNotFound)
		}
		if j.Status != u.From {
			return fmt.Errorf("job %d is %s, not %s: %w", u.ID, j.Status, u.From, ErrConflict)
		}
		if u.FromAttempts != nil && j.Attempts != *u.FromAttempts {
			return fmt.Errorf("job %d has %d attempts, not %d: %w", u.ID, j.Attempts, *u.FromAttempts, ErrConflict)
		}
	}
	seq, prev := m.headLocked()
	for _, u := range updates {
		j := m.jobs.jobs[u.ID]
		m.jobs.jobs[u.ID] = applyUpdate(j, u)
		if u.Audit != nil {
			rec := clone(u.Audit)
			hash := audit.Link(prev, rec)
			seq++
			m.records = append(m.records, AuditRecord{Seq: seq, PrevHash: prev, Hash: hash, Record: rec})
			prev = hash
		}
	}
	return nil
}

// applyUpdate returns j with the update's fields.
func applyUpdate(j Job, u JobUpdate) Job {
	n := u.Job
	j.Status, j.Due, j.Expires, j.Attempts, j.LastError = n.Status, n.Due, n.Expires, n.Attempts, n.LastError
	j.Result, j.DecidedBy, j.DecidedAt, j.Updated = clone(n.Result), n.DecidedBy, n.DecidedAt, n.Updated
	if n.Payload != nil {
		j.Payload = clone(n.Payload)
	}
	return normalizeJob(j)
}

// SetRefs implements JobStore.
func (m *Memory) SetRefs(ctx context.Context, refs []Ref) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.jobs.refs == nil {
		m.jobs.jobs = map[int64]Job{}
		m.jobs.refs = map[[2]string]Ref{}
	}
	for _, r := range refs {
		r.Updated = fromUnixNano(unixNano(r.Updated))
		m.jobs.refs[[2]string{r.Target, r.FindingID}] = r
	}
	return nil
}

// Refs implements JobStore.
func (m *Memory) Refs(ctx context.Context, target string, ids []string) (map[string]Ref, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	out := map[string]Ref{}
	for _, id := range ids {
		if r, ok := m.jobs.refs[[2]string{target, id}]; ok {
			out[id] = r
		}
	}
	return out, nil
}

// States implements JobStore.
func (m *Memory) States(ctx context.Context, statuses []Status, fn func(State) error) error {
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	var list []State
	for _, s := range m.states {
		if len(statuses) == 0 || hasStatus(statuses, s.Status) {
			list = append(list, s)
		}
	}
	m.mu.RUnlock()
	sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	for _, s := range list {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

func hasStatus(list []Status, s Status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

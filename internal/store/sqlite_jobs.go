package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/audit"
)

const jobCols = `id, kind, status, finding_id, target, grp, due, expires, attempts, last_error,
	payload, result, requester, decided_by, decided_at, created, updated`

const insertJobSQL = `INSERT INTO jobs (kind, status, finding_id, target, grp, due, expires, attempts, last_error,
	payload, result, requester, decided_by, decided_at, created, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertJob runs the prepared insert (tx.StmtContext(ctx, s.insJob)).
func insertJob(ins *sql.Stmt, j *Job) (int64, error) {
	res, err := ins.ExecContext(stmtCtx,
		string(j.Kind), string(j.Status), j.FindingID, j.Target, j.Group, unixNano(j.Due), unixNano(j.Expires),
		j.Attempts, j.LastError, nonNil(j.Payload), nonNil(j.Result), j.Requester, j.DecidedBy,
		unixNano(j.DecidedAt), unixNano(j.Created), unixNano(j.Updated))
	if err != nil {
		return 0, fmt.Errorf("inserting %s job for %q: %w", j.Kind, j.FindingID, err)
	}
	return res.LastInsertId()
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func scanJob(sc interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var kind, status string
	var due, expires, decided, created, updated int64
	err := sc.Scan(&j.ID, &kind, &status, &j.FindingID, &j.Target, &j.Group, &due, &expires, &j.Attempts, &j.LastError,
		&j.Payload, &j.Result, &j.Requester, &j.DecidedBy, &decided, &created, &updated)
	if err != nil {
		return Job{}, err
	}
	j.Kind, j.Status = JobKind(kind), JobStatus(status)
	j.Due, j.Expires, j.DecidedAt = fromUnixNano(due), fromUnixNano(expires), fromUnixNano(decided)
	j.Created, j.Updated = fromUnixNano(created), fromUnixNano(updated)
	if len(j.Payload) == 0 {
		j.Payload = nil
	}
	if len(j.Result) == 0 {
		j.Result = nil
	}
	return j, nil
}

// Jobs implements JobStore.
func (s *SQLite) Jobs(ctx context.Context, f JobFilter) ([]Job, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if len(f.Status) > 0 {
		ph := make([]string, len(f.Status))
		for i, st := range f.Status {
			ph[i] = "?"
			args = append(args, string(st))
		}
		where = append(where, "status IN ("+strings.Join(ph, ", ")+")")
	}
	if f.FindingID != "" {
		where, args = append(where, "finding_id = ?"), append(args, f.FindingID)
	}
	if f.Target != "" {
		where, args = append(where, "target = ?"), append(args, f.Target)
	}
	if f.Group != "" {
		where, args = append(where, "grp = ?"), append(args, f.Group)
	}
	if !f.DueBy.IsZero() {
		where, args = append(where, "due <= ?"), append(args, unixNano(f.DueBy))
	}
	if !f.UpdatedSince.IsZero() {
		where, args = append(where, "updated >= ?"), append(args, unixNano(f.UpdatedSince))
	}
	q := `SELECT ` + jobCols + ` FROM jobs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY due, id"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("listing jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Job implements JobStore.
func (s *SQLite) Job(ctx context.Context, id int64) (Job, error) {
	if err := s.checkOpen(); err != nil {
		return Job{}, err
	}
	j, err := scanJob(s.r.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("reading job %d: %w", id, err)
	}
	return j, nil
}

// EnqueueJobs implements JobStore.
func (s *SQLite) EnqueueJobs(ctx context.Context, jobs []Job, auditRec []byte) ([]int64, error) {
	for i := range jobs {
		if err := validateJob(&jobs[i]); err != nil {
			return nil, fmt.Errorf("enqueueing jobs: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("enqueueing jobs: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	ids := make([]int64, len(jobs))
	ins := tx.StmtContext(ctx, s.insJob)
	for i := range jobs {
		if ids[i], err = insertJob(ins, &jobs[i]); err != nil {
			return nil, err
		}
	}
	if auditRec != nil {
		seq, prev, err := s.headTx(ctx, tx)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, appendSQL, seq+1, prev, audit.Link(prev, auditRec), auditRec, s.clock().UnixNano()); err != nil {
			return nil, fmt.Errorf("appending audit record %d: %w", seq+1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("enqueueing jobs: committing: %w", err)
	}
	return ids, nil
}

// UpdateJobs implements JobStore.
func (s *SQLite) UpdateJobs(ctx context.Context, updates []JobUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("updating jobs: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var seq int64
	var prev []byte
	headRead := false
	now := s.clock().UnixNano()
	const upd = `UPDATE jobs SET status = ?, due = ?, expires = ?, attempts = ?, last_error = ?, result = ?,
	decided_by = ?, decided_at = ?, updated = ?`
	stmts := map[[2]bool]*sql.Stmt{}
	stmt := func(withPayload, withAttempts bool) (*sql.Stmt, error) {
		k := [2]bool{withPayload, withAttempts}
		if st, ok := stmts[k]; ok {
			return st, nil
		}
		q := upd
		if withPayload {
			q += `, payload = ?`
		}
		q += ` WHERE id = ? AND status = ?`
		if withAttempts {
			q += ` AND attempts = ?`
		}
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		stmts[k] = st
		return st, nil
	}
	var appendRec *sql.Stmt
	for _, u := range updates {
		n := u.Job
		args := []any{string(n.Status), unixNano(n.Due), unixNano(n.Expires), n.Attempts, n.LastError, nonNil(n.Result),
			n.DecidedBy, unixNano(n.DecidedAt), unixNano(n.Updated)}
		if n.Payload != nil {
			args = append(args, n.Payload)
		}
		args = append(args, u.ID, string(u.From))
		if u.FromAttempts != nil {
			args = append(args, *u.FromAttempts)
		}
		st, err := stmt(n.Payload != nil, u.FromAttempts != nil)
		if err != nil {
			return fmt.Errorf("updating job %d: %w", u.ID, err)
		}
		res, err := st.ExecContext(stmtCtx, args...)
		if err != nil {
			return fmt.Errorf("updating job %d: %w", u.ID, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			var status string
			var attempts int
			err := tx.QueryRowContext(ctx, `SELECT status, attempts FROM jobs WHERE id = ?`, u.ID).Scan(&status, &attempts)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("job %d: %w", u.ID, ErrNotFound)
			}
			if JobStatus(status) == u.From && u.FromAttempts != nil {
				return fmt.Errorf("job %d has %d attempts, not %d: %w", u.ID, attempts, *u.FromAttempts, ErrConflict)
			}
			return fmt.Errorf("job %d is %s, not %s: %w", u.ID, status, u.From, ErrConflict)
		}
		if u.Audit != nil {
			if !headRead {
				if seq, prev, err = s.headTx(ctx, tx); err != nil {
					return err
				}
				headRead = true
			}
			if appendRec == nil {
				appendRec = tx.StmtContext(ctx, s.append1)
			}
			seq++
			hash := audit.Link(prev, u.Audit)
			if _, err := appendRec.ExecContext(stmtCtx, seq, prev, hash, u.Audit, now); err != nil {
				return fmt.Errorf("appending audit record %d: %w", seq, err)
			}
			prev = hash
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("updating jobs: committing: %w", err)
	}
	return nil
}

// SetRefs implements JobStore.
func (s *SQLite) SetRefs(ctx context.Context, refs []Ref) error {
	if len(refs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("setting refs: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for _, r := range refs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO refs (target, id, value, updated) VALUES (?, ?, ?, ?)
ON CONFLICT (target, id) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
			r.Target, r.FindingID, r.Value, unixNano(r.Updated)); err != nil {
			return fmt.Errorf("setting ref %s/%s: %w", r.Target, r.FindingID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("setting refs: committing: %w", err)
	}
	return nil
}

// Refs implements JobStore.
func (s *SQLite) Refs(ctx context.Context, target string, ids []string) (map[string]Ref, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	out := map[string]Ref{}
	for start := 0; start < len(ids); start += loadChunk {
		chunk := ids[start:min(start+loadChunk, len(ids))]
		args := []any{target}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.r.QueryContext(ctx, `SELECT id, value, updated FROM refs WHERE target = ? AND id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("reading refs: %w", err)
		}
		for rows.Next() {
			var r Ref
			var upd int64
			if err := rows.Scan(&r.FindingID, &r.Value, &upd); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading refs: %w", err)
			}
			r.Target, r.Updated = target, fromUnixNano(upd)
			out[r.FindingID] = r
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("reading refs: %w", err)
		}
	}
	return out, nil
}

// States implements JobStore. It reads in pages by id so that fn may use
// the store and no read snapshot stays open for long.
func (s *SQLite) States(ctx context.Context, statuses []Status, fn func(State) error) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	after := ""
	for {
		q := `SELECT ` + findingCols + ` FROM findings WHERE id > ?`
		args := []any{after}
		if len(statuses) > 0 {
			ph := make([]string, len(statuses))
			for i, st := range statuses {
				ph[i] = "?"
				args = append(args, string(st))
			}
			q += ` AND status IN (` + strings.Join(ph, ", ") + `)`
		}
		q += fmt.Sprintf(` ORDER BY id LIMIT %d`, auditPage)
		page := map[string]State{}
		var order []string
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("listing findings: %w", err)
		}
		err = scanStates(rows, page, &order)
		rows.Close()
		if err != nil {
			return fmt.Errorf("listing findings: %w", err)
		}
		for _, id := range order {
			if err := fn(page[id]); err != nil {
				return err
			}
		}
		if len(order) < auditPage {
			return nil
		}
		after = order[len(order)-1]
	}
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wardenhq/warden/internal/audit"
)

const (
	findingCols = `id, product, account_id, region, title, status, severity, fingerprint,
	first_seen, last_seen, last_notified, notify_count, suppressed_by, last_verdict`
	// upsertSQL inserts a new finding, or updates a known one whose status
	// and suppressed_by are unchanged (the common case) and whose state
	// differs at all. Leaving status and suppressed_by out of SET keeps
	// SQLite from rewriting their index entries; skipping identical rows
	// spares a page write for a finding re-reported with nothing new. When
	// no row changes, updateSQL runs: it writes a status or suppression
	// change and again skips an identical row.
	upsertSQL = `INSERT INTO findings (` + findingCols + `)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
ON CONFLICT (id) DO UPDATE SET
	product = ?2, account_id = ?3, region = ?4, title = ?5, severity = ?7, fingerprint = ?8,
	first_seen = ?9, last_seen = ?10, last_notified = ?11, notify_count = ?12, last_verdict = ?14
WHERE status = ?6 AND suppressed_by = ?13
	AND (product, account_id, region, title, severity, fingerprint,
		first_seen, last_seen, last_notified, notify_count, last_verdict)
	<> (?2, ?3, ?4, ?5, ?7, ?8, ?9, ?10, ?11, ?12, ?14)`
	updateSQL = `UPDATE findings SET
	product = ?2, account_id = ?3, region = ?4, title = ?5, status = ?6, severity = ?7, fingerprint = ?8,
	first_seen = ?9, last_seen = ?10, last_notified = ?11, notify_count = ?12, suppressed_by = ?13, last_verdict = ?14
WHERE id = ?1 AND (status, suppressed_by) <> (?6, ?13)`
	appendSQL = `INSERT INTO audit (seq, prev_hash, hash, record, created_at) VALUES (?, ?, ?, ?, ?)`
	headSQL   = `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`
)

// stmtCtx runs single statements that are too short to be worth
// interrupting; callers check their own context between them.
var stmtCtx = context.Background()

// cancelEvery is how many entries Apply writes between context checks.
const cancelEvery = 64

// Apply implements Store: one IMMEDIATE transaction per batch.
func (s *SQLite) Apply(ctx context.Context, entries []Entry) error {
	if err := validate(entries); err != nil {
		return fmt.Errorf("applying %d entries: %w", len(entries), err)
	}
	if len(entries) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return err
	}
	if err := s.apply(ctx, entries); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// database/sql rolls back and closes the transaction's
			// statements when ctx ends; what failed is the cancellation.
			err = cerr
		}
		return fmt.Errorf("applying %d entries: %w", len(entries), err)
	}
	return nil
}

func (s *SQLite) apply(ctx context.Context, entries []Entry) error {
	if s.ckpt != nil {
		if err := s.ckpt.Throttle(ctx); err != nil {
			return err
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	seq, prev, err := s.headTx(ctx, tx)
	if err != nil {
		return err
	}
	upsert := tx.StmtContext(ctx, s.upsert)
	update := tx.StmtContext(ctx, s.update)
	appendRec := tx.StmtContext(ctx, s.append1)
	var insJob *sql.Stmt // prepared on first use
	// Statements run under a context that cannot end (stmtCtx): with a
	// cancellable one the driver starts a watcher goroutine per statement.
	// Cancellation is checked every cancelEvery entries instead, and
	// database/sql rolls the transaction back the moment ctx ends.
	now := s.clock().UnixNano()
	for i := range entries {
		if i%cancelEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if !entries[i].StateUnchanged { // else only the audit record is new
			if err := upsertState(upsert, update, &entries[i].State); err != nil {
				return err
			}
		}
		for j := range entries[i].Jobs {
			if insJob == nil {
				insJob = tx.StmtContext(ctx, s.insJob)
			}
			id, err := insertJob(insJob, &entries[i].Jobs[j])
			if err != nil {
				return err
			}
			entries[i].Jobs[j].ID = id
		}
		seq++
		hash := audit.Link(prev, entries[i].Record)
		if _, err := appendRec.ExecContext(stmtCtx, seq, prev, hash, entries[i].Record, now); err != nil {
			return fmt.Errorf("appending audit record %d: %w", seq, err)
		}
		prev = hash
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	if s.ckpt != nil {
		s.ckpt.Kick()
	}
	return nil
}

func (s *SQLite) headTx(ctx context.Context, tx *sql.Tx) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := tx.StmtContext(ctx, s.headStmt).QueryRowContext(ctx).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, audit.Genesis, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("reading audit head: %w", err)
	}
	return seq, hash, nil
}

// AuditHead implements AuditHeader.
func (s *SQLite) AuditHead(ctx context.Context) (int64, []byte, error) {
	if err := s.checkOpen(); err != nil {
		return 0, nil, err
	}
	var seq int64
	var hash []byte
	err := s.r.QueryRowContext(ctx, headSQL).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, clone(audit.Genesis), nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("reading audit head: %w", err)
	}
	return seq, hash, nil
}

func upsertState(upsert, update *sql.Stmt, st *State) error {
	args := [...]any{st.ID, st.Product, st.AccountID, st.Region, st.Title,
		string(st.Status), int64(st.Severity), st.Fingerprint,
		unixNano(st.FirstSeen), unixNano(st.LastSeen), unixNano(st.LastNotified),
		int64(st.NotifyCount), st.SuppressedBy, st.LastVerdict}
	res, err := upsert.ExecContext(stmtCtx, args[:]...)
	if err != nil {
		return fmt.Errorf("upserting finding %q: %w", st.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	// A known finding: identical, or its status or suppression changed.
	if _, err := update.ExecContext(stmtCtx, args[:]...); err != nil {
		return fmt.Errorf("updating finding %q: %w", st.ID, err)
	}
	return nil
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// loadChunk is how many ids one Load query binds. The last chunk is padded
// by repeating an id, so one prepared statement serves every call.
const loadChunk = 256

// auditPage is how many audit records one query reads. Audit reads a page,
// releases the connection, then calls fn: fn may use the store, and no
// read snapshot is held open for long (which would stall WAL checkpoints).
const auditPage = 512

var loadSQL = `SELECT ` + findingCols + ` FROM findings WHERE id IN (?` + strings.Repeat(", ?", loadChunk-1) + `)`

func (s *SQLite) prepare(ctx context.Context) error {
	for _, p := range []struct {
		db  *sql.DB
		dst **sql.Stmt
		sql string
	}{
		{s.w, &s.upsert, upsertSQL},
		{s.w, &s.update, updateSQL},
		{s.w, &s.append1, appendSQL},
		{s.w, &s.headStmt, headSQL},
		{s.w, &s.load, loadSQL},
		{s.w, &s.insJob, insertJobSQL},
	} {
		st, err := p.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("preparing %q: %w", firstLine(p.sql), err)
		}
		*p.dst = st
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Load implements Store.
func (s *SQLite) Load(ctx context.Context, ids []string) (map[string]State, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	out := make(map[string]State, len(ids))
	args := make([]any, loadChunk)
	for start := 0; start < len(ids); start += loadChunk {
		chunk := ids[start:min(start+loadChunk, len(ids))]
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := range args {
			args[i] = chunk[min(i, len(chunk)-1)]
		}
		if err := s.loadChunk(args, out); err != nil {
			return nil, fmt.Errorf("loading %d findings: %w", len(ids), err)
		}
	}
	return out, nil
}

func (s *SQLite) loadChunk(args []any, out map[string]State) error {
	rows, err := s.load.QueryContext(stmtCtx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return scanStates(rows, out, nil)
}

// scanStates reads finding rows into out and, when order is not nil,
// appends their ids in row order.
func scanStates(rows *sql.Rows, out map[string]State, order *[]string) error {
	for rows.Next() {
		var st State
		var status string
		var sev, first, last, notified, count int64
		if err := rows.Scan(&st.ID, &st.Product, &st.AccountID, &st.Region, &st.Title, &status, &sev,
			&st.Fingerprint, &first, &last, &notified, &count, &st.SuppressedBy, &st.LastVerdict); err != nil {
			return err
		}
		st.Status = Status(status)
		st.Severity = finding.Severity(sev)
		st.FirstSeen, st.LastSeen, st.LastNotified = fromUnixNano(first), fromUnixNano(last), fromUnixNano(notified)
		st.NotifyCount = int(count)
		out[st.ID] = st
		if order != nil {
			*order = append(*order, st.ID)
		}
	}
	return rows.Err()
}

// Audit implements Store.
func (s *SQLite) Audit(ctx context.Context, after int64, fn func(AuditRecord) error) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	page := make([]AuditRecord, 0, auditPage)
	for {
		var err error
		page, err = s.auditPage(ctx, after, page[:0])
		if err != nil {
			return fmt.Errorf("reading audit records after %d: %w", after, err)
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < auditPage {
			return nil
		}
		after = page[len(page)-1].Seq
	}
}

func (s *SQLite) auditPage(ctx context.Context, after int64, page []AuditRecord) ([]AuditRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, prev_hash, hash, record FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`, after, auditPage)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r AuditRecord
		if err := rows.Scan(&r.Seq, &r.PrevHash, &r.Hash, &r.Record); err != nil {
			return nil, err
		}
		page = append(page, r)
	}
	return page, rows.Err()
}

// SuppressionCounts implements Store.
func (s *SQLite) SuppressionCounts(ctx context.Context) (map[string]int, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT suppressed_by, count(*) FROM findings WHERE suppressed_by <> '' GROUP BY suppressed_by`)
	if err != nil {
		return nil, fmt.Errorf("counting suppressions: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var rule string
		var n int
		if err := rows.Scan(&rule, &n); err != nil {
			return nil, fmt.Errorf("counting suppressions: %w", err)
		}
		out[rule] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting suppressions: %w", err)
	}
	return out, nil
}

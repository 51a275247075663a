package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migration is one step of the SQLite schema. Steps are append-only: a
// released step is never edited, a change is a new step. Each runs in the
// transaction that records it in schema_migrations, so a step is applied
// whole or not at all.
type migration struct {
	version int
	name    string
	sql     string
}

var migrations = []migration{{
	version: 1,
	name:    "findings and audit",
	// Times are UTC Unix nanoseconds, 0 for "never". Severity is the
	// finding.Severity number (0 UNKNOWN … 5 CRITICAL). findings is WITHOUT
	// ROWID: the id is the only key, so the row lives in the primary key
	// b-tree instead of a rowid table plus an index of ids.
	//
	// Both secondary indexes are partial. Most findings are active and
	// unsuppressed, so leaving those rows out keeps the indexes small and
	// spares every new finding a random index page write (BenchmarkTrack:
	// roughly a quarter less CPU per finding). Queries must repeat the
	// index's WHERE to use it: status <> 'active' (the rarer statuses) and
	// suppressed_by <> ''. Active findings are found by a table scan, which
	// is what an index on a majority value would cost anyway.
	sql: `
CREATE TABLE findings (
	id            TEXT    NOT NULL PRIMARY KEY,
	product       TEXT    NOT NULL,
	account_id    TEXT    NOT NULL,
	region        TEXT    NOT NULL,
	title         TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	severity      INTEGER NOT NULL,
	fingerprint   TEXT    NOT NULL,
	first_seen    INTEGER NOT NULL,
	last_seen     INTEGER NOT NULL,
	last_notified INTEGER NOT NULL,
	notify_count  INTEGER NOT NULL,
	suppressed_by TEXT    NOT NULL,
	last_verdict  TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX findings_status ON findings (status) WHERE status <> 'active';
CREATE INDEX findings_suppressed_by ON findings (suppressed_by) WHERE suppressed_by <> '';
CREATE TABLE audit (
	seq        INTEGER PRIMARY KEY,
	prev_hash  BLOB    NOT NULL,
	hash       BLOB    NOT NULL,
	record     BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);`,
}, {
	version: 2,
	name:    "jobs and refs",
	// jobs is the act stage's durable work: the notification outbox,
	// pending remediations and Security Hub write-backs. Open jobs are
	// found by the partial index on (kind, due); finished ones stay for
	// history and are found by finding id. refs holds per-finding external
	// references (Jira issue key, notify group flush times).
	sql: `
CREATE TABLE jobs (
	id         INTEGER PRIMARY KEY,
	kind       TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	finding_id TEXT    NOT NULL,
	target     TEXT    NOT NULL,
	grp        TEXT    NOT NULL,
	due        INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	attempts   INTEGER NOT NULL,
	last_error TEXT    NOT NULL,
	payload    BLOB    NOT NULL,
	result     BLOB    NOT NULL,
	requester  TEXT    NOT NULL,
	decided_by TEXT    NOT NULL,
	decided_at INTEGER NOT NULL,
	created    INTEGER NOT NULL,
	updated    INTEGER NOT NULL
);
CREATE INDEX jobs_open ON jobs (kind, due) WHERE status IN ('pending', 'waiting');
CREATE INDEX jobs_finding ON jobs (finding_id);
CREATE TABLE refs (
	target     TEXT    NOT NULL,
	id         TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	updated    INTEGER NOT NULL,
	PRIMARY KEY (target, id)
) WITHOUT ROWID;`,
}}

// migrate brings the schema up to the last migration. It refuses a
// database written by a newer Warden, whose schema it does not know.
func migrate(ctx context.Context, db *sql.DB, nowNano int64) error {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock): one migrator at a time
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at INTEGER NOT NULL
)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	latest := migrations[len(migrations)-1].version
	if have > latest {
		return fmt.Errorf("database schema version %d is newer than this Warden's (%d): upgrade Warden", have, latest)
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, nowNano); err != nil {
			return fmt.Errorf("recording migration %d: %w", m.version, err)
		}
	}
	return tx.Commit()
}

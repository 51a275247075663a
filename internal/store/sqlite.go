package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// SQLite is the embedded Store: one database file in WAL mode with one
// writer connection (SQLite has one writer at a time), a checkpointer
// connection (checkpoint.go) and a small read pool. It keeps no findings in
// process memory: state lives in the file and SQLite's bounded page caches,
// so memory stays flat in the number of tracked findings.
//
// Load runs on the writer connection, not the read pool: SQLite drops a
// connection's whole page cache when another connection has committed, so
// after every Apply a reader would fetch the b-tree from disk again, while
// the writer's cache stays warm (Loads measured 3-4x faster). Audit,
// SuppressionCounts and AuditHead use the read pool and never wait for
// Apply.
//
// SQLite is safe for concurrent use. Apply calls are serialized in process
// by a mutex and across processes by BEGIN IMMEDIATE, and each reads the
// chain head inside its transaction, so any number of writers produce one
// chain.
type SQLite struct {
	w     *sql.DB // one connection: all writes
	r     *sql.DB // read pool (== w for :memory:)
	ckpt  *checkpointer
	clock func() time.Time

	mu       sync.Mutex // serializes Apply
	upsert   *sql.Stmt
	update   *sql.Stmt
	append1  *sql.Stmt
	headStmt *sql.Stmt
	load     *sql.Stmt // loadChunk ids at once
	insJob   *sql.Stmt
	closed   atomic.Bool
}

var (
	_ Store       = (*SQLite)(nil)
	_ AuditHeader = (*SQLite)(nil)
)

// Sync is SQLite's synchronous setting, the durability of a commit.
type Sync string

// Sync settings. In WAL mode NORMAL writes each commit to the WAL without
// fsync; the checkpointer fsyncs the WAL before copying it back, at most
// checkpointEvery (20ms) after a commit plus the checkpoint's own time. A
// committed Apply survives the process being killed (kill -9, panic, OOM),
// but a power loss or kernel crash may lose the commits of that last window;
// the file stays consistent either way. FULL fsyncs the WAL in every commit,
// so an acknowledged Apply survives power loss too, at the price of one
// fsync per Apply (about 2.5 ms on the benchmark machine).
const (
	SyncNormal Sync = "NORMAL"
	SyncFull   Sync = "FULL"
)

// SQLiteOption configures OpenSQLite.
type SQLiteOption func(*sqliteConfig)

type sqliteConfig struct {
	sync    Sync
	readers int
	clock   func() time.Time
	log     *slog.Logger
}

// WithSync sets the commit durability (default SyncNormal).
func WithSync(s Sync) SQLiteOption { return func(c *sqliteConfig) { c.sync = s } }

// WithReaders sets the size of the read connection pool (default 4).
func WithReaders(n int) SQLiteOption { return func(c *sqliteConfig) { c.readers = n } }

// WithClock sets the clock stamping audit rows' created_at (default
// time.Now).
func WithClock(now func() time.Time) SQLiteOption { return func(c *sqliteConfig) { c.clock = now } }

// WithLogger sets the logger for background work (checkpoint failures).
func WithLogger(l *slog.Logger) SQLiteOption { return func(c *sqliteConfig) { c.log = l } }

// Connection settings. cache_size is per connection (negative: KiB).
const (
	busyTimeout     = 10 * time.Second
	writerCacheKiB  = 64 << 10
	readerCacheKiB  = 16 << 10
	pageSize        = 8192
	walJournalLimit = 64 << 20 // truncate the WAL back to this after checkpoints
)

// OpenSQLite opens (creating if needed) the database at path and brings
// its schema up to date. path ":memory:" opens a private in-memory
// database on one connection, for tests.
func OpenSQLite(ctx context.Context, path string, opts ...SQLiteOption) (*SQLite, error) {
	cfg := sqliteConfig{sync: SyncNormal, readers: 4, clock: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.sync != SyncNormal && cfg.sync != SyncFull {
		return nil, fmt.Errorf("opening sqlite store %s: synchronous %q: want %q or %q", path, cfg.sync, SyncNormal, SyncFull)
	}
	if cfg.readers < 1 {
		return nil, fmt.Errorf("opening sqlite store %s: %d readers: want at least 1", path, cfg.readers)
	}
	s, err := openSQLite(ctx, path, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	return s, nil
}

func openSQLite(ctx context.Context, path string, cfg sqliteConfig) (_ *SQLite, err error) {
	memory := path == ":memory:"
	common := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"foreign_keys(1)",
		"temp_store(memory)",
	}
	s := &SQLite{clock: cfg.clock}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()

	wp := slices.Concat(common, []string{"synchronous(" + string(cfg.sync) + ")", fmt.Sprintf("cache_size(%d)", -writerCacheKiB)})
	if !memory {
		// The checkpointer, not the writer, checkpoints (checkpoint.go).
		wp = append(wp, "wal_autocheckpoint(0)", fmt.Sprintf("journal_size_limit(%d)", walJournalLimit))
	}
	s.w, err = sql.Open("sqlite", dsn(path, wp, "_txlock=immediate"))
	if err != nil {
		return nil, err
	}
	// One writer connection, never recycled: for :memory: the connection is
	// the database.
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	if !memory {
		// page_size only takes effect before the first page is written, so
		// it goes before journal_mode; on an existing file it is a no-op.
		if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
			return nil, fmt.Errorf("setting page_size: %w", err)
		}
		var mode string
		if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
			return nil, fmt.Errorf("setting journal_mode: %w", err)
		}
		if !strings.EqualFold(mode, "wal") {
			return nil, fmt.Errorf("setting journal_mode: got %q, want wal", mode)
		}
	}
	if err := migrate(ctx, s.w, cfg.clock().UnixNano()); err != nil {
		return nil, err
	}

	if memory {
		s.r = s.w
	} else {
		rp := slices.Concat(common, []string{"query_only(1)", fmt.Sprintf("cache_size(%d)", -readerCacheKiB)})
		s.r, err = sql.Open("sqlite", dsn(path, rp))
		if err != nil {
			return nil, err
		}
		s.r.SetMaxOpenConns(cfg.readers)
		s.r.SetMaxIdleConns(cfg.readers)

		cp := slices.Concat(common, []string{"synchronous(" + string(cfg.sync) + ")", fmt.Sprintf("journal_size_limit(%d)", walJournalLimit)})
		db, err := sql.Open("sqlite", dsn(path, cp))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		s.ckpt = startCheckpointer(db, cfg.log)
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// dsn builds a modernc.org/sqlite DSN: a file: URI (so any path is safe)
// with the connection pragmas every pooled connection runs on open.
func dsn(path string, pragmas []string, extra ...string) string {
	q := make([]string, 0, len(pragmas)+len(extra))
	for _, p := range pragmas {
		q = append(q, "_pragma="+url.QueryEscape(p))
	}
	q = append(q, extra...)
	if path == ":memory:" {
		return ":memory:?" + strings.Join(q, "&")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + strings.Join(q, "&")
}

// Close implements Store. It waits for a running Apply to finish.
func (s *SQLite) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	return s.closeAll()
}

func (s *SQLite) closeAll() error {
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.Stop())
	}
	for _, st := range []*sql.Stmt{s.upsert, s.update, s.append1, s.headStmt, s.load} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		// Best effort: keep the planner's statistics fresh for next time.
		_, _ = s.w.Exec("PRAGMA optimize")
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing sqlite store: %w", err)
	}
	return nil
}

func (s *SQLite) checkOpen() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/storetest"
)

func openSQLite(t testing.TB, path string, opts ...store.SQLiteOption) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	return st
}

func TestSQLiteFileConformance(t *testing.T) {
	storetest.RunPersistent(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "state db?#.sqlite") // URI-special characters on purpose
		return func(t *testing.T) store.Store { return openSQLite(t, path) }
	})
}

func TestSQLiteMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t, ":memory:") })
}

func TestSQLiteSyncFullConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("fsync per commit")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "full.db"), store.WithSync(store.SyncFull))
	})
}

func TestOpenSQLiteRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, opt := range map[string]store.SQLiteOption{
		"Sync":    store.WithSync("SOMETIMES"),
		"Readers": store.WithReaders(0),
	} {
		t.Run(name, func(t *testing.T) {
			if st, err := store.OpenSQLite(ctx, filepath.Join(dir, name+".db"), opt); err == nil {
				st.Close()
				t.Fatal("OpenSQLite succeeded, want an error")
			}
		})
	}
}

// TestOpenSQLiteRefusesNewerSchema: a file migrated by a newer Warden is
// not opened by an older one, which does not know its schema.
func TestOpenSQLiteRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newer.db")
	openSQLite(t, path).Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err := store.OpenSQLite(ctx, path)
	if err == nil {
		st.Close()
		t.Fatal("OpenSQLite on a newer schema succeeded, want an error")
	}
	if want := "database schema version 99 is newer"; !strings.Contains(err.Error(), want) {
		t.Errorf("OpenSQLite = %v, want it to say %q", err, want)
	}
}

// TestSQLiteSchema checks the pragmas and indexes the store relies on.
func TestSQLiteSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "schema.db")
	openSQLite(t, path).Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for q, want := range map[string]string{
		"PRAGMA journal_mode": "wal",
		"PRAGMA page_size":    "8192",
		"SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name)": "findings_status,findings_suppressed_by,jobs_finding,jobs_open",
		"SELECT group_concat(version, ',') FROM schema_migrations":                                                                             "1,2",
	} {
		var got string
		if err := db.QueryRow(q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
	}
}

// TestSQLiteStateUnchangedAppendsOnlyTheRecord: an entry marked
// StateUnchanged is audited but does not rewrite the finding's row.
func TestSQLiteStateUnchangedAppendsOnlyTheRecord(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t, filepath.Join(t.TempDir(), "w.db"))
	defer st.Close()
	first := store.State{ID: "f1", Status: store.StatusActive, Title: "first", Fingerprint: "a"}
	if err := st.Apply(ctx, []store.Entry{{State: first, Record: []byte(`{"n":1}`)}}); err != nil {
		t.Fatal(err)
	}
	other := first
	other.Title = "must not be written"
	if err := st.Apply(ctx, []store.Entry{{State: other, Record: []byte(`{"n":2}`), StateUnchanged: true}}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load(ctx, []string{"f1"})
	if err != nil {
		t.Fatal(err)
	}
	if got["f1"].Title != "first" {
		t.Errorf("state rewritten: %+v", got["f1"])
	}
	n := 0
	if err := st.Audit(ctx, 0, func(store.AuditRecord) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("audit records = %d, want 2", n)
	}
}

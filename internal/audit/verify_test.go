package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/store"
)

const chainLen = 30

// chainFile builds a chainLen-record chain in a SQLite file through the
// store, in batches of 1 to 4, and returns the file's path.
func chainFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "warden.db")
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for n := 0; n < chainLen; {
		var batch []store.Entry
		for range min(n%4+1, chainLen-n) {
			id := fmt.Sprintf("finding-%d", n)
			batch = append(batch, store.Entry{
				State:  store.State{ID: id, Status: store.StatusActive},
				Record: fmt.Appendf(nil, `{"finding_id":%q,"verdict":"notify","seq_hint":%d}`, id, n+1),
			})
			n++
		}
		if err := st.Apply(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// tamper runs SQL against the file behind the store's back.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func verifyFile(t *testing.T, path string) audit.Report {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := audit.Verify(context.Background(), st)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func TestVerifyIntactChain(t *testing.T) {
	path := chainFile(t)
	rep := verifyFile(t, path)
	if rep.Broken != nil || rep.Records != chainLen || len(rep.LastHash) != 64 {
		t.Fatalf("Verify = %+v, want %d intact records and a hex hash", rep, chainLen)
	}
}

func TestVerifyEmptyChain(t *testing.T) {
	rep, err := audit.Verify(context.Background(), store.NewMemory())
	if err != nil || rep != (audit.Report{}) {
		t.Fatalf("Verify(empty) = %+v, %v; want a zero report", rep, err)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	// swap moves every column but seq from row a to row b and back.
	swap := func(a, b int) []string {
		return []string{
			fmt.Sprintf(`UPDATE audit SET seq = -1 WHERE seq = %d`, a),
			fmt.Sprintf(`UPDATE audit SET seq = %d WHERE seq = %d`, a, b),
			fmt.Sprintf(`UPDATE audit SET seq = %d WHERE seq = -1`, b),
		}
	}
	for _, c := range []struct {
		name    string
		sql     []string
		seq     int64
		reason  string
		records int64
	}{
		{"OneByteOfRecord", []string{`UPDATE audit SET record = CAST(replace(CAST(record AS TEXT), '"notify"', '"nOtify"') AS BLOB) WHERE seq = 17`},
			17, "record 17: hash mismatch (record content altered)", 16},
		{"RowDeleted", []string{`DELETE FROM audit WHERE seq = 17`},
			17, "record 17 missing (sequence jumps from 16 to 18)", 16},
		{"FirstRowDeleted", []string{`DELETE FROM audit WHERE seq = 1`},
			1, "record 1 missing (sequence starts at 2)", 0},
		{"RowsSwapped", swap(5, 9),
			5, "record 5: prev_hash does not match hash of record 4", 4},
		{"RecordsSwapped", []string{
			`UPDATE audit SET record = (SELECT record FROM audit AS o WHERE o.seq = CASE audit.seq WHEN 5 THEN 9 ELSE 5 END) WHERE seq IN (5, 9)`},
			5, "record 5: hash mismatch (record content altered)", 4},
		{"GenesisChanged", []string{`UPDATE audit SET prev_hash = randomblob(32) WHERE seq = 1`},
			1, "record 1: prev_hash is not genesis", 0},
		{"PrevHashChanged", []string{`UPDATE audit SET prev_hash = randomblob(32) WHERE seq = 23`},
			23, "record 23: prev_hash does not match hash of record 22", 22},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := chainFile(t)
			tamper(t, path, c.sql...)
			rep := verifyFile(t, path)
			if rep.Broken == nil {
				t.Fatalf("Verify = %+v, want a break at record %d", rep, c.seq)
			}
			if rep.Broken.Seq != c.seq || rep.Broken.Reason != c.reason {
				t.Errorf("Broken = %d %q, want %d %q", rep.Broken.Seq, rep.Broken.Reason, c.seq, c.reason)
			}
			if rep.Records != c.records {
				t.Errorf("Records = %d, want %d intact before the break", rep.Records, c.records)
			}
		})
	}
}

// TestVerifyFindsRehashedRecord forges record 17 and its own hash: record
// 17 then checks out alone, and the break shows at record 18.
func TestVerifyFindsRehashedRecord(t *testing.T) {
	path := chainFile(t)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var prev []byte
	if err := db.QueryRow(`SELECT prev_hash FROM audit WHERE seq = 17`).Scan(&prev); err != nil {
		t.Fatal(err)
	}
	forged := []byte(`{"finding_id":"finding-16","verdict":"suppressed"}`)
	if _, err := db.Exec(`UPDATE audit SET record = ?, hash = ? WHERE seq = 17`, forged, audit.Link(prev, forged)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rep := verifyFile(t, path)
	want := "record 18: prev_hash does not match hash of record 17"
	if rep.Broken == nil || rep.Broken.Seq != 18 || rep.Broken.Reason != want || rep.Records != 17 {
		t.Errorf("Verify = %+v (%v), want 17 intact records and %q", rep, rep.Broken, want)
	}
}

func TestVerifierAfterBreak(t *testing.T) {
	var v audit.Verifier
	r1 := audit.Record{Seq: 1, PrevHash: audit.Genesis, Record: []byte("a")}
	r1.Hash = audit.Link(r1.PrevHash, r1.Record)
	if !v.Add(r1) {
		t.Fatalf("Add(record 1) failed: %v", v.Report().Broken)
	}
	if v.Add(audit.Record{Seq: 3}) {
		t.Fatal("Add(record 3 after 1) succeeded")
	}
	r2 := audit.Record{Seq: 2, PrevHash: r1.Hash, Record: []byte("b")}
	r2.Hash = audit.Link(r2.PrevHash, r2.Record)
	if v.Add(r2) {
		t.Error("Add after a break succeeded, want the first break to stick")
	}
	if rep := v.Report(); rep.Records != 1 || rep.Broken.Seq != 2 {
		t.Errorf("Report = %+v, want 1 record and a break at 2", rep)
	}
}

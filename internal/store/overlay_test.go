package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/storetest"
)

func TestOverlayConformance(t *testing.T) {
	t.Run("OnMemory", func(t *testing.T) {
		storetest.Run(t, func(*testing.T) store.Store { return store.NewOverlay(store.NewMemory()) })
	})
	t.Run("OnSQLite", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			return store.NewOverlay(openSQLite(t, filepath.Join(t.TempDir(), "base.db")))
		})
	})
}

func mustApply(t *testing.T, st store.Store, es ...store.Entry) {
	t.Helper()
	if err := st.Apply(context.Background(), es); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func rec(id string) []byte { return fmt.Appendf(nil, `{"finding_id":%q}`, id) }

func TestOverlayLeavesBaseAlone(t *testing.T) {
	ctx := context.Background()
	for name, base := range map[string]store.Store{
		"Memory": store.NewMemory(),
		"SQLite": openSQLite(t, filepath.Join(t.TempDir(), "base.db")),
	} {
		t.Run(name, func(t *testing.T) {
			a := store.State{ID: "a", Title: "base a"}
			b := store.State{ID: "b", Title: "base b", SuppressedBy: "r1", Status: store.StatusSuppressed}
			mustApply(t, base, store.Entry{State: a, Record: rec("a")}, store.Entry{State: b, Record: rec("b")})
			mustApply(t, base, store.Entry{State: a, Record: rec("a again")})

			ov := store.NewOverlay(base)
			defer ov.Close() // and base
			a2 := store.State{ID: "a", Title: "overlay a", SuppressedBy: "r2", Status: store.StatusSuppressed}
			c := store.State{ID: "c", Title: "overlay c"}
			mustApply(t, ov, store.Entry{State: a2, Record: rec("a2")}, store.Entry{State: c, Record: rec("c")})

			got, err := ov.Load(ctx, []string{"a", "b", "c", "d"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got["a"].Title != "overlay a" || got["b"].Title != "base b" || got["c"].Title != "overlay c" {
				t.Errorf("overlay Load = %v, want overlay a, base b, overlay c", got)
			}
			got, err = base.Load(ctx, []string{"a", "c"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got["a"].Title != "base a" {
				t.Errorf("base Load after overlay Apply = %v, want base a only", got)
			}

			for st, want := range map[store.Store]string{ov: "map[r1:1 r2:1]", base: "map[r1:1]"} {
				counts, err := st.SuppressionCounts(ctx)
				if err != nil || fmt.Sprint(counts) != want {
					t.Errorf("SuppressionCounts = %v, %v; want %s", counts, err, want)
				}
			}

			// The dry-run chain continues base's; base's chain is unchanged.
			for st, want := range map[store.Store]int64{ov: 5, base: 3} {
				rep, err := audit.Verify(ctx, st)
				if err != nil || rep.Broken != nil || rep.Records != want {
					t.Errorf("Verify = %+v, %v; want %d intact records", rep, err, want)
				}
			}
			var seqs []int64
			if err := ov.Audit(ctx, 2, func(r store.AuditRecord) error { seqs = append(seqs, r.Seq); return nil }); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(seqs) != "[3 4 5]" {
				t.Errorf("overlay Audit(after 2) = %v, want [3 4 5]", seqs)
			}

			// Base written behind the overlay's back: the overlay's chain still
			// reads as base up to the fork, then the overlay.
			mustApply(t, base, store.Entry{State: a, Record: rec("late")})
			rep, err := audit.Verify(ctx, ov)
			if err != nil || rep.Broken != nil || rep.Records != 5 {
				t.Errorf("Verify overlay after base moved on = %+v, %v; want 5 intact records", rep, err)
			}
		})
	}
}

// headless hides Memory's AuditHeader, so the overlay reads the base chain
// to its end to fork.
type headless struct{ store.Store }

func TestOverlayOnStoreWithoutHead(t *testing.T) {
	ctx := context.Background()
	base := store.NewMemory()
	mustApply(t, base, store.Entry{State: store.State{ID: "a"}, Record: rec("a")}, store.Entry{State: store.State{ID: "b"}, Record: rec("b")})
	ov := store.NewOverlay(headless{base})
	mustApply(t, ov, store.Entry{State: store.State{ID: "c"}, Record: rec("c")})
	rep, err := audit.Verify(ctx, ov)
	if err != nil || rep.Broken != nil || rep.Records != 3 {
		t.Errorf("Verify = %+v, %v; want 3 intact records", rep, err)
	}
}

func TestOverlayCloseClosesBase(t *testing.T) {
	base := store.NewMemory()
	ov := store.NewOverlay(base)
	if err := ov.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := base.Load(context.Background(), []string{"x"}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("base Load after overlay Close = %v, want ErrClosed", err)
	}
	if err := ov.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/store"
)

// loadPolicy loads the repo and prints its problems.
func loadPolicy(env *Env, dir string) (*policy.Set, int) {
	if dir == "" {
		fmt.Fprintln(env.Stderr, "warden: --policy DIR is required")
		return nil, ExitUsage
	}
	ps, err := policy.Load(dir)
	if err != nil {
		printProblems(env.Stderr, err)
		fmt.Fprintf(env.Stderr, "warden: policy repo %s does not load\n", dir)
		return nil, ExitUsage
	}
	return ps, ExitOK
}

// statePath picks the state file: the flag, else warden.yaml's state.path.
func statePath(flagValue string, ps *policy.Set) string {
	if flagValue != "" {
		return flagValue
	}
	if ps != nil && ps.Settings.State.Path != "" {
		return ps.Settings.State.Path
	}
	return "warden.db"
}

// openState opens the SQLite state. With readOnlyOverlay the file is not
// created when missing and writes go to an in-memory overlay.
func openState(ctx context.Context, path string, overlay bool) (store.Store, error) {
	if overlay {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return store.NewMemory(), nil
		}
		base, err := store.OpenSQLite(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("opening state %s: %w", path, err)
		}
		return store.NewOverlay(base), nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating state folder: %w", err)
		}
	}
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("opening state %s: %w", path, err)
	}
	return st, nil
}

// clockFlag parses --now; empty means the real clock.
func clockFlag(v string) (func() time.Time, error) {
	if v == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("--now %q: want RFC 3339, e.g. 2026-01-31T09:00:00Z", v)
	}
	return func() time.Time { return t }, nil
}

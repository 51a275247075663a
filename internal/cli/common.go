package cli

import (
	"context"
	"flag"
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

// policyFlags are the flags shared by commands that read a policy repo
// and the state: --policy, --state, --now.
type policyFlags struct {
	dir, state, now *string
}

func addPolicyFlags(fs *flag.FlagSet, stateUsage string) *policyFlags {
	return &policyFlags{
		dir:   fs.String("policy", "", "policy repo `DIR`"),
		state: fs.String("state", "", stateUsage),
		now:   fs.String("now", "", "decide as of this RFC 3339 `time` instead of the clock (replays, tests)"),
	}
}

// open parses --now, loads the policy repo and opens the state (an
// overlay that never writes the file when overlay is set). ok false means
// the command ends with code; the error is printed.
func (pf *policyFlags) open(ctx context.Context, env *Env, cmd string, overlay bool) (ps *policy.Set, st store.Store, clock func() time.Time, code int, ok bool) {
	clock, err := clockFlag(*pf.now)
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden %s: %v\n", cmd, err)
		return nil, nil, nil, ExitUsage, false
	}
	ps, code = loadPolicy(env, *pf.dir)
	if ps == nil {
		return nil, nil, nil, code, false
	}
	st, err = openState(ctx, statePath(*pf.state, ps), overlay)
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden %s: %v\n", cmd, err)
		return nil, nil, nil, ExitRuntime, false
	}
	return ps, st, clock, ExitOK, true
}

package cli

import (
	"context"
	"fmt"
)

func runValidate(_ context.Context, env *Env, args []string) int {
	fs := newFlags(env, "validate", "--policy DIR")
	dir := fs.String("policy", "", "policy repo `DIR`")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	ps, code := loadPolicy(env, *dir)
	if ps == nil {
		return code
	}
	det := 0
	if ps.Detect != nil {
		det = len(ps.Detections)
	}
	fmt.Fprintf(env.Stdout, "%s: ok: %d rules, %d detections, %d accounts, %d receivers, commit %s\n",
		*dir, len(ps.Rules), det, len(ps.Inventory.Accounts()), len(ps.Receivers), orUnknown(ps.Commit))
	return ExitOK
}

func orUnknown(s string) string {
	if s == "" {
		return "(not a git checkout)"
	}
	return s
}

package cli

import (
	"context"
	"fmt"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policytest"
)

func runTest(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "test", "--policy DIR [-v]")
	dir := fs.String("policy", "", "policy repo `DIR`")
	verbose := fs.Bool("v", false, "print passing tests too")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	ps, code := loadPolicy(env, *dir)
	if ps == nil {
		return code
	}
	files, err := policy.ReadTests(*dir)
	if err != nil {
		printProblems(env.Stderr, err)
		return ExitUsage
	}
	results := policytest.Run(ctx, ps, files)
	failed := 0
	for _, r := range results {
		if r.Passed() {
			if *verbose {
				fmt.Fprintf(env.Stdout, "PASS %s:%d %s\n", r.File, r.Line, r.Name)
			}
			continue
		}
		failed++
		fmt.Fprintf(env.Stdout, "FAIL %s:%d %s\n", r.File, r.Line, r.Name)
		for _, f := range r.Failures {
			fmt.Fprintf(env.Stdout, "    %s\n", f)
		}
	}
	fmt.Fprintf(env.Stdout, "%d passed, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		return ExitFindings
	}
	if len(results) == 0 {
		fmt.Fprintf(env.Stderr, "warden test: no tests in %s/%s\n", *dir, policy.TestsDir)
	}
	return ExitOK
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/wardenhq/warden/internal/bench"
)

func runBench(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "bench", "[--rules N] [--findings N] [--duplicates R]")
	rules := fs.Int("rules", 1000, "number of generated rules")
	n := fs.Int("findings", 200000, "number of generated input records (an ASFF envelope may carry up to 3 findings)")
	dup := fs.Float64("duplicates", 0.3, "share of records that re-send an earlier one")
	seed := fs.Uint64("seed", 1, "generator seed")
	rate := fs.Float64("rate", 0, "feed this many records per second (0: as fast as possible); use it to measure latency at a given load")
	dir := fs.String("dir", "", "keep the generated policy repo and state in `DIR` (default: a temp dir, removed)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to `FILE` (go tool pprof -top FILE)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(env.Stderr, "warden bench:", err)
			return ExitRuntime
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(env.Stderr, "warden bench:", err)
			return ExitRuntime
		}
		defer pprof.StopCPUProfile()
	}
	if *rules < 1 || *n < 1 || *dup < 0 || *dup >= 1 {
		fmt.Fprintln(env.Stderr, "warden bench: --rules and --findings must be positive, --duplicates in [0,1)")
		return ExitUsage
	}
	res, err := bench.Run(ctx, bench.Config{Rules: *rules, Records: *n, Duplicates: *dup, Seed: *seed, Dir: *dir, Rate: *rate})
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden bench:", err)
		return ExitRuntime
	}
	b, _ := json.Marshal(res)
	fmt.Fprintln(env.Stdout, string(b))
	return ExitOK
}

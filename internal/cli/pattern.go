package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/wardenhq/warden/internal/pattern"
)

// runPattern: warden pattern test PATTERN EVENT, answering what AWS's
// TestEventPattern answers.
func runPattern(_ context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(env.Stderr, "Usage: warden pattern test PATTERN EVENT   (each a file path or inline JSON)")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return ExitOK
		}
		return ExitUsage
	}
	fs := newFlags(env, "pattern test", "PATTERN EVENT   (each a file path or inline JSON)")
	explain := fs.Bool("explain", false, "also print why, field by field, on stderr")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return ExitUsage
	}
	psrc, err := jsonArg(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden pattern test: pattern:", err)
		return ExitUsage
	}
	esrc, err := jsonArg(fs.Arg(1))
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden pattern test: event:", err)
		return ExitUsage
	}
	p, err := pattern.Parse(psrc)
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden pattern test: invalid pattern: %s\n", positioned(fs.Arg(0), psrc, err))
		return ExitUsage
	}
	ok, lines, err := p.Explain(esrc)
	if err != nil {
		fmt.Fprintln(env.Stderr, "warden pattern test: invalid event:", err)
		return ExitUsage
	}
	if *explain {
		for _, l := range lines {
			fmt.Fprintln(env.Stderr, l)
		}
	}
	b, _ := json.Marshal(map[string]bool{"result": ok})
	fmt.Fprintln(env.Stdout, string(b))
	return ExitOK
}

// jsonArg reads an argument that is inline JSON or names a file.
func jsonArg(a string) ([]byte, error) {
	t := strings.TrimSpace(a)
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return []byte(t), nil
	}
	b, err := os.ReadFile(a)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// positioned prefixes a pattern error with line:col from its byte offset.
func positioned(name string, src []byte, err error) string {
	pe, ok := err.(*pattern.Error)
	if !ok || pe.Offset < 0 || pe.Offset > len(src) {
		return err.Error()
	}
	line, col := 1, 1
	for _, c := range src[:pe.Offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	if strings.HasPrefix(strings.TrimSpace(name), "{") {
		name = "pattern"
	}
	return fmt.Sprintf("%s:%d:%d: %s", name, line, col, err)
}

// Package cli implements the warden subcommands. main parses nothing
// itself: it hands os.Args to Run, which returns the exit code.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/wardenhq/warden/internal/app"
)

// Exit codes (docs/CLI.md).
const (
	ExitOK       = 0 // success
	ExitFindings = 1 // some input was rejected, a policy test failed, the audit chain is broken
	ExitUsage    = 2 // bad usage, or the policy repo does not load
	ExitRuntime  = 3 // the store or the file system failed
)

// Env is what a command may use of the process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Log    *slog.Logger
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

func commands() []command {
	return []command{
		{"process", "decide findings from files, folders or stdin; print decisions as JSONL", runProcess},
		{"validate", "check a policy repo; print every problem as file:line:col", runValidate},
		{"test", "run the policy tests in the repo's tests/ folder", runTest},
		{"explain", "show, rule by rule, why a finding gets its decision", runExplain},
		{"pattern", "pattern test PATTERN EVENT: does an EventBridge pattern match an event", runPattern},
		{"risks", "list the accepted-risk register with age, expiry and what each hides", runRisks},
		{"audit", "audit verify|export: check or export the hash-chained decision log", runAudit},
		{"notify", "notify test RECEIVER: send a test message to one receiver", runNotify},
		{"template", "template render: show a receiver's message for a finding file", runTemplate},
		{"actions", "actions list|approve|deny|cancel|run: pending remediations", runActions},
		{"iam-policy", "print the least-privilege IAM policy of the playbooks the rules use", runIAMPolicy},
		{"deploy", "deploy member-role: CloudFormation or Terraform for the member-account remediation role", runDeploy},
		{"outbox", "outbox list|retry|drop|deliver: the durable queue of notifications", runOutbox},
		{"bench", "generate findings and measure the whole pipeline", runBench},
		{"version", "print the version", runVersion},
	}
}

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// Run runs the subcommand named by args[0] and returns the exit code.
func Run(ctx context.Context, env *Env, args []string) int {
	if env.Log == nil {
		env.Log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	app.Register() // receiver types, playbooks, receiver checks at policy load
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "warden: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Warden decides what happens to AWS security findings, by policy kept in git.\n\nUsage: warden COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'warden COMMAND --help' for a command's flags. Exit codes: 0 ok, 1 rejected input / failed test / broken audit chain, 2 usage or policy error, 3 runtime error.\n")
}

// newFlags returns a flag set that prints its usage to stderr.
func newFlags(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("warden "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: warden %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; ok false means exit with the returned code.
func parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	return 0, true
}

// printProblems prints a (joined) error one problem per line.
func printProblems(w io.Writer, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			printProblems(w, e)
		}
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(w, line)
	}
}

func runVersion(_ context.Context, env *Env, _ []string) int {
	fmt.Fprintln(env.Stdout, "warden", Version)
	return ExitOK
}

// stdinOr returns os.Stdin when env has none.
func stdinOr(env *Env) io.Reader {
	if env.Stdin != nil {
		return env.Stdin
	}
	return os.Stdin
}

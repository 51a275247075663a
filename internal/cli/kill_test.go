package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/bench"
	"github.com/wardenhq/warden/internal/store"
)

// TestMain lets the kill test run this test binary as `warden`.
func TestMain(m *testing.M) {
	if os.Getenv("WARDEN_TEST_CHILD") == "1" {
		os.Exit(Run(context.Background(), &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func child(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "WARDEN_TEST_CHILD=1")
	return cmd
}

// nonDuplicates returns, per finding, the verdicts of its decisions other
// than duplicate, in audit order.
func nonDuplicates(t *testing.T, path string) map[string][]string {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]string{}
	err = st.Audit(context.Background(), 0, func(r store.AuditRecord) error {
		var d struct {
			FindingID string `json:"finding_id"`
			Verdict   string `json:"verdict"`
		}
		if err := json.Unmarshal(r.Record, &d); err != nil {
			return err
		}
		if d.Verdict != "duplicate" {
			out[d.FindingID] = append(out[d.FindingID], d.Verdict)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKill9LosesAndDuplicatesNothing kills `warden process` with SIGKILL
// in the middle of a run, runs it again on the same input and state, and
// compares the decisions on record with an uninterrupted run: no finding
// may lose a decision, none may get one twice.
func TestKill9LosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	repo := filepath.Join(dir, "policy")
	if err := bench.WriteRepo(repo, 200, 1); err != nil {
		t.Fatal(err)
	}
	var input bytes.Buffer
	gen := bench.NewGenerator(7, 0.2)
	for i := 0; i < 15000; i++ {
		input.Write(gen.Next())
		input.WriteByte('\n')
	}
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, input.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(state string) []string {
		return []string{"process", "--policy", repo, "--state", state, "--now", now, in}
	}

	ref := filepath.Join(dir, "ref.db")
	if out, err := child(args(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}

	killed := filepath.Join(dir, "killed.db")
	cmd := child(args(killed)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once some decisions are out (so some are durable, many not).
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	printed := 0
	deadline := time.Now().Add(60 * time.Second)
	for sc.Scan() && printed < 1500 && time.Now().Before(deadline) {
		printed++
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if printed == 0 {
		t.Fatal("the child printed no decision before the kill")
	}
	if out, err := child(args(killed)...).CombinedOutput(); err != nil {
		t.Fatalf("run after the kill: %v\n%s", err, out)
	}

	want, got := nonDuplicates(t, ref), nonDuplicates(t, killed)
	lost, duplicated := 0, 0
	for id, w := range want {
		g := got[id]
		if !slices.Equal(g, w) {
			if len(g) < len(w) {
				lost++
			} else {
				duplicated++
			}
			if lost+duplicated <= 3 {
				t.Errorf("finding %s: decisions %v after kill and rerun, %v uninterrupted", id, g, w)
			}
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			duplicated++
		}
	}
	t.Logf("killed after %d printed decisions; findings with decisions: %d; lost %d, duplicated %d", printed, len(want), lost, duplicated)
	if lost != 0 || duplicated != 0 {
		t.Fatalf("lost %d, duplicated %d (both must be 0)", lost, duplicated)
	}
	if code, out, _ := run(t, "", "audit", "verify", "--state", killed); code != ExitOK {
		t.Fatalf("audit chain after kill -9: %s", out)
	}
}

package tmpl

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ and docs/examples/")

// emailParts are the default email parts and their golden file suffixes.
var emailParts = []struct{ part, ext string }{{"subject", "subject.txt"}, {"html", "html"}, {"text", "txt"}}

// TestEmailGolden renders every sample message with the default email
// templates and compares with testdata/email/<sample>.<ext>. The firing
// sample is also docs/examples/email.{html,txt}. Run with -update to
// rewrite them.
func TestEmailGolden(t *testing.T) {
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	msgs := sampleMessages()
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, p := range emailParts {
			t.Run(name+"/"+p.part, func(t *testing.T) {
				got, err := set.Render(msgs[name].Receiver, "email", p.part, msgs[name])
				if err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", "email", name+"."+p.ext), got)
				if name == "firing" && p.part != "subject" {
					golden(t, filepath.Join("..", "..", "..", "docs", "examples", "email."+p.ext), got)
				}
			})
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/notify/tmpl -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the rendering (run with -update and review the diff):\n%s", path, got)
	}
}

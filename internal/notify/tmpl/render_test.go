package tmpl

import (
	"flag"
	"path/filepath"
	"sort"
	"testing"

	"github.com/wardenhq/warden/internal/notify/notifytest"
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
	notifytest.Golden(t, path, []byte(got), *update)
}

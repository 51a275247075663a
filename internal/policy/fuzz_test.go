package policy

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/route"
)

// FuzzRuleFile feeds arbitrary bytes as a rules file: loading must never
// panic, and every error must be positioned in the file.
func FuzzRuleFile(f *testing.F) {
	for _, p := range []string{"testdata/good/rules/a.yaml", "testdata/bad-refs/rules/r.yaml", "testdata/bad-schema/rules/r.yaml", "testdata/bad-pattern/rules/r.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base := filepath.Join("testdata", "good")
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, n := range []string{"warden.yaml", "accounts.yaml", "receivers.yaml"} {
			b, _ := os.ReadFile(filepath.Join(base, n))
			os.WriteFile(filepath.Join(dir, n), b, 0o644)
		}
		os.MkdirAll(filepath.Join(dir, "rules"), 0o755)
		os.WriteFile(filepath.Join(dir, "rules", "f.yaml"), data, 0o644)
		r, err := read(dir) // Load without spawning git
		if err == nil {
			_, err = Compile(r)
		}
		if err == nil {
			return
		}
		for _, e := range unjoin(err) {
			if _, ok := e.(*Problem); !ok {
				t.Fatalf("unpositioned error %T: %v", e, e)
			}
		}
	})
}

// FuzzParseRules checks one rules file in memory: parse, schema-check,
// decode. Never panics; every error positioned.
func FuzzParseRules(f *testing.F) {
	for _, p := range []string{"testdata/good/rules/a.yaml", "testdata/bad-schema/rules/r.yaml", "testdata/bad-pattern/rules/r.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		yf, err := parseYAML("rules/f.yaml", data)
		if err != nil {
			if _, ok := err.(*Problem); !ok {
				t.Fatalf("unpositioned parse error %T: %v", err, err)
			}
			return
		}
		if errs := validateSchema(yf, kindRules); len(errs) > 0 {
			return
		}
		var rf RuleFile
		if err := yf.decode(&rf); err != nil {
			if _, ok := err.(*Problem); !ok {
				t.Fatalf("unpositioned decode error %T: %v", err, err)
			}
		}
	})
}

// FuzzRoutesFile feeds arbitrary bytes as routes.yaml: loading must never
// panic, and every error must be positioned in a file.
func FuzzRoutesFile(f *testing.F) {
	for _, p := range []string{"testdata/good-routes/routes.yaml", "testdata/bad-routes/routes.yaml", "testdata/bad-schema/routes.yaml", "../../examples/routes.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base := filepath.Join("testdata", "good-routes")
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, n := range []string{"warden.yaml", "accounts.yaml", "receivers.yaml"} {
			b, _ := os.ReadFile(filepath.Join(base, n))
			os.WriteFile(filepath.Join(dir, n), b, 0o644)
		}
		os.WriteFile(filepath.Join(dir, "routes.yaml"), data, 0o644)
		r, err := read(dir)
		if err == nil {
			var ps *Set
			if ps, err = Compile(r); err == nil {
				// A tree that compiles answers every question.
				now := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
				l := route.Map{"severity": {"HIGH"}, "group": {"prod"}}
				for _, m := range ps.Routes.Match(l) {
					ps.Routes.Muted(m.RouteID, now)
				}
				for _, d := range ps.Routes.Digests() {
					if next := d.Next(now); !next.After(now) {
						t.Fatalf("digest %s: Next(%s) = %s", d.Name, now, next)
					}
				}
				ps.Routes.Inhibited(l, []route.Labels{l})
				return
			}
		}
		for _, e := range unjoin(err) {
			if _, ok := e.(*Problem); !ok {
				t.Fatalf("unpositioned error %T: %v", e, e)
			}
		}
	})
}

// FuzzParseRoutes checks routes.yaml in memory: parse, schema-check,
// decode, compile, and ask the tree questions. Never panics, never hangs;
// every error positioned.
func FuzzParseRoutes(f *testing.F) {
	for _, p := range []string{"testdata/good-routes/routes.yaml", "testdata/bad-routes/routes.yaml", "testdata/bad-schema/routes.yaml", "../../examples/routes.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	known := map[string]bool{"sec": true, "pager": true, "security-team": true, "soc-pager": true, "owner-email": true, "security-jira": true}
	f.Fuzz(func(t *testing.T, data []byte) {
		yf, err := parseYAML(RoutesFile, data)
		if err != nil {
			if _, ok := err.(*Problem); !ok {
				t.Fatalf("unpositioned parse error %T: %v", err, err)
			}
			return
		}
		if errs := validateSchema(yf, kindRoutes); len(errs) > 0 {
			return
		}
		var rf route.File
		if err := yf.decode(&rf); err != nil {
			if _, ok := err.(*Problem); !ok {
				t.Fatalf("unpositioned decode error %T: %v", err, err)
			}
			return
		}
		tree, errs := route.Compile(&rf, route.Options{Receiver: func(n string) bool { return known[n] }})
		if len(errs) > 0 {
			for _, e := range errs {
				if p := yf.at(e.Path, "%s", e.Msg); p.Line == 0 {
					t.Fatalf("error without a position: %v", e)
				}
			}
			return
		}
		now := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
		l := route.Map{"severity": {"HIGH"}, "environment": {"prod"}, "finding_id": {"x"}}
		for _, id := range tree.Routes() {
			if muted, until := tree.Muted(id, now); muted && !until.IsZero() && !until.After(now) {
				t.Fatalf("route %s muted until %s, not after %s", id, until, now)
			}
		}
		tree.Match(l)
		for _, d := range tree.Digests() {
			if next := d.Next(now); !next.After(now) {
				t.Fatalf("digest %s: Next(%s) = %s", d.Name, now, next)
			}
		}
		tree.Inhibited(l, []route.Labels{l, route.Map{"finding_id": {"y"}}})
	})
}

package policy

import (
	"os"
	"path/filepath"
	"testing"
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

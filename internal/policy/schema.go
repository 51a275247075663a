package policy

import (
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schemas holds the JSON Schemas of the policy files. docs/schema/ carries
// copies for editors; a test keeps them identical.
//
//go:embed schema/*.json
var Schemas embed.FS

const schemaBase = "https://warden.dev/schema/"

// Kinds of policy file, named after their schema.
const (
	kindSettings   = "warden"
	kindAccounts   = "accounts"
	kindRules      = "rules"
	kindReceivers  = "receivers"
	kindDetections = "detections"
	kindTests      = "tests"
	kindRoutes     = "routes"
)

var (
	schemaOnce sync.Once
	schemas    map[string]*jsonschema.Schema
	schemaErr  error
)

func compiledSchemas() (map[string]*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		c.RegisterFormat(&jsonschema.Format{Name: "warden-duration", Validate: func(v any) error {
			s, ok := v.(string)
			if !ok {
				return nil
			}
			_, err := ParseDuration(s)
			return err
		}})
		entries, err := Schemas.ReadDir("schema")
		if err != nil {
			schemaErr = err
			return
		}
		for _, e := range entries {
			b, _ := Schemas.ReadFile("schema/" + e.Name())
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				schemaErr = fmt.Errorf("embedded schema %s: %w", e.Name(), err)
				return
			}
			if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
				schemaErr = fmt.Errorf("embedded schema %s: %w", e.Name(), err)
				return
			}
		}
		schemas = map[string]*jsonschema.Schema{}
		for _, k := range []string{kindSettings, kindAccounts, kindRules, kindReceivers, kindDetections, kindTests, kindRoutes} {
			s, err := c.Compile(schemaBase + k + ".schema.json")
			if err != nil {
				schemaErr = fmt.Errorf("compiling embedded schema %s: %w", k, err)
				return
			}
			schemas[k] = s
		}
	})
	return schemas, schemaErr
}

var printer = message.NewPrinter(language.English)

// validateSchema checks one file against the schema of its kind and
// returns every violation, positioned.
func validateSchema(f *yamlFile, fileKind string) []error {
	all, err := compiledSchemas()
	if err != nil {
		return []error{err}
	}
	v, err := f.value()
	if err != nil {
		return []error{err}
	}
	if v == nil {
		v = map[string]any{}
	}
	verr := all[fileKind].Validate(v)
	if verr == nil {
		return nil
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		return []error{&Problem{File: f.name, Msg: verr.Error()}}
	}
	var leaves []*jsonschema.ValidationError
	collectLeaves(ve, &leaves)
	seen := map[string]bool{}
	var out []error
	for _, l := range leaves {
		loc := l.InstanceLocation
		var msg string
		if ap, ok := l.ErrorKind.(*kind.AdditionalProperties); ok && len(ap.Properties) > 0 {
			// Point at the unknown key itself: the usual typo.
			loc = append(append([]string(nil), loc...), ap.Properties[0])
			msg = fmt.Sprintf("unknown field %q", ap.Properties[0])
			if len(ap.Properties) > 1 {
				msg = fmt.Sprintf("unknown fields %q", ap.Properties)
			}
		} else {
			msg = l.ErrorKind.LocalizedString(printer)
		}
		where := PathString(l.InstanceLocation)
		key := where + "\x00" + msg
		if seen[key] {
			continue
		}
		seen[key] = true
		if where != "" {
			msg = where + ": " + msg
		}
		out = append(out, f.at(loc, "%s", msg))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].(*Problem), out[j].(*Problem)
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}

// PathString writes a path as rules[0].match.finding.
func PathString(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// collectLeaves keeps the most specific causes: a oneOf/anyOf failure is
// reported through its branches' leaves only when it has no better message.
func collectLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	if len(e.Causes) == 0 {
		*out = append(*out, e)
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

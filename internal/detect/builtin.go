package detect

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/goccy/go-yaml"
)

// Builtin is the built-in detection pack, one YAML file per area, in the
// same format as a policy repo's detections/*.yaml (docs/DETECTIONS.md).
//
//go:embed builtin/*.yaml
var Builtin embed.FS

// BuiltinPrefix starts the id of every built-in detection, so policy files
// can refer to them (e.g. to switch one off) without clashing with their
// own.
const BuiltinPrefix = "builtin."

// File is the shape of a detections file.
type File struct {
	Detections []Rule `yaml:"detections" json:"detections"`
}

// ParseFile decodes one detections file strictly: unknown or duplicate
// keys are errors, so a misspelt field fails instead of being ignored.
// It does not compile the rules; New does.
func ParseFile(name string, src []byte) ([]Rule, error) {
	var f File
	if err := yaml.UnmarshalWithOptions(src, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	return f.Detections, nil
}

// LoadBuiltin returns the built-in detections, file by file in name order.
func LoadBuiltin() ([]Rule, error) {
	names, err := fs.Glob(Builtin, "builtin/*.yaml")
	if err != nil {
		return nil, err
	}
	var rules []Rule
	var errs []error
	for _, name := range names {
		src, err := Builtin.ReadFile(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rs, err := ParseFile(path.Join("internal/detect", name), src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range rs {
			if !strings.HasPrefix(r.ID, BuiltinPrefix) {
				errs = append(errs, fmt.Errorf("%s: detection %q: built-in ids start with %q", name, r.ID, BuiltinPrefix))
			}
		}
		rules = append(rules, rs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

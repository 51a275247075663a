// Package tmpl renders notification messages with Go text/template.
// Every receiver type has default templates, one per message part,
// embedded from defaults/<type>.<part>.tmpl; a policy repo overrides any
// of them with templates/<receiver name>.<part>.tmpl or
// templates/<type>.<part>.tmpl.
//
// Finding content is attacker-controlled, and text/template escapes
// nothing: templates must pass every finding field through the escaper of
// their output syntax (html, mrkdwn, markdown, jira, adaptive, json,
// plain) and every link through safeurl first. escape.go states what each
// escaper guarantees; funcs.go lists the helpers.
package tmpl

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/wardenhq/warden/internal/notify"
)

//go:embed defaults
var defaults embed.FS

// Set is a set of parsed templates: the defaults, then the overrides.
// It implements notify.Renderer and is safe for concurrent use.
type Set struct {
	byName map[string]*template.Template // "<type or receiver>.<part>"
}

var _ notify.Renderer = (*Set)(nil)

// Default returns the built-in templates only.
func Default() (*Set, error) { return Load("") }

// Load parses the defaults and, when dir is not empty and exists, the
// overrides in dir (a policy repo's templates/ folder). Errors name the
// file and the template's line.
func Load(dir string) (*Set, error) {
	s := &Set{byName: map[string]*template.Template{}}
	err := fs.WalkDir(defaults, "defaults", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tmpl") {
			return err
		}
		b, err := defaults.ReadFile(p)
		if err != nil {
			return err
		}
		return s.add(p, string(b))
	})
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return s, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.tmpl"))
	if err != nil {
		return nil, err
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading template: %w", err)
		}
		if err := s.add(p, string(b)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Set) add(path, text string) error {
	name := strings.TrimSuffix(filepath.Base(path), ".tmpl")
	if strings.Count(name, ".") < 1 {
		return fmt.Errorf("%s: template file names are <receiver or type>.<part>.tmpl", path)
	}
	t, err := template.New(filepath.Base(path)).Funcs(Funcs()).Option("missingkey=error").Parse(text)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	s.byName[name] = t
	return nil
}

// Names lists the templates in the set, sorted.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrNoTemplate is returned when neither the receiver nor its type has
// the part.
var ErrNoTemplate = errors.New("no such template")

// Render implements notify.Renderer: the receiver's own template for the
// part if there is one, else its type's.
func (s *Set) Render(receiver, typ, part string, msg *notify.Message) (string, error) {
	t, ok := s.byName[receiver+"."+part]
	if !ok {
		t, ok = s.byName[typ+"."+part]
	}
	if !ok {
		return "", fmt.Errorf("rendering %s for receiver %s: %s.%s: %w", part, receiver, typ, part, ErrNoTemplate)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, msg); err != nil {
		return "", fmt.Errorf("rendering %s for receiver %s: %w", part, receiver, err)
	}
	return b.String(), nil
}

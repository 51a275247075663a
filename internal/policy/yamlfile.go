package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Problem is one positioned policy error: file:line:col: message.
type Problem struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (p *Problem) Error() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// yamlFile is one parsed policy file with what is needed to position
// errors on any path inside it.
type yamlFile struct {
	name string // as shown in errors (relative to the policy dir)
	root ast.Node
	val  any // the document as a JSON-compatible value, once computed
}

func parseYAML(name string, src []byte) (*yamlFile, error) {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, yamlProblem(name, err)
	}
	var root ast.Node
	if len(f.Docs) > 0 {
		root = f.Docs[0].Body
	}
	if len(f.Docs) > 1 {
		return nil, &Problem{File: name, Line: 1, Col: 1, Msg: "several YAML documents in one file; use one"}
	}
	return &yamlFile{name: name, root: root}, nil
}

// yamlProblem turns a go-yaml error into a Problem with its position.
func yamlProblem(name string, err error) *Problem {
	var ye interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &ye) && ye.GetToken() != nil {
		pos := ye.GetToken().Position
		return &Problem{File: name, Line: pos.Line, Col: pos.Column, Msg: ye.GetMessage()}
	}
	return &Problem{File: name, Msg: err.Error()}
}

// at returns a Problem positioned at path inside the file (the deepest
// node of the path that exists).
func (f *yamlFile) at(path []string, format string, args ...any) *Problem {
	p := &Problem{File: f.name, Msg: fmt.Sprintf(format, args...)}
	if n := f.node(path); n != nil {
		pos := n.GetToken().Position
		p.Line, p.Col = pos.Line, pos.Column
	}
	return p
}

// node finds the node at path (map keys and decimal sequence indices);
// for a map entry it returns the key node, so errors point at the key.
func (f *yamlFile) node(path []string) ast.Node {
	cur := f.root
	var last ast.Node = cur
	for _, seg := range path {
		cur = unwrap(cur)
		switch n := cur.(type) {
		case *ast.MappingNode:
			var next ast.Node
			for _, kv := range n.Values {
				if keyString(kv.Key) == seg {
					last = kv.Key
					next = kv.Value
					break
				}
			}
			if next == nil {
				return last
			}
			cur = next
		case *ast.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Values) {
				return last
			}
			cur = n.Values[i]
			last = cur
		default:
			return last
		}
	}
	if cur != nil {
		if _, isMap := unwrap(cur).(*ast.MappingNode); !isMap {
			return cur
		}
	}
	return last
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

func keyString(k ast.MapKeyNode) string {
	if k == nil {
		return ""
	}
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.String()
}

// decode decodes the file into v. It goes through the generic value and
// encoding/json (v's json tags) rather than go-yaml's struct decoder, whose
// TextUnmarshaler path re-formats the whole file for every Date and
// Duration (quadratic in file size). Types and unknown keys have already
// been checked, with positions, by the JSON Schema.
func (f *yamlFile) decode(v any) error {
	val, err := f.value()
	if err != nil || val == nil {
		return err
	}
	b, err := json.Marshal(val)
	if err != nil {
		return &Problem{File: f.name, Msg: err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return f.at(strings.Split(te.Field, "."), "%s: want %s, got %s", te.Field, te.Type, te.Value)
		}
		return &Problem{File: f.name, Line: 1, Col: 1, Msg: err.Error()}
	}
	return nil
}

// value returns the whole document as a generic JSON-compatible value
// (maps with string keys, []any, string, float64/json.Number, bool, nil).
func (f *yamlFile) value() (any, error) {
	if f.root == nil {
		return nil, nil
	}
	if f.val != nil {
		return f.val, nil
	}
	var v any
	if err := yaml.NodeToValue(f.root, &v); err != nil {
		return nil, yamlProblem(f.name, err)
	}
	f.val = jsonCompatible(v)
	return f.val, nil
}

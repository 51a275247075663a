package detect

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/pattern"
)

// Engine is a compiled set of detections. It is immutable once built and
// safe for concurrent use by any number of goroutines; a reload builds a
// new Engine and swaps the pointer.
type Engine struct {
	rules []*compiled
	pats  []*pattern.Pattern
	byID  map[string]int
	set   *pattern.Set
}

// New compiles rules into an Engine. It checks every rule and returns all
// problems at once, each a *RuleError, joined with errors.Join; on error
// the Engine is nil.
func New(rules []Rule) (*Engine, error) {
	e := &Engine{
		rules: make([]*compiled, 0, len(rules)),
		pats:  make([]*pattern.Pattern, 0, len(rules)),
		byID:  make(map[string]int, len(rules)),
	}
	b := pattern.NewBuilder()
	var errs []error
	for i, r := range rules {
		c, p, rerrs := compileRule(i, r)
		errs = append(errs, rerrs...)
		if first, dup := e.byID[r.ID]; dup && r.ID != "" {
			errs = append(errs, &RuleError{Index: i, ID: r.ID, Field: "id",
				Err: fmt.Errorf("duplicate: rule #%d has the same id", first)})
		} else if r.ID != "" {
			e.byID[r.ID] = i
		}
		if len(errs) > 0 {
			continue // keep checking, but build nothing
		}
		b.Add(len(e.rules), p)
		e.rules = append(e.rules, c)
		e.pats = append(e.pats, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	e.set = b.Build()
	return e, nil
}

// Len is the number of detections.
func (e *Engine) Len() int { return len(e.rules) }

// Rules returns the detections in the order given to New.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, len(e.rules))
	for i, c := range e.rules {
		out[i] = c.rule
	}
	return out
}

// Detect runs every detection over one event (an EventBridge-shaped
// document: envelope fields and the CloudTrail record under detail) and
// appends one finding per matching detection to dst, in the order the
// detections were given to New. The event is matched once against the
// whole set; only for a match are the few fields a finding needs read.
// Findings keep a private copy of doc, so the caller may reuse its buffer.
// A document that cannot be examined gives an *EventError naming origin;
// dst is then returned unchanged.
func (e *Engine) Detect(doc []byte, origin finding.Origin, dst []*finding.Finding) ([]*finding.Finding, error) {
	var buf [8]int
	ids, err := e.set.Match(doc, buf[:0])
	if err != nil {
		return dst, &EventError{Origin: origin, Err: err}
	}
	if len(ids) == 0 {
		return dst, nil
	}
	ctx := &buildContext{origin: origin, doc: bytes.Clone(doc)}
	ctx.ev.read(ctx.doc)
	ctx.init()
	for _, id := range ids {
		if id < 0 || id >= len(e.rules) {
			continue
		}
		dst = append(dst, e.rules[id].build(ctx))
	}
	return dst, nil
}

// Explain says whether detection id matches doc and, per pattern field,
// why (the pattern package's explanation).
func (e *Engine) Explain(id string, doc []byte) (bool, []string, error) {
	i, ok := e.byID[id]
	if !ok {
		return false, nil, fmt.Errorf("no detection %q", id)
	}
	return e.pats[i].Explain(doc)
}

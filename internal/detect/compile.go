package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/pattern"
)

// compiled is a Rule checked and prepared for building findings.
type compiled struct {
	rule        Rule
	severity    finding.Severity
	title       template
	description template
	key         [][]string // event paths; default detail.eventID
	resource    []string   // event path of the resource id, nil: the actor
	generatorID string
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

const maxIDLen = 128

// typeNamespaces are the ASFF finding type namespaces Security Hub
// accepts (Types is namespace[/category[/classifier]]).
var typeNamespaces = []string{
	"Software and Configuration Checks",
	"TTPs",
	"Effects",
	"Unusual Behaviors",
	"Sensitive Data Identifications",
}

var defaultKey = [][]string{{"detail", "eventID"}}

// compileRule checks one rule and returns every problem found.
func compileRule(i int, r Rule) (*compiled, *pattern.Pattern, []error) {
	var errs []error
	bad := func(field string, err error) {
		errs = append(errs, &RuleError{Index: i, ID: r.ID, Field: field, Err: err})
	}
	r.Types = slices.Clone(r.Types) // findings share it; the caller's copy may change
	c := &compiled{rule: r, generatorID: "warden/detection/" + r.ID}

	switch {
	case r.ID == "":
		bad("id", errors.New("missing"))
	case len(r.ID) > maxIDLen:
		bad("id", fmt.Errorf("longer than %d characters", maxIDLen))
	case !idRE.MatchString(r.ID):
		bad("id", errors.New("must start with a letter or digit and contain only letters, digits, '.', '_' and '-'"))
	}

	if strings.TrimSpace(r.Title) == "" {
		bad("title", errors.New("missing"))
	} else if t, err := parseTemplate(r.Title); err != nil {
		bad("title", err)
	} else {
		c.title = t
	}
	if t, err := parseTemplate(r.Description); err != nil {
		bad("description", err)
	} else {
		c.description = t
	}

	sev, err := finding.ParseSeverity(r.Severity)
	switch {
	case err != nil:
		bad("severity", err)
	case sev == finding.SeverityUnknown:
		bad("severity", errors.New("missing (want one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)"))
	}
	c.severity = sev

	for j, t := range r.Types {
		if err := checkType(t); err != nil {
			bad(fmt.Sprintf("types[%d]", j), err)
		}
	}

	var p *pattern.Pattern
	if len(r.Match) == 0 {
		bad("match", errors.New("missing or empty: a detection needs an event pattern"))
	} else if src, err := json.Marshal(r.Match); err != nil {
		bad("match", fmt.Errorf("not representable as JSON: %w", err))
	} else if p, err = pattern.Parse(src); err != nil {
		bad("match", err)
		p = nil
	}

	if len(r.Key) == 0 {
		c.key = defaultKey
	}
	for j, k := range r.Key {
		segs, ok := splitPath(k)
		if !ok {
			bad(fmt.Sprintf("key[%d]", j), fmt.Errorf("%q is not a dotted event field path such as detail.requestParameters.name", k))
			continue
		}
		c.key = append(c.key, segs)
	}

	switch {
	case r.Resource.ID != "":
		segs, ok := splitPath(r.Resource.ID)
		if !ok {
			bad("resource.id", fmt.Errorf("%q is not a dotted event field path such as detail.requestParameters.bucketName", r.Resource.ID))
		}
		c.resource = segs
		if r.Resource.Type == "" {
			bad("resource.type", errors.New("missing: say which ASFF resource type resource.id names (e.g. AwsS3Bucket)"))
		}
	case r.Resource.Type != "" && r.Resource.Type != "AwsAccount":
		bad("resource.id", fmt.Errorf("missing: resource.type %s needs the event field that names the resource (only AwsAccount may omit it)", r.Resource.Type))
	}

	if r.RemediationURL != "" {
		u, err := url.Parse(r.RemediationURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("remediation_url", fmt.Errorf("%q is not an absolute http(s) URL", r.RemediationURL))
		}
	}
	return c, p, errs
}

func checkType(t string) error {
	segs := strings.Split(t, "/")
	if len(segs) > 3 {
		return fmt.Errorf("%q: an ASFF type is namespace/category/classifier, at most three parts", t)
	}
	for _, s := range segs {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%q: empty part", t)
		}
	}
	for _, ns := range typeNamespaces {
		if segs[0] == ns {
			return nil
		}
	}
	return fmt.Errorf("%q: namespace %q is not one of %s", t, segs[0], strings.Join(typeNamespaces, ", "))
}

package jira

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/secret"
)

// Deployments.
const (
	Cloud      = "cloud"      // Jira Cloud: basic auth with an account email and an API token
	DataCenter = "datacenter" // Jira Data Center / Server: a personal access token (Bearer)
)

// Config is the receiver's `config` in receivers.yaml.
type Config struct {
	// URL is the site, e.g. https://example.atlassian.net.
	URL string `yaml:"url"`
	// Project is the project key issues are created in.
	Project string `yaml:"project"`
	// IssueType is the issue type name (default Task).
	IssueType string `yaml:"issue_type"`
	// Deployment is cloud or datacenter; by default it follows the
	// credentials given (user + api_token: cloud; token: datacenter).
	Deployment string `yaml:"deployment"`
	// User and APIToken authenticate on Jira Cloud (basic auth). User is
	// the account's email (a literal or a reference); APIToken must be a
	// reference.
	User     string `yaml:"user"`
	APIToken string `yaml:"api_token"`
	// Token is a Data Center personal access token (a reference).
	Token string `yaml:"token"`
	// Labels are added to every issue besides the finding's own label.
	Labels []string `yaml:"labels"`
	// Components are component names set on new issues.
	Components []string `yaml:"components"`
	// Priority maps a severity (CRITICAL, HIGH, …) to a priority name;
	// severities not in the map leave the project's default priority.
	Priority map[finding.Severity]string `yaml:"priority"`
	// Assignee is an account id (Cloud), a user name (Data Center), an
	// email (Cloud: looked up) or a dynamic recipient token such as
	// {owner} or {tag:Owner}; empty values leave the issue unassigned.
	Assignee string `yaml:"assignee"`
	// ResolveTransition is the transition used when a finding resolves
	// (default "Done").
	ResolveTransition string `yaml:"resolve_transition"`
	// ReopenTransition is the transition used when a finding reopens
	// (default "Reopen", falling back to "To Do").
	ReopenTransition string `yaml:"reopen_transition"`
}

var knownKeys = map[string]bool{
	"url": true, "project": true, "issue_type": true, "deployment": true, "user": true, "api_token": true,
	"token": true, "labels": true, "components": true, "priority": true, "assignee": true,
	"resolve_transition": true, "reopen_transition": true,
}

// parseConfig reads and checks the settings map. It reports every
// problem, each naming its setting.
func parseConfig(m map[string]any) (Config, error) {
	var (
		c    Config
		errs []error
	)
	r := reader{m: m, errs: &errs}
	var unknown []string
	for k := range m {
		if !knownKeys[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("%s: unknown setting", k))
	}
	c.URL = strings.TrimRight(r.str("url"), "/")
	c.Project = r.str("project")
	c.IssueType = r.str("issue_type")
	c.Deployment = strings.ToLower(r.str("deployment"))
	c.User = r.str("user")
	c.APIToken = r.str("api_token")
	c.Token = r.str("token")
	c.Labels = r.list("labels")
	c.Components = r.list("components")
	c.Assignee = strings.TrimSpace(r.str("assignee"))
	c.ResolveTransition = r.str("resolve_transition")
	c.ReopenTransition = r.str("reopen_transition")
	for k, v := range r.strMap("priority") {
		s, err := finding.ParseSeverity(k)
		if err != nil || s == finding.SeverityUnknown {
			errs = append(errs, fmt.Errorf("priority: %q is not a severity (want CRITICAL, HIGH, MEDIUM, LOW or INFORMATIONAL)", k))
			continue
		}
		if c.Priority == nil {
			c.Priority = map[finding.Severity]string{}
		}
		c.Priority[s] = v
	}
	c.applyDefaults()
	errs = append(errs, c.Validate()...)
	return c, errors.Join(errs...)
}

func (c *Config) applyDefaults() {
	if c.IssueType == "" {
		c.IssueType = "Task"
	}
	if c.ResolveTransition == "" {
		c.ResolveTransition = "Done"
	}
	if c.Deployment == "" {
		switch {
		case c.Token != "" && c.APIToken == "":
			c.Deployment = DataCenter
		default:
			c.Deployment = Cloud
		}
	}
}

// Validate checks the settings; each error names its setting.
func (c *Config) Validate() []error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url: required"))
	} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		errs = append(errs, fmt.Errorf("url: %q is not an http(s) site address", c.URL))
	}
	if c.Project == "" {
		errs = append(errs, errors.New("project: required"))
	} else if strings.ContainsAny(c.Project, " \"\\\t\n") {
		errs = append(errs, fmt.Errorf("project: %q is not a project key", c.Project))
	}
	switch c.Deployment {
	case Cloud:
		if c.Token != "" {
			errs = append(errs, errors.New("token: is the Data Center setting; Jira Cloud uses user and api_token"))
		}
		if c.User == "" {
			errs = append(errs, errors.New("user: required on Jira Cloud (the account's email)"))
		}
		if c.APIToken == "" {
			errs = append(errs, errors.New("api_token: required on Jira Cloud"))
		} else if !secret.IsRef(c.APIToken) {
			errs = append(errs, errors.New("api_token: must be a reference (env:NAME, file:PATH, ssm:/path, secretsmanager:name), never the token itself"))
		}
	case DataCenter:
		if c.APIToken != "" || c.User != "" {
			errs = append(errs, errors.New("user, api_token: are the Jira Cloud settings; Data Center uses token"))
		}
		if c.Token == "" {
			errs = append(errs, errors.New("token: required on Jira Data Center (a personal access token)"))
		} else if !secret.IsRef(c.Token) {
			errs = append(errs, errors.New("token: must be a reference (env:NAME, file:PATH, ssm:/path, secretsmanager:name), never the token itself"))
		}
	default:
		errs = append(errs, fmt.Errorf("deployment: %q is neither cloud nor datacenter", c.Deployment))
	}
	for _, l := range c.Labels {
		if l == "" || strings.ContainsAny(l, " \t\n") || len(l) > 255 {
			errs = append(errs, fmt.Errorf("labels: %q is not a Jira label (no spaces, at most 255 characters)", l))
		}
	}
	if notify.IsDynamic(c.Assignee) && !notify.ValidToken(c.Assignee) {
		errs = append(errs, fmt.Errorf("assignee: unknown token %q", c.Assignee))
	}
	return errs
}

// reader reads typed values from a settings map, collecting errors.
type reader struct {
	m    map[string]any
	errs *[]error
}

func (r reader) str(key string) string {
	v, ok := r.m[key]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		*r.errs = append(*r.errs, fmt.Errorf("%s: want a string, got %T", key, v))
	}
	return s
}

func (r reader) list(key string) []string {
	v, ok := r.m[key]
	if !ok || v == nil {
		return nil
	}
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				*r.errs = append(*r.errs, fmt.Errorf("%s[%d]: want a string, got %T", key, i, e))
				continue
			}
			out = append(out, s)
		}
		return out
	case string:
		return []string{l}
	}
	*r.errs = append(*r.errs, fmt.Errorf("%s: want a list of strings, got %T", key, v))
	return nil
}

func (r reader) strMap(key string) map[string]string {
	v, ok := r.m[key]
	if !ok || v == nil {
		return nil
	}
	out := map[string]string{}
	switch m := v.(type) {
	case map[string]string:
		return m
	case map[string]any:
		for k, e := range m {
			s, ok := e.(string)
			if !ok {
				*r.errs = append(*r.errs, fmt.Errorf("%s.%s: want a string, got %T", key, k, e))
				continue
			}
			out[k] = s
		}
		return out
	}
	*r.errs = append(*r.errs, fmt.Errorf("%s: want a map of strings, got %T", key, v))
	return nil
}

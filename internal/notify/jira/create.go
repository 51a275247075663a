package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

// optional are the fields an issue can be created without: when Jira
// rejects only these (a priority the scheme lacks, an assignee who
// cannot be assigned), the issue is created again without them.
var optional = []string{"assignee", "priority", "components"}

// create opens the finding's issue.
func (r *Receiver) create(ctx context.Context, c *client, msg *notify.Message, it *notify.Item, kind notify.Kind) (string, string, error) {
	m := single(msg, it, kind, "")
	summary, err := r.render("summary", m)
	if err != nil {
		return "", "", err
	}
	desc, err := r.render("description", m)
	if err != nil {
		return "", "", err
	}
	summary = tmpl.Truncate(maxSummary, tmpl.OneLine(summary))
	if summary == "" {
		summary = tmpl.Truncate(maxSummary, "Warden finding "+tmpl.OneLine(it.Record.FindingID))
	}
	fields := map[string]any{
		"project":     map[string]string{"key": r.cfg.Project},
		"issuetype":   map[string]string{"name": r.cfg.IssueType},
		"summary":     summary,
		"description": body(desc),
		"labels":      r.labels(it.Record.FindingID),
	}
	if p, ok := r.cfg.Priority[it.Record.Severity]; ok && p != "" {
		fields["priority"] = map[string]string{"name": p}
	}
	if len(r.cfg.Components) > 0 {
		comps := make([]map[string]string, len(r.cfg.Components))
		for i, n := range r.cfg.Components {
			comps[i] = map[string]string{"name": n}
		}
		fields["components"] = comps
	}
	if a := r.assignee(ctx, c, it); a != nil {
		fields["assignee"] = a
	}
	key, err := c.create(ctx, fields)
	detail := ""
	if dropped := rejectedOptional(err); len(dropped) > 0 {
		first := err
		for _, f := range dropped {
			delete(fields, f)
		}
		key, err = c.create(ctx, fields)
		detail = fmt.Sprintf(" without %s (%v)", strings.Join(dropped, ", "), first)
	}
	if err != nil {
		return "", "", fmt.Errorf("creating an issue in %s: %w", r.cfg.Project, err)
	}
	return key, key + " created" + detail, nil
}

// labels are the configured labels and the finding's own, without
// repeats.
func (r *Receiver) labels(findingID string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range append(append([]string(nil), r.cfg.Labels...), Label(findingID)) {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// assignee returns the assignee field for the item, or nil to leave the
// issue unassigned. A token is resolved from the item; on Jira Cloud an
// email is turned into the account id Cloud needs.
func (r *Receiver) assignee(ctx context.Context, c *client, it *notify.Item) map[string]string {
	v := r.cfg.Assignee
	if notify.IsDynamic(v) {
		vs := notify.Resolve([]string{v}, it)
		v = ""
		if len(vs) > 0 {
			v = vs[0]
		}
	}
	if v == "" {
		return nil
	}
	if !c.cloud {
		return map[string]string{"name": v}
	}
	if !strings.Contains(v, "@") {
		return map[string]string{"accountId": v}
	}
	id, err := c.accountID(ctx, v)
	if err != nil || id == "" {
		r.log.Warn("jira assignee not found", "assignee", v, "error", err)
		return nil
	}
	return map[string]string{"accountId": id}
}

// rejectedOptional returns the optional fields a 400 from issue creation
// names, when it names no other field.
func rejectedOptional(err error) []string {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || len(ae.Fields) == 0 {
		return nil
	}
	var out []string
	for f := range ae.Fields {
		ok := false
		for _, o := range optional {
			ok = ok || f == o
		}
		if !ok {
			return nil
		}
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

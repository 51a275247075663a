package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
)

// sendItem handles one finding and returns its issue key (or "" when it
// has none) and a short detail for the audit log.
//
//   - firing: with an issue already known, comment (and reopen it when
//     the finding reopened); with an issue only found by its label,
//     reopen it if it is done, else leave it (a send retried after a
//     crash); with none, open one.
//   - renotify, escalated, action: comment on the issue, or open one.
//   - resolved: move the issue to done and comment; no issue, nothing.
//
// An issue known from an earlier send that no longer exists (404) is
// forgotten and the finding handled as if it had none.
func (r *Receiver) sendItem(ctx context.Context, c *client, msg *notify.Message, it *notify.Item) (string, string, error) {
	fid := it.Record.FindingID
	if fid == "" {
		return "", "", notify.Permanent(errors.New("item has no finding id"))
	}
	kind := it.Kind
	if kind == "" {
		kind = msg.Kind
	}
	key := msg.Refs[fid]
	for attempt := 0; ; attempt++ {
		stored := key != ""
		var st *status
		if !stored {
			ref, found, err := c.findByLabel(ctx, r.cfg.Project, Label(fid))
			if err != nil {
				return "", "", err
			}
			if found {
				key, st = ref.Key, &ref.Fields.Status
			}
		}
		k, detail, err := r.act(ctx, c, msg, it, kind, key, stored, st)
		if stored && attempt == 0 && isStatus(err, http.StatusNotFound) {
			r.log.Warn("jira issue gone", "issue", key, "finding_id", fid)
			key = ""
			continue
		}
		return k, detail, err
	}
}

// act does what the kind asks to the issue key ("" for none).
func (r *Receiver) act(ctx context.Context, c *client, msg *notify.Message, it *notify.Item, kind notify.Kind, key string, stored bool, st *status) (string, string, error) {
	if kind == notify.KindResolved {
		if key == "" {
			return "", "no issue to resolve", nil
		}
		return r.resolve(ctx, c, msg, it, key, st)
	}
	if key == "" {
		return r.create(ctx, c, msg, it, kind)
	}
	reopened := kind == notify.KindFiring && it.Record.Verdict == decide.Reopened
	if kind == notify.KindFiring && (reopened || !stored) {
		return r.reopen(ctx, c, msg, it, kind, key, st, reopened || stored)
	}
	if err := r.comment(ctx, c, msg, it, kind, key); err != nil {
		return key, "", err
	}
	return key, key + " commented", nil
}

// single is msg narrowed to one item, for rendering.
func single(msg *notify.Message, it *notify.Item, kind notify.Kind, key string) *notify.Message {
	m := *msg
	m.Kind = kind
	m.Items = []notify.Item{*it}
	m.Items[0].Kind = kind
	m.Recipients = it.Recipients
	m.Refs = nil
	if key != "" {
		m.Refs = map[string]string{it.Record.FindingID: key}
	}
	return &m
}

func (r *Receiver) render(part string, m *notify.Message) (string, error) {
	s, err := r.tpl.Render(r.name, Type, part, m)
	if err != nil {
		return "", notify.Permanent(err)
	}
	return s, nil
}

// body bounds a wiki-markup body to what Jira stores.
func body(s string) string {
	s = strings.TrimSpace(s)
	if len([]rune(s)) <= maxText {
		return s
	}
	return strings.TrimRight(tmpl.Truncate(maxText, s), "\\") + "\n\n(truncated)"
}

func (r *Receiver) comment(ctx context.Context, c *client, msg *notify.Message, it *notify.Item, kind notify.Kind, key string) error {
	text, err := r.render("comment", single(msg, it, kind, key))
	if err != nil {
		return err
	}
	if err := c.comment(ctx, key, body(text)); err != nil {
		return fmt.Errorf("commenting on %s: %w", key, err)
	}
	return nil
}

// resolve moves the issue to done (unless it is already in a done
// status) and then comments: transition first, so a retry after a failed
// comment does not comment twice.
func (r *Receiver) resolve(ctx context.Context, c *client, msg *notify.Message, it *notify.Item, key string, st *status) (string, string, error) {
	if st == nil {
		s, err := c.status(ctx, key)
		if err != nil {
			return key, "", fmt.Errorf("reading the status of %s: %w", key, err)
		}
		st = &s
	}
	detail := key + " already " + st.Name
	if !st.done() {
		used, offered, err := c.moveTo(ctx, key, r.cfg.ResolveTransition)
		if err != nil {
			return key, "", err
		}
		if used == "" {
			r.log.Warn("jira transition not offered", "issue", key, "transition", r.cfg.ResolveTransition, "offered", offered)
			detail = fmt.Sprintf("%s left %s: no transition %q (offered: %s)", key, st.Name, r.cfg.ResolveTransition, strings.Join(offered, ", "))
		} else {
			detail = key + " moved by " + used
		}
	}
	if err := r.comment(ctx, c, msg, it, notify.KindResolved, key); err != nil {
		return key, "", err
	}
	return key, detail, nil
}

// reopen moves a done issue back to work, then comments when asked to.
func (r *Receiver) reopen(ctx context.Context, c *client, msg *notify.Message, it *notify.Item, kind notify.Kind, key string, st *status, commentAlways bool) (string, string, error) {
	if st == nil {
		s, err := c.status(ctx, key)
		if err != nil {
			return key, "", fmt.Errorf("reading the status of %s: %w", key, err)
		}
		st = &s
	}
	if !st.done() && !commentAlways {
		return key, key + " already open", nil
	}
	detail := key + " commented"
	if st.done() {
		names := []string{"Reopen", "To Do"}
		if r.cfg.ReopenTransition != "" {
			names = []string{r.cfg.ReopenTransition}
		}
		used, offered, err := c.moveTo(ctx, key, names...)
		if err != nil {
			return key, "", err
		}
		if used == "" {
			r.log.Warn("jira transition not offered", "issue", key, "transition", strings.Join(names, " or "), "offered", offered)
			detail = fmt.Sprintf("%s left %s: no transition %s (offered: %s)", key, st.Name, strings.Join(names, " or "), strings.Join(offered, ", "))
		} else {
			detail = key + " reopened by " + used
		}
	}
	if err := r.comment(ctx, c, msg, it, kind, key); err != nil {
		return key, "", err
	}
	return key, detail, nil
}

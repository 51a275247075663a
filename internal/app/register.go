package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/email"
	"github.com/wardenhq/warden/internal/notify/jira"
	"github.com/wardenhq/warden/internal/notify/pagerduty"
	"github.com/wardenhq/warden/internal/notify/ses"
	"github.com/wardenhq/warden/internal/notify/slack"
	"github.com/wardenhq/warden/internal/notify/sns"
	"github.com/wardenhq/warden/internal/notify/teams"
	"github.com/wardenhq/warden/internal/notify/tmpl"
	"github.com/wardenhq/warden/internal/notify/webhook"
	"github.com/wardenhq/warden/internal/playbook"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/remediate"
)

var registerOnce sync.Once

// Register makes every receiver type available to notify.New and every
// playbook to remediate.Get, once. The lists are explicit, one line per
// plugin (STYLE.md rule 4: no init side effects). Adding a receiver: its
// package under internal/notify/, a line here, a page under
// docs/receivers/. Adding a playbook: its catalog entry
// (internal/remediate/catalog.go), its file in internal/playbook, a line
// here, a page under docs/playbooks/.
func Register() { registerOnce.Do(register) }

func register() {
	policy.CheckReceiver = func(rc policy.Receiver) error {
		ts, err := tmpl.Default()
		if err != nil {
			return err
		}
		_, err = notify.New(notify.Config{Name: rc.Name, Type: rc.Type, Settings: rc.Config, Templates: ts, Secrets: noSecrets{}})
		return unwrapName(err, rc)
	}

	notify.Register(email.Type, email.New)
	notify.Register(ses.Type, ses.New)
	notify.Register(slack.Type, slack.New)
	notify.Register(teams.Type, teams.New)
	notify.Register(webhook.Type, webhook.New)
	notify.Register(pagerduty.Type, pagerduty.New)
	notify.Register(jira.Type, jira.New)
	notify.Register(sns.Type, sns.New)

	remediate.Register(playbook.EC2Isolate{})
	remediate.Register(playbook.SGRevokeWorldIngress{})
	remediate.Register(playbook.SSMCaptureMemory{})
	remediate.Register(playbook.CloudTrailRestartLogging{})
	remediate.Register(playbook.IAMDeactivateAccessKey{})
	remediate.Register(playbook.IAMQuarantinePrincipal{})
	remediate.Register(playbook.S3BlockPublicAccess{})
	remediate.Register(playbook.SecurityHubUpdate{})
	remediate.Register(playbook.HTTPRequest{})
	remediate.Register(playbook.RootUserActivity{})
}

// unwrapName drops the "receiver NAME (TYPE): " prefix notify.New adds:
// the policy loader names the receiver itself.
func unwrapName(err error, rc policy.Receiver) error {
	if err == nil {
		return nil
	}
	prefix := "receiver " + rc.Name + " (" + rc.Type + "): "
	if msg := err.Error(); strings.HasPrefix(msg, prefix) {
		return errors.New(strings.TrimPrefix(msg, prefix))
	}
	return err
}

// noSecrets is the resolver receivers get when only their settings are
// checked: constructors never resolve secrets.
type noSecrets struct{}

func (noSecrets) Resolve(_ context.Context, ref string) (string, error) {
	return "", fmt.Errorf("%s: secrets are not resolved while checking settings", ref)
}

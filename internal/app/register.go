package app

import (
	"sync"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/email"
	"github.com/wardenhq/warden/internal/notify/jira"
	"github.com/wardenhq/warden/internal/notify/pagerduty"
	"github.com/wardenhq/warden/internal/notify/ses"
	"github.com/wardenhq/warden/internal/notify/slack"
	"github.com/wardenhq/warden/internal/notify/sns"
	"github.com/wardenhq/warden/internal/notify/teams"
	"github.com/wardenhq/warden/internal/notify/webhook"
	"github.com/wardenhq/warden/internal/playbook"
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

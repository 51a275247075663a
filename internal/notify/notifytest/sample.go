// Package notifytest holds the sample messages the receivers' and the
// templates' golden tests render: one GuardDuty finding on an instance in
// a production account (with its owner and planned remediations), a
// posture finding, every message kind, and hostile text for escaping
// tests. Only tests import it.
package notifytest

import (
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
)

// T0 is when the sample finding was decided; Now when messages are sent.
var (
	T0  = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	Now = T0.Add(3*time.Hour + 20*time.Minute)
)

// GDItem is the GuardDuty finding, firing.
func GDItem() notify.Item {
	exp := T0.Add(4 * time.Hour)
	return notify.Item{
		Kind: notify.KindFiring,
		Record: decide.Record{
			FindingID:    "arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/7ab3c5e2d1f04a9b8c6e2f1a0b9c8d7e",
			Product:      "GuardDuty",
			Format:       finding.FormatGuardDuty,
			Title:        "EC2 instance i-0abc123def4567890 is querying a domain name associated with a known command and control server.",
			AccountID:    "111122223333",
			Region:       "us-east-1",
			Severity:     finding.SeverityHigh,
			ResourceID:   "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc123def4567890",
			Verdict:      decide.Remediate,
			Reason:       "new",
			Tier:         2,
			MatchedRules: []string{"c2-isolate"},
			Enrichment: enrich.Context{
				AccountName: "payments-prod", Environment: "prod", Owner: "alice@example.com",
				BusinessUnit: "Payments", SecurityContact: "secops@example.com", InInventory: true,
			},
			Actions: []decide.Action{
				{Type: decide.ActionNotify, Receiver: "security-email", Mode: "auto", Status: decide.StatusPlanned, Rule: "c2-isolate"},
				{Type: decide.ActionNotify, Receiver: "pager", Mode: "auto", Status: decide.StatusPlanned, Rule: "c2-isolate"},
				{Type: decide.ActionRemediate, Playbook: "ec2-isolate", Destructive: true, Mode: "ticket", Status: decide.StatusPlanned, Rule: "c2-isolate"},
				{Type: decide.ActionRemediate, Playbook: "ssm-capture-memory", Mode: "approval", Status: decide.StatusPlanned, Rule: "c2-isolate", Expires: &exp},
			},
			FirstSeen:    T0,
			NotifyCount:  1,
			Fingerprint:  "9f2c",
			PolicyCommit: "4e1d2a7",
			DecidedAt:    T0,
		},
		Description:     "EC2 instance i-0abc123def4567890 is querying a domain name associated with a known command and control server.\nThe domain is 5gbbbfd.example.net.",
		Types:           []string{"TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"},
		ResourceType:    "AwsEc2Instance",
		ResourceTags:    map[string]string{"Name": "payments-api-3", "Owner": "bob@example.com"},
		RemediationText: "Isolate the instance, capture its memory and disk for forensics, then rebuild it from a known-good image.",
		RemediationURL:  "https://docs.aws.amazon.com/guardduty/latest/ug/compromised-ec2.html",
		ConsoleURL:      "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?macros=current&fId=7ab3c5e2d1f04a9b8c6e2f1a0b9c8d7e",
		Recipients:      []string{"alice@example.com"},
		SLADue:          T0.Add(24 * time.Hour),
	}
}

// ControlItem is a Security Hub control failure in a dev account.
func ControlItem() notify.Item {
	return notify.Item{
		Kind: notify.KindFiring,
		Record: decide.Record{
			FindingID:   "arn:aws:securityhub:eu-west-1:444455556666:security-control/S3.8/finding/0f1e2d3c",
			Product:     "Security Hub",
			Title:       "S3 general purpose buckets should block public access",
			AccountID:   "444455556666",
			Region:      "eu-west-1",
			Severity:    finding.SeverityMedium,
			ResourceID:  "arn:aws:s3:::payments-exports",
			Verdict:     decide.Notify,
			Tier:        3,
			Enrichment:  enrich.Context{AccountName: "payments-dev", Environment: "dev", Owner: "alice@example.com"},
			Actions:     []decide.Action{{Type: decide.ActionNotify, Receiver: "owner-digest", Mode: "auto", Status: decide.StatusPlanned}},
			FirstSeen:   T0.Add(-50 * time.Hour),
			NotifyCount: 3,
			DecidedAt:   T0,
			Notes:       []string{"accepted risk exports-public (SEC-1234) expired on 2026-11-20 and no longer suppresses this finding"},
		},
		ResourceType: "AwsS3Bucket",
		ConsoleURL:   "https://eu-west-1.console.aws.amazon.com/securityhub/home?region=eu-west-1#/controls/S3.8",
		SLADue:       T0.Add(-2 * time.Hour),
	}
}

// Messages returns one message per kind (firing, renotify, escalated,
// resolved, action, group, digest, test) addressed to receiver.
func Messages(receiver string) map[string]*notify.Message {
	renotify := GDItem()
	renotify.Kind = notify.KindRenotify
	renotify.Record.NotifyCount = 3
	renotify.Record.FirstSeen = T0.Add(-15 * 24 * time.Hour)
	renotify.Record.Notes = []string{"still active; last notified 2026-11-10T09:00:00Z"}
	escalated := GDItem()
	escalated.Kind = notify.KindEscalated
	escalated.Record.Severity = finding.SeverityCritical
	escalated.Record.Verdict = decide.Escalate
	escalated.Record.Notes = []string{"severity rose from HIGH to CRITICAL"}
	resolved := GDItem()
	resolved.Kind = notify.KindResolved
	resolved.Record.Verdict = decide.Resolved
	resolved.Record.Actions = []decide.Action{{Type: decide.ActionNotify, Receiver: receiver, Mode: "auto", Status: decide.StatusPlanned}}
	action := GDItem()
	action.Kind = notify.KindAction
	action.Record.Enrichment.AccountName, action.Record.Enrichment.Environment = "payments-staging", "staging"
	action.Action = &notify.ActionInfo{
		JobID: 4711, Playbook: "ec2-isolate", Mode: "approval", Status: "waiting", Destructive: true,
		Expires:        T0.Add(4 * time.Hour),
		Summary:        "Will enable termination protection, move i-0abc123def4567890 to security group warden-isolation, detach it from Auto Scaling group payments-api, deregister it from 2 target groups, snapshot 2 EBS volumes and tag it Quarantine=4711.",
		ApproveCommand: "warden approve 4711",
		CancelCommand:  "warden deny 4711",
	}
	msg := func(kind notify.Kind, items ...notify.Item) *notify.Message {
		return &notify.Message{Receiver: receiver, Kind: kind, Items: items, Now: Now}
	}
	group := msg(notify.KindFiring, GDItem(), ControlItem())
	group.Group = "owner=alice@example.com"
	group.GroupLabels = map[string]string{"owner": "alice@example.com"}
	digest := msg(notify.KindDigest, ControlItem(), GDItem(), resolved)
	digest.Title = "Daily digest for alice@example.com"
	return map[string]*notify.Message{
		"firing":    msg(notify.KindFiring, GDItem()),
		"renotify":  msg(notify.KindRenotify, renotify),
		"escalated": msg(notify.KindEscalated, escalated),
		"resolved":  msg(notify.KindResolved, resolved),
		"action":    msg(notify.KindAction, action),
		"group":     group,
		"digest":    digest,
		"test":      {Receiver: receiver, Kind: notify.KindTest, Now: Now},
	}
}

// Hostile is finding text that tries to break out of every output syntax.
const Hostile = "<!channel> <@U1> <http://evil|x> *bold* _it_ `code` [click](http://evil) <at>all</at> {{DATE(x)}} \u202e& \"q\" \x1b[31m"

// HostileItem puts Hostile text into every finding field a message shows.
func HostileItem() notify.Item {
	it := GDItem()
	r := &it.Record
	r.Title, r.FindingID, r.AccountID, r.Region, r.ResourceID = Hostile, "id-"+Hostile, "acct-"+Hostile, "region-"+Hostile, "res-"+Hostile
	r.Product = Hostile
	r.Enrichment.AccountName, r.Enrichment.Environment, r.Enrichment.Owner = Hostile, Hostile, Hostile
	r.Notes = []string{Hostile}
	r.MatchedRules = []string{Hostile}
	r.PolicyCommit = Hostile
	r.Actions = append(r.Actions, decide.Action{Type: decide.ActionNotify, Receiver: Hostile, Mode: "auto", Status: decide.StatusPlanned})
	it.Description, it.RemediationText, it.Actor, it.SourceIP = Hostile, Hostile, Hostile, Hostile
	it.Types = []string{Hostile}
	it.ConsoleURL = "javascript:alert(1)//" + Hostile
	it.RemediationURL = "https://docs.example.com/x?a=1&b=<!channel>|x>(y)[z]"
	return it
}

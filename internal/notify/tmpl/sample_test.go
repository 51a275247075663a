package tmpl

import (
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/notifytest"
)

// The shared samples (internal/notify/notifytest), as the email goldens
// and docs/examples show them: to security-email, the renotification with
// its SLA due date, a group keyed by account, the digest to owner-digest,
// and an empty message.
var (
	t0          = notifytest.T0
	now         = notifytest.Now
	gdItem      = notifytest.GDItem
	controlItem = notifytest.ControlItem
)

func sampleMessages() map[string]*notify.Message {
	ms := notifytest.Messages("security-email")
	r := &ms["renotify"].Items[0]
	r.SLADue = r.Record.FirstSeen.Add(24 * time.Hour)
	ms["group"].Group = "account=111122223333"
	ms["digest"].Receiver = "owner-digest"
	ms["empty"] = &notify.Message{Receiver: "security-email", Kind: notify.KindFiring, Now: now}
	return ms
}

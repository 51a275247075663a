package webhook

import "github.com/wardenhq/warden/internal/notify/notifytest"

// The shared samples (internal/notify/notifytest), under this package's
// test names.
var (
	t0             = notifytest.T0
	now            = notifytest.Now
	gdItem         = notifytest.GDItem
	controlItem    = notifytest.ControlItem
	sampleMessages = notifytest.Messages
	hostileItem    = notifytest.HostileItem
)

const hostile = notifytest.Hostile

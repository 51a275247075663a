// Package track decides what a new version of a finding means given what
// Warden remembers of it: new, a duplicate, a material change, an
// escalation, a resolution, a reopening, or a re-notification that is due.
// It is a pure function of the stored state, the finding and the time.
package track

import (
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/store"
)

// Reason is the named outcome of tracking one finding version.
type Reason string

// Reasons, stored in the decision record as `reason`.
const (
	New         Reason = "new"          // never seen
	Duplicate   Reason = "duplicate"    // nothing that matters changed
	Changed     Reason = "changed"      // a material change that is not an escalation
	Escalated   Reason = "escalated"    // severity went up
	Resolved    Reason = "resolved"     // the finding now says it is resolved
	Reopened    Reason = "reopened"     // resolved before, active again
	RenotifyDue Reason = "renotify_due" // still active, quiet for the re-notify period
)

// Evaluate compares a finding version with the stored state (nil when the
// finding was never seen). fingerprint is f.Fingerprint(), passed in so
// callers compute it once. renotifyAfter is the quiet period for the
// finding's severity.
func Evaluate(prev *store.State, f *finding.Finding, fingerprint string, now time.Time, renotifyAfter time.Duration) Reason {
	resolved := f.Resolved()
	switch {
	case prev == nil && resolved:
		return Resolved
	case prev == nil:
		return New
	case resolved && prev.Status == store.StatusResolved:
		return Duplicate
	case resolved:
		return Resolved
	case prev.Status == store.StatusResolved && prev.LastNotified.IsZero():
		// Resolved before anyone was told (e.g. a control only ever seen
		// PASSED): failing now is news, not a reopening.
		return New
	case prev.Status == store.StatusResolved:
		return Reopened
	case f.Severity > prev.Severity:
		return Escalated
	case !prev.LastNotified.IsZero() && renotifyAfter > 0 && now.Sub(prev.LastNotified) >= renotifyAfter:
		return RenotifyDue
	case fingerprint != prev.Fingerprint:
		return Changed
	}
	return Duplicate
}

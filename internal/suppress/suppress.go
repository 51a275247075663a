// Package suppress applies the accepted-risk register: rules with a
// `suppress` block hide the findings they match until their expiry date,
// and say so when they have expired.
package suppress

import (
	"time"

	"github.com/wardenhq/warden/internal/policy"
)

// Hit is an accepted risk that applies, or applied, to a finding. Its JSON
// form is the decision record's `suppression`.
type Hit struct {
	Rule       string `json:"rule"`
	Reason     string `json:"reason"`
	Owner      string `json:"owner"`
	Ticket     string `json:"ticket"`
	ApprovedBy string `json:"approved_by"`
	Expires    string `json:"expires"`
	Expired    bool   `json:"expired,omitempty"`
}

// Check returns the first matched rule whose accepted risk still holds at
// now, and every matched accepted risk that has expired. An accepted risk
// holds through the whole of its expiry date (UTC).
func Check(matched []*policy.CompiledRule, now time.Time) (active *Hit, expired []Hit) {
	for _, r := range matched {
		s := r.Suppress
		if s == nil {
			continue
		}
		h := Hit{Rule: r.ID, Reason: s.Reason, Owner: s.Owner, Ticket: s.Ticket, ApprovedBy: s.ApprovedBy, Expires: s.Expires.String()}
		if !now.Before(s.Expires.End()) {
			h.Expired = true
			expired = append(expired, h)
			continue
		}
		if active == nil {
			active = &h
		}
	}
	return active, expired
}

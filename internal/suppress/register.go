package suppress

import (
	"math"
	"sort"
	"time"

	"github.com/wardenhq/warden/internal/policy"
)

// Risk is one line of the accepted-risk register (`warden risks`).
type Risk struct {
	Rule        string `json:"rule"`
	File        string `json:"file"`
	Description string `json:"description,omitempty"`
	Reason      string `json:"reason"`
	Owner       string `json:"owner"`
	Ticket      string `json:"ticket"`
	ApprovedBy  string `json:"approved_by"`
	Created     string `json:"created,omitempty"`
	Expires     string `json:"expires"`
	// AgeDays is days since created (-1 when created is not given).
	AgeDays int `json:"age_days"`
	// DaysLeft is days until expiry; negative once expired.
	DaysLeft int  `json:"days_left"`
	Expired  bool `json:"expired"`
	// ExpiringSoon flags risks expiring within 30 days.
	ExpiringSoon bool `json:"expiring_soon"`
	// Hides is how many tracked findings the risk currently suppresses.
	Hides int `json:"hides"`
}

// SoonWindow is how close to expiry a risk is flagged.
const SoonWindow = 30 * 24 * time.Hour

// Register lists every accepted risk of the policy set, soonest expiry
// first. counts gives, per rule id, how many tracked findings each hides.
func Register(ps *policy.Set, counts map[string]int, now time.Time) []Risk {
	var out []Risk
	for _, r := range ps.Rules {
		s := r.Suppress
		if s == nil {
			continue
		}
		left := s.Expires.End().Sub(now)
		risk := Risk{
			Rule: r.ID, File: r.File, Description: r.Description,
			Reason: s.Reason, Owner: s.Owner, Ticket: s.Ticket, ApprovedBy: s.ApprovedBy,
			Expires:  s.Expires.String(),
			AgeDays:  -1,
			DaysLeft: int(math.Floor(left.Hours() / 24)),
			Expired:  left <= 0,
			Hides:    counts[r.ID],
		}
		risk.ExpiringSoon = !risk.Expired && left <= SoonWindow
		if !s.Created.IsZero() {
			risk.Created = s.Created.String()
			risk.AgeDays = int(now.Sub(s.Created.Time).Hours() / 24)
		}
		out = append(out, risk)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Expires < out[j].Expires })
	return out
}

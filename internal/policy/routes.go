package policy

import (
	"sort"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/route"
	"github.com/wardenhq/warden/internal/store"
)

// compileRoutes compiles routes.yaml into the routing tree, or makes the
// default tree from warden.yaml's default.notify when there is none.
func compileRoutes(r *Repo, s *Set, add func(error)) {
	if r.Routes == nil {
		s.Routes = route.Default(r.Settings.Default.Notify)
		return
	}
	if r.Routes.Route != nil && r.Routes.Route.Receiver != "" && len(r.Settings.Default.Notify) > 0 {
		add(r.at(SettingsFile, []string{"default", "notify"}, "default.notify and the root route's receiver in %s do the same thing: keep one (the root route's)", RoutesFile))
	}
	// routes.yaml without a root receiver: default.notify stays the
	// root's receivers, so adding routes.yaml does not drop it silently.
	tree, errs := route.Compile(r.Routes, route.Options{
		Receiver: func(n string) bool {
			_, ok := s.Receivers[n]
			return ok
		},
		RootReceivers: r.Settings.Default.Notify,
	})
	problems := make([]*Problem, 0, len(errs))
	for _, e := range errs {
		problems = append(problems, r.at(RoutesFile, e.Path, "%s", e.Msg))
	}
	// In the order of the file, as the schema's errors are.
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i], problems[j]
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	for _, p := range problems {
		add(p)
	}
	s.Routes = tree
}

// SLA returns how long a finding of the severity may stay open before it
// is overdue (0: no SLA).
func (s *Set) SLA(sev finding.Severity) time.Duration {
	return time.Duration(s.Settings.SLA[sev.String()])
}

// StateFacts returns the labels of a tracked finding as stored, for
// inhibition sources and digests: its state, its account from the
// inventory and whether it is overdue at now (active and open longer
// than its severity's SLA).
func (s *Set) StateFacts(st store.State, now time.Time) *route.Facts {
	a, known := s.Account(st.AccountID)
	f := route.FactsFromState(st, a, known)
	if sla := s.SLA(st.Severity); sla > 0 && st.Status == store.StatusActive {
		f.Overdue = now.After(st.FirstSeen.Add(sla))
	}
	return f
}

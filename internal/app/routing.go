package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/outbox"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/route"
	"github.com/wardenhq/warden/internal/store"
)

// routeHooks connects the dispatcher to the routing tree: mute and
// active time intervals per route, and inhibition against the findings
// that are active when the pass starts.
func routeHooks(d *outbox.Dispatcher, ps *policy.Set, st store.Store, clock func() time.Time) {
	d.Muted = ps.Routes.Muted
	if !ps.Routes.Inhibits() {
		return
	}
	var (
		mu  sync.Mutex
		inh *route.Inhibitor
	)
	d.Prepare = func(ctx context.Context) error {
		now := clock().UTC()
		var active []route.Labels
		err := st.States(ctx, []store.Status{store.StatusActive}, func(s store.State) error {
			active = append(active, ps.StateFacts(s, now))
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading active findings for inhibition: %w", err)
		}
		mu.Lock()
		inh = ps.Routes.NewInhibitor(active)
		mu.Unlock()
		return nil
	}
	d.Inhibited = func(_ context.Context, it *notify.Item) (string, bool) {
		if it.Kind == notify.KindResolved || it.Kind == notify.KindAction {
			return "", false // closing or approving something is never noise
		}
		mu.Lock()
		in := inh
		mu.Unlock()
		if in == nil {
			return "", false
		}
		i, ok := in.Inhibited(it.Record.Facts())
		if !ok {
			return "", false
		}
		return ps.Routes.InhibitRules()[i].Name, true
	}
}

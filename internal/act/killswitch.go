package act

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
)

// KillSwitch turns every remediation into a dry run while it is on. It is
// safe for concurrent use; a nil *KillSwitch is off. The policy's
// remediation.kill_switch is checked beside it by the Runner, so a signal
// can add a kill switch but never lift the one the policy sets.
type KillSwitch struct {
	on atomic.Bool
	// Log, when set, records every change made by a signal.
	Log *slog.Logger
}

// NewKillSwitch returns a switch in the given position (the --kill-switch
// flag).
func NewKillSwitch(on bool) *KillSwitch {
	k := &KillSwitch{}
	k.on.Store(on)
	return k
}

// On reports whether the switch is on.
func (k *KillSwitch) On() bool { return k != nil && k.on.Load() }

// Set puts the switch on or off.
func (k *KillSwitch) Set(on bool) { k.on.Store(on) }

// Toggle flips the switch and returns its new position.
func (k *KillSwitch) Toggle() bool {
	for {
		old := k.on.Load()
		if k.on.CompareAndSwap(old, !old) {
			return !old
		}
	}
}

// HandleSignals makes the toggle signal (SIGUSR1 where it exists) flip
// the switch until ctx ends. The handler is installed when HandleSignals
// returns; it runs in its own goroutine.
func (k *KillSwitch) HandleSignals(ctx context.Context) {
	sig := toggleSignals()
	if len(sig) == 0 {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sig...)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-ch:
				on := k.Toggle()
				if k.Log != nil {
					k.Log.Warn("remediation kill switch toggled", "signal", s.String(), "on", on)
				}
			}
		}
	}()
}

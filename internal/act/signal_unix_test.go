//go:build unix

package act

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func TestKillSwitchSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := NewKillSwitch(false)
	k.HandleSignals(ctx)
	for i, want := range []bool{true, false} {
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for k.On() != want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if k.On() != want {
			t.Fatalf("signal %d: switch on=%v, want %v", i+1, k.On(), want)
		}
	}
}

//go:build unix

package act

import (
	"os"
	"syscall"
)

func toggleSignals() []os.Signal { return []os.Signal{syscall.SIGUSR1} }

//go:build !unix

package act

import "os"

// toggleSignals: systems without SIGUSR1 toggle the switch by flag and
// policy only.
func toggleSignals() []os.Signal { return nil }

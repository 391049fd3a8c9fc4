package testbed

import "slices"

// SetDaemonArgs replaces the arguments that follow --state-dir on the command line of
// the host's microovnd, which are Options.ExtraArgs by default. The next StartDaemon
// uses them. Call it while no other goroutine starts the daemon of the host.
func (h *Host) SetDaemonArgs(args ...string) {
	h.extraArgs = slices.Clone(args)
}

// Package ops holds the end-to-end tests of MicroOVN's operator features: moving
// central between members, external central addresses, status, init, custom
// encapsulation addresses and the security log. Each test builds a test bed of
// network namespaces (package testbed) and runs the real microovnd and microovn
// binaries from $MICROOVN_BIN (default ../../bin, the repository's bin folder) with
// the host's OVN and Open vSwitch.
//
// Run as root after building the binaries:
//
//	make -s build && MICROOVN_BIN=$PWD/bin go test -count=1 -v -timeout 30m ./tests/ops/
package ops

import (
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// commandTimeout bounds one run of microovn or of a wrapped tool. A service
	// change or a CA change restarts processes on several members, so it can take
	// tens of seconds on a loaded machine.
	commandTimeout = 3 * time.Minute
	// settleTimeout bounds the wait for every member to apply a change. The
	// reconcile loop runs every 3 s, and a Raft join or leave adds a few seconds.
	settleTimeout = 2 * time.Minute
	// heartbeatArg makes microcluster promote a new member from PENDING within about
	// a second instead of ten.
	heartbeatArg = "--heartbeat-interval=1s"
	// logTailSize is how much of each daemon log a failed test prints, in bytes.
	logTailSize = 4000
)

// runner runs microovn and the wrapped tools for the operator tests.
var runner = e2e.Runner{MicroOVNTimeout: commandTimeout, ToolTimeout: commandTimeout}

// newBed builds a bed of hosts hosts and starts microovnd on every host.
func newBed(t *testing.T, hosts int) *testbed.Bed {
	t.Helper()

	bed := buildBed(t, hosts)
	e2e.StartDaemons(t, bed.Hosts...)

	return bed
}

// buildBed builds a bed of hosts hosts whose microovnd runs with the short
// heartbeat, but starts no daemon. The bed is closed when the test ends, and the end
// of every daemon log is printed before that when the test failed.
func buildBed(t *testing.T, hosts int) *testbed.Bed {
	t.Helper()

	bin := e2e.RequireBinaries(t, "the operator tests")
	bed := testbed.Start(t, testbed.Options{Hosts: hosts, Bin: bin,
		ExtraArgs: []string{heartbeatArg}})
	t.Logf("test bed %s in %s", bed.Prefix, bed.Dir)

	// Cleanups run last first, so the logs are printed before the bed is removed.
	t.Cleanup(func() { e2e.DumpLogsOnFailure(t, bed.Hosts, logTailSize) })

	return bed
}

// memberServices returns the services of member name in status, or nil when status
// does not list it.
func memberServices(status types.Status, name string) []string {
	for _, m := range status.Members {
		if m.Name == name {
			return m.Services
		}
	}

	return nil
}

// checkRaft records a problem unless the NB and SB servers on every central are
// Raft members whose servers are exactly the centrals.
func checkRaft(p e2e.Reporter, centrals []*testbed.Host) {
	for _, db := range e2e.Databases {
		runner.CheckRaftServers(p, db, centrals)
	}
}

// readEncapIP returns the encapsulation address of chassis name in the Southbound
// that the wrapped ovn-sbctl on h reaches, or "" when the chassis has none.
func readEncapIP(h *testbed.Host, name string) (string, error) {
	out, err := runner.Tool(h, "ovn-sbctl", "--bare", "--columns=ip", "find", "Encap",
		"chassis_name="+name)
	if err != nil {
		return "", err
	}

	return strings.Trim(strings.TrimSpace(out), `"`), nil
}

// warningLines returns the lines of out that start with "Warning: ", without it.
func warningLines(out string) []string {
	var warnings []string
	for _, line := range strings.Split(out, "\n") {
		if warning, found := strings.CutPrefix(strings.TrimSpace(line), "Warning: "); found {
			warnings = append(warnings, warning)
		}
	}

	return warnings
}

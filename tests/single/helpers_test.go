// Package single holds the end-to-end tests of one MicroOVN node: real microovnd,
// microovn and OVN processes in a one-host test bed.
//
// Run as root with MICROOVN_BIN naming the folder of the built binaries:
//
//	make -s build && MICROOVN_BIN=$PWD/bin go test -count=1 -v ./tests/single/
package single

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// cmdTimeout bounds one command that should return quickly.
	cmdTimeout = 60 * time.Second
	// logTailSize is how much of the daemon log a failed test prints, in bytes.
	logTailSize = 4000
)

// runner runs microovn, the wrapped tools and other programs for the single-node
// tests.
var runner = e2e.Runner{MicroOVNTimeout: 2 * cmdTimeout, ToolTimeout: cmdTimeout}

// processNames are the six OVN and Open vSwitch processes of a full node, as keyed
// by Host.Pids.
var processNames = []string{
	"ovsdb-server", "ovs-vswitchd", "ovnnb_db", "ovnsb_db", "ovn-northd", "ovn-controller",
}

// binDir returns the folder of the built binaries, and skips the test when it is not
// given or the test does not run as root.
func binDir(t *testing.T) string {
	t.Helper()

	e2e.SkipUnlessRoot(t, "the single-node tests")

	bin := os.Getenv("MICROOVN_BIN")
	if bin == "" {
		t.Skip("MICROOVN_BIN is not set: run `make -s build` and set it to the bin folder")
	}

	return bin
}

// node is the one host of a fresh bed, with its microovnd running.
type node struct {
	t   *testing.T
	bed *testbed.Bed
	h   *testbed.Host
	bin string
}

// newNode builds a one-host bed and starts microovnd on it, not bootstrapped. The bed
// is closed when the test ends; the daemon log is printed when the test failed.
func newNode(t *testing.T) *node {
	t.Helper()

	bin := binDir(t)
	bed := testbed.Start(t, testbed.Options{Hosts: 1, Bin: bin})
	n := &node{t: t, bed: bed, h: bed.Hosts[0], bin: bin}
	// Cleanups run last first, so the log is printed before the bed is removed.
	t.Cleanup(func() { e2e.DumpLogsOnFailure(t, bed.Hosts, logTailSize) })
	e2e.StartDaemons(t, n.h)

	return n
}

// path returns a path under the node's root.
func (n *node) path(parts ...string) string {
	return filepath.Join(append([]string{n.h.Root}, parts...)...)
}

// bootstrap creates a cluster with the host as h1 on its management address, with
// the extra arguments given, and fails the test when that fails.
func (n *node) bootstrap(extra ...string) {
	n.t.Helper()

	args := append([]string{"cluster", "bootstrap", "--name", n.h.Name,
		"--address", n.h.Addr.String()}, extra...)
	if out, err := runner.MicroOVN(n.h, args...); err != nil {
		n.t.Fatalf("bootstrap: %v\n%s", err, out)
	}
}

// bootstrapChassis bootstraps with the bed's encapsulation address and puts that
// address on the underlay bridge.
func (n *node) bootstrapChassis() {
	n.t.Helper()

	n.bootstrap("--encap-ip", n.h.EncapAddr.String())
	runner.SetupUnderlay(n.t, n.h)
}

// result is the outcome of a command whose streams and exit code are checked.
type result struct {
	stdout, stderr string
	code           int  // exit code, -1 when killed
	timedOut       bool // the command ran past its time limit
}

// String describes the result for a failure message.
func (r result) String() string {
	return fmt.Sprintf("exit code %d, timed out %v\nstdout: %q\nstderr: %q",
		r.code, r.timedOut, r.stdout, r.stderr)
}

// runSplit runs program with args in the host's namespace for at most limit and
// keeps standard output and error apart.
func (n *node) runSplit(limit time.Duration, program string, args ...string) result {
	n.t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()

	var stdout, stderr bytes.Buffer
	cmd := n.h.Command(ctx, program, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second

	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(),
		timedOut: ctx.Err() != nil}

	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		n.t.Fatalf("run %s: %v", program, err)
	}

	return r
}

// healthy reports whether status shows both databases reachable with h1 as leader.
func (n *node) healthy() (bool, string) {
	st, err := runner.ReadStatus(n.h)
	if err != nil {
		return false, err.Error()
	}

	if len(st.Databases) != 2 {
		return false, fmt.Sprintf("want 2 databases, got %+v", st.Databases)
	}

	for _, db := range st.Databases {
		if !db.Reachable || db.Leader != n.h.Name {
			return false, fmt.Sprintf("database %s: reachable %v, leader %q, error %q",
				db.Name, db.Reachable, db.Leader, db.Error)
		}
	}

	return true, ""
}

// waitAllRunning waits until all six processes run and returns their pids.
func (n *node) waitAllRunning(limit time.Duration) map[string]int {
	n.t.Helper()

	var pids map[string]int
	e2e.WaitFor(n.t, "all OVN processes running", limit, func() (bool, string) {
		pids = n.h.Pids()
		for _, name := range processNames {
			if pids[name] == 0 {
				return false, fmt.Sprintf("%s not running; running: %v", name, pids)
			}
		}

		return true, ""
	})

	return pids
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}

	return out
}

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
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/testbed"
)

// cmdTimeout bounds one command that should answer quickly.
const cmdTimeout = 60 * time.Second

// processNames are the six OVN and Open vSwitch processes of a full node, as keyed
// by Host.Pids.
var processNames = []string{
	"ovsdb-server", "ovs-vswitchd", "ovnnb_db", "ovnsb_db", "ovn-northd", "ovn-controller",
}

// binDir returns the folder of the built binaries, and skips the test when it is not
// given or the test does not run as root.
func binDir(t *testing.T) string {
	t.Helper()

	if os.Geteuid() != 0 {
		t.Skip("the single-node tests need root for network namespaces")
	}

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
	t.Cleanup(n.dumpLogOnFailure)

	if err := n.h.StartDaemon(); err != nil {
		t.Fatal(err)
	}

	return n
}

// dumpLogOnFailure prints the end of the daemon log of a failed test. It is
// registered after the bed's cleanup, so it runs before the bed is removed.
func (n *node) dumpLogOnFailure() {
	if !n.t.Failed() {
		return
	}

	data, err := os.ReadFile(filepath.Join(n.h.Root, "logs", "microovnd.log"))
	if err != nil {
		return
	}

	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}

	n.t.Logf("end of microovnd.log:\n%s", data)
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
	if out, err := n.microovn(args...); err != nil {
		n.t.Fatalf("bootstrap: %v\n%s", err, out)
	}
}

// bootstrapChassis bootstraps with the bed's encapsulation address and puts that
// address on the underlay bridge.
func (n *node) bootstrapChassis() {
	n.t.Helper()

	n.bootstrap("--encap-ip", n.h.EncapAddr.String())

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()

	if err := n.h.SetupUnderlay(ctx); err != nil {
		n.t.Fatal(err)
	}
}

// microovn runs the microovn client against the node and returns its combined output.
func (n *node) microovn(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*cmdTimeout)
	defer cancel()

	return n.h.MicroOVN(ctx, args...)
}

// tool runs a wrapped tool, such as "ovn-sbctl", through its microovn.* link inside
// the host's namespace.
func (n *node) tool(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()

	return n.h.Run(ctx, filepath.Join(n.bin, "microovn."+name), args...)
}

// run runs a program inside the host's namespace and returns its combined output.
func (n *node) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()

	return n.h.Run(ctx, name, args...)
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

// status returns the node's `microovn status --format json`.
func (n *node) status() (types.Status, error) {
	var st types.Status
	out, err := n.microovn("status", "--format", "json")
	if err != nil {
		return st, err
	}

	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return st, fmt.Errorf("decode status: %w: %q", err, out)
	}

	return st, nil
}

// healthy reports whether status shows both databases reachable with h1 as leader.
func (n *node) healthy() (bool, string) {
	st, err := n.status()
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

// waitFor polls check every 500 ms until it returns true, and fails the test when
// that takes longer than limit, with the last reason check gave.
func waitFor(t *testing.T, limit time.Duration, what string, check func() (bool, string)) {
	t.Helper()

	deadline := time.Now().Add(limit)
	for {
		ok, why := check()
		if ok {
			return
		}

		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v: %s", what, limit, why)
		}

		time.Sleep(500 * time.Millisecond)
	}
}

// waitAllRunning waits until all six processes run and returns their pids.
func (n *node) waitAllRunning(limit time.Duration) map[string]int {
	n.t.Helper()

	var pids map[string]int
	waitFor(n.t, limit, "all OVN processes running", func() (bool, string) {
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

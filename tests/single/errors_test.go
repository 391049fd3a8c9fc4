package single

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
)

// errorLimit bounds a command that is expected to fail at once.
const errorLimit = 30 * time.Second

// wantOneLineError checks that r failed with one line on standard error, nothing on
// standard output, and a message that contains one of the facts.
func wantOneLineError(t *testing.T, what string, r result, facts ...string) {
	t.Helper()

	if r.timedOut || r.code == 0 {
		t.Errorf("%s: want a quick failure, got %v", what, r)
		return
	}

	if r.stdout != "" || len(lines(r.stderr)) != 1 {
		t.Errorf("%s: want one line on stderr and nothing on stdout, got %v", what, r)
	}

	for _, fact := range facts {
		if strings.Contains(strings.ToLower(r.stderr), strings.ToLower(fact)) {
			return
		}
	}

	t.Errorf("%s: want the error to mention one of %q, got %v", what, facts, r)
}

// TestBootstrapTwiceFails checks that a second bootstrap is refused and leaves the
// first cluster running as it was.
func TestBootstrapTwiceFails(t *testing.T) {
	n := newNode(t)
	n.bootstrapChassis()
	before := n.waitAllRunning(60 * time.Second)

	r := n.runSplit(errorLimit, filepath.Join(n.bin, "microovn"), "cluster", "bootstrap",
		"--name", n.h.Name, "--address", n.h.Addr.String())
	wantOneLineError(t, "second bootstrap", r, "already a cluster member")

	e2e.WaitFor(t, "healthy after the second bootstrap", 30*time.Second, n.healthy)
	after := n.h.Pids()
	for _, name := range processNames {
		if after[name] != before[name] {
			t.Errorf("%s: pid %d before the second bootstrap, %d after", name,
				before[name], after[name])
		}
	}
}

// TestBootstrapBadAddress checks that a host name or a foreign address as --address
// is refused before anything is made, so that a correct bootstrap still works.
func TestBootstrapBadAddress(t *testing.T) {
	n := newNode(t)
	mo := filepath.Join(n.bin, "microovn")

	r := n.runSplit(errorLimit, mo, "cluster", "bootstrap", "--name", n.h.Name,
		"--address", "h1.example.com")
	wantOneLineError(t, "bootstrap with a host name", r, "not a host name")

	r = n.runSplit(errorLimit, mo, "cluster", "bootstrap", "--name", n.h.Name,
		"--address", "198.18.250.250")
	wantOneLineError(t, "bootstrap with a foreign address", r, "no interface of this host")

	if pids := n.h.Pids(); len(pids) != 0 {
		t.Errorf("processes run after the failed bootstraps: %v", pids)
	}

	if _, err := os.Stat(n.path("data", "central")); !os.IsNotExist(err) {
		t.Errorf("the failed bootstraps made %s (stat: %v)", n.path("data", "central"), err)
	}

	n.bootstrap()
	e2e.WaitFor(t, "healthy after a correct bootstrap", 30*time.Second, n.healthy)
}

// TestCommandsBeforeBootstrap checks the errors of status and a wrapped tool on a
// node whose daemon runs but that is not bootstrapped, and whose daemon then stops.
func TestCommandsBeforeBootstrap(t *testing.T) {
	n := newNode(t)
	mo, sbctl := filepath.Join(n.bin, "microovn"), filepath.Join(n.bin, "microovn.ovn-sbctl")

	wantOneLineError(t, "status before bootstrap", n.runSplit(errorLimit, mo, "status"),
		"not part of a cluster", "bootstrap")
	wantOneLineError(t, "ovn-sbctl before bootstrap", n.runSplit(errorLimit, sbctl, "show"),
		"not part of a cluster")

	if err := n.h.StopDaemon(); err != nil {
		t.Fatal(err)
	}

	wantOneLineError(t, "status with the daemon down", n.runSplit(errorLimit, mo, "status"),
		"cannot reach microovnd")
	wantOneLineError(t, "ovn-sbctl with the daemon down",
		n.runSplit(errorLimit, sbctl, "show"), "not part of a cluster")
}

// TestCommandsAfterShutdown checks the errors of status and the wrapped tools on a
// bootstrapped node whose daemon and OVN processes were shut down.
func TestCommandsAfterShutdown(t *testing.T) {
	n := newNode(t)
	n.bootstrap()

	if out, err := runner.MicroOVN(n.h, "shutdown"); err != nil {
		t.Fatalf("shutdown: %v\n%s", err, out)
	}

	daemonPid := n.daemonPid()
	e2e.WaitFor(t, "microovnd gone", 30*time.Second, func() (bool, string) {
		return !ownedBy(daemonPid, n.h.Root), "microovnd still runs"
	})

	wantOneLineError(t, "status after shutdown",
		n.runSplit(errorLimit, filepath.Join(n.bin, "microovn"), "status"),
		"cannot reach microovnd")

	for _, tool := range []string{"ovn-sbctl", "ovn-nbctl"} {
		r := n.runSplit(errorLimit, filepath.Join(n.bin, "microovn."+tool), "show")
		wantOneLineError(t, tool+" after shutdown", r, "connection refused")
	}
}

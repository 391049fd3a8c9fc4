package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// keptSwitch is the logical switch made right after the bootstrap, which must
// survive every later join and removal.
const keptSwitch = "sw-kept"

// TestScaleUpAndDown grows a cluster from one to five members one at a time, then
// shrinks it back to one, checking the whole cluster after every step.
func TestScaleUpAndDown(t *testing.T) {
	bed := newBed(t, 5, false)
	h1, h2, h3, h4, h5 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2], bed.Hosts[3], bed.Hosts[4]

	// controllers records the pid of each member's ovn-controller once it runs.
	controllers := map[string]int{}
	members := []*testbed.Host{h1}

	step(t, "bootstrap h1", func(t *testing.T) {
		runner.Bootstrap(t, h1)
		runner.MustTool(t, h1, "ovn-nbctl", "--timeout=30", "ls-add", keptSwitch)
		checkScaled(t, members, members, controllers)
	})

	for _, h := range bed.Hosts[1:] {
		step(t, "join "+h.Name, func(t *testing.T) {
			runner.Join(t, h1, h)
			members = append(members, h)
			centrals := members[:min(len(members), 3)]
			checkScaled(t, members, centrals, controllers)
		})
	}

	step(t, "remove central h3 from five", func(t *testing.T) {
		runner.MustMicroOVN(t, h1, "cluster", "remove", h3.Name)
		members = []*testbed.Host{h1, h2, h4, h5}
		// h4 joined before h5, so h4 takes the free central place.
		checkScaled(t, members, []*testbed.Host{h1, h2, h4}, nil)
		checkRemoved(t, h3)
	})

	step(t, "remove chassis-only h5", func(t *testing.T) {
		runner.MustMicroOVN(t, h1, "cluster", "remove", h5.Name)
		members = []*testbed.Host{h1, h2, h4}
		checkScaled(t, members, members, nil)
		checkRemoved(t, h5)
	})

	step(t, "remove central h4 without spare", func(t *testing.T) {
		runner.MustMicroOVN(t, h1, "cluster", "remove", h4.Name)
		members = []*testbed.Host{h1, h2}
		checkScaled(t, members, members, nil)
		checkRemoved(t, h4)
	})

	step(t, "remove h2 down to one", func(t *testing.T) {
		runner.MustMicroOVN(t, h1, "cluster", "remove", h2.Name)
		members = []*testbed.Host{h1}
		checkScaled(t, members, members, nil)
		checkRemoved(t, h2)
	})
}

// step runs one subtest of a sequence and stops the parent test when it fails,
// because later steps build on its result.
func step(t *testing.T, name string, run func(t *testing.T)) {
	t.Helper()

	if !t.Run(name, run) {
		t.FailNow()
	}
}

// checkScaled waits until the cluster has converged on members with central on
// centrals and keptSwitch still exists. When controllers is not nil, it also checks
// that no ovn-controller recorded in it has been restarted, and records the pids of
// members that are new to it.
func checkScaled(t *testing.T, members, centrals []*testbed.Host,
	controllers map[string]int) {
	t.Helper()

	condition := "cluster of " + strings.Join(e2e.Names(members), ", ") + " converges"
	e2e.Eventually(t, condition, settleTimeout, func(r e2e.Reporter) {
		checkCluster(r, members, centrals)
	})

	for _, h := range members {
		out, err := runner.Tool(h, "ovn-nbctl", "--timeout=30", "ls-list")
		if err != nil {
			t.Errorf("list logical switches on %s: %v", h.Name, err)
		} else if !strings.Contains(out, "("+keptSwitch+")") {
			t.Errorf("logical switch %s missing on %s: ls-list shows %q", keptSwitch, h.Name,
				out)
		}
	}

	if controllers == nil {
		return
	}

	for _, h := range members {
		pid := controllerPid(h)
		recorded, known := controllers[h.Name]

		switch {
		case pid == 0:
			t.Errorf("ovn-controller of %s is not running", h.Name)
		case !known:
			controllers[h.Name] = pid
		case pid != recorded:
			t.Errorf("ovn-controller of %s was restarted: pid %d, was %d", h.Name, pid,
				recorded)
		}
	}
}

// checkRemoved checks that a removed member runs no OVN process any more and kept
// its OVN data in a backup folder.
func checkRemoved(t *testing.T, h *testbed.Host) {
	t.Helper()

	e2e.Eventually(t, h.Name+" stops its OVN processes", settleTimeout, func(r e2e.Reporter) {
		procs, err := ovnProcesses(h)
		if err != nil {
			r.Errorf("list processes of %s: %v", h.Name, err)
		} else if len(procs) > 0 {
			r.Errorf("removed member %s still runs %v", h.Name, procs)
		}
	})

	if _, err := os.Stat(filepath.Join(h.Root, "data")); err == nil {
		t.Errorf("removed member %s still has %s", h.Name, filepath.Join(h.Root, "data"))
	}

	backups, err := filepath.Glob(filepath.Join(h.Root, "backup_*", "data"))
	if err != nil || len(backups) == 0 {
		t.Errorf("removed member %s has no backup_*/data folder (glob error %v)", h.Name, err)
	}
}

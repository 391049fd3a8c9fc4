package ops

import (
	"slices"
	"strings"
	"testing"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// centralChange is one enable or disable of central and what the command must print.
type centralChange struct {
	enable bool
	target *testbed.Host
	runOn  *testbed.Host // the member that runs the command, with --node when it differs
	after  []*testbed.Host
	// warnings are parts of the expected warnings, one per warning, in order.
	warnings []string
}

// run applies the change, checks the message and the warnings, and waits until the
// Raft servers of both databases are exactly the centrals afterwards.
func (c centralChange) run(t *testing.T) {
	t.Helper()

	verb, past := "disable", "disabled"
	if c.enable {
		verb, past = "enable", "enabled"
	}

	args := []string{verb, "central"}
	if c.runOn != c.target {
		args = append(args, "--node", c.target.Name)
	}

	out := runner.MustMicroOVN(t, c.runOn, args...)
	want := "Service central " + past + " on " + c.target.Name
	if !strings.Contains(out, want) {
		t.Errorf("%s central on %s printed %q, want it to contain %q", verb, c.target.Name,
			out, want)
	}

	warnings := warningLines(out)
	if len(warnings) != len(c.warnings) {
		t.Errorf("%s central on %s printed warnings %q, want %d warnings like %q", verb,
			c.target.Name, warnings, len(c.warnings), c.warnings)
	}

	for i, part := range c.warnings {
		if i < len(warnings) && !strings.Contains(warnings[i], part) {
			t.Errorf("warning %d of %s central on %s is %q, want it to contain %q", i+1,
				verb, c.target.Name, warnings[i], part)
		}
	}

	e2e.Eventually(t, "Raft servers are "+strings.Join(e2e.Names(c.after), ","), settleTimeout,
		func(p e2e.Reporter) { checkRaft(p, c.after) })
}

// Warning parts that service changes print.
const (
	evenWarning  = "an even number"
	fewerWarning = "run central on at least three members"
)

func TestCentralMovesToNewMembers(t *testing.T) {
	bed := newBed(t, 6)
	h := bed.Hosts
	runner.FormCluster(t, h)

	status, err := runner.ReadStatus(h[0])
	if err != nil {
		t.Fatal(err)
	}

	for _, m := range h {
		wantCentral := m.Index <= 3
		if got := slices.Contains(memberServices(status, m.Name), "central"); got != wantCentral {
			t.Fatalf("after forming the cluster %s runs central: %v, want %v (status %+v)",
				m.Name, got, wantCentral, status.Members)
		}
	}

	const logicalSwitch = "ops-moved"
	runner.MustTool(t, h[0], "ovn-nbctl", "ls-add", logicalSwitch)

	changes := []centralChange{
		{enable: true, target: h[3], runOn: h[3], after: h[0:4],
			warnings: []string{evenWarning}},
		{enable: true, target: h[4], runOn: h[0], after: h[0:5]},
		{enable: true, target: h[5], runOn: h[0], after: h[0:6],
			warnings: []string{evenWarning}},
		{enable: false, target: h[0], runOn: h[0], after: h[1:6]},
		{enable: false, target: h[1], runOn: h[5], after: h[2:6],
			warnings: []string{evenWarning}},
		{enable: false, target: h[2], runOn: h[5], after: h[3:6]},
	}
	for _, change := range changes {
		change.run(t)
	}

	centrals := h[3:6]
	e2e.Eventually(t, "every remote names h4, h5 and h6 only", settleTimeout, func(p e2e.Reporter) {
		for _, m := range h {
			runner.CheckRemotes(p, m, centrals)
		}
	})

	for _, m := range h[0:3] {
		pids := m.Pids()
		for _, process := range []string{"ovnnb_db", "ovnsb_db", "ovn-northd"} {
			if pid := pids[process]; pid != 0 {
				t.Errorf("%s still runs %s (pid %d) after central was disabled", m.Name,
					process, pid)
			}
		}
	}

	// ovn-nbctl on h1 reaches the Northbound through the remotes of ovn.env.
	switches := runner.MustTool(t, h[0], "ovn-nbctl", "--bare", "--columns=name", "list",
		"Logical_Switch")
	if !slices.Contains(strings.Fields(switches), logicalSwitch) {
		t.Errorf("logical switch %s is gone after central moved; switches: %q",
			logicalSwitch, switches)
	}

	chassis := runner.MustTool(t, h[0], "ovn-sbctl", "--bare", "--columns=name", "list", "Chassis")
	gotChassis := strings.Fields(chassis)
	slices.Sort(gotChassis)
	if !slices.Equal(gotChassis, e2e.Names(h)) {
		t.Errorf("Southbound lists chassis %v after central moved, want %v", gotChassis,
			e2e.Names(h))
	}

	status, err = runner.ReadStatus(h[5])
	if err != nil {
		t.Fatal(err)
	}

	for _, db := range status.Databases {
		var servers []string
		for _, server := range db.Servers {
			servers = append(servers, server.Member)
		}

		slices.Sort(servers)
		if !slices.Equal(servers, e2e.Names(centrals)) {
			t.Errorf("status shows %s servers %v, want %v", db.Name, servers, e2e.Names(centrals))
		}
	}

	t.Run("repeated change", func(t *testing.T) {
		out := runner.MustMicroOVN(t, h[3], "enable", "central")
		want := "Service central is already enabled on h4: nothing to do"
		if !strings.Contains(out, want) {
			t.Errorf("second enable printed %q, want %q", out, want)
		}

		if warnings := warningLines(out); len(warnings) > 0 {
			t.Errorf("second enable printed warnings %q, want none", warnings)
		}

		out = runner.MustMicroOVN(t, h[5], "disable", "central", "--node", h[0].Name)
		want = "Service central is already disabled on h1: nothing to do"
		if !strings.Contains(out, want) {
			t.Errorf("second disable printed %q, want %q", out, want)
		}
	})

	t.Run("unknown service", func(t *testing.T) {
		out, err := runner.MicroOVN(h[0], "enable", "router")
		if err == nil {
			t.Fatalf("enable router succeeded: %q", out)
		}

		for _, part := range []string{`unknown service "router"`, "central", "chassis",
			"switch"} {
			if !strings.Contains(out, part) {
				t.Errorf("enable router printed %q, want it to contain %q", out, part)
			}
		}
	})

	t.Run("last central", func(t *testing.T) {
		shrink := []centralChange{
			{enable: false, target: h[3], runOn: h[0], after: h[4:6],
				warnings: []string{fewerWarning, evenWarning}},
			{enable: false, target: h[4], runOn: h[0], after: h[5:6],
				warnings: []string{fewerWarning}},
		}
		for _, change := range shrink {
			change.run(t)
		}

		out, err := runner.MicroOVN(h[0], "disable", "central", "--node", h[5].Name)
		if err == nil {
			t.Fatalf("disabling the last central succeeded: %q", out)
		}

		for _, part := range []string{"last central member", "--allow-disable-last-central"} {
			if !strings.Contains(out, part) {
				t.Errorf("disabling the last central printed %q, want it to contain %q", out,
					part)
			}
		}

		status, err := runner.ReadStatus(h[0])
		if err != nil {
			t.Fatal(err)
		}

		if !slices.Contains(memberServices(status, h[5].Name), "central") {
			t.Errorf("h6 lost central after the refused disable: %v",
				memberServices(status, h[5].Name))
		}

		switches := runner.MustTool(t, h[5], "ovn-nbctl", "--bare", "--columns=name", "list",
			"Logical_Switch")
		if !slices.Contains(strings.Fields(switches), logicalSwitch) {
			t.Errorf("logical switch %s is gone after the refused disable; switches: %q",
				logicalSwitch, switches)
		}
	})
}

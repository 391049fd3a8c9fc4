package services

import (
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/microovn/microovn/microovn/paths"
)

// testConfig returns a central and chassis member at 198.18.0.1 under /r, in a
// cluster with two more central members, one of them on IPv6.
func testConfig(t *testing.T) Config {
	t.Helper()

	return Config{
		Layout:   paths.Layout{Root: "/r"},
		Member:   "node1",
		Address:  net.ParseIP("198.18.0.1"),
		EncapIP:  net.ParseIP("198.18.1.1"),
		Centrals: parseIPs(t, "198.18.0.1", "198.18.0.2", "fd00::3"),
		Datapath: DatapathSystem,
	}
}

func TestProcessArgsPerProcess(t *testing.T) {
	c := testConfig(t)
	nbRemote := "ssl:198.18.0.1:6641,ssl:198.18.0.2:6641,ssl:[fd00::3]:6641"
	sbRemote := "ssl:198.18.0.1:6642,ssl:198.18.0.2:6642,ssl:[fd00::3]:6642"
	want := map[string][]string{
		ProcSwitchDB: {
			"--no-chdir",
			"--pidfile=/r/run/switch/ovsdb-server.pid",
			"--log-file=/r/logs/ovsdb-server.log",
			"--unixctl=/r/run/switch/ovsdb-server.ctl",
			"--remote=punix:/r/run/switch/db.sock",
			"/r/data/switch/db/conf.db",
		},
		ProcVswitchd: {
			"--no-chdir",
			"--pidfile=/r/run/switch/ovs-vswitchd.pid",
			"--log-file=/r/logs/ovs-vswitchd.log",
			"--unixctl=/r/run/switch/ovs-vswitchd.ctl",
			"unix:/r/run/switch/db.sock",
		},
		ProcNB: {
			"--no-chdir",
			"--pidfile=/r/run/central/ovnnb_db.pid",
			"--log-file=/r/logs/ovnnb_db.log",
			"--unixctl=/r/run/central/ovnnb_db.ctl",
			"--remote=punix:/r/run/central/ovnnb_db.sock",
			"--remote=pssl:6641:198.18.0.1",
			"--private-key=/r/data/pki/ovnnb-privkey.pem",
			"--certificate=/r/data/pki/ovnnb-cert.pem",
			"--ca-cert=/r/data/pki/cacert.pem",
			"/r/data/central/db/ovnnb_db.db",
		},
		ProcSB: {
			"--no-chdir",
			"--pidfile=/r/run/central/ovnsb_db.pid",
			"--log-file=/r/logs/ovnsb_db.log",
			"--unixctl=/r/run/central/ovnsb_db.ctl",
			"--remote=punix:/r/run/central/ovnsb_db.sock",
			"--remote=pssl:6642:198.18.0.1",
			"--private-key=/r/data/pki/ovnsb-privkey.pem",
			"--certificate=/r/data/pki/ovnsb-cert.pem",
			"--ca-cert=/r/data/pki/cacert.pem",
			"/r/data/central/db/ovnsb_db.db",
		},
		ProcNorthd: {
			"--no-chdir",
			"--pidfile=/r/run/ovn/ovn-northd.pid",
			"--log-file=/r/logs/ovn-northd.log",
			"--unixctl=/r/run/ovn/ovn-northd.ctl",
			"--ovnnb-db=" + nbRemote,
			"--ovnsb-db=" + sbRemote,
			"--private-key=/r/data/pki/ovn-northd-privkey.pem",
			"--certificate=/r/data/pki/ovn-northd-cert.pem",
			"--ca-cert=/r/data/pki/cacert.pem",
		},
		ProcController: {
			"--no-chdir",
			"--pidfile=/r/run/ovn/ovn-controller.pid",
			"--log-file=/r/logs/ovn-controller.log",
			"--private-key=/r/data/pki/ovn-controller-privkey.pem",
			"--certificate=/r/data/pki/ovn-controller-cert.pem",
			"--ca-cert=/r/data/pki/cacert.pem",
			"unix:/r/run/switch/db.sock",
		},
	}

	table := Table()
	if len(table) != len(want) {
		t.Errorf("Table() has %d processes, want %d", len(table), len(want))
	}

	for _, p := range table {
		expected, ok := want[p.Name]
		if !ok {
			t.Errorf("Table() has unexpected process %q", p.Name)
			continue
		}

		got := p.Args(c)
		if !slices.Equal(got, expected) {
			t.Errorf("%s Args:\n got %q\nwant %q", p.Name, got, expected)
		}
	}
}

func TestProcessArgsIPv6Listen(t *testing.T) {
	c := testConfig(t)
	c.Address = net.ParseIP("fd00::3")
	nb, _ := Lookup(ProcNB)

	args := nb.Args(c)
	if !slices.Contains(args, "--remote=pssl:6641:[fd00::3]") {
		t.Errorf("ovnnb_db Args %q lack --remote=pssl:6641:[fd00::3]", args)
	}
}

func TestControllerArgsNoUnixctl(t *testing.T) {
	c := testConfig(t)
	p, ok := Lookup(ProcController)
	if !ok {
		t.Fatalf("Lookup(%q) found nothing", ProcController)
	}

	args := p.Args(c)
	for _, a := range args {
		if strings.HasPrefix(a, "--unixctl") {
			t.Errorf("ovn-controller Args contain %q: ovn-controller 23.03 rejects --unixctl", a)
		}
	}

	if last := args[len(args)-1]; last != "unix:/r/run/switch/db.sock" {
		t.Errorf("ovn-controller connects to %q, want unix:/r/run/switch/db.sock", last)
	}
}

func TestSwitchDBOnlyLocalRemote(t *testing.T) {
	c := testConfig(t)
	p, _ := Lookup(ProcSwitchDB)

	var remotes []string
	for _, a := range p.Args(c) {
		if strings.HasPrefix(a, "--remote=") {
			remotes = append(remotes, a)
		}
	}

	if len(remotes) != 1 {
		t.Fatalf("switch ovsdb-server remotes = %q, want exactly one", remotes)
	}

	if remotes[0] != "--remote=punix:/r/run/switch/db.sock" {
		t.Errorf("switch ovsdb-server remote = %q, want --remote=punix:/r/run/switch/db.sock",
			remotes[0])
	}
}

func TestNorthdArgsListEveryCentral(t *testing.T) {
	c := testConfig(t)
	c.Centrals = parseIPs(t, "198.18.0.7")
	p, _ := Lookup(ProcNorthd)
	args := p.Args(c)

	if !slices.Contains(args, "--ovnnb-db=ssl:198.18.0.7:6641") {
		t.Errorf("ovn-northd Args %q lack --ovnnb-db=ssl:198.18.0.7:6641", args)
	}

	if !slices.Contains(args, "--ovnsb-db=ssl:198.18.0.7:6642") {
		t.Errorf("ovn-northd Args %q lack --ovnsb-db=ssl:198.18.0.7:6642", args)
	}
}

func TestPidFileAndControlPaths(t *testing.T) {
	l := paths.Layout{Root: "/r"}
	cases := []struct {
		proc    string
		pid     int
		pidFile string
		control string
		socket  string
	}{
		{ProcSwitchDB, 0, "/r/run/switch/ovsdb-server.pid", "/r/run/switch/ovsdb-server.ctl",
			"/r/run/switch/db.sock"},
		{ProcVswitchd, 12, "/r/run/switch/ovs-vswitchd.pid", "/r/run/switch/ovs-vswitchd.ctl",
			"/r/run/switch/ovs-vswitchd.sock"},
		{ProcNB, 0, "/r/run/central/ovnnb_db.pid", "/r/run/central/ovnnb_db.ctl",
			"/r/run/central/ovnnb_db.sock"},
		{ProcSB, 0, "/r/run/central/ovnsb_db.pid", "/r/run/central/ovnsb_db.ctl",
			"/r/run/central/ovnsb_db.sock"},
		{ProcNorthd, 99, "/r/run/ovn/ovn-northd.pid", "/r/run/ovn/ovn-northd.ctl",
			"/r/run/ovn/ovn-northd.sock"},
		{ProcController, 4242, "/r/run/ovn/ovn-controller.pid", "/r/run/ovn/ovn-controller.4242.ctl",
			"/r/run/ovn/ovn-controller.sock"},
	}
	for _, tc := range cases {
		p, ok := Lookup(tc.proc)
		if !ok {
			t.Errorf("Lookup(%q) found nothing", tc.proc)
			continue
		}

		if got := p.PidFile(l); got != tc.pidFile {
			t.Errorf("%s PidFile = %q, want %q", tc.proc, got, tc.pidFile)
		}

		if got := p.Control(l, tc.pid); got != tc.control {
			t.Errorf("%s Control(pid %d) = %q, want %q", tc.proc, tc.pid, got, tc.control)
		}

		if got := p.Socket(l); got != tc.socket {
			t.Errorf("%s Socket = %q, want %q", tc.proc, got, tc.socket)
		}

		if got, want := p.LogFile(l), "/r/logs/"+tc.proc+".log"; got != want {
			t.Errorf("%s LogFile = %q, want %q", tc.proc, got, want)
		}
	}
}

func TestLookupAndOfByService(t *testing.T) {
	if _, ok := Lookup("ovs-vswitchd-x"); ok {
		t.Errorf("Lookup(%q) found a process, want none", "ovs-vswitchd-x")
	}

	cases := []struct {
		service string
		want    []string
	}{
		{Switch, []string{ProcSwitchDB, ProcVswitchd}},
		{Central, []string{ProcNB, ProcSB, ProcNorthd}},
		{Chassis, []string{ProcController}},
		{"bogus", nil},
	}
	for _, tc := range cases {
		var got []string
		for _, p := range Of(tc.service) {
			got = append(got, p.Name)
		}

		if !slices.Equal(got, tc.want) {
			t.Errorf("Of(%q) = %v, want %v", tc.service, got, tc.want)
		}
	}
}

func TestEnvForRunFolders(t *testing.T) {
	l := paths.Layout{Root: "/r"}
	cases := []struct {
		proc   string
		ovnRun string
	}{
		{ProcNB, "OVN_RUNDIR=/r/run/central"},
		{ProcSB, "OVN_RUNDIR=/r/run/central"},
		{ProcNorthd, "OVN_RUNDIR=/r/run/ovn"},
		{ProcController, "OVN_RUNDIR=/r/run/ovn"},
		{ProcVswitchd, "OVN_RUNDIR=/r/run/ovn"},
	}
	for _, tc := range cases {
		p, _ := Lookup(tc.proc)
		env := EnvFor(l, p)
		if !slices.Contains(env, tc.ovnRun) {
			t.Errorf("EnvFor(%s) = %q, lacks %q", tc.proc, env, tc.ovnRun)
		}

		if !slices.Contains(env, "OVS_RUNDIR=/r/run/switch") {
			t.Errorf("EnvFor(%s) = %q, lacks OVS_RUNDIR=/r/run/switch", tc.proc, env)
		}
	}
}

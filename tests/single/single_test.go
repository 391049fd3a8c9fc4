package single

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
)

// TestBootstrapMakesLeader checks that a bootstrapped node leads both Raft
// databases, as ovs-appctl and `microovn status` both show.
func TestBootstrapMakesLeader(t *testing.T) {
	n := newNode(t)
	n.bootstrap()

	for _, db := range []struct{ ctl, name string }{
		{"ovnnb_db.ctl", "OVN_Northbound"},
		{"ovnsb_db.ctl", "OVN_Southbound"},
	} {
		e2e.WaitFor(t, db.name+" leader", 30*time.Second, func() (bool, string) {
			out, err := runner.Run(n.h, "ovs-appctl", "-t", n.path("run", "central", db.ctl),
				"cluster/status", db.name)
			if err != nil {
				return false, err.Error()
			}

			ok := strings.Contains(out, "Role: leader") &&
				strings.Contains(out, "Status: cluster member")
			return ok, out
		})
	}

	e2e.WaitFor(t, "status shows h1 leading both databases", 30*time.Second, n.healthy)
}

// TestCentralRefusesUnauthenticatedClients checks that the database ports take only
// TLS with a client certificate of the cluster's CA.
func TestCentralRefusesUnauthenticatedClients(t *testing.T) {
	n := newNode(t)
	n.bootstrap()

	pki := n.path("data", "pki")
	rogue := rogueClient(t)
	for _, port := range []struct {
		num int
		db  string
		log string
	}{{6641, "OVN_Northbound", "ovnnb_db.log"}, {6642, "OVN_Southbound", "ovnsb_db.log"}} {
		addr := n.h.Addr.String() + ":" + strconv.Itoa(port.num)

		// The positive control first: with the real client certificate the same port
		// accepts the client, so the failures below come from the server's checks.
		out, err := runner.Run(n.h, "ovsdb-client", "--timeout=5",
			"--private-key="+filepath.Join(pki, "client-privkey.pem"),
			"--certificate="+filepath.Join(pki, "client-cert.pem"),
			"--ca-cert="+filepath.Join(pki, "cacert.pem"), "list-dbs", "ssl:"+addr)
		if err != nil || !strings.Contains(out, port.db) {
			t.Fatalf("TLS with the client certificate on %s: want %s listed, got %v\n%s",
				addr, port.db, err, out)
		}

		out, err = runner.Run(n.h, "ovsdb-client", "--timeout=5", "list-dbs", "tcp:"+addr)
		if err == nil {
			t.Errorf("plaintext on %s: want a failure, got the list %q", addr, out)
		}

		// A valid key pair whose certificate another CA signed; the client trusts the
		// cluster CA, so only the server's check of the client can fail. Whether the
		// client reads the server's alert depends on timing, so the server's log
		// shows why the connection ended.
		serverLog := n.path("logs", port.log)
		refusals := countInFile(serverLog, "certificate verify failed")
		out, err = runner.Run(n.h, "ovsdb-client", "--timeout=5",
			"--private-key="+rogue.key, "--certificate="+rogue.cert,
			"--ca-cert="+filepath.Join(pki, "cacert.pem"), "list-dbs", "ssl:"+addr)
		if err == nil {
			t.Errorf("TLS with a certificate of a foreign CA on %s: want a failure, got %q",
				addr, out)
		}

		e2e.WaitFor(t, port.log+" reports the refused certificate", 10*time.Second,
			func() (bool, string) {
				got := countInFile(serverLog, "certificate verify failed")
				return got > refusals, fmt.Sprintf("%d refusals logged before, %d now; "+
					"client said: %s", refusals, got, out)
			})
	}
}

// countInFile returns how often text occurs in the file at path, 0 when it cannot
// be read.
func countInFile(path, text string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}

	return strings.Count(string(data), text)
}

// rogueFiles is a client key and certificate from a CA the cluster does not know.
type rogueFiles struct{ key, cert string }

// rogueClient makes a CA and a client certificate it signs with openssl.
func rogueClient(t *testing.T) rogueFiles {
	t.Helper()

	dir := t.TempDir()
	f := rogueFiles{key: filepath.Join(dir, "client.key"), cert: filepath.Join(dir, "client.pem")}
	caKey, caCert := filepath.Join(dir, "ca.key"), filepath.Join(dir, "ca.pem")
	csr := filepath.Join(dir, "client.csr")
	steps := [][]string{
		{"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", caCert,
			"-days", "1", "-subj", "/CN=rogue CA"},
		{"req", "-newkey", "rsa:2048", "-nodes", "-keyout", f.key, "-out", csr,
			"-subj", "/CN=client"},
		{"x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial",
			"-out", f.cert, "-days", "1"},
	}
	for _, args := range steps {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	return f
}

// TestChassisRegistersEncapIP checks that the node's chassis reaches the Southbound
// with the encapsulation address given at bootstrap.
func TestChassisRegistersEncapIP(t *testing.T) {
	n := newNode(t)
	n.bootstrapChassis()

	want := n.h.EncapAddr.String()
	e2e.WaitFor(t, "Encap record with "+want, 60*time.Second, func() (bool, string) {
		out, err := runner.Tool(n.h, "ovn-sbctl", "--bare", "--columns=ip", "list", "Encap")
		if err != nil {
			return false, err.Error()
		}

		return strings.TrimSpace(out) == want, fmt.Sprintf("Encap ip column: %q", out)
	})
}

// TestLogicalSwitchReachesSouthbound checks that northd turns a logical switch made
// with the wrapped ovn-nbctl into a Southbound datapath.
func TestLogicalSwitchReachesSouthbound(t *testing.T) {
	n := newNode(t)
	n.bootstrap()

	if out, err := runner.Tool(n.h, "ovn-nbctl", "ls-add", "sw0"); err != nil {
		t.Fatalf("ls-add sw0: %v\n%s", err, out)
	}

	e2e.WaitFor(t, "Datapath_Binding of sw0", 30*time.Second, func() (bool, string) {
		out, err := runner.Tool(n.h, "ovn-sbctl", "--bare", "--columns=external_ids", "list",
			"Datapath_Binding")
		if err != nil {
			return false, err.Error()
		}

		return strings.Contains(out, "name=sw0"), fmt.Sprintf("external_ids: %q", out)
	})
}

// TestDaemonRestartKeepsProcesses checks that restarting microovnd leaves the
// running OVN processes and the data alone.
func TestDaemonRestartKeepsProcesses(t *testing.T) {
	n := newNode(t)
	n.bootstrapChassis()

	if out, err := runner.Tool(n.h, "ovn-nbctl", "ls-add", "sw0"); err != nil {
		t.Fatalf("ls-add sw0: %v\n%s", err, out)
	}

	before := n.waitAllRunning(60 * time.Second)
	if err := n.h.StopDaemon(); err != nil {
		t.Fatal(err)
	}

	if err := n.h.StartDaemon(); err != nil {
		t.Fatal(err)
	}

	if out, err := runner.MicroOVN(n.h, "waitready", "--timeout", "30"); err != nil {
		t.Fatalf("waitready: %v\n%s", err, out)
	}

	e2e.WaitFor(t, "healthy after the restart", 30*time.Second, n.healthy)

	// Two passes of the daemon's 3 s loop: a process it wrongly restarts shows here.
	time.Sleep(7 * time.Second)

	after := n.h.Pids()
	for _, name := range processNames {
		if after[name] != before[name] {
			t.Errorf("%s: pid %d before the daemon restart, %d after", name, before[name],
				after[name])
		}
	}

	out, err := runner.Tool(n.h, "ovn-nbctl", "ls-list")
	if err != nil || !strings.Contains(out, "(sw0)") {
		t.Errorf("ls-list after the restart: want sw0, got %v\n%s", err, out)
	}
}

// TestKilledNorthdComesBack checks that the daemon restarts ovn-northd after a
// SIGKILL and that status shows it active again.
func TestKilledNorthdComesBack(t *testing.T) {
	n := newNode(t)
	n.bootstrap()

	e2e.WaitFor(t, "northd active", 30*time.Second, n.northdActive)

	old, err := e2e.ReadPidFile(n.path("run", "ovn", "ovn-northd.pid"))
	if err != nil {
		t.Fatal(err)
	}

	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatalf("kill ovn-northd %d: %v", old, err)
	}

	e2e.WaitFor(t, "ovn-northd running with a new pid", 30*time.Second, func() (bool, string) {
		pid := n.h.Pids()["ovn-northd"]
		return pid != 0 && pid != old, fmt.Sprintf("pid %d, killed %d", pid, old)
	})

	e2e.WaitFor(t, "northd active again", 30*time.Second, n.northdActive)
}

// northdActive reports whether status shows h1's northd active.
func (n *node) northdActive() (bool, string) {
	st, err := runner.ReadStatus(n.h)
	if err != nil {
		return false, err.Error()
	}

	for _, nd := range st.Northd {
		if nd.Member == n.h.Name {
			return nd.State == "active", fmt.Sprintf("northd of %s: %q", nd.Member, nd.State)
		}
	}

	return false, fmt.Sprintf("no northd of %s in %+v", n.h.Name, st.Northd)
}

// TestShutdownStopsEverything checks that `microovn shutdown` ends every process of
// the node and leaves no datapath device behind.
func TestShutdownStopsEverything(t *testing.T) {
	n := newNode(t)
	n.bootstrapChassis()
	n.waitAllRunning(60 * time.Second)

	// The check after the shutdown means something only if the devices existed:
	// ovs-netdev is the userspace datapath's device, absent on the kernel datapath.
	devices := []string{"br-int"}
	if _, err := os.Stat("/sys/module/openvswitch"); err != nil {
		devices = append(devices, "ovs-netdev")
	}

	e2e.WaitFor(t, "datapath devices in the namespace", 30*time.Second, func() (bool, string) {
		out, err := exec.Command("ip", "-n", n.h.NS, "link").CombinedOutput()
		for _, dev := range devices {
			if err != nil || !strings.Contains(string(out), dev) {
				return false, fmt.Sprintf("no %s in:\n%s", dev, out)
			}
		}

		return true, ""
	})

	daemonPid := n.daemonPid()
	if out, err := runner.MicroOVN(n.h, "shutdown"); err != nil {
		t.Fatalf("shutdown: %v\n%s", err, out)
	}

	e2e.WaitFor(t, "no process of the node", 30*time.Second, func() (bool, string) {
		pids := n.h.Pids()
		alive := ownedBy(daemonPid, n.h.Root)
		return len(pids) == 0 && !alive, fmt.Sprintf("pids %v, microovnd alive %v", pids, alive)
	})

	out, err := exec.Command("ip", "-n", n.h.NS, "link").CombinedOutput()
	if err != nil {
		t.Fatalf("ip link: %v\n%s", err, out)
	}

	for _, dev := range []string{"br-int", "ovs-netdev"} {
		if strings.Contains(string(out), dev) {
			t.Errorf("%s is left in namespace %s after shutdown:\n%s", dev, n.h.NS, out)
		}
	}
}

// daemonPid returns the pid of the node's microovnd from the bed's pid file.
func (n *node) daemonPid() int {
	n.t.Helper()

	pid, err := e2e.ReadPidFile(n.path("microovnd.pid"))
	if err != nil {
		n.t.Fatal(err)
	}

	return pid
}

// ownedBy reports whether pid is a live, not zombie, process whose command line
// mentions root.
func ownedBy(pid int, root string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(string(cmdline), root)
}

// TestVersion checks that --version names MicroOVN, OVN and Open vSwitch versions.
func TestVersion(t *testing.T) {
	bin := binDir(t)
	out, err := exec.Command(filepath.Join(bin, "microovn"), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("microovn --version: %v\n%s", err, out)
	}

	for _, name := range []string{"microovn", "ovn", "openvswitch"} {
		found := false
		for _, line := range lines(string(out)) {
			value, ok := strings.CutPrefix(line, name+": ")
			if !ok {
				continue
			}

			found = true
			if value == "" || value == "unknown" || value == "not installed" {
				t.Errorf("%s version is %q", name, value)
			}
		}

		if !found {
			t.Errorf("no %q line in:\n%s", name+": ", out)
		}
	}
}

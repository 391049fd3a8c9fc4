package testbed

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment variables that make the test binary act as the child of
// TestSignalClosesBeds.
const (
	signalChildPrefixEnv = "TESTBED_SIGNAL_CHILD_PREFIX"
	signalChildBinEnv    = "TESTBED_SIGNAL_CHILD_BIN"
)

// TestMain lets the test binary stand in for microovnd and microovn: fakeBin links
// both names to it, and the name it runs under selects the role.
func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case "microovnd":
		os.Exit(runFakeDaemon(os.Args[1:]))
	case "microovn":
		fmt.Println("fake microovn", strings.Join(os.Args[1:], " "))
		os.Exit(0)
	}

	if prefix := os.Getenv(signalChildPrefixEnv); prefix != "" {
		os.Exit(runSignalChild(prefix, os.Getenv(signalChildBinEnv)))
	}

	os.Exit(m.Run())
}

// runFakeDaemon listens on STATE/control.socket until SIGTERM, or for at most 60 s.
func runFakeDaemon(args []string) int {
	flags := flag.NewFlagSet("microovnd", flag.ContinueOnError)
	stateDir := flags.String("state-dir", "", "state folder")
	if err := flags.Parse(args); err != nil || *stateDir == "" {
		fmt.Fprintln(os.Stderr, "fake microovnd: missing --state-dir")
		return 2
	}

	socket := filepath.Join(*stateDir, "control.socket")
	_ = os.Remove(socket)

	listener, err := net.Listen("unix", socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake microovnd:", err)
		return 1
	}
	defer listener.Close()

	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM)
	fmt.Println("fake microovnd: ready")

	select {
	case <-signals:
		fmt.Println("fake microovnd: stopping on SIGTERM")
		return 0
	case <-time.After(60 * time.Second):
		return 2
	}
}

// runSignalChild builds a bed with a running fake daemon, prints its folder and the
// daemon pid, and waits for the signal that TestSignalClosesBeds sends.
func runSignalChild(prefix, bin string) int {
	bed, err := New(Options{Hosts: 2, Bin: bin, Prefix: prefix})
	if err != nil {
		fmt.Println("error:", err)
		return 3
	}

	if err := bed.Hosts[0].StartDaemon(); err != nil {
		fmt.Println("error:", err)
		return 3
	}

	fmt.Println("ready", bed.Dir, bed.Hosts[0].daemonPid())
	time.Sleep(30 * time.Second)

	return 2
}

func requireRoot(t *testing.T) {
	t.Helper()

	if os.Geteuid() != 0 {
		t.Skip("the test bed needs root")
	}
}

// fakeBin returns a folder in which microovnd and microovn link to the test binary.
func fakeBin(t *testing.T) string {
	t.Helper()

	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test binary: %v", err)
	}

	return linkBin(t, exe)
}

// linkBin returns a folder in which microovnd and microovn link to target.
func linkBin(t *testing.T, target string) string {
	t.Helper()

	dir := t.TempDir()
	for _, name := range []string{"microovnd", "microovn"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatalf("link %s: %v", name, err)
		}
	}

	return dir
}

// ping sends one ping from host to addr, trying up to five times because a new
// bridge port may drop the first packets.
func ping(t *testing.T, from *Host, addr net.IP) {
	t.Helper()

	var err error
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = from.Run(ctx, "ping", "-c", "1", "-W", "1", addr.String())
		cancel()

		if err == nil {
			return
		}
	}

	t.Fatalf("ping %s from %s failed: %v", addr, from.Name, err)
}

func TestPingIPv4(t *testing.T) {
	requireRoot(t)
	bed := Start(t, Options{Hosts: 3, Bin: fakeBin(t)})

	if got := len(bed.Hosts); got != 3 {
		t.Fatalf("got %d hosts, want 3", got)
	}

	h1, h2, h3 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2]
	if !h2.Addr.Equal(net.ParseIP("198.18.0.2")) {
		t.Errorf("h2 address = %v, want 198.18.0.2", h2.Addr)
	}

	if !h2.EncapAddr.Equal(net.ParseIP("198.18.1.2")) {
		t.Errorf("h2 encapsulation address = %v, want 198.18.1.2", h2.EncapAddr)
	}

	ping(t, h1, h2.Addr)
	ping(t, h3, h1.Addr)
}

func TestPingIPv6(t *testing.T) {
	requireRoot(t)
	bed := Start(t, Options{Hosts: 3, IPv6: true, Bin: fakeBin(t)})

	h1, h2 := bed.Hosts[0], bed.Hosts[1]
	if !h2.Addr.Equal(net.ParseIP("2001:db8::2")) {
		t.Errorf("h2 address = %v, want 2001:db8::2", h2.Addr)
	}

	if !h2.EncapAddr.Equal(net.ParseIP("2001:db8:1::2")) {
		t.Errorf("h2 encapsulation address = %v, want 2001:db8:1::2", h2.EncapAddr)
	}

	ping(t, h1, h2.Addr)
}

func TestMaxHostsBed(t *testing.T) {
	requireRoot(t)
	bed := Start(t, Options{Hosts: MaxHosts, IPv6: true, Bin: fakeBin(t)})
	last := bed.Hosts[MaxHosts-1]

	if !last.Addr.Equal(net.ParseIP("2001:db8::30")) {
		t.Errorf("h30 address = %v, want 2001:db8::30", last.Addr)
	}

	ping(t, bed.Hosts[0], last.Addr)
}

func TestHostLinksAndEnv(t *testing.T) {
	requireRoot(t)
	bed := Start(t, Options{Hosts: 1, Bin: fakeBin(t), Prefix: "tb" + strconv.Itoa(os.Getpid())})
	h1 := bed.Hosts[0]
	ctx := context.Background()

	if h1.NS != bed.Prefix+"-h1" {
		t.Errorf("namespace = %q, want %q", h1.NS, bed.Prefix+"-h1")
	}

	links, err := h1.Run(ctx, "ip", "-br", "link")
	if err != nil {
		t.Fatal(err)
	}

	for _, link := range []string{"lo", "eth0@", "geneve0@"} {
		if !strings.Contains(links, link) {
			t.Errorf("links of h1 lack %s:\n%s", link, links)
		}
	}

	env, err := h1.Run(ctx, "sh", "-c", "echo $MICROOVN_STATE_DIR")
	if err != nil {
		t.Fatal(err)
	}

	if got := strings.TrimSpace(env); got != h1.StateDir() {
		t.Errorf("MICROOVN_STATE_DIR = %q, want %q", got, h1.StateDir())
	}

	out, err := h1.MicroOVN(ctx, "status")
	if err != nil {
		t.Fatal(err)
	}

	want := "fake microovn --state-dir " + h1.StateDir() + " status"
	if strings.TrimSpace(out) != want {
		t.Errorf("MicroOVN output = %q, want %q", out, want)
	}
}

func TestCloseRemovesEverything(t *testing.T) {
	requireRoot(t)

	bed, err := New(Options{Hosts: 2, Bin: fakeBin(t)})
	if err != nil {
		t.Fatal(err)
	}

	if err := bed.Hosts[1].StartDaemon(); err != nil {
		t.Fatal(err)
	}

	pid := bed.Hosts[1].daemonPid()
	if got := len(Leftovers(bed.Prefix)); got != 3 {
		t.Errorf("got %d namespaces before Close, want 3", got)
	}

	if err := bed.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	if left := Leftovers(bed.Prefix); len(left) > 0 {
		t.Errorf("namespaces left after Close: %v", left)
	}

	if _, err := os.Stat(bed.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("folder %s left after Close: %v", bed.Dir, err)
	}

	if len(readCmdline(pid)) > 0 {
		t.Errorf("microovnd %d still runs after Close", pid)
	}

	if err := bed.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewRejectsOptions(t *testing.T) {
	bin := fakeBin(t)
	cases := map[string]Options{
		"no hosts":      {Hosts: 0, Bin: bin},
		"too many":      {Hosts: MaxHosts + 1, Bin: bin},
		"no bin":        {Hosts: 1},
		"missing bin":   {Hosts: 1, Bin: filepath.Join(bin, "absent")},
		"prefix syntax": {Hosts: 1, Bin: bin, Prefix: "a/b"},
	}

	for name, opts := range cases {
		if _, err := New(opts); err == nil {
			t.Errorf("%s: New accepted %+v", name, opts)
		}
	}
}

func TestDaemonStartStop(t *testing.T) {
	requireRoot(t)
	bed := Start(t, Options{Hosts: 1, Bin: fakeBin(t)})
	h1 := bed.Hosts[0]

	if err := h1.StartDaemon(); err != nil {
		t.Fatal(err)
	}

	pid := h1.daemonPid()
	if pid == 0 {
		t.Fatal("no microovnd pid after StartDaemon")
	}

	if err := h1.StartDaemon(); err == nil {
		t.Error("second StartDaemon succeeded while microovnd runs")
	}

	start := time.Now()
	if err := h1.StopDaemon(); err != nil {
		t.Fatal(err)
	}

	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("StopDaemon took %v, so SIGTERM did not end the daemon", took)
	}

	if len(readCmdline(pid)) > 0 {
		t.Errorf("microovnd %d still runs after StopDaemon", pid)
	}

	log, err := os.ReadFile(filepath.Join(h1.Root, "logs", "microovnd.log"))
	if err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(string(log), "stopping on SIGTERM") {
		t.Errorf("daemon log lacks the SIGTERM line:\n%s", log)
	}

	if err := h1.StopDaemon(); err != nil {
		t.Errorf("StopDaemon without a daemon: %v", err)
	}

	if err := h1.StartDaemon(); err != nil {
		t.Errorf("restart after StopDaemon: %v", err)
	}
}

func TestStartDaemonReportsEarlyExit(t *testing.T) {
	requireRoot(t)
	bed := Start(t, Options{Hosts: 1, Bin: linkBin(t, "/bin/false")})

	start := time.Now()
	err := bed.Hosts[0].StartDaemon()
	if err == nil {
		t.Fatal("StartDaemon succeeded with a daemon that exits")
	}

	if !strings.Contains(err.Error(), "ended before") {
		t.Errorf("error does not say that the daemon ended: %v", err)
	}

	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("StartDaemon took %v to notice the exit", took)
	}
}

// startInNamespace starts name with args in host's namespace and ends it when the
// test ends, before the bed closes if the bed was started first.
func startInNamespace(t *testing.T, host *Host, name string, args ...string) *exec.Cmd {
	t.Helper()

	cmd := host.Command(context.Background(), name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()

	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})

	return cmd
}

func writePidfile(t *testing.T, path string, pid int) {
	t.Helper()

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPidsAndKillAll(t *testing.T) {
	requireRoot(t)
	bed := Start(t, Options{Hosts: 1, Bin: fakeBin(t)})
	h1 := bed.Hosts[0]
	testRun := filepath.Join(h1.Root, "run", "test")

	// tail names a file under Root, so its command line passes the ownership check.
	followed := filepath.Join(testRun, "x.log")
	writePidfile(t, followed, 0)
	ours := startInNamespace(t, h1, "tail", "-f", followed)
	writePidfile(t, filepath.Join(testRun, "x.pid"), ours.Process.Pid)

	stranger := startInNamespace(t, h1, "sleep", "30")
	writePidfile(t, filepath.Join(testRun, "stranger.pid"), stranger.Process.Pid)

	ended := exec.Command("true")
	if err := ended.Run(); err != nil {
		t.Fatal(err)
	}

	writePidfile(t, filepath.Join(testRun, "stale.pid"), ended.Process.Pid)

	pids := h1.Pids()
	if len(pids) != 1 || pids["x"] != ours.Process.Pid {
		t.Fatalf("Pids = %v, want only x: %d", pids, ours.Process.Pid)
	}

	if err := h1.KillAll(); err != nil {
		t.Fatal(err)
	}

	if len(readCmdline(ours.Process.Pid)) > 0 {
		t.Errorf("process %d still runs after KillAll", ours.Process.Pid)
	}

	if len(readCmdline(stranger.Process.Pid)) == 0 {
		t.Errorf("KillAll ended process %d, whose command line does not name the root",
			stranger.Process.Pid)
	}

	if pids := h1.Pids(); len(pids) != 0 {
		t.Errorf("Pids after KillAll = %v, want none", pids)
	}
}

func TestCloseReportsStrangers(t *testing.T) {
	requireRoot(t)

	bed, err := New(Options{Hosts: 1, Bin: fakeBin(t)})
	if err != nil {
		t.Fatal(err)
	}

	stranger := startInNamespace(t, bed.Hosts[0], "sleep", "30")

	err = bed.Close()
	if err == nil || !strings.Contains(err.Error(), "did not start") {
		t.Errorf("Close error = %v, want a report of process %d", err, stranger.Process.Pid)
	}

	if len(readCmdline(stranger.Process.Pid)) == 0 {
		t.Errorf("Close ended process %d, which the bed did not start", stranger.Process.Pid)
	}

	if left := Leftovers(bed.Prefix); len(left) > 0 {
		t.Errorf("namespaces left after Close: %v", left)
	}
}

func TestMentionsPath(t *testing.T) {
	cases := []struct {
		cmdline string
		want    bool
	}{
		{"tail\x00-f\x00/tmp/bed/h1/run/x.log\x00", true},
		{"microovnd\x00--state-dir\x00/tmp/bed/h1\x00", true},
		{"ovsdb-server\x00--pidfile=/tmp/bed/h1/run/a.pid", true},
		{"tail\x00-f\x00/tmp/bed/h10/run/x.log\x00", false},
		{"tail\x00-f\x00/tmp/bed/h10/x\x00/tmp/bed/h1/y\x00", true},
		{"sleep\x0030\x00", false},
		{"", false},
	}

	for _, c := range cases {
		if got := mentionsPath([]byte(c.cmdline), "/tmp/bed/h1"); got != c.want {
			t.Errorf("mentionsPath(%q) = %v, want %v", c.cmdline, got, c.want)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	requireRoot(t)
	bed := Start(t, Options{Hosts: 2, IPv6: true, Bin: fakeBin(t)})
	path := filepath.Join(t.TempDir(), "state.json")

	if err := bed.SaveState(path); err != nil {
		t.Fatal(err)
	}

	loaded, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}

	if loaded.Prefix != bed.Prefix || loaded.Dir != bed.Dir || len(loaded.Hosts) != 2 {
		t.Fatalf("loaded bed %s %s with %d hosts, want %s %s with 2",
			loaded.Prefix, loaded.Dir, len(loaded.Hosts), bed.Prefix, bed.Dir)
	}

	if !loaded.Hosts[1].EncapAddr.Equal(bed.Hosts[1].EncapAddr) {
		t.Errorf("loaded h2 encapsulation address %v, want %v",
			loaded.Hosts[1].EncapAddr, bed.Hosts[1].EncapAddr)
	}

	if err := bed.Hosts[0].StartDaemon(); err != nil {
		t.Fatal(err)
	}

	pid := bed.Hosts[0].daemonPid()
	if err := loaded.Close(); err != nil {
		t.Fatalf("close loaded bed: %v", err)
	}

	if len(readCmdline(pid)) > 0 {
		t.Errorf("microovnd %d still runs after the loaded bed closed", pid)
	}

	if left := Leftovers(bed.Prefix); len(left) > 0 {
		t.Errorf("namespaces left after the loaded bed closed: %v", left)
	}
}

func TestLoadStateRejectsForeignNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	state := `{"prefix": "mo12ab", "dir": "/tmp/testbed-mo12ab-1",
		"namespaces": ["someone-else"]}`

	if err := os.WriteFile(path, []byte(state), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := LoadState(path); err == nil {
		t.Error("LoadState accepted a namespace outside the prefix")
	}
}

// startSwitch starts the host's Open vSwitch database and ovs-vswitchd in the folders
// that microovnd uses, with pid files under Root/run/switch.
func startSwitch(t *testing.T, host *Host) {
	t.Helper()

	run := host.switchRun()
	dbDir := filepath.Join(host.Root, "data", "switch", "db")
	logs := filepath.Join(host.Root, "logs")
	for _, dir := range []string{run, dbDir, logs} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	db := filepath.Join(dbDir, "conf.db")
	schema := "/usr/share/openvswitch/vswitch.ovsschema"
	if out, err := exec.Command("ovsdb-tool", "create", db, schema).CombinedOutput(); err != nil {
		t.Fatalf("create switch database: %v: %s", err, out)
	}

	socket := "unix:" + filepath.Join(run, "db.sock")
	steps := [][]string{
		{"ovsdb-server", "--detach", "--no-chdir", "--pidfile=" + run + "/ovsdb-server.pid",
			"--unixctl=" + run + "/ovsdb-server.ctl", "--log-file=" + logs + "/ovsdb-server.log",
			"--remote=p" + socket, db},
		{"ovs-vsctl", "--db=" + socket, "--timeout=10", "--no-wait", "init"},
		{"ovs-vswitchd", "--detach", "--no-chdir", "--pidfile=" + run + "/ovs-vswitchd.pid",
			"--unixctl=" + run + "/ovs-vswitchd.ctl", "--log-file=" + logs + "/ovs-vswitchd.log",
			socket},
	}

	for _, step := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := host.Command(ctx, step[0], step[1:]...)
		// Bridge management sockets and other defaults follow OVS_RUNDIR, which must
		// not be the machine's shared /var/run/openvswitch.
		cmd.Env = append(cmd.Env, "OVS_RUNDIR="+run, "OVS_DBDIR="+dbDir, "OVS_LOGDIR="+logs)
		out, err := cmd.CombinedOutput()
		cancel()

		if err != nil {
			t.Fatalf("start Open vSwitch on %s: %s: %v: %s", host.Name, step[0], err, out)
		}
	}
}

func TestUnderlayOverOVS(t *testing.T) {
	requireRoot(t)

	for _, tool := range []string{"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("Open vSwitch is not installed: %v", err)
		}
	}

	for _, ipv6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("ipv6=%v", ipv6), func(t *testing.T) {
			bed := Start(t, Options{Hosts: 2, IPv6: ipv6, Bin: fakeBin(t)})
			h1, h2 := bed.Hosts[0], bed.Hosts[1]
			ctx := context.Background()

			for _, host := range bed.Hosts {
				startSwitch(t, host)

				if err := host.SetupUnderlay(ctx); err != nil {
					t.Fatal(err)
				}
			}

			if err := h1.SetupUnderlay(ctx); err != nil {
				t.Errorf("second SetupUnderlay: %v", err)
			}

			ping(t, h1, h2.EncapAddr)

			pids := h2.Pids()
			for _, name := range []string{"ovsdb-server", "ovs-vswitchd"} {
				if pids[name] == 0 {
					t.Errorf("Pids of h2 lack %s: %v", name, pids)
				}
			}

			if err := h2.KillAll(); err != nil {
				t.Fatal(err)
			}

			if pids := h2.Pids(); len(pids) != 0 {
				t.Errorf("Pids of h2 after KillAll = %v, want none", pids)
			}
		})
	}
}

func TestSignalClosesBeds(t *testing.T) {
	requireRoot(t)

	prefix := "sig" + strconv.Itoa(os.Getpid())
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), signalChildPrefixEnv+"="+prefix,
		signalChildBinEnv+"="+fakeBin(t))
	child.Stderr = os.Stderr

	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}

	if err := child.Start(); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	t.Cleanup(func() {
		_ = child.Process.Kill()
		// Namespaces left by a failed child carry this test's prefix.
		for _, ns := range Leftovers(prefix) {
			_ = deleteNamespace(ns)
		}
	})

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read child output: %v", err)
	}

	fields := strings.Fields(line)
	if len(fields) != 3 || fields[0] != "ready" {
		t.Fatalf("child output = %q, want ready DIR PID", line)
	}

	dir := fields[1]
	pid, _ := strconv.Atoi(fields[2])

	go func() { done <- child.Wait() }()

	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("child did not end within 15 s of SIGTERM")
	}

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Errorf("child ended with %v, want exit status 1", err)
	}

	if left := Leftovers(prefix); len(left) > 0 {
		t.Errorf("namespaces left after SIGTERM: %v", left)
	}

	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("folder %s left after SIGTERM: %v", dir, err)
	}

	if len(readCmdline(pid)) > 0 {
		t.Errorf("microovnd %d of the child still runs after SIGTERM", pid)
	}
}

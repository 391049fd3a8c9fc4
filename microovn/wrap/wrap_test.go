package wrap

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/envfile"
	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/services"
)

const (
	testNBRemote = "ssl:198.18.0.1:6641,ssl:[fd00::2]:6641"
	testSBRemote = "ssl:198.18.0.1:6642,ssl:[fd00::2]:6642"
)

// fakeNode is a node layout and a tools prefix in temporary folders.
type fakeNode struct {
	layout paths.Layout
	tools  services.Tools
}

// newFakeNode writes a bootstrapped node's ovn.env, client certificate, key and
// CA, the Open vSwitch socket and a fake executable for every wrapped tool.
func newFakeNode(t *testing.T) fakeNode {
	t.Helper()

	n := fakeNode{
		layout: paths.Layout{Root: t.TempDir()},
		tools:  services.Tools{Prefix: t.TempDir()},
	}
	if err := n.layout.Create(); err != nil {
		t.Fatalf("create the layout: %v", err)
	}

	err := envfile.Write(n.layout.EnvFile(), map[string]string{
		envfile.NBConnect: testNBRemote,
		envfile.SBConnect: testSBRemote,
		envfile.LocalIP:   "198.18.0.1",
	})
	if err != nil {
		t.Fatalf("write ovn.env: %v", err)
	}

	for _, f := range []string{n.layout.Key("client"), n.layout.Cert("client"),
		n.layout.CACert(), n.layout.SwitchSocket()} {
		writeFile(t, f, "fake\n", 0o600)
	}

	for _, tool := range Tools() {
		writeFile(t, filepath.Join(n.tools.Prefix, "usr/bin", tool.Name), "#!/bin/sh\n", 0o755)
	}

	return n
}

// command runs Command for the wrapped tool called name.
func (n fakeNode) command(t *testing.T, name string, args ...string) (string, []string, []string, error) {
	t.Helper()

	tool, ok := Lookup(Prefix + name)
	if !ok {
		t.Fatalf("Lookup(%q) found no tool", Prefix+name)
	}

	return Command(tool, n.layout, n.tools, args)
}

func TestLookupByArgv0(t *testing.T) {
	cases := []struct {
		argv0 string
		want  string // "" when no tool matches
	}{
		{"microovn.ovn-sbctl", "ovn-sbctl"},
		{"/usr/bin/microovn.ovs-vsctl", "ovs-vsctl"},
		{"/snap/bin/microovn.ovn-appctl", "ovn-appctl"},
		{"./microovn.ovsdb-tool", "ovsdb-tool"},
		{"microovn", ""},
		{"/usr/local/bin/microovn", ""},
		{"ovn-sbctl", ""},
		{"microovn.", ""},
		{"microovn.ovn-ctl", ""},
		{"microovn.ovn-sbctl.old", ""},
	}
	for _, tc := range cases {
		tool, ok := Lookup(tc.argv0)
		if tc.want == "" {
			if ok {
				t.Errorf("Lookup(%q) = %q, want no tool", tc.argv0, tool.Name)
			}

			continue
		}

		if !ok {
			t.Errorf("Lookup(%q) found no tool, want %q", tc.argv0, tc.want)
			continue
		}

		if tool.Name != tc.want {
			t.Errorf("Lookup(%q) = %q, want %q", tc.argv0, tool.Name, tc.want)
		}
	}
}

func TestCommandAddsDatabaseAndTLS(t *testing.T) {
	n := newFakeNode(t)
	l := n.layout
	tls := []string{
		"--private-key=" + l.Key("client"),
		"--certificate=" + l.Cert("client"),
		"--ca-cert=" + l.CACert(),
	}
	cases := []struct {
		tool string
		args []string
		want []string
	}{
		{"ovn-nbctl", []string{"show"},
			slices.Concat([]string{"--db=" + testNBRemote}, tls, []string{"show"})},
		{"ovn-sbctl", []string{"--columns=name", "list", "Chassis"},
			slices.Concat([]string{"--db=" + testSBRemote}, tls,
				[]string{"--columns=name", "list", "Chassis"})},
		{"ovn-trace", []string{"sw0", "inport == \"p1\""},
			slices.Concat([]string{"--db=" + testSBRemote}, tls,
				[]string{"sw0", "inport == \"p1\""})},
		{"ovsdb-client", []string{"list-dbs", "ssl:198.18.0.1:6641"},
			slices.Concat(tls, []string{"list-dbs", "ssl:198.18.0.1:6641"})},
		{"ovs-ofctl", []string{"show", "br-int"}, []string{"show", "br-int"}},
	}
	for _, tc := range cases {
		t.Run(tc.tool, func(t *testing.T) {
			program, args, _, err := n.command(t, tc.tool, tc.args...)
			if err != nil {
				t.Fatalf("Command: %v", err)
			}

			if want := filepath.Join(n.tools.Prefix, "usr/bin", tc.tool); program != want {
				t.Errorf("program = %q, want %q", program, want)
			}

			if !slices.Equal(args, tc.want) {
				t.Errorf("args:\n got %q\nwant %q", args, tc.want)
			}
		})
	}
}

func TestCommandUserDatabaseWins(t *testing.T) {
	n := newFakeNode(t)
	cases := [][]string{
		{"--db=ssl:203.0.113.9:6641", "show"},
		{"--db", "ssl:203.0.113.9:6641", "show"},
	}
	for _, userArgs := range cases {
		_, args, _, err := n.command(t, "ovn-nbctl", userArgs...)
		if err != nil {
			t.Errorf("Command(%q): %v", userArgs, err)
			continue
		}

		dbCount := 0
		for _, a := range args {
			if a == "--db" || strings.HasPrefix(a, "--db=") {
				dbCount++
			}
		}

		if dbCount != 1 {
			t.Errorf("Command(%q) args %q have %d --db options, want only the user's", userArgs,
				args, dbCount)
		}

		if !slices.Contains(args, "--ca-cert="+n.layout.CACert()) {
			t.Errorf("Command(%q) args %q lack the CA certificate", userArgs, args)
		}

		if !slices.Equal(args[len(args)-len(userArgs):], userArgs) {
			t.Errorf("Command(%q) args %q do not end with the user's arguments", userArgs, args)
		}
	}
}

func TestCommandDatabaseAfterDoubleDash(t *testing.T) {
	n := newFakeNode(t)

	// An operand "--db=x" after "--" is not an option, so the node's remote is added.
	_, args, _, err := n.command(t, "ovn-nbctl", "--", "--db=x")
	if err != nil {
		t.Fatalf("Command: %v", err)
	}

	if args[0] != "--db="+testNBRemote {
		t.Errorf("args %q start with %q, want --db=%s", args, args[0], testNBRemote)
	}
}

func TestCommandMissingEnvFile(t *testing.T) {
	n := newFakeNode(t)
	if err := os.Remove(n.layout.EnvFile()); err != nil {
		t.Fatal(err)
	}

	_, _, _, err := n.command(t, "ovn-sbctl", "show")
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("Command without ovn.env = %v, want ErrNotReady", err)
	}

	if !strings.Contains(err.Error(), n.layout.EnvFile()) {
		t.Errorf("error %q does not name %s", err, n.layout.EnvFile())
	}

	if !strings.Contains(err.Error(), paths.StateDirEnv) {
		t.Errorf("error %q does not mention %s", err, paths.StateDirEnv)
	}
}

func TestCommandEnvFileWithoutRemote(t *testing.T) {
	n := newFakeNode(t)
	err := envfile.Write(n.layout.EnvFile(), map[string]string{envfile.LocalIP: "198.18.0.1"})
	if err != nil {
		t.Fatal(err)
	}

	_, _, _, err = n.command(t, "ovn-nbctl", "show")
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("Command with no central in ovn.env = %v, want ErrNotReady", err)
	}

	if !strings.Contains(err.Error(), "no central member") {
		t.Errorf("error %q does not say that no central member is listed", err)
	}
}

func TestCommandMissingClientFiles(t *testing.T) {
	for _, which := range []string{"key", "certificate", "CA"} {
		t.Run(which, func(t *testing.T) {
			n := newFakeNode(t)
			missing := map[string]string{
				"key":         n.layout.Key("client"),
				"certificate": n.layout.Cert("client"),
				"CA":          n.layout.CACert(),
			}[which]
			if err := os.Remove(missing); err != nil {
				t.Fatal(err)
			}

			_, _, _, err := n.command(t, "ovn-sbctl", "show")
			if !errors.Is(err, ErrNotReady) {
				t.Fatalf("Command without the client %s = %v, want ErrNotReady", which, err)
			}

			if !strings.Contains(err.Error(), missing) {
				t.Errorf("error %q does not name %s", err, missing)
			}
		})
	}
}

func TestCommandMissingProgram(t *testing.T) {
	n := newFakeNode(t)
	if err := os.Remove(filepath.Join(n.tools.Prefix, "usr/bin/ovn-nbctl")); err != nil {
		t.Fatal(err)
	}

	_, _, _, err := n.command(t, "ovn-nbctl", "show")
	if err == nil {
		t.Fatalf("Command without the ovn-nbctl program succeeded")
	}

	if !strings.Contains(err.Error(), "ovn-nbctl not found") {
		t.Errorf("error %q does not say ovn-nbctl was not found", err)
	}
}

func TestVsctlSwitchSocket(t *testing.T) {
	n := newFakeNode(t)
	_, args, _, err := n.command(t, "ovs-vsctl", "show")
	if err != nil {
		t.Fatalf("Command: %v", err)
	}

	want := []string{"--db=unix:" + n.layout.SwitchSocket(), "show"}
	if !slices.Equal(args, want) {
		t.Errorf("ovs-vsctl args = %q, want %q", args, want)
	}

	if err := os.Remove(n.layout.SwitchSocket()); err != nil {
		t.Fatal(err)
	}

	_, _, _, err = n.command(t, "ovs-vsctl", "show")
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("ovs-vsctl without the socket = %v, want ErrNotReady", err)
	}

	if !strings.Contains(err.Error(), n.layout.SwitchSocket()) {
		t.Errorf("error %q does not name %s", err, n.layout.SwitchSocket())
	}

	// A user's own --db needs no local socket.
	_, args, _, err = n.command(t, "ovs-vsctl", "--db=tcp:203.0.113.9:6640", "show")
	if err != nil {
		t.Fatalf("ovs-vsctl with --db and no socket: %v", err)
	}

	if want := []string{"--db=tcp:203.0.113.9:6640", "show"}; !slices.Equal(args, want) {
		t.Errorf("ovs-vsctl args = %q, want %q", args, want)
	}
}

func TestAppctlTargetResolution(t *testing.T) {
	n := newFakeNode(t)
	l := n.layout
	cases := []struct {
		tool string
		args []string
		want []string
	}{
		{"ovs-appctl", []string{"-t", "ovn-northd", "status"},
			[]string{"-t", l.OVNRun() + "/ovn-northd.ctl", "status"}},
		{"ovn-appctl", []string{"--target", "ovnsb_db", "cluster/status", "OVN_Southbound"},
			[]string{"--target", l.CentralRun() + "/ovnsb_db.ctl", "cluster/status",
				"OVN_Southbound"}},
		{"ovs-appctl", []string{"--target=ovnnb_db", "cluster/status", "OVN_Northbound"},
			[]string{"--target=" + l.CentralRun() + "/ovnnb_db.ctl", "cluster/status",
				"OVN_Northbound"}},
		{"ovs-appctl", []string{"--timeout=5", "-t", "ovsdb-server", "memory/show"},
			[]string{"--timeout=5", "-t", l.SwitchRun() + "/ovsdb-server.ctl", "memory/show"}},
		// ovs-appctl 3.1 also takes the timeout as a separate word, which is not the command.
		{"ovs-appctl", []string{"--timeout", "5", "-t", "ovn-northd", "status"},
			[]string{"--timeout", "5", "-t", l.OVNRun() + "/ovn-northd.ctl", "status"}},
		{"ovn-appctl", []string{"-T", "5", "--target", "ovnnb_db", "cluster/status"},
			[]string{"-T", "5", "--target", l.CentralRun() + "/ovnnb_db.ctl", "cluster/status"}},
		{"ovs-appctl", []string{"-T", "5", "dpif/show"},
			[]string{"-t", l.SwitchRun() + "/ovs-vswitchd.ctl", "-T", "5", "dpif/show"}},
		{"ovs-appctl", []string{"-t", "/tmp/other.ctl", "version"},
			[]string{"-t", "/tmp/other.ctl", "version"}},
		{"ovs-appctl", []string{"-t", "ovs-unknown", "version"},
			[]string{"-t", "ovs-unknown", "version"}},
		{"ovs-appctl", []string{"dpif/show"},
			[]string{"-t", l.SwitchRun() + "/ovs-vswitchd.ctl", "dpif/show"}},
		{"ovs-appctl", []string{"--timeout=5", "dpif/show"},
			[]string{"-t", l.SwitchRun() + "/ovs-vswitchd.ctl", "--timeout=5", "dpif/show"}},
		{"ovs-appctl", nil,
			[]string{"-t", l.SwitchRun() + "/ovs-vswitchd.ctl"}},
		// The command word ends the search, so a later "-t" is an argument of it.
		{"ovs-appctl", []string{"vlog/list", "-t", "ovn-northd"},
			[]string{"-t", l.SwitchRun() + "/ovs-vswitchd.ctl", "vlog/list", "-t", "ovn-northd"}},
	}
	for _, tc := range cases {
		_, args, _, err := n.command(t, tc.tool, tc.args...)
		if err != nil {
			t.Errorf("%s %q: %v", tc.tool, tc.args, err)
			continue
		}

		if !slices.Equal(args, tc.want) {
			t.Errorf("%s %q:\n got %q\nwant %q", tc.tool, tc.args, args, tc.want)
		}
	}
}

func TestAppctlControllerSocketByPid(t *testing.T) {
	n := newFakeNode(t)
	controller, _ := services.Lookup(services.ProcController)
	pidFile := controller.PidFile(n.layout)
	sh := startNamed(t, pidFile)
	pid := strconv.Itoa(sh.Process.Pid)
	writeFile(t, pidFile, pid+"\n", 0o644)

	want := filepath.Join(n.layout.OVNRun(), "ovn-controller."+pid+".ctl")
	for _, args := range [][]string{{"connection-status"}, {"-t", "ovn-controller", "connection-status"}} {
		_, got, _, err := n.command(t, "ovn-appctl", args...)
		if err != nil {
			t.Errorf("ovn-appctl %q: %v", args, err)
			continue
		}

		if len(got) < 2 || got[1] != want {
			t.Errorf("ovn-appctl %q args = %q, want the target %s", args, got, want)
		}
	}
}

func TestCommandEnvRunFolders(t *testing.T) {
	n := newFakeNode(t)
	_, _, env, err := n.command(t, "ovs-appctl", "version")
	if err != nil {
		t.Fatalf("Command: %v", err)
	}

	for _, kv := range []string{
		"OVS_RUNDIR=" + n.layout.SwitchRun(),
		"OVN_RUNDIR=" + n.layout.OVNRun(),
		"OVN_DBDIR=" + n.layout.CentralData(),
	} {
		if !slices.Contains(env, kv) {
			t.Errorf("environment lacks %s", kv)
		}
	}
}

// startNamed starts a shell that waits on its standard input with name as its
// $0, so its command line contains name, and kills it when the test ends.
func startNamed(t *testing.T, name string) *exec.Cmd {
	t.Helper()

	cmd := exec.Command("sh", "-c", "read line", name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}

	if err := cmd.Start(); err != nil {
		t.Fatalf("start sh: %v", err)
	}

	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = stdin.Close()
	})

	// /proc/PID/cmdline stays empty until execve has set up the new arguments.
	cmdline := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline"
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(cmdline)
		if err == nil && strings.Contains(string(data), name) {
			return cmd
		}

		if time.Now().After(deadline) {
			t.Fatalf("%s does not contain %s after 5s (error %v)", cmdline, name, err)
		}

		time.Sleep(5 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

package services

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestExitCommandWithCleanup(t *testing.T) {
	cases := []struct {
		proc    string
		cleanup bool
		want    []string
	}{
		{ProcController, false, []string{"exit", "--restart"}},
		{ProcController, true, []string{"exit"}},
		{ProcVswitchd, false, []string{"exit"}},
		{ProcVswitchd, true, []string{"exit", "--cleanup"}},
		{ProcNB, true, []string{"exit"}},
		{ProcNorthd, false, []string{"exit"}},
		{ProcSwitchDB, true, []string{"exit"}},
	}
	for _, tc := range cases {
		p, _ := Lookup(tc.proc)
		got := ExitCommand(p, tc.cleanup)
		if !slices.Equal(got, tc.want) {
			t.Errorf("ExitCommand(%s, cleanup=%v) = %q, want %q", tc.proc, tc.cleanup, got,
				tc.want)
		}
	}
}

func TestPidFromFileUnusableFiles(t *testing.T) {
	dir := t.TempDir()
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatalf("run true: %v", err)
	}

	cases := []struct {
		name    string
		content string // "" leaves the file missing
	}{
		{"missing file", ""},
		{"not a number", "abc\n"},
		{"zero", "0\n"},
		{"negative", "-5\n"},
		{"stale pid", strconv.Itoa(exited.Process.Pid) + "\n"},
		// The test binary is alive, but its command line does not name the pid file.
		{"pid of another program", strconv.Itoa(os.Getpid()) + "\n"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(dir, strconv.Itoa(i)+".pid")
			if tc.content != "" {
				writeTestFile(t, pidFile, tc.content, 0o644)
			}

			if pid := PidFromFile(pidFile); pid != 0 {
				t.Errorf("PidFromFile(%q) with %q = %d, want 0", pidFile, tc.content, pid)
			}
		})
	}
}

func TestPidFromFileLiveProcess(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "live.pid")
	// sh blocks in `read` until its standard input closes; the pid file path is
	// its $0, so the process's command line names the pid file.
	cmd := startBlocked(t, "read line", pidFile)
	writeTestFile(t, pidFile, strconv.Itoa(cmd.Process.Pid)+"\n", 0o644)

	if got := PidFromFile(pidFile); got != cmd.Process.Pid {
		t.Errorf("PidFromFile(%q) = %d, want the live pid %d", pidFile, got, cmd.Process.Pid)
	}

	other := filepath.Join(filepath.Dir(pidFile), "other.pid")
	writeTestFile(t, other, strconv.Itoa(cmd.Process.Pid)+"\n", 0o644)
	if got := PidFromFile(other); got != 0 {
		t.Errorf("PidFromFile(%q) for a process started with %q = %d, want 0", other, pidFile,
			got)
	}
}

func TestRunningArgsDropsDetach(t *testing.T) {
	cmd := startBlocked(t, "read line", "name0", "--detach", "--pidfile=/r/x.pid")

	got := RunningArgs(cmd.Process.Pid)
	want := []string{"-c", "read line", "name0", "--pidfile=/r/x.pid"}
	if !slices.Equal(got, want) {
		t.Errorf("RunningArgs(%d) = %q, want %q", cmd.Process.Pid, got, want)
	}
}

func TestRunningArgsGoneProcess(t *testing.T) {
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatalf("run true: %v", err)
	}

	if got := RunningArgs(exited.Process.Pid); got != nil {
		t.Errorf("RunningArgs(%d) of an exited process = %q, want nil", exited.Process.Pid, got)
	}
}

func TestToolsPathPrefixFolders(t *testing.T) {
	prefix := t.TempDir()
	writeTestFile(t, filepath.Join(prefix, "usr/sbin/ovsdb-server"), "#!/bin/sh\n", 0o755)
	writeTestFile(t, filepath.Join(prefix, "usr/bin/ovsdb-server"), "#!/bin/sh\n", 0o755)
	writeTestFile(t, filepath.Join(prefix, "bin/ovs-appctl"), "#!/bin/sh\n", 0o755)
	writeTestFile(t, filepath.Join(prefix, "usr/bin/ovn-nbctl"), "not executable\n", 0o644)
	if err := os.MkdirAll(filepath.Join(prefix, "usr/bin/ovn-sbctl"), 0o755); err != nil {
		t.Fatal(err)
	}

	tools := Tools{Prefix: prefix}
	found := []struct {
		program string
		want    string
	}{
		{"ovsdb-server", filepath.Join(prefix, "usr/sbin/ovsdb-server")},
		{"ovs-appctl", filepath.Join(prefix, "bin/ovs-appctl")},
	}
	for _, tc := range found {
		got, err := tools.Path(tc.program)
		if err != nil {
			t.Errorf("Path(%q) error: %v", tc.program, err)
			continue
		}

		if got != tc.want {
			t.Errorf("Path(%q) = %q, want %q", tc.program, got, tc.want)
		}
	}

	for _, program := range []string{"ovn-nbctl", "ovn-sbctl", "ovn-northd"} {
		_, err := tools.Path(program)
		if err == nil {
			t.Errorf("Path(%q) found a program, want a not-found error", program)
			continue
		}

		for _, word := range []string{program, "ovn-central", "ovn-host", "openvswitch-switch"} {
			if !strings.Contains(err.Error(), word) {
				t.Errorf("Path(%q) error %q does not name %q", program, err, word)
			}
		}
	}

	if got, want := tools.Schema(SchemaNB), filepath.Join(prefix, SchemaNB); got != want {
		t.Errorf("Schema(%q) = %q, want %q", SchemaNB, got, want)
	}
}

func TestHostToolsSnapPrefix(t *testing.T) {
	t.Setenv("SNAP_NAME", "microovn")
	t.Setenv("SNAP", "/snap/microovn/x1")
	if got := HostTools().Prefix; got != "/snap/microovn/x1" {
		t.Errorf("HostTools().Prefix inside a snap = %q, want /snap/microovn/x1", got)
	}

	t.Setenv("SNAP_NAME", "")
	if got := HostTools().Prefix; got != "" {
		t.Errorf("HostTools().Prefix outside a snap = %q, want empty", got)
	}
}

// startBlocked starts `sh -c script args...` with standard input on a pipe, so
// that `read` blocks, and kills the shell when the test ends.
func startBlocked(t *testing.T, script string, args ...string) *exec.Cmd {
	t.Helper()

	cmd := exec.Command("sh", append([]string{"-c", script}, args...)...)
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

	// Start returns once execve has begun, but /proc/PID/cmdline stays empty
	// until the kernel has set up the new program's arguments.
	cmdline := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline"
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := os.ReadFile(cmdline)
		if err == nil && len(data) > 0 {
			break
		}

		if time.Now().After(deadline) {
			t.Fatalf("%s still empty after 5s (error %v)", cmdline, err)
		}

		time.Sleep(5 * time.Millisecond)
	}

	return cmd
}

func writeTestFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

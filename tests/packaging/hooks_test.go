package packaging

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeSnap is the environment snapd gives hooks and apps, with the stand-ins of
// testdata/standin in place of snapctl, microovnd and the appctl tools.
type fakeSnap struct {
	snap    string // $SNAP
	common  string // $SNAP_COMMON
	data    string // $SNAP_DATA
	standin string // STANDIN_DIR: calls, options and service states
	env     []string
}

func newFakeSnap(t *testing.T) *fakeSnap {
	t.Helper()
	dir := t.TempDir()
	f := &fakeSnap{
		snap:    filepath.Join(dir, "snap"),
		common:  filepath.Join(dir, "common"),
		data:    filepath.Join(dir, "data"),
		standin: filepath.Join(dir, "standin"),
	}

	for _, d := range []string{f.snap + "/bin", f.snap + "/usr/bin", f.common, f.data, f.standin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	stand := standinDir(t)
	links := map[string]string{
		"bin/microovnd":      "microovnd",
		"usr/bin/ovs-appctl": "appctl",
		"usr/bin/ovn-appctl": "appctl",
	}
	for link, target := range links {
		if err := os.Symlink(filepath.Join(stand, target), filepath.Join(f.snap, link)); err != nil {
			t.Fatal(err)
		}
	}

	// The stand-in snapctl is found first on PATH, as snapd's is inside a snap.
	f.env = []string{
		"PATH=" + stand + ":" + os.Getenv("PATH"),
		"SNAP=" + f.snap,
		"SNAP_COMMON=" + f.common,
		"SNAP_DATA=" + f.data,
		"SNAP_NAME=microovn",
		"SNAP_INSTANCE_NAME=microovn",
		"STANDIN_DIR=" + f.standin,
	}

	return f
}

// setOption stores a snap option as the stand-in snapctl reads it.
func (f *fakeSnap) setOption(t *testing.T, key, value string) {
	t.Helper()
	f.writeStandin(t, "config/"+key, value+"\n")
}

func (f *fakeSnap) writeStandin(t *testing.T, rel, content string) {
	t.Helper()
	path := filepath.Join(f.standin, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapctlCalls returns the recorded snapctl calls except get and services, which
// only read.
func (f *fakeSnap) snapctlCalls(t *testing.T) []string {
	t.Helper()
	var calls []string
	for _, c := range readLines(t, filepath.Join(f.standin, "snapctl.calls")) {
		if !strings.HasPrefix(c, "get ") && !strings.HasPrefix(c, "services ") {
			calls = append(calls, c)
		}
	}

	return calls
}

func (f *fakeSnap) runScript(t *testing.T, rel string, env ...string) result {
	t.Helper()
	return run(t, append(slices.Clone(f.env), env...), filepath.Join(repoRoot(t), rel))
}

func TestDaemonStartSecurityLogging(t *testing.T) {
	cases := []struct {
		name, option string // option "" is unset
		wantArgs     []string
		wantApplied  string
	}{
		{"unset", "", nil, "true"},
		{"true", "true", nil, "true"},
		{"false", "false", []string{"--disable-security-logging"}, "false"},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeSnap(t)
			if c.option != "" {
				f.setOption(t, "security-logging", c.option)
			}

			res := f.runScript(t, "snap/commands/daemon.start")
			if res.code != 0 {
				t.Fatalf("daemon.start: exit %d: %s", res.code, res.stderr)
			}

			args := readLines(t, filepath.Join(f.standin, "microovnd.args"))
			if !slices.Equal(args, c.wantArgs) {
				t.Errorf("microovnd arguments = %q, want %q", args, c.wantArgs)
			}

			applied := readLines(t, filepath.Join(f.data, "security-logging.applied"))
			if !slices.Equal(applied, []string{c.wantApplied}) {
				t.Errorf("applied value = %q, want %q", applied, c.wantApplied)
			}
		})
	}
}

func TestConfigureHookRejectsInvalidValue(t *testing.T) {
	for _, value := range []string{"yes", "False", "1"} {
		t.Run(value, func(t *testing.T) {
			f := newFakeSnap(t)
			f.setOption(t, "security-logging", value)

			res := f.runScript(t, "snap/hooks/configure")
			if res.code == 0 {
				t.Fatalf("configure accepted security-logging=%s", value)
			}

			want := `invalid value "` + value + `" for security-logging`
			if !strings.Contains(res.stderr, want) {
				t.Errorf("stderr %q does not contain %q", res.stderr, want)
			}

			if !strings.Contains(res.stderr, "true") || !strings.Contains(res.stderr, "false") {
				t.Errorf("stderr %q does not name the valid values", res.stderr)
			}
		})
	}
}

func TestConfigureHookRestartsDaemon(t *testing.T) {
	cases := []struct {
		name        string
		option      string // "" is unset
		applied     string // value the running daemon started with; "" is none
		daemonState string
		wantCalls   []string
	}{
		{"changed while active", "false", "true", "active", []string{"restart microovn.daemon"}},
		{"unset after false", "", "false", "active", []string{"restart microovn.daemon"}},
		{"unchanged", "true", "true", "active", nil},
		{"changed while inactive", "false", "true", "inactive", nil},
		{"daemon never started", "false", "", "active", nil},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeSnap(t)
			if c.option != "" {
				f.setOption(t, "security-logging", c.option)
			}

			if c.applied != "" {
				path := filepath.Join(f.data, "security-logging.applied")
				if err := os.WriteFile(path, []byte(c.applied+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}

			f.writeStandin(t, "services/microovn.daemon", c.daemonState+"\n")

			res := f.runScript(t, "snap/hooks/configure")
			if res.code != 0 {
				t.Fatalf("configure: exit %d: %s", res.code, res.stderr)
			}

			if calls := f.snapctlCalls(t); !slices.Equal(calls, c.wantCalls) {
				t.Errorf("snapctl calls = %q, want %q", calls, c.wantCalls)
			}
		})
	}
}

func TestInstallHookDatapathCheck(t *testing.T) {
	cases := []struct {
		name       string
		ovsSystem  bool   // /sys/class/net/ovs-system exists
		refcnt     string // content of /sys/module/openvswitch/refcnt; "" is no module
		override   bool   // $SNAP_COMMON/allow-system-datapath exists
		wantReject string // text of the rejection, "" to accept
	}{
		{name: "no datapath"},
		{name: "module unused", refcnt: "0"},
		{name: "ovs-system link", ovsSystem: true, refcnt: "0",
			wantReject: "the network link ovs-system"},
		{name: "module in use", refcnt: "3",
			wantReject: "the openvswitch kernel module is in use (reference count 3)"},
		{name: "override", ovsSystem: true, refcnt: "2", override: true},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeSnap(t)
			sysfs := filepath.Join(t.TempDir(), "sys")
			if err := os.MkdirAll(filepath.Join(sysfs, "class/net/lo"), 0o755); err != nil {
				t.Fatal(err)
			}

			if c.ovsSystem {
				if err := os.Mkdir(filepath.Join(sysfs, "class/net/ovs-system"), 0o755); err != nil {
					t.Fatal(err)
				}
			}

			if c.refcnt != "" {
				module := filepath.Join(sysfs, "module/openvswitch")
				if err := os.MkdirAll(module, 0o755); err != nil {
					t.Fatal(err)
				}

				if err := os.WriteFile(filepath.Join(module, "refcnt"), []byte(c.refcnt+"\n"),
					0o444); err != nil {
					t.Fatal(err)
				}
			}

			override := filepath.Join(f.common, "allow-system-datapath")
			if c.override {
				if err := os.WriteFile(override, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}

			res := f.runScript(t, "snap/hooks/install", "MICROOVN_SYSFS="+sysfs)
			if c.wantReject == "" {
				if res.code != 0 {
					t.Fatalf("install rejected: exit %d: %s", res.code, res.stderr)
				}

				calls := f.snapctlCalls(t)
				if !slices.Equal(calls, []string{"set security-logging=true"}) {
					t.Errorf("snapctl calls = %q, want the default security-logging=true", calls)
				}

				return
			}

			if res.code == 0 {
				t.Fatal("install accepted a datapath in use")
			}

			if !strings.Contains(res.stderr, c.wantReject) {
				t.Errorf("stderr does not contain %q:\n%s", c.wantReject, res.stderr)
			}

			if !strings.Contains(res.stderr, override) {
				t.Errorf("stderr does not name the override file %s:\n%s", override, res.stderr)
			}

			if calls := f.snapctlCalls(t); len(calls) != 0 {
				t.Errorf("rejected install still called snapctl %q", calls)
			}
		})
	}
}

func TestInstallHookKeepsOption(t *testing.T) {
	f := newFakeSnap(t)
	f.setOption(t, "security-logging", "false")

	res := f.runScript(t, "snap/hooks/install", "MICROOVN_SYSFS="+t.TempDir())
	if res.code != 0 {
		t.Fatalf("install: exit %d: %s", res.code, res.stderr)
	}

	if calls := f.snapctlCalls(t); len(calls) != 0 {
		t.Errorf("snapctl calls = %q, want none for an option already set", calls)
	}
}

// listenUnix creates a unix socket at path, as a running process's control socket.
func listenUnix(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}

	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { l.Close() })
}

func TestPreRefreshHookStopsWithoutCleanup(t *testing.T) {
	f := newFakeSnap(t)
	controllerCtl := filepath.Join(f.common, "run/ovn/ovn-controller.4242.ctl")
	vswitchdCtl := filepath.Join(f.common, "run/switch/ovs-vswitchd.ctl")
	listenUnix(t, controllerCtl)
	listenUnix(t, vswitchdCtl)
	pidFile := filepath.Join(f.common, "run/ovn/ovn-controller.pid")
	if err := os.WriteFile(pidFile, []byte("4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	res := f.runScript(t, "snap/hooks/pre-refresh")
	if res.code != 0 {
		t.Fatalf("pre-refresh: exit %d: %s", res.code, res.stderr)
	}

	// ovn-controller first, so that it does not see ovs-vswitchd go away.
	want := []string{
		"ovn-appctl --timeout=10 -t " + controllerCtl + " exit --restart",
		"ovs-appctl --timeout=10 -t " + vswitchdCtl + " exit",
	}
	calls := readLines(t, filepath.Join(f.standin, "appctl.calls"))
	if !slices.Equal(calls, want) {
		t.Errorf("appctl calls:\n got %q\nwant %q", calls, want)
	}

	if calls := f.snapctlCalls(t); len(calls) != 0 {
		t.Errorf("snapctl calls = %q, want none", calls)
	}
}

func TestPreRefreshHookNothingRunning(t *testing.T) {
	f := newFakeSnap(t)
	res := f.runScript(t, "snap/hooks/pre-refresh")
	if res.code != 0 {
		t.Fatalf("pre-refresh: exit %d: %s", res.code, res.stderr)
	}

	if calls := readLines(t, filepath.Join(f.standin, "appctl.calls")); len(calls) != 0 {
		t.Errorf("appctl calls = %q, want none without control sockets", calls)
	}
}

// A process that does not reply must not block the refresh, because snapd stops it.
func TestPreRefreshHookToolFails(t *testing.T) {
	f := newFakeSnap(t)
	vswitchdCtl := filepath.Join(f.common, "run/switch/ovs-vswitchd.ctl")
	listenUnix(t, vswitchdCtl)

	res := f.runScript(t, "snap/hooks/pre-refresh", "STANDIN_APPCTL_FAIL=1")
	if res.code != 0 {
		t.Fatalf("pre-refresh failed with a process that does not reply: exit %d: %s",
			res.code, res.stderr)
	}

	if !strings.Contains(res.stderr, "failed") {
		t.Errorf("stderr does not report the failure: %q", res.stderr)
	}

	if calls := readLines(t, filepath.Join(f.standin, "appctl.calls")); len(calls) != 1 {
		t.Errorf("appctl calls = %q, want one", calls)
	}
}

func TestPostRefreshHookRestartsDaemon(t *testing.T) {
	f := newFakeSnap(t)
	res := f.runScript(t, "snap/hooks/post-refresh")
	if res.code != 0 {
		t.Fatalf("post-refresh: exit %d: %s", res.code, res.stderr)
	}

	want := []string{"restart microovn.daemon"}
	if calls := f.snapctlCalls(t); !slices.Equal(calls, want) {
		t.Errorf("snapctl calls = %q, want %q", calls, want)
	}
}

package packaging

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/services"
)

// snapRunner returns a services.Snap that runs the stand-in snapctl, and the
// layout of a scratch node. The stand-in starts a sleeping process for an app and
// writes its pid to p's pid file, as the snap app running exec-service would.
func snapRunner(t *testing.T, p services.Process, withAppctl bool) (services.Snap, paths.Layout, string) {
	t.Helper()
	dir := t.TempDir()
	layout := paths.Layout{Root: filepath.Join(dir, "root")}
	if err := os.MkdirAll(p.RunDir(layout), 0o755); err != nil {
		t.Fatal(err)
	}

	// Direct.Stop, which Snap.Stop calls first, looks ovs-appctl up under the prefix.
	prefix := filepath.Join(dir, "prefix")
	if err := os.MkdirAll(filepath.Join(prefix, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}

	if withAppctl {
		err := os.Symlink(filepath.Join(standinDir(t), "appctl"),
			filepath.Join(prefix, "usr/bin/ovs-appctl"))
		if err != nil {
			t.Fatal(err)
		}
	}

	calls := filepath.Join(dir, "standin")
	if err := os.MkdirAll(calls, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Setenv("STANDIN_DIR", calls)
	t.Setenv("STANDIN_PIDFILE", p.PidFile(layout))

	// Ends the stand-in's process if a failed test left it running.
	t.Cleanup(func() {
		if pid := services.PidFromFile(p.PidFile(layout)); pid != 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	runner := services.Snap{
		Name:    "microovn",
		Snapctl: filepath.Join(standinDir(t), "snapctl"),
		Tools:   services.Tools{Prefix: prefix},
	}

	return runner, layout, calls
}

// TestSnapRunnerAppNames starts and stops every process through services.Snap and
// checks the snapctl calls name the recipe's apps, and that the process is asked
// to exit the way a refresh needs (cleanup false).
func TestSnapRunnerAppNames(t *testing.T) {
	apps := loadRecipe(t).Apps
	wantExit := map[string]string{
		services.ProcController: "exit --restart",
		services.ProcVswitchd:   "exit",
	}

	for _, p := range services.Table() {
		t.Run(p.Name, func(t *testing.T) {
			if _, ok := apps[p.SnapApp]; !ok {
				t.Fatalf("snapcraft.yaml has no app %s", p.SnapApp)
			}

			runner, layout, standin := snapRunner(t, p, true)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()

			if err := runner.Start(ctx, p, services.Config{Layout: layout}); err != nil {
				t.Fatalf("Start: %v", err)
			}

			pid := runner.Pid(p, layout)
			if pid == 0 {
				t.Fatal("Pid = 0 after Start")
			}

			if err := runner.Start(ctx, p, services.Config{Layout: layout}); err != nil {
				t.Fatalf("second Start: %v", err)
			}

			if err := runner.Stop(ctx, p, layout, false); err != nil {
				t.Fatalf("Stop: %v", err)
			}

			if got := runner.Pid(p, layout); got != 0 {
				t.Errorf("Pid = %d after Stop, want 0", got)
			}

			app := "microovn." + p.SnapApp
			want := []string{"start --enable " + app, "stop --disable " + app}
			if calls := readLines(t, filepath.Join(standin, "snapctl.calls")); !slices.Equal(calls, want) {
				t.Errorf("snapctl calls = %q, want %q", calls, want)
			}

			exit, ok := wantExit[p.Name]
			if !ok {
				exit = "exit"
			}

			wantAppctl := []string{"ovs-appctl -t " + p.Control(layout, pid) + " " + exit}
			calls := readLines(t, filepath.Join(standin, "appctl.calls"))
			if !slices.Equal(calls, wantAppctl) {
				t.Errorf("appctl calls = %q, want %q", calls, wantAppctl)
			}
		})
	}
}

// When the process does not reply on its control socket, Stop ends it with SIGTERM
// after 10 s and still disables its app.
func TestSnapRunnerStopFallsBackToSIGTERM(t *testing.T) {
	p, ok := services.Lookup(services.ProcNorthd)
	if !ok {
		t.Fatal("no ovn-northd process")
	}

	runner, layout, standin := snapRunner(t, p, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if err := runner.Start(ctx, p, services.Config{Layout: layout}); err != nil {
		t.Fatalf("Start: %v", err)
	}

	pid := runner.Pid(p, layout)
	if err := runner.Stop(ctx, p, layout, false); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	if err := syscall.Kill(pid, 0); err == nil && processState(pid) != "Z" {
		t.Errorf("pid %d still runs after Stop", pid)
	}

	calls := readLines(t, filepath.Join(standin, "snapctl.calls"))
	if len(calls) == 0 || calls[len(calls)-1] != "stop --disable microovn.ovn-northd" {
		t.Errorf("snapctl calls = %q, want the last to disable microovn.ovn-northd", calls)
	}
}

// processState returns the state letter of pid from /proc, or "" if it is gone.
func processState(pid int) string {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}

	_, after, ok := strings.Cut(string(data), ") ")
	if !ok || after == "" {
		return ""
	}

	return after[:1]
}

package services

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/microovn/microovn/microovn/cmdrun"
	"github.com/microovn/microovn/microovn/paths"
)

// Runner starts and stops the processes of the table.
type Runner interface {
	// Start starts p unless it already runs, and returns once it is up.
	Start(ctx context.Context, p Process, c Config) error
	// Stop stops p if it runs, forcing it after a grace period. With cleanup,
	// ovn-controller also deletes its chassis and ovs-vswitchd its datapath
	// devices; without, both leave them for the next start.
	Stop(ctx context.Context, p Process, l paths.Layout, cleanup bool) error
	// Pid returns the pid of p, or 0 when it does not run.
	Pid(p Process, l paths.Layout) int
}

// Direct runs the processes itself, detached, so that they outlive a restart of
// the daemon.
type Direct struct {
	Tools Tools
}

// Pid reads p's pid file and returns the pid if that process is alive and its
// command line names the same pid file, so a recycled pid is never taken for it.
func (d Direct) Pid(p Process, l paths.Layout) int {
	return PidFromFile(p.PidFile(l))
}

// PidFromFile returns the live process that wrote pidFile, or 0.
func PidFromFile(pidFile string) int {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}

	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}

	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !bytes.Contains(cmdline, []byte(pidFile)) {
		return 0
	}

	return pid
}

// Start launches p with --detach; the program returns once it is ready.
func (d Direct) Start(ctx context.Context, p Process, c Config) error {
	if d.Pid(p, c.Layout) != 0 {
		return nil
	}

	program, err := d.Tools.Path(p.Program)
	if err != nil {
		return err
	}

	// Start-up messages printed before the program detaches go to a file beside
	// its log, not into the daemon's output.
	console, err := os.OpenFile(p.LogFile(c.Layout)+".console",
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open the console log of %s: %w", p.Name, err)
	}
	defer console.Close()

	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	args := append(p.Args(c), "--detach")
	cmd := exec.CommandContext(startCtx, program, args...)
	cmd.Env = append(cleanEnv(), EnvFor(c.Layout, p)...)
	cmd.Stdout = console
	cmd.Stderr = console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}

	err = cmd.Run()
	if err != nil {
		return fmt.Errorf("start %s: %w (see %s)", p.Name, err, p.LogFile(c.Layout))
	}

	return nil
}

// Stop sends p the exit command through its control socket, then sends SIGTERM and finally
// SIGKILL.
func (d Direct) Stop(ctx context.Context, p Process, l paths.Layout, cleanup bool) error {
	pid := d.Pid(p, l)
	if pid == 0 {
		return nil
	}

	args := append([]string{"-t", p.Control(l, pid)}, ExitCommand(p, cleanup)...)

	appctl, err := d.Tools.Path("ovs-appctl")
	if err == nil {
		_, _ = cmdrun.Run(ctx, cmdrun.Options{Timeout: 10 * time.Second}, appctl, args...)
	}

	if waitGone(ctx, pid, 10*time.Second) {
		return nil
	}

	_ = syscall.Kill(pid, syscall.SIGTERM)
	if waitGone(ctx, pid, 5*time.Second) {
		return nil
	}

	_ = syscall.Kill(pid, syscall.SIGKILL)
	if waitGone(ctx, pid, 5*time.Second) {
		return nil
	}

	return fmt.Errorf("stop %s: pid %d still running after SIGKILL", p.Name, pid)
}

// ExitCommand returns the unixctl command that makes p exit. Without cleanup,
// ovn-controller keeps its chassis record (exit --restart). With cleanup,
// ovs-vswitchd removes its datapath devices, because the userspace datapath would
// otherwise leave them behind as tap devices.
func ExitCommand(p Process, cleanup bool) []string {
	switch {
	case p.Name == ProcController && !cleanup:
		return []string{"exit", "--restart"}
	case p.Name == ProcVswitchd && cleanup:
		return []string{"exit", "--cleanup"}
	default:
		return []string{"exit"}
	}
}

// RunningArgs returns the arguments pid was started with, without the program
// name and without --detach.
func RunningArgs(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil
	}

	fields := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	var args []string
	for _, f := range fields[1:] {
		if f != "--detach" {
			args = append(args, f)
		}
	}

	return args
}

// waitGone polls until pid has exited, up to limit.
func waitGone(ctx context.Context, pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return true
		}

		select {
		case <-ctx.Done():
			return !alive(pid)
		case <-time.After(50 * time.Millisecond):
		}
	}

	return !alive(pid)
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if errors.Is(err, syscall.ESRCH) {
		return false
	}

	// A zombie still accepts signal 0 until its parent reaps it.
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}

	fields := strings.Fields(string(stat))
	return len(fields) < 3 || fields[2] != "Z"
}

// cleanEnv returns the daemon's environment without OVS and OVN folder variables,
// which EnvFor sets per process.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OVS_") || strings.HasPrefix(kv, "OVN_") {
			continue
		}

		env = append(env, kv)
	}

	return env
}

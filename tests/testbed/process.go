package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// killTimeout bounds the wait for processes to end after SIGKILL.
	killTimeout = 5 * time.Second
	// switchExitTimeout bounds `ovs-appctl exit --cleanup` and the wait for
	// ovs-vswitchd to end after it.
	switchExitTimeout = 5 * time.Second
	// pollInterval is the pause between two checks of a condition that is polled.
	pollInterval = 20 * time.Millisecond
)

// readCmdline returns the command line of pid with arguments separated by NUL bytes.
// It is empty for a zombie and for a process that no longer exists.
func readCmdline(pid int) []byte {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil
	}

	return cmdline
}

// mentionsPath reports whether cmdline contains path as a whole folder name: followed
// by "/", by the NUL that ends an argument, or by the end. So "/tmp/x/h1" does not
// match an argument in "/tmp/x/h10".
func mentionsPath(cmdline []byte, path string) bool {
	if path == "" {
		return false
	}

	for start := 0; start < len(cmdline); {
		i := bytes.Index(cmdline[start:], []byte(path))
		if i < 0 {
			return false
		}

		end := start + i + len(path)
		if end == len(cmdline) || cmdline[end] == '/' || cmdline[end] == 0 {
			return true
		}

		start += i + 1
	}

	return false
}

// ownedBy reports whether pid is a live process whose command line mentions path.
// The bed's folders have unique names, so such a process was started by the bed or
// by one of its daemons.
func ownedBy(pid int, path string) bool {
	return pid > 0 && mentionsPath(readCmdline(pid), path)
}

// killOwned sends sig to pid if the process is live and mentions path, and otherwise
// does nothing.
func killOwned(pid int, path string, sig syscall.Signal) error {
	if !ownedBy(pid, path) {
		return nil
	}

	err := syscall.Kill(pid, sig)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("send %v to process %d: %w", sig, pid, err)
	}

	return nil
}

// waitGone polls until none of pids is live and mentions path, or until timeout
// passes, and returns the pids that are still live.
func waitGone(pids []int, path string, timeout time.Duration) []int {
	deadline := time.Now().Add(timeout)
	maxPolls := int(timeout/pollInterval) + 1

	for poll := 0; ; poll++ {
		var live []int
		for _, pid := range pids {
			if ownedBy(pid, path) {
				live = append(live, pid)
			}
		}

		if len(live) == 0 || poll >= maxPolls || time.Now().After(deadline) {
			return live
		}

		time.Sleep(pollInterval)
	}
}

// killAndWait sends SIGKILL to each of pids that mentions path and waits until they
// have ended.
func killAndWait(pids []int, path string) error {
	var errs []error
	for _, pid := range pids {
		if err := killOwned(pid, path, syscall.SIGKILL); err != nil {
			errs = append(errs, err)
		}
	}

	if live := waitGone(pids, path, killTimeout); len(live) > 0 {
		errs = append(errs, fmt.Errorf("processes %v still run %v after SIGKILL", live,
			killTimeout))
	}

	return errors.Join(errs...)
}

// readPidfile returns the pid stored in path.
func readPidfile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}

	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("invalid pid file %s: %q", path, strings.TrimSpace(string(data)))
	}

	return pid, nil
}

// Pids returns the live processes recorded in *.pid files anywhere under Root/run,
// keyed by the file name without ".pid" (run/switch/ovs-vswitchd.pid gives
// "ovs-vswitchd"). When two files share a name, the later one in lexical order is
// keyed by its path below run/ without ".pid". Only processes whose command line
// mentions Root are listed, so a stale pid file never names a stranger's process.
func (h *Host) Pids() map[string]int {
	run := filepath.Join(h.Root, "run")
	pids := map[string]int{}

	// Errors only skip what cannot be read, because the daemons create and remove
	// pid files while the walk runs.
	_ = filepath.WalkDir(run, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() || !strings.HasSuffix(path, ".pid") {
			return nil
		}

		pid, err := readPidfile(path)
		if err != nil || !ownedBy(pid, h.Root) {
			return nil
		}

		key := strings.TrimSuffix(entry.Name(), ".pid")
		if _, exists := pids[key]; exists {
			rel, _ := filepath.Rel(run, path)
			key = strings.TrimSuffix(rel, ".pid")
		}

		pids[key] = pid

		return nil
	})

	return pids
}

// KillAll sends SIGKILL to the host's microovnd and to every process that Pids lists,
// and waits until they have ended.
func (h *Host) KillAll() error {
	var pids []int
	if pid := h.daemonPid(); pid > 0 {
		pids = append(pids, pid)
	}

	for _, pid := range h.Pids() {
		pids = append(pids, pid)
	}

	if err := killAndWait(pids, h.Root); err != nil {
		return fmt.Errorf("kill processes of %s: %w", h.Name, err)
	}

	return nil
}

// stopAll ends every process of the host: microovnd first so that it restarts
// nothing, then ovs-vswitchd through its cleanup exit, then the rest.
func (h *Host) stopAll() error {
	var errs []error
	if pid := h.daemonPid(); pid > 0 {
		if err := killAndWait([]int{pid}, h.Root); err != nil {
			errs = append(errs, fmt.Errorf("kill microovnd of %s: %w", h.Name, err))
		}
	}

	h.exitSwitch()

	return errors.Join(append(errs, h.KillAll())...)
}

// exitSwitch sends ovs-vswitchd the command to exit and remove the devices it created,
// and waits for it to end. A failure is not reported because KillAll sends SIGKILL afterwards.
func (h *Host) exitSwitch() {
	ctl := filepath.Join(h.switchRun(), "ovs-vswitchd.ctl")
	if _, err := os.Stat(ctl); err != nil {
		return
	}

	var pids []int
	for name, pid := range h.Pids() {
		if strings.HasSuffix(name, "ovs-vswitchd") {
			pids = append(pids, pid)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), switchExitTimeout)
	defer cancel()

	_, _ = h.Run(ctx, "ovs-appctl", "-t", ctl, "--timeout=5", "exit", "--cleanup")
	waitGone(pids, h.Root, switchExitTimeout)
}

// stopProcesses ends the processes of every host in parallel, then those left in the
// bed's namespaces.
func (b *Bed) stopProcesses() error {
	errs := make([]error, len(b.Hosts))

	var wg sync.WaitGroup
	for i, host := range b.Hosts {
		wg.Go(func() { errs[i] = host.stopAll() })
	}

	wg.Wait()

	return errors.Join(append(errs, b.sweepNamespaces())...)
}

// sweepNamespaces kills the processes left in the bed's namespaces whose command line
// mentions Dir, for example a daemon whose pid file is gone. It leaves other
// processes running and reports them, because the bed did not start them.
func (b *Bed) sweepNamespaces() error {
	var errs []error
	var ours []int

	for _, ns := range b.namespaces {
		pids, err := namespacePids(ns)
		if err != nil {
			errs = append(errs, err)
			continue
		}

		for _, pid := range pids {
			cmdline := readCmdline(pid)
			switch {
			case mentionsPath(cmdline, b.Dir):
				ours = append(ours, pid)
			case len(cmdline) > 0:
				args := strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")
				errs = append(errs, fmt.Errorf("namespace %s still contains process %d (%s) "+
					"that the test bed did not start: end it from the code that started it",
					ns, pid, args))
			}
		}
	}

	return errors.Join(append(errs, killAndWait(ours, b.Dir))...)
}

// namespacePids returns the pids of the processes in namespace ns.
func namespacePids(ns string) ([]int, error) {
	if _, err := os.Stat(filepath.Join(netnsDir, ns)); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), ipTimeout)
	defer cancel()

	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil, fmt.Errorf("list processes in namespace %s: %w", ns, err)
	}

	var pids []int
	for _, field := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(field); err == nil {
			pids = append(pids, pid)
		}
	}

	return pids, nil
}

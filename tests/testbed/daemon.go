package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds the wait for the control socket of a new microovnd.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds the wait for microovnd to end after SIGTERM.
	stopTimeout = 10 * time.Second
	// readyPollInterval is the pause between two connection attempts.
	readyPollInterval = 50 * time.Millisecond
	// logTailSize is how much of the end of microovnd.log an error quotes, in bytes.
	logTailSize = 1500
)

// daemonProcess is a microovnd started by this process.
type daemonProcess struct {
	pid  int
	done chan struct{} // closed once the process has ended and been reaped
	err  error         // exit status from Wait, valid once done is closed
}

// daemonPidfile returns the file that records the pid of the host's microovnd. It
// sits outside Root/run, so Pids does not list microovnd.
func (h *Host) daemonPidfile() string { return filepath.Join(h.Root, "microovnd.pid") }

// daemonLog returns the file that takes the output of microovnd.
func (h *Host) daemonLog() string { return filepath.Join(h.Root, "logs", "microovnd.log") }

// daemonPid returns the pid of the host's live microovnd, or 0 when none runs. It
// also finds a daemon started by another process from its pid file.
func (h *Host) daemonPid() int {
	h.mu.Lock()
	daemon := h.daemon
	h.mu.Unlock()

	pid := 0
	if daemon != nil {
		pid = daemon.pid
	} else if recorded, err := readPidfile(h.daemonPidfile()); err == nil {
		pid = recorded
	}

	if !ownedBy(pid, h.Root) {
		return 0
	}

	return pid
}

// StartDaemon starts microovnd with the host's state folder inside the host's
// namespace, with its output appended to Root/logs/microovnd.log. It returns once the
// control socket accepts a connection, and fails when that takes longer than 30 s or
// the daemon ends first.
func (h *Host) StartDaemon() error {
	if pid := h.daemonPid(); pid > 0 {
		return fmt.Errorf("start microovnd of %s: already running as process %d", h.Name, pid)
	}

	daemon, err := h.spawnDaemon()
	if err != nil {
		return fmt.Errorf("start microovnd of %s: %w", h.Name, err)
	}

	if err := h.waitReady(daemon); err != nil {
		return fmt.Errorf("start microovnd of %s: %w; end of %s:\n%s", h.Name, err,
			h.daemonLog(), h.logTail())
	}

	return nil
}

// spawnDaemon starts microovnd, records its pid and reaps it in the background.
func (h *Host) spawnDaemon() (*daemonProcess, error) {
	if err := os.MkdirAll(filepath.Dir(h.daemonLog()), 0o750); err != nil {
		return nil, fmt.Errorf("create log folder: %w", err)
	}

	if err := os.MkdirAll(h.StateDir(), 0o711); err != nil {
		return nil, fmt.Errorf("create state folder: %w", err)
	}

	logFile, err := os.OpenFile(h.daemonLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open daemon log: %w", err)
	}
	defer logFile.Close()

	args := append([]string{"--state-dir", h.StateDir()}, h.extraArgs...)
	cmd := h.Command(context.Background(), filepath.Join(h.bin, "microovnd"), args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// A process group of its own keeps a terminal's SIGINT away from the daemon, so
	// that the signal handler of the test process decides what ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", cmd.Path, err)
	}

	daemon := &daemonProcess{pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		daemon.err = cmd.Wait()
		close(daemon.done)
	}()

	h.mu.Lock()
	h.daemon = daemon
	h.mu.Unlock()

	pid := []byte(fmt.Sprintf("%d\n", daemon.pid))
	if err := os.WriteFile(h.daemonPidfile(), pid, 0o644); err != nil {
		return daemon, fmt.Errorf("record daemon pid: %w", err)
	}

	return daemon, nil
}

// waitReady polls until the control socket accepts a unix connection.
func (h *Host) waitReady(daemon *daemonProcess) error {
	socket := filepath.Join(h.StateDir(), "control.socket")
	deadline := time.Now().Add(readyTimeout)
	maxPolls := int(readyTimeout/readyPollInterval) + 1

	var lastErr error
	for poll := 0; poll < maxPolls && time.Now().Before(deadline); poll++ {
		select {
		case <-daemon.done:
			return fmt.Errorf("microovnd ended before its control socket was ready: %v",
				daemon.err)
		default:
		}

		conn, err := net.DialTimeout("unix", socket, time.Second)
		if err == nil {
			return conn.Close()
		}

		lastErr = err
		time.Sleep(readyPollInterval)
	}

	return fmt.Errorf("timed out after %v waiting for %s: %w", readyTimeout, socket, lastErr)
}

// logTail returns the end of microovnd.log, or a note when it cannot be read.
func (h *Host) logTail() string {
	data, err := os.ReadFile(h.daemonLog())
	if err != nil {
		return "(" + err.Error() + ")"
	}

	if len(data) > logTailSize {
		data = data[len(data)-logTailSize:]
	}

	return strings.TrimSpace(string(data))
}

// StopDaemon sends SIGTERM to the host's microovnd and waits up to 10 s for it to
// end, then sends SIGKILL. It does nothing when no microovnd of the host runs.
func (h *Host) StopDaemon() error {
	pid := h.daemonPid()
	if pid == 0 {
		return nil
	}

	if err := killOwned(pid, h.Root, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop microovnd of %s: %w", h.Name, err)
	}

	if live := waitGone([]int{pid}, h.Root, stopTimeout); len(live) > 0 {
		if err := killAndWait(live, h.Root); err != nil {
			return fmt.Errorf("stop microovnd of %s after %v: %w", h.Name, stopTimeout, err)
		}
	}

	if err := os.Remove(h.daemonPidfile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove pid file of microovnd: %w", err)
	}

	return nil
}

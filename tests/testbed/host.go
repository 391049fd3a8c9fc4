package testbed

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// switchWaitTimeout bounds the wait for the Open vSwitch database socket.
const switchWaitTimeout = 30 * time.Second

// Host is one MicroOVN node of a bed: a network namespace and a root folder.
type Host struct {
	// Index is the 1-based number of the host.
	Index int
	// Name is "h" followed by Index.
	Name string
	// NS is the name of the host's network namespace.
	NS string
	// Addr is the management address on eth0: 198.18.0.N or 2001:db8::N.
	Addr net.IP
	// EncapAddr is the Geneve underlay address, 198.18.1.N or 2001:db8:1::N, which
	// SetupUnderlay puts on the OVS bridge br-phy.
	EncapAddr net.IP
	// Root is the node's MicroOVN root folder, Bed.Dir/hN.
	Root string

	bin       string
	ipv6      bool
	extraArgs []string // appended to the microovnd command line

	mu     sync.Mutex
	daemon *daemonProcess // microovnd started by this process, nil when none
}

// StateDir returns the node's microcluster state folder, Root/state.
func (h *Host) StateDir() string { return filepath.Join(h.Root, "state") }

// switchRun returns the run folder of the node's Open vSwitch.
func (h *Host) switchRun() string { return filepath.Join(h.Root, "run", "switch") }

// Env returns the environment of the test process with MICROOVN_STATE_DIR set to
// the host's state folder.
func (h *Host) Env() []string {
	return append(os.Environ(), "MICROOVN_STATE_DIR="+h.StateDir())
}

// Command returns a command that runs name with args inside the host's namespace
// (through `ip netns exec`) with the environment from Env.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmdArgs := append([]string{"netns", "exec", h.NS, name}, args...)
	cmd := exec.CommandContext(ctx, "ip", cmdArgs...)
	cmd.Env = h.Env()

	return cmd
}

// Run runs name with args inside the host's namespace and returns the combined
// standard output and error. A returned error also contains that output.
func (h *Host) Run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := h.Command(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("run %s %s on %s: %w%s", name,
			strings.Join(args, " "), h.Name, err, quoteOutput(out))
	}

	return string(out), nil
}

// MicroOVN runs the microovn client of the bed with the host's state folder and args
// inside the host's namespace, and returns its combined output.
func (h *Host) MicroOVN(ctx context.Context, args ...string) (string, error) {
	cmdArgs := append([]string{"--state-dir", h.StateDir()}, args...)

	return h.Run(ctx, filepath.Join(h.bin, "microovn"), cmdArgs...)
}

// SetupUnderlay creates the OVS netdev bridge br-phy with geneve0 as its port, puts
// EncapAddr on br-phy and sets it up. The userspace datapath sends Geneve packets only
// through a route whose device is an OVS bridge, so the encapsulation address cannot
// sit on a plain veth. It first waits up to 30 s for the socket of the node's Open
// vSwitch database. Running it again changes nothing.
func (h *Host) SetupUnderlay(ctx context.Context) error {
	socket := filepath.Join(h.switchRun(), "db.sock")
	if err := waitForFile(ctx, socket, switchWaitTimeout); err != nil {
		return fmt.Errorf("set up underlay of %s: %w", h.Name, err)
	}

	_, err := h.Run(ctx, "ovs-vsctl", "--db=unix:"+socket, "--timeout=10",
		"--may-exist", "add-br", "br-phy",
		"--", "set", "bridge", "br-phy", "datapath_type=netdev",
		"--", "--may-exist", "add-port", "br-phy", "geneve0")
	if err != nil {
		return fmt.Errorf("create underlay bridge br-phy: %w", err)
	}

	if err := addAddress(h.NS, "br-phy", h.EncapAddr, h.ipv6); err != nil {
		return fmt.Errorf("set up underlay of %s: %w", h.Name, err)
	}

	if err := runIP("-n", h.NS, "link", "set", "br-phy", "up"); err != nil {
		return fmt.Errorf("set up underlay of %s: %w", h.Name, err)
	}

	return nil
}

// waitForFile polls until path exists, timeout passes or ctx ends.
func waitForFile(ctx context.Context, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	maxPolls := int(timeout/readyPollInterval) + 1

	for poll := 0; poll < maxPolls && time.Now().Before(deadline); poll++ {
		if _, err := os.Stat(path); err == nil {
			return nil
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", path, ctx.Err())
		case <-time.After(readyPollInterval):
		}
	}

	return fmt.Errorf("timed out after %v waiting for %s", timeout, path)
}

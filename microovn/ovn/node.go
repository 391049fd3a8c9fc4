package ovn

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/microovn/microovn/microovn/cmdrun"
	"github.com/microovn/microovn/microovn/services"
)

// Node runs operations on the OVN processes of one member.
type Node struct {
	Tools  services.Tools
	Runner services.Runner
	Config services.Config
}

// appctl sends a unixctl command to the process called proc.
func (n *Node) appctl(ctx context.Context, proc string, args ...string) (string, error) {
	p, ok := services.Lookup(proc)
	if !ok {
		return "", fmt.Errorf("unknown process %q", proc)
	}

	pid := n.Runner.Pid(p, n.Config.Layout)
	if pid == 0 {
		return "", fmt.Errorf("%s is not running", proc)
	}

	tool, err := n.Tools.Path("ovs-appctl")
	if err != nil {
		return "", err
	}

	full := append([]string{"-t", p.Control(n.Config.Layout, pid), "--timeout=10"}, args...)
	return cmdrun.Run(ctx, cmdrun.Options{Timeout: 15 * time.Second}, tool, full...)
}

// Vsctl runs ovs-vsctl against the local Open vSwitch database.
func (n *Node) Vsctl(ctx context.Context, args ...string) (string, error) {
	tool, err := n.Tools.Path("ovs-vsctl")
	if err != nil {
		return "", err
	}

	full := append([]string{"--db=unix:" + n.Config.Layout.SwitchSocket(), "--timeout=20"},
		args...)
	return cmdrun.Run(ctx, cmdrun.Options{Timeout: 30 * time.Second}, tool, full...)
}

// PrepareSwitch creates the Open vSwitch database file unless it exists.
func (n *Node) PrepareSwitch(ctx context.Context) error {
	file := services.SwitchFile(n.Config.Layout)
	if _, err := os.Stat(file); err == nil {
		return nil
	}

	tool, err := n.Tools.Path("ovsdb-tool")
	if err != nil {
		return err
	}

	_, err = cmdrun.Run(ctx, cmdrun.Options{}, tool, "create", file,
		n.Tools.Schema(services.SchemaSwitch))
	if err != nil {
		_ = os.Remove(file)
		return fmt.Errorf("create the Open vSwitch database: %w", err)
	}

	return nil
}

// InitSwitch initialises the Open vSwitch database once its server runs.
func (n *Node) InitSwitch(ctx context.Context) error {
	_, err := n.Vsctl(ctx, "--no-wait", "init")
	if err != nil {
		return fmt.Errorf("initialise the Open vSwitch database: %w", err)
	}

	return nil
}

// ChassisSettings returns the external_ids of the Open_vSwitch row that make
// ovn-controller a chassis of this cluster.
func ChassisSettings(c services.Config) map[string]string {
	settings := map[string]string{
		"system-id":      c.Member,
		"hostname":       c.Member,
		"ovn-remote":     c.SBRemote(),
		"ovn-encap-type": "geneve",
		"ovn-encap-ip":   c.EncapIP.String(),
	}
	if c.Datapath == services.DatapathNetdev {
		settings["ovn-bridge-datapath-type"] = services.DatapathNetdev
	}

	return settings
}

// ConfigureChassis writes ChassisSettings into the local Open vSwitch database.
// ovn-controller picks up changed values, such as a new ovn-remote, while running.
func (n *Node) ConfigureChassis(ctx context.Context) error {
	args := []string{"set", "open_vswitch", "."}
	for key, value := range ChassisSettings(n.Config) {
		args = append(args, fmt.Sprintf("external_ids:%s=%q", key, value))
	}

	_, err := n.Vsctl(ctx, args...)
	if err != nil {
		return fmt.Errorf("configure the chassis: %w", err)
	}

	return nil
}

// ChassisRemote returns the ovn-remote the chassis is configured with, or "".
func (n *Node) ChassisRemote(ctx context.Context) string {
	out, err := n.Vsctl(ctx, "--if-exists", "get", "open_vswitch", ".",
		"external_ids:ovn-remote")
	if err != nil {
		return ""
	}

	return strings.Trim(strings.TrimSpace(out), `"`)
}

// WaitSBGlobal waits until northd has created the SB_Global row. ovn-controller
// 23.03 crashes when it connects to a Southbound that has no such row yet.
func (n *Node) WaitSBGlobal(ctx context.Context, limit time.Duration) error {
	tool, err := n.Tools.Path("ovn-sbctl")
	if err != nil {
		return err
	}

	l := n.Config.Layout
	args := []string{"--db=" + n.Config.SBRemote(), "--timeout=5", "--no-leader-only",
		"-p", l.Key("client"), "-c", l.Cert("client"), "-C", l.CACert(),
		"--bare", "--columns=_uuid", "list", "SB_Global"}
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		out, err := cmdrun.Run(ctx, cmdrun.Options{Timeout: 10 * time.Second}, tool, args...)
		if err == nil && strings.TrimSpace(out) != "" {
			return nil
		}

		last = err
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}

	if last != nil {
		return fmt.Errorf("the Southbound has no SB_Global row after %s: %w", limit, last)
	}

	return fmt.Errorf("the Southbound has no SB_Global row after %s", limit)
}

// DeleteChassis removes this member's chassis from the Southbound.
func (n *Node) DeleteChassis(ctx context.Context) error {
	tool, err := n.Tools.Path("ovn-sbctl")
	if err != nil {
		return err
	}

	l := n.Config.Layout
	_, err = cmdrun.Run(ctx, cmdrun.Options{Timeout: 15 * time.Second}, tool,
		"--db="+n.Config.SBRemote(), "--timeout=10",
		"-p", l.Key("client"), "-c", l.Cert("client"), "-C", l.CACert(),
		"--if-exists", "chassis-del", n.Config.Member)
	if err != nil {
		return fmt.Errorf("delete chassis %s from the Southbound: %w", n.Config.Member, err)
	}

	return nil
}

// DetectDatapath returns DatapathSystem when the openvswitch kernel module is
// loaded, and DatapathNetdev otherwise.
func DetectDatapath() string {
	if _, err := os.Stat("/sys/module/openvswitch"); err == nil {
		return services.DatapathSystem
	}

	return services.DatapathNetdev
}

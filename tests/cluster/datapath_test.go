package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// vmPort is a logical switch port backed by a network namespace, the "VM", whose
// eth0 is one end of a veth pair. The other end, named like the port, is a port of
// br-int on the port's host.
type vmPort struct {
	name string // logical port name, also the host end of the veth pair
	mac  string
	ip   string
	host *testbed.Host
	ns   string // namespace of the VM
}

// TestPingAcrossChassis connects two VMs on different chassis to one logical switch
// and pings between them, which only works through the Geneve tunnel between the
// two hosts' br-phy bridges.
func TestPingAcrossChassis(t *testing.T) {
	bed := newBed(t, 3, false)
	runner.FormCluster(t, bed.Hosts)

	e2e.Eventually(t, "three members converge", settleTimeout, func(r e2e.Reporter) {
		checkCluster(r, bed.Hosts, bed.Hosts)
	})

	h1, h3 := bed.Hosts[0], bed.Hosts[2]
	vms := []*vmPort{
		{name: "vm1", mac: "02:00:00:00:00:01", ip: "198.19.0.1", host: h1},
		{name: "vm2", mac: "02:00:00:00:00:02", ip: "198.19.0.2", host: h3},
	}

	runner.MustTool(t, h1, "ovn-nbctl", "--timeout=30", "ls-add", "sw-vms")
	for _, vm := range vms {
		vm.ns = bed.Prefix + "-" + vm.name
		runner.MustTool(t, h1, "ovn-nbctl", "--timeout=30", "lsp-add", "sw-vms", vm.name)
		runner.MustTool(t, h1, "ovn-nbctl", "--timeout=30", "lsp-set-addresses", vm.name,
			vm.mac+" "+vm.ip)
		plugVM(t, vm)
	}

	e2e.Eventually(t, "ports bound to their chassis", settleTimeout, func(r e2e.Reporter) {
		for _, vm := range vms {
			checkBinding(r, h1, vm)
		}
	})

	for i, vm := range vms {
		peer := vms[1-i].host
		remotes := runner.MustTool(t, vm.host, "ovs-vsctl", "--timeout=30", "--data=bare",
			"--no-headings", "--columns=options", "find", "interface", "type=geneve")
		if !strings.Contains(remotes, "remote_ip="+peer.EncapAddr.String()) {
			t.Errorf("br-int of %s has no Geneve tunnel to %s (%s): tunnel options %q",
				vm.host.Name, peer.Name, peer.EncapAddr, remotes)
		}
	}

	for i, from := range vms {
		to := vms[1-i]
		e2e.Eventually(t, "ping "+from.name+" to "+to.name, settleTimeout, func(r e2e.Reporter) {
			if err := pingFrom(from.ns, to.ip); err != nil {
				r.Errorf("ping %s (%s) from %s on %s: %v", to.ip, to.host.Name, from.name,
					from.host.Name, err)
			}
		})
	}
}

// plugVM creates the namespace of vm with eth0 set up, and plugs the host end of
// the veth pair into br-int of vm.host with the logical port name as iface-id. The
// namespace, and with it the veth pair, is deleted when the test ends.
func plugVM(t *testing.T, vm *vmPort) {
	t.Helper()

	mustIP(t, "netns", "add", vm.ns)
	t.Cleanup(func() {
		if err := runIP("netns", "del", vm.ns); err != nil {
			t.Errorf("delete namespace of %s: %v", vm.name, err)
		}
	})

	mustIP(t, "-n", vm.host.NS, "link", "add", vm.name, "mtu", "1400", "type", "veth",
		"peer", "name", "eth0", "netns", vm.ns)
	mustIP(t, "-n", vm.ns, "link", "set", "eth0", "address", vm.mac, "mtu", "1400", "up")
	mustIP(t, "-n", vm.ns, "addr", "add", vm.ip+"/24", "dev", "eth0")
	mustIP(t, "-n", vm.ns, "link", "set", "lo", "up")
	mustIP(t, "-n", vm.host.NS, "link", "set", vm.name, "up")

	runner.MustTool(t, vm.host, "ovs-vsctl", "--timeout=30", "add-port", "br-int", vm.name,
		"--", "set", "interface", vm.name, "external_ids:iface-id="+vm.name)
}

// checkBinding checks through the Southbound seen from h that the logical port of
// vm is up and bound to the chassis of its host.
func checkBinding(r e2e.Reporter, h *testbed.Host, vm *vmPort) {
	up, err := runner.Tool(h, "ovn-nbctl", "--timeout=30", "lsp-get-up", vm.name)
	if err != nil {
		r.Errorf("read state of port %s: %v", vm.name, err)
	} else if strings.TrimSpace(up) != "up" {
		r.Errorf("port %s is %q, want up", vm.name, strings.TrimSpace(up))
	}

	chassis, err := runner.Tool(h, "ovn-sbctl", "--timeout=30", "--data=bare", "--no-headings",
		"--columns=chassis", "find", "Port_Binding", "logical_port="+vm.name)
	if err != nil || strings.TrimSpace(chassis) == "" {
		r.Errorf("port %s is bound to no chassis (error %v)", vm.name, err)
		return
	}

	name, err := runner.Tool(h, "ovn-sbctl", "--timeout=30", "get", "Chassis",
		strings.TrimSpace(chassis), "name")
	if err != nil {
		r.Errorf("read chassis of port %s: %v", vm.name, err)
	} else if got := strings.Trim(strings.TrimSpace(name), `"`); got != vm.host.Name {
		r.Errorf("port %s is bound to chassis %s, want %s", vm.name, got, vm.host.Name)
	}
}

// pingFrom sends one ping to addr from namespace ns.
func pingFrom(ns, addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "ping", "-c", "1",
		"-W", "1", addr).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}

	return nil
}

// runIP runs the ip command with args.
func runIP(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err,
			strings.TrimSpace(string(out)))
	}

	return nil
}

// mustIP runs the ip command with args and stops the test when it fails.
func mustIP(t *testing.T, args ...string) {
	t.Helper()

	if err := runIP(args...); err != nil {
		t.Fatal(err)
	}
}

package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// netnsDir is where `ip netns add` mounts named namespaces.
const netnsDir = "/var/run/netns"

// ipTimeout bounds one run of the ip command.
const ipTimeout = 10 * time.Second

// runIP runs the ip command with args and returns an error that contains its output.
func runIP(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), ipTimeout)
	defer cancel()

	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w%s", strings.Join(args, " "), err, quoteOutput(out))
	}

	return nil
}

// quoteOutput returns the output of a failed command for an error message: empty
// when there is none, otherwise ": " and the output without surrounding space.
func quoteOutput(out []byte) string {
	text := strings.TrimSpace(string(out))
	if text == "" {
		return ""
	}

	return ": " + text
}

// addNamespace creates namespace name with loopback up and records it for Close.
func (b *Bed) addNamespace(name string) error {
	if err := runIP("netns", "add", name); err != nil {
		return fmt.Errorf("create namespace: %w", err)
	}

	b.namespaces = append(b.namespaces, name)
	if err := runIP("-n", name, "link", "set", "lo", "up"); err != nil {
		return fmt.Errorf("set loopback up: %w", err)
	}

	return nil
}

// buildFabric creates the fabric namespace with bridge br0. Multicast snooping is off
// so that the bridge floods every multicast frame, such as an IPv6 neighbour
// solicitation, to all ports whatever MLD state it has learned.
func (b *Bed) buildFabric() error {
	if err := b.addNamespace(b.Fabric); err != nil {
		return err
	}

	err := runIP("-n", b.Fabric, "link", "add", "name", "br0", "type", "bridge",
		"mcast_snooping", "0")
	if err != nil {
		return fmt.Errorf("create fabric bridge: %w", err)
	}

	if err := runIP("-n", b.Fabric, "link", "set", "br0", "up"); err != nil {
		return fmt.Errorf("set fabric bridge up: %w", err)
	}

	return nil
}

// buildHost creates the namespace of host, links eth0 and geneve0 to the fabric
// bridge, and puts the management address on eth0.
func (b *Bed) buildHost(host *Host) error {
	if err := b.addNamespace(host.NS); err != nil {
		return fmt.Errorf("build %s: %w", host.Name, err)
	}

	for _, link := range []string{"eth0", "geneve0"} {
		if err := b.addUplink(host, link); err != nil {
			return fmt.Errorf("build %s: %w", host.Name, err)
		}
	}

	if err := addAddress(host.NS, "eth0", host.Addr, b.IPv6); err != nil {
		return fmt.Errorf("build %s: %w", host.Name, err)
	}

	return nil
}

// addUplink creates a veth pair whose end named link sits in the host namespace and
// whose other end, named hN-link (at most 11 bytes), is a port of br0.
func (b *Bed) addUplink(host *Host, link string) error {
	peer := host.Name + "-" + link

	err := runIP("-n", b.Fabric, "link", "add", "name", peer, "type", "veth",
		"peer", "name", link, "netns", host.NS)
	if err != nil {
		return fmt.Errorf("create veth %s: %w", link, err)
	}

	if err := runIP("-n", b.Fabric, "link", "set", peer, "master", "br0", "up"); err != nil {
		return fmt.Errorf("attach veth %s to the fabric bridge: %w", peer, err)
	}

	if err := runIP("-n", host.NS, "link", "set", link, "up"); err != nil {
		return fmt.Errorf("set veth %s up: %w", link, err)
	}

	return nil
}

// addAddress puts addr on dev in namespace ns, as a /64 with duplicate address
// detection off for IPv6 (a tentative address cannot be bound) or as a /24 for IPv4.
// An address that is already there is kept.
func addAddress(ns, dev string, addr net.IP, ipv6 bool) error {
	args := []string{"-n", ns, "addr", "replace"}
	if ipv6 {
		args = append(args, addr.String()+"/64", "dev", dev, "nodad")
	} else {
		args = append(args, addr.String()+"/24", "dev", dev)
	}

	if err := runIP(args...); err != nil {
		return fmt.Errorf("add address %s to %s: %w", addr, dev, err)
	}

	return nil
}

// deleteNamespace deletes namespace name unless it is already gone. Deleting it also
// deletes the veth links inside it, once no process uses the namespace any more.
func deleteNamespace(name string) error {
	if _, err := os.Stat(filepath.Join(netnsDir, name)); errors.Is(err, os.ErrNotExist) {
		return nil
	}

	if err := runIP("netns", "del", name); err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}

	return nil
}

// listNamespaces returns the sorted names of the namespaces that start with prefix
// followed by "-".
func listNamespaces(prefix string) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}

	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}

	var names []string
	for _, entry := range entries {
		if strings.HasPrefix(entry.Name(), prefix+"-") {
			names = append(names, entry.Name())
		}
	}

	sort.Strings(names)

	return names, nil
}

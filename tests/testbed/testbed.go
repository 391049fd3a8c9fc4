// Package testbed builds a multi-host MicroOVN test bed on one machine.
//
// Every host is a network namespace with its own MicroOVN root folder. A separate
// namespace holds the Linux bridge br0 that joins all hosts, so nothing touches the
// machine's own interfaces or routes. Each host has two veth links to that bridge:
// eth0 carries the management address, and geneve0 has no address because it becomes
// a port of the OVS netdev bridge br-phy that holds the Geneve underlay address
// (see Host.SetupUnderlay).
//
// The package only runs programs (ip, microovnd, microovn, ovs-vsctl, ovs-appctl), so
// it needs root and iproute2 but no cgo. It kills only processes whose command line
// names the bed's own folder, and deletes only the namespaces and folder it created.
package testbed

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

// MaxHosts is the largest number of hosts in one bed.
const MaxHosts = 30

// maxDirLen bounds the length of Bed.Dir. A unix socket path holds at most 107 bytes,
// and the longest socket expected under a host root is about
// "/h30/run/ovn/ovn-controller.4194304.ctl" (39 bytes).
//
// NOTE: the socket names under run/ come from microovnd. A daemon that picks longer
// names needs a smaller limit here.
const maxDirLen = 60

// validPrefix is the syntax of Options.Prefix.
var validPrefix = regexp.MustCompile(`^[A-Za-z0-9_]{1,20}$`)

// Options selects the shape of a bed.
type Options struct {
	// Hosts is the number of hosts, 1 to MaxHosts.
	Hosts int
	// IPv6 gives hosts 2001:db8::N/64 and 2001:db8:1::N/64 in place of 198.18.0.N/24
	// and 198.18.1.N/24.
	IPv6 bool
	// Bin is the folder that contains the built microovnd and microovn binaries.
	Bin string
	// Prefix starts every namespace name of the bed. The default is "mo" followed by
	// four random hexadecimal digits. Letters, digits and "_" only, at most 20.
	Prefix string
	// Parent is the folder in which Dir is created. The default is os.TempDir().
	Parent string
	// ExtraArgs are appended to the microovnd command line of every host, for
	// example "--heartbeat-interval=1s".
	ExtraArgs []string
}

// Bed is a running test bed: a fabric namespace with bridge br0 and one namespace
// per host.
type Bed struct {
	// Hosts lists the hosts in order, so Hosts[0] is h1.
	Hosts []*Host
	// Dir is the temporary folder that contains every host root.
	Dir string
	// Prefix starts every namespace name of the bed.
	Prefix string
	// Fabric is the namespace that holds bridge br0.
	Fabric string
	// IPv6 is true when hosts have IPv6 addresses.
	IPv6 bool

	bin        string
	extraArgs  []string // appended to every microovnd command line
	namespaces []string // namespaces this bed created, in creation order

	mu     sync.Mutex
	closed bool
}

// New builds a bed as opts describes. When a step fails, New undoes everything it
// made before returning the error.
func New(opts Options) (*Bed, error) {
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}

	leftovers, err := listNamespaces(opts.Prefix)
	if err != nil {
		return nil, err
	}

	if len(leftovers) > 0 {
		return nil, fmt.Errorf("namespaces with prefix %q already exist (%v): "+
			"choose another prefix or delete them", opts.Prefix, leftovers)
	}

	dir, err := os.MkdirTemp(opts.Parent, "testbed-"+opts.Prefix+"-")
	if err != nil {
		return nil, fmt.Errorf("create test bed folder: %w", err)
	}

	bed := &Bed{
		Dir:       dir,
		Prefix:    opts.Prefix,
		Fabric:    opts.Prefix + "-fab",
		IPv6:      opts.IPv6,
		bin:       opts.Bin,
		extraArgs: opts.ExtraArgs,
	}
	CleanupOnSignal(bed)

	if err := bed.build(opts.Hosts); err != nil {
		return nil, errors.Join(err, bed.Close())
	}

	return bed, nil
}

// Start builds a bed for a test, closes it when the test ends, and stops the test
// when the bed cannot be built.
func Start(t testing.TB, opts Options) *Bed {
	t.Helper()

	bed, err := New(opts)
	if err != nil {
		t.Fatalf("build test bed: %v", err)
	}

	t.Cleanup(func() {
		if err := bed.Close(); err != nil {
			t.Errorf("close test bed: %v", err)
		}
	})

	return bed
}

// checkOptions validates opts and fills in the defaults.
func checkOptions(opts *Options) error {
	if opts.Hosts < 1 || opts.Hosts > MaxHosts {
		return fmt.Errorf("invalid number of hosts %d: use 1 to %d", opts.Hosts, MaxHosts)
	}

	if opts.Bin == "" {
		return errors.New("missing Bin: name the folder with microovnd and microovn")
	}

	bin, err := filepath.Abs(opts.Bin)
	if err != nil {
		return fmt.Errorf("resolve Bin folder %q: %w", opts.Bin, err)
	}

	opts.Bin = bin
	for _, name := range []string{"microovnd", "microovn"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return fmt.Errorf("check binary %s in Bin folder: %w", name, err)
		}
	}

	if opts.Prefix == "" {
		suffix := make([]byte, 2)
		if _, err := rand.Read(suffix); err != nil {
			return fmt.Errorf("choose namespace prefix: %w", err)
		}

		opts.Prefix = "mo" + hex.EncodeToString(suffix)
	}

	if !validPrefix.MatchString(opts.Prefix) {
		return fmt.Errorf("invalid prefix %q: use 1 to 20 letters, digits or _", opts.Prefix)
	}

	parent := opts.Parent
	if parent == "" {
		parent = os.TempDir()
	}

	// MkdirTemp appends the prefix and up to 20 more bytes to the parent folder.
	if len(parent)+len("/testbed-")+len(opts.Prefix)+21 > maxDirLen {
		return fmt.Errorf("parent folder %q is too long for unix socket paths: "+
			"set TMPDIR or Parent to a folder of at most %d bytes",
			parent, maxDirLen-len("/testbed-")-len(opts.Prefix)-21)
	}

	return nil
}

// build makes the fabric and every host.
func (b *Bed) build(hosts int) error {
	if err := b.buildFabric(); err != nil {
		return err
	}

	for i := 1; i <= hosts; i++ {
		host := b.newHost(i)
		b.Hosts = append(b.Hosts, host)

		if err := os.MkdirAll(host.Root, 0o755); err != nil {
			return fmt.Errorf("create root of %s: %w", host.Name, err)
		}

		if err := b.buildHost(host); err != nil {
			return err
		}
	}

	return nil
}

// newHost returns host number index with its names and addresses but builds nothing.
func (b *Bed) newHost(index int) *Host {
	name := fmt.Sprintf("h%d", index)
	host := &Host{
		Index:     index,
		Name:      name,
		NS:        b.Prefix + "-" + name,
		Root:      filepath.Join(b.Dir, name),
		bin:       b.bin,
		ipv6:      b.IPv6,
		extraArgs: b.extraArgs,
	}

	if b.IPv6 {
		// The host number is written in decimal digits, so h12 gets 2001:db8::12.
		host.Addr = net.ParseIP(fmt.Sprintf("2001:db8::%d", index))
		host.EncapAddr = net.ParseIP(fmt.Sprintf("2001:db8:1::%d", index))
	} else {
		host.Addr = net.IPv4(198, 18, 0, byte(index)).To4()
		host.EncapAddr = net.IPv4(198, 18, 1, byte(index)).To4()
	}

	return host
}

// Close kills the bed's processes, deletes its namespaces and removes Dir. It also
// works on a bed that was only partly built, and calls after the first return nil.
func (b *Bed) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()

	if b.closed {
		return nil
	}

	b.closed = true
	defer forget(b)

	err := b.stopProcesses()

	for i := len(b.namespaces) - 1; i >= 0; i-- {
		if delErr := deleteNamespace(b.namespaces[i]); delErr != nil {
			err = errors.Join(err, delErr)
		}
	}

	if rmErr := os.RemoveAll(b.Dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("remove test bed folder: %w", rmErr))
	}

	return err
}

// Leftovers lists the namespaces whose names start with prefix followed by "-", as
// every namespace of a bed with that prefix does. When the namespace list cannot be
// read, the result contains one entry that describes the error, so that a check for
// an empty result fails.
func Leftovers(prefix string) []string {
	names, err := listNamespaces(prefix)
	if err != nil {
		return []string{"(" + err.Error() + ")"}
	}

	return names
}

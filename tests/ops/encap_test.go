package ops

import (
	"slices"
	"strings"
	"testing"

	"github.com/microovn/microovn/tests/e2e"
)

func TestCustomEncapIPRegistered(t *testing.T) {
	bed := newBed(t, 2)
	h1, h2 := bed.Hosts[0], bed.Hosts[1]
	runner.FormCluster(t, bed.Hosts)

	if h2.EncapAddr.Equal(h2.Addr) {
		t.Fatalf("h2 has encap address %s equal to its address, so the test proves nothing",
			h2.EncapAddr)
	}

	e2e.Eventually(t, "both chassis register their encap IP", settleTimeout, func(p e2e.Reporter) {
		for _, h := range bed.Hosts {
			encap, err := readEncapIP(h1, h.Name)
			if err != nil {
				p.Errorf("read encap of chassis %s: %v", h.Name, err)
			} else if encap != h.EncapAddr.String() {
				p.Errorf("chassis %s has encap IP %q, want %s (its address is %s)", h.Name,
					encap, h.EncapAddr, h.Addr)
			}
		}
	})

	// The Southbound of h2 is read from h2 too: both members see one database.
	encap, err := readEncapIP(h2, h2.Name)
	if err != nil {
		t.Fatal(err)
	}

	if encap != h2.EncapAddr.String() {
		t.Errorf("chassis h2 read on h2 has encap IP %q, want %s", encap, h2.EncapAddr)
	}

	setting := runner.MustTool(t, h2, "ovs-vsctl", "get", "open_vswitch", ".",
		"external_ids:ovn-encap-ip")
	if got := strings.Trim(strings.TrimSpace(setting), `"`); got != h2.EncapAddr.String() {
		t.Errorf("ovn-encap-ip of h2 is %q, want %s", got, h2.EncapAddr)
	}

	// ovn-controller of h2 points its Geneve tunnel at the encap IP of h1.
	e2e.Eventually(t, "h2 has a Geneve tunnel to the encap IP of h1", settleTimeout,
		func(p e2e.Reporter) {
			out, err := runner.Tool(h2, "ovs-vsctl", "--bare", "--columns=options", "find",
				"Interface", "type=geneve")
			if err != nil {
				p.Errorf("list Geneve interfaces of h2: %v", err)
			} else if !slices.Contains(strings.Fields(out), "remote_ip="+h1.EncapAddr.String()) {
				p.Errorf("Geneve interfaces of h2 have options %q, want remote_ip=%s",
					strings.TrimSpace(out), h1.EncapAddr)
			}
		})

	status, err := runner.ReadStatus(h1)
	if err != nil {
		t.Fatal(err)
	}

	for _, h := range bed.Hosts {
		found := ""
		for _, c := range status.Chassis.Registered {
			if c.Name == h.Name {
				found = c.EncapIP
			}
		}

		if found != h.EncapAddr.String() {
			t.Errorf("status shows chassis %s with encap IP %q, want %s", h.Name, found,
				h.EncapAddr)
		}
	}
}

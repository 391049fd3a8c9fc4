package certs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// restartTimeout bounds the wait for a restarted process to record its new pid.
const restartTimeout = 30 * time.Second

// testReissueOne reissues the Southbound certificate of h1 and checks that only it
// and only ovnsb_db changed, and that the Southbound still serves.
func testReissueOne(t *testing.T, c *cluster) {
	h := c.hosts[0]
	before := serials(h)
	pidsBefore := h.Pids()

	out, err := runner.MicroOVN(h, "certificates", "reissue", "ovnsb")
	if err != nil {
		t.Fatalf("reissue ovnsb: %v\n%s", err, out)
	}

	if strings.TrimSpace(out) != "ovnsb: issued" {
		t.Errorf("reissue ovnsb printed %q, want \"ovnsb: issued\"", out)
	}

	after := serials(h)
	if after["ovnsb"] == before["ovnsb"] {
		t.Errorf("ovnsb serial still %s after reissue", before["ovnsb"])
	}

	for _, name := range serviceNames {
		if name != "ovnsb" && after[name] != before[name] {
			t.Errorf("%s serial changed from %s to %s by reissue ovnsb", name, before[name],
				after[name])
		}
	}

	waitNewPid(t, h, "ovnsb_db", pidsBefore["ovnsb_db"])

	pidsAfter := h.Pids()
	for name, pid := range pidsBefore {
		if name != "ovnsb_db" && pidsAfter[name] != pid {
			t.Errorf("process %s changed from pid %d to %d by reissue ovnsb", name, pid,
				pidsAfter[name])
		}
	}

	out, err = runner.Tool(h, "ovn-sbctl", "--timeout=20", "show")
	if err != nil {
		t.Errorf("Southbound unreachable after reissue ovnsb: %v\n%s", err, out)
	}
}

// waitNewPid waits until process name of h runs with a pid other than old.
func waitNewPid(t *testing.T, h *testbed.Host, name string, old int) {
	t.Helper()

	e2e.WaitFor(t, fmt.Sprintf("%s restarted on %s", name, h.Name), restartTimeout,
		func() (bool, string) {
			pid := h.Pids()[name]
			return pid != 0 && pid != old, fmt.Sprintf("pid %d, was %d", pid, old)
		})
}

// testReissueAll reissues every certificate of h2 and checks that every serial
// changed and every process that presents one restarted.
func testReissueAll(t *testing.T, c *cluster) {
	h := c.hosts[1]
	before := serials(h)
	pidsBefore := h.Pids()

	out, err := runner.MicroOVN(h, "certificates", "reissue", "all")
	if err != nil {
		t.Fatalf("reissue all: %v\n%s", err, out)
	}

	after := serials(h)
	for _, name := range serviceNames {
		if !strings.Contains(out, name+": issued\n") {
			t.Errorf("reissue all output lacks %q:\n%s", name+": issued", out)
		}

		if after[name] == before[name] {
			t.Errorf("%s serial still %s after reissue all", name, before[name])
		}

		if process := processOf[name]; process != "" {
			waitNewPid(t, h, process, pidsBefore[process])
		}
	}

	c.waitHealthy(90 * time.Second)
}

// testReissueInvalid checks that reissue without a name and with an unknown name
// fails with a message that lists the valid names.
func testReissueInvalid(t *testing.T, c *cluster) {
	h := c.hosts[0]
	before := serials(h)

	out, err := runner.MicroOVN(h, "certificates", "reissue")
	if err == nil {
		t.Errorf("reissue without a name succeeded:\n%s", out)
	}

	for _, want := range []string{"Usage:", "give one certificate name"} {
		if !strings.Contains(out, want) {
			t.Errorf("reissue without a name: output lacks %q:\n%s", want, out)
		}
	}

	out, err = runner.MicroOVN(h, "certificates", "reissue", "bogus")
	if err == nil {
		t.Errorf("reissue bogus succeeded:\n%s", out)
	}

	if !strings.Contains(out, `unknown certificate "bogus"`) {
		t.Errorf("reissue bogus: output lacks the rejected name:\n%s", out)
	}

	for _, name := range serviceNames {
		if !strings.Contains(out, name) {
			t.Errorf("reissue bogus: output lacks valid name %q:\n%s", name, out)
		}
	}

	after := serials(h)
	for _, name := range serviceNames {
		if after[name] != before[name] {
			t.Errorf("%s serial changed from %s to %s by a rejected reissue", name,
				before[name], after[name])
		}
	}
}

// testReissueChassisOnly joins h4, which becomes a chassis-only member because three
// members already run central, and checks that it rejects reissuing a central
// certificate while it reissues its chassis certificate.
func testReissueChassisOnly(t *testing.T, c *cluster) {
	h := c.bed.Hosts[3]
	c.join(h)
	c.waitHealthy(2 * time.Minute)

	reports, err := c.listCertificates(h)
	if err != nil {
		t.Fatalf("%s: %v", h.Name, err)
	}

	var names []string
	for _, r := range reports {
		names = append(names, r.Name)
	}

	if strings.Join(names, ",") != "ca,client,ovn-controller" {
		t.Errorf("%s lists certificates %v, want [ca client ovn-controller]", h.Name, names)
	}

	out, err := runner.MicroOVN(h, "certificates", "reissue", "ovnnb")
	if err == nil {
		t.Errorf("reissue ovnnb on chassis-only %s succeeded:\n%s", h.Name, out)
	}

	for _, want := range []string{`"ovnnb"`, "service not enabled on this member"} {
		if !strings.Contains(out, want) {
			t.Errorf("reissue ovnnb on %s: output lacks %q:\n%s", h.Name, want, out)
		}
	}

	oldSerial := serialOf(certPath(h, "ovn-controller"))
	out, err = runner.MicroOVN(h, "certificates", "reissue", "ovn-controller")
	if err != nil {
		t.Fatalf("reissue ovn-controller on %s: %v\n%s", h.Name, err, out)
	}

	if got := serialOf(certPath(h, "ovn-controller")); got == oldSerial {
		t.Errorf("ovn-controller serial on %s still %s after reissue", h.Name, got)
	}
}

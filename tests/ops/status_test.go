package ops

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// statusLimit is the longest `microovn status` may take while a member is down. The
// daemon bounds each probe at 1.5 s (microovn/daemon/status.go), so this is generous.
const statusLimit = 10 * time.Second

// timedStatus runs `microovn status` on h in format and returns its output and how
// long it took.
func timedStatus(t *testing.T, h *testbed.Host, format string) (string, time.Duration) {
	t.Helper()

	start := time.Now()
	out := runner.MustMicroOVN(t, h, "status", "--format", format)

	return out, time.Since(start)
}

// wantLines fails the test for each part that text lacks.
func wantLines(t *testing.T, what, text string, parts ...string) {
	t.Helper()

	for _, part := range parts {
		if !strings.Contains(text, part) {
			t.Errorf("%s lacks %q:\n%s", what, part, text)
		}
	}
}

// findMember returns member name of status, or a value with only the name when
// status lacks it.
func findMember(status types.Status, name string) types.MemberStatus {
	for _, m := range status.Members {
		if m.Name == name {
			return m
		}
	}

	return types.MemberStatus{Name: name}
}

// serverRoles returns the Raft role of each member in db.
func serverRoles(db types.DatabaseStatus) map[string]string {
	roles := map[string]string{}
	for _, server := range db.Servers {
		roles[server.Member] = server.Role
	}

	return roles
}

func TestStatusShowsKilledMember(t *testing.T) {
	bed := newBed(t, 3)
	h1, h3 := bed.Hosts[0], bed.Hosts[2]
	runner.FormCluster(t, bed.Hosts)

	e2e.Eventually(t, "status shows a healthy cluster", settleTimeout, func(p e2e.Reporter) {
		status, err := runner.ReadStatus(h1)
		if err != nil {
			p.Errorf("%v", err)
			return
		}

		for _, db := range status.Databases {
			if db.Leader == "" || len(db.Servers) != 3 {
				p.Errorf("%s has leader %q and %d servers, want a leader and 3", db.Name,
					db.Leader, len(db.Servers))
			}
		}

		if len(status.Chassis.Registered) != 3 {
			p.Errorf("status shows %d registered chassis, want 3: %+v",
				len(status.Chassis.Registered), status.Chassis.Registered)
		}
	})

	t.Run("healthy", func(t *testing.T) {
		text, took := timedStatus(t, h1, "text")
		t.Logf("status of a healthy cluster took %v", took)

		var parts []string
		for _, h := range bed.Hosts {
			parts = append(parts, fmt.Sprintf("- %s (%s) ONLINE", h.Name, h.Addr),
				fmt.Sprintf("- %s: encap %s", h.Name, h.EncapAddr))
		}

		parts = append(parts, "MicroOVN deployment summary:", "OVN Northbound: OK (schema",
			"OVN Southbound: OK (schema", "OVN Northd summary:", "OVN Chassis summary:")
		wantLines(t, "status text", text, parts...)

		if strings.Contains(text, "MISSING") || strings.Contains(text, "unreachable") {
			t.Errorf("status text of a healthy cluster reports a problem:\n%s", text)
		}

		out, _ := timedStatus(t, h1, "json")
		var status types.Status
		if err := json.Unmarshal([]byte(out), &status); err != nil {
			t.Fatalf("decode status JSON: %v: %q", err, out)
		}

		for _, h := range bed.Hosts {
			if m := findMember(status, h.Name); m.Status != "ONLINE" {
				t.Errorf("status JSON shows %s %q, want ONLINE", h.Name, m.Status)
			}
		}

		active := 0
		for _, n := range status.Northd {
			if n.State == "active" {
				active++
			}
		}

		if active != 1 {
			t.Errorf("status JSON shows %d active northd, want 1: %+v", active, status.Northd)
		}

		if len(status.Chassis.Missing) > 0 {
			t.Errorf("status JSON shows missing chassis %v, want none", status.Chassis.Missing)
		}
	})

	if err := h3.KillAll(); err != nil {
		t.Fatal(err)
	}

	t.Run("killed member", func(t *testing.T) {
		checkDownMember(t, h1, h3)
	})

	// A member that drops every packet makes each probe wait for its time limit, in
	// place of the immediate refusal of a host without listeners.
	if _, err := h3.Run(t.Context(), "ip", "link", "set", "eth0", "down"); err != nil {
		t.Fatal(err)
	}

	t.Run("unreachable member", func(t *testing.T) {
		checkDownMember(t, h1, h3)
	})
}

// checkDownMember checks that `microovn status` on h returns quickly in text and JSON
// and shows member down OFFLINE with its database servers and northd unreachable,
// while the other members keep both databases with a leader.
func checkDownMember(t *testing.T, h, down *testbed.Host) {
	t.Helper()

	text, took := timedStatus(t, h, "text")
	t.Logf("status text with %s down took %v", down.Name, took)
	if took > statusLimit {
		t.Errorf("status text with %s down took %v, want at most %v", down.Name, took,
			statusLimit)
	}

	wantLines(t, "status text", text,
		fmt.Sprintf("- %s (%s) OFFLINE", down.Name, down.Addr),
		fmt.Sprintf("- %s ssl:%s:%d: unreachable", down.Name, down.Addr, e2e.Northbound.RaftPort),
		fmt.Sprintf("- %s ssl:%s:%d: unreachable", down.Name, down.Addr, e2e.Southbound.RaftPort),
		fmt.Sprintf("- %s: unreachable", down.Name))

	out, took := timedStatus(t, h, "json")
	if took > statusLimit {
		t.Errorf("status JSON with %s down took %v, want at most %v", down.Name, took,
			statusLimit)
	}

	var status types.Status
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		t.Fatalf("decode status JSON: %v: %q", err, out)
	}

	for _, m := range status.Members {
		want := "ONLINE"
		if m.Name == down.Name {
			want = "OFFLINE"
		}

		if m.Status != want {
			t.Errorf("status JSON shows %s %s, want %s", m.Name, m.Status, want)
		}
	}

	for _, db := range status.Databases {
		roles := serverRoles(db)
		if roles[down.Name] != "unreachable" {
			t.Errorf("status JSON shows the %s server of %s as %q, want unreachable",
				db.Name, down.Name, roles[down.Name])
		}

		if !db.Reachable {
			t.Errorf("status JSON shows %s unreachable (%s), want it served by the others",
				db.Name, db.Error)
		}
	}

	for _, n := range status.Northd {
		if n.Member == down.Name && n.State != "unreachable" {
			t.Errorf("status JSON shows northd of %s %q, want unreachable", down.Name, n.State)
		}
	}

	e2e.Eventually(t, "the remaining members keep a leader", settleTimeout, func(p e2e.Reporter) {
		status, err := runner.ReadStatus(h)
		if err != nil {
			p.Errorf("%v", err)
			return
		}

		for _, db := range status.Databases {
			if db.Leader == "" || db.Leader == down.Name {
				p.Errorf("status shows %s with leader %q, want one of the live members",
					db.Name, db.Leader)
			}
		}
	})
}

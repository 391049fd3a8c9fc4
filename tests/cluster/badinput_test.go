package cluster

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// rollbackTimeout bounds the wait for a failed join to be undone. The joiner's
// Southbound waits 60 s for its Raft join before it gives up.
const rollbackTimeout = 3 * time.Minute

// clusterView is what a rejected request must leave unchanged.
type clusterView struct {
	members  []string            // names from `cluster list`
	services map[string][]string // services of each member from `status`
	servers  map[string][]string // Raft server addresses of each database from `status`
}

// readView reads the clusterView from `cluster list` and `status` on member h.
func readView(h *testbed.Host) (clusterView, error) {
	view := clusterView{services: map[string][]string{}, servers: map[string][]string{}}

	members, err := memberNames(h)
	if err != nil {
		return view, err
	}

	view.members = members

	status, err := runner.ReadStatus(h)
	if err != nil {
		return view, err
	}

	for _, m := range status.Members {
		view.services[m.Name] = m.Services
	}

	for _, db := range status.Databases {
		var addresses []string
		for _, srv := range db.Servers {
			addresses = append(addresses, srv.Address)
		}

		slices.Sort(addresses)
		view.servers[db.Name] = addresses
	}

	return view, nil
}

// checkView checks that the clusterView that h shows equals want.
func checkView(r e2e.Reporter, h *testbed.Host, want clusterView) {
	got, err := readView(h)
	if err != nil {
		r.Errorf("read the cluster on %s: %v", h.Name, err)
		return
	}

	if !slices.Equal(got.members, want.members) {
		r.Errorf("cluster list on %s shows %v, want %v", h.Name, got.members, want.members)
	}

	for name, services := range want.services {
		if !slices.Equal(got.services[name], services) {
			r.Errorf("status on %s shows services %v on %s, want %v", h.Name,
				got.services[name], name, services)
		}
	}

	for name := range got.services {
		if _, known := want.services[name]; !known {
			r.Errorf("status on %s shows unexpected member %s", h.Name, name)
		}
	}

	for _, db := range e2e.Databases {
		if !slices.Equal(got.servers[db.Name], want.servers[db.Name]) {
			r.Errorf("status on %s shows %s servers %v, want %v", h.Name, db.Name,
				got.servers[db.Name], want.servers[db.Name])
		}
	}
}

// expectRejected checks that a command failed with an error that contains text.
func expectRejected(t *testing.T, action string, err error, text string) {
	t.Helper()

	if err == nil {
		t.Fatalf("%s succeeded, want an error with %q", action, text)
	}

	t.Logf("%s failed as expected: %v", action, err)

	if !strings.Contains(err.Error(), text) {
		t.Errorf("%s failed with %q, want an error with %q", action, err, text)
	}
}

// checkNothingChanged waits until member h shows want again, and until outsider
// runs no OVN process and its daemon takes commands.
func checkNothingChanged(t *testing.T, h *testbed.Host, want clusterView,
	outsider *testbed.Host) {
	t.Helper()

	e2e.Eventually(t, "cluster unchanged", rollbackTimeout, func(r e2e.Reporter) {
		checkView(r, h, want)
	})

	e2e.Eventually(t, outsider.Name+" keeps no OVN process", rollbackTimeout, func(r e2e.Reporter) {
		procs, err := ovnProcesses(outsider)
		if err != nil {
			r.Errorf("list processes of %s: %v", outsider.Name, err)
		} else if len(procs) > 0 {
			r.Errorf("%s still runs %v", outsider.Name, procs)
		}
	})

	// A join that fails after the token was accepted restarts microovnd.
	if _, err := runner.MicroOVN(outsider, "waitready", "--timeout", "60"); err != nil {
		t.Fatalf("microovnd of %s is not ready after the rejected request: %v",
			outsider.Name, err)
	}
}

// TestBadInputLeavesClusterUnchanged sends requests that must fail, each with its
// own error, and checks after each that the cluster is unchanged and that the
// node that failed can still join with a valid token.
func TestBadInputLeavesClusterUnchanged(t *testing.T) {
	bed := newBed(t, 4, false)
	h1, h2, h3, h4 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2], bed.Hosts[3]

	runner.Bootstrap(t, h1)
	runner.Join(t, h1, h2)

	e2e.Eventually(t, "two members converge", settleTimeout, func(r e2e.Reporter) {
		checkCluster(r, []*testbed.Host{h1, h2}, []*testbed.Host{h1, h2})
	})

	before, err := readView(h1)
	if err != nil {
		t.Fatal(err)
	}

	step(t, "garbage token", func(t *testing.T) {
		// Valid base64 of "not a token", so only the decoded content is wrong.
		_, err := runner.TryJoin(h3, "bm90IGEgdG9rZW4K", h3.Name)
		expectRejected(t, "join with a garbage token", err, "invalid join token")
		checkNothingChanged(t, h1, before, h3)
	})

	step(t, "expired token", func(t *testing.T) {
		token := runner.IssueToken(t, h1, h3.Name, "--timeout", "1s")
		// The token must be past its lifetime, which no condition shows but the clock.
		time.Sleep(2 * time.Second)

		_, err := runner.TryJoin(h3, token, h3.Name)
		expectRejected(t, "join with an expired token", err, "expired")
		checkNothingChanged(t, h1, before, h3)
	})

	// The client rejects the cut token before sending it anywhere, so token3 stays
	// valid for the Raft failure below.
	var token3 string
	step(t, "truncated token", func(t *testing.T) {
		token3 = runner.IssueToken(t, h1, h3.Name)

		_, err := runner.TryJoin(h3, token3[:len(token3)/2], h3.Name)
		expectRejected(t, "join with a truncated token", err, "invalid join token")
		checkNothingChanged(t, h1, before, h3)
	})

	// A member rejects token4 without consuming it when another name presents it,
	// so h4 joins with it in the last step.
	var token4 string
	step(t, "token of another name", func(t *testing.T) {
		token4 = runner.IssueToken(t, h1, h4.Name)

		_, err := runner.TryJoin(h3, token4, h3.Name)
		expectRejected(t, "join of h3 with the token of h4", err, "issued for another name")
		checkNothingChanged(t, h1, before, h3)
	})

	// With only the Southbound Raft port blocked, h3 joins the Northbound Raft
	// cluster first and then fails, so the rollback must take it out of there again.
	// The cluster port 6686 and the database client ports stay reachable.
	step(t, "Southbound Raft join fails", func(t *testing.T) {
		blockRaft(t, h3, e2e.Southbound.RaftPort)

		_, err := runner.TryJoin(h3, token3, h3.Name)
		expectRejected(t, "join of h3 without Southbound Raft", err, e2e.Southbound.Name)
		checkNothingChanged(t, h1, before, h3)

		e2e.Eventually(t, "Raft servers and chassis of h1 and h2 only", rollbackTimeout,
			func(r e2e.Reporter) {
				checkRaft(r, []*testbed.Host{h1, h2})
				checkChassis(r, h1, []*testbed.Host{h1, h2})
			})
	})

	// This token is used once by h3 and then presented again by h4.
	var token3Fresh string
	step(t, "fresh token after rollback", func(t *testing.T) {
		unblockRaft(t, h3, e2e.Southbound.RaftPort)
		token3Fresh = runner.IssueToken(t, h1, h3.Name)

		if _, err := runner.TryJoin(h3, token3Fresh, h3.Name); err != nil {
			t.Fatal(err)
		}

		runner.SetupUnderlay(t, h3)

		e2e.Eventually(t, "three members converge", settleTimeout, func(r e2e.Reporter) {
			checkCluster(r, []*testbed.Host{h1, h2, h3}, []*testbed.Host{h1, h2, h3})
		})
	})

	after, err := readView(h1)
	if err != nil {
		t.Fatal(err)
	}

	step(t, "token used twice", func(t *testing.T) {
		_, err := runner.TryJoin(h4, token3Fresh, h4.Name)
		expectRejected(t, "join of h4 with the token h3 used", err, "already used")
		checkNothingChanged(t, h1, after, h4)
	})

	step(t, "add existing name", func(t *testing.T) {
		_, err := runner.MicroOVN(h1, "cluster", "add", h2.Name)
		expectRejected(t, "cluster add h2", err, "already a cluster member")
		checkNothingChanged(t, h1, after, h4)
	})

	step(t, "join on a member", func(t *testing.T) {
		// The rejection must not consume token4, which h4 uses next.
		_, err := runner.TryJoin(h2, token4, h2.Name)
		expectRejected(t, "join on member h2", err, "already a cluster member")
		checkNothingChanged(t, h1, after, h4)
	})

	step(t, "remove unknown name", func(t *testing.T) {
		_, err := runner.MicroOVN(h1, "cluster", "remove", "nosuch")
		expectRejected(t, "cluster remove nosuch", err, "no cluster member is called")
		checkNothingChanged(t, h1, after, h4)
	})

	step(t, "valid token after rejections", func(t *testing.T) {
		if _, err := runner.TryJoin(h4, token4, h4.Name); err != nil {
			t.Fatal(err)
		}

		runner.SetupUnderlay(t, h4)

		e2e.Eventually(t, "four members converge", settleTimeout, func(r e2e.Reporter) {
			checkCluster(r, bed.Hosts, []*testbed.Host{h1, h2, h3})
		})
	})
}

// blockRaft makes TCP connections of h to or from port fail, as a firewall would,
// with policy rules in the namespace of h. The rules stay until unblockRaft or the
// end of the (sub)test t.
func blockRaft(t *testing.T, h *testbed.Host, port int) {
	t.Helper()

	for _, rule := range raftRules(port) {
		mustIP(t, append([]string{"-n", h.NS, familyOf(h), "rule", "add"}, rule...)...)
	}

	t.Cleanup(func() { unblockRaft(t, h, port) })
}

// unblockRaft deletes the rules of blockRaft. Rules already gone are no error.
func unblockRaft(t *testing.T, h *testbed.Host, port int) {
	t.Helper()

	for _, rule := range raftRules(port) {
		for range 3 {
			args := append([]string{"-n", h.NS, familyOf(h), "rule", "del"}, rule...)
			if runIP(args...) != nil {
				break
			}
		}
	}
}

// raftRules returns the policy rules that reject TCP to and from port.
func raftRules(port int) [][]string {
	p := strconv.Itoa(port)

	return [][]string{
		{"ipproto", "tcp", "dport", p, "prohibit"},
		{"ipproto", "tcp", "sport", p, "prohibit"},
	}
}

// familyOf returns the ip option that selects the address family of h.
func familyOf(h *testbed.Host) string {
	if h.Addr.To4() == nil {
		return "-6"
	}

	return "-4"
}

package cluster

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// commandTimeout bounds one run of microovn or of a wrapped tool.
	commandTimeout = 2 * time.Minute
	// settleTimeout bounds the wait for every member to apply a membership change.
	// The reconcile loop runs every 3 s, and a Raft join or leave adds a few seconds.
	settleTimeout = 90 * time.Second
	// heartbeatArg makes microcluster promote new members from PENDING within about
	// a second instead of ten, so that they can be removed soon after joining.
	heartbeatArg = "--heartbeat-interval=1s"
)

// runner runs microovn and the wrapped tools for the cluster tests.
var runner = e2e.Runner{MicroOVNTimeout: commandTimeout, ToolTimeout: commandTimeout}

// newBed builds a bed of hosts hosts and starts microovnd on each. The bed is
// closed when the test ends.
func newBed(t *testing.T, hosts int, ipv6 bool) *testbed.Bed {
	t.Helper()

	e2e.SkipUnlessRoot(t, "the end-to-end tests")

	bin, err := e2e.BinDir()
	if err != nil {
		t.Fatal(err)
	}

	bed := testbed.Start(t, testbed.Options{
		Hosts:     hosts,
		IPv6:      ipv6,
		Bin:       bin,
		ExtraArgs: []string{heartbeatArg},
	})
	t.Logf("test bed %s in %s", bed.Prefix, bed.Dir)

	e2e.StartDaemons(t, bed.Hosts...)

	return bed
}

// member is one row of `microovn cluster list --format json`.
type member struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Role    string `json:"role"`
	Status  string `json:"status"`
}

// listMembers returns the members that `cluster list` on h shows, sorted by name.
func listMembers(h *testbed.Host) ([]member, error) {
	out, err := runner.MicroOVN(h, "cluster", "list", "--format", "json")
	if err != nil {
		return nil, err
	}

	var members []member
	if err := json.Unmarshal([]byte(out), &members); err != nil {
		return nil, fmt.Errorf("decode cluster list of %s: %w: %q", h.Name, err, out)
	}

	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.Name, b.Name) })

	return members, nil
}

// memberNames returns the sorted names of the members that `cluster list` on h shows.
func memberNames(h *testbed.Host) ([]string, error) {
	members, err := listMembers(h)
	if err != nil {
		return nil, err
	}

	out := make([]string, 0, len(members))
	for _, m := range members {
		out = append(out, m.Name)
	}

	return out, nil
}

// checkRaft checks on every central host that both databases are Raft members whose
// servers are exactly the centrals, and that all of them name one and the same leader.
func checkRaft(r e2e.Reporter, centrals []*testbed.Host) {
	for _, db := range e2e.Databases {
		leaders := map[string][]string{}
		leaderRoles := 0

		for _, m := range runner.CheckRaftServers(r, db, centrals) {
			leader := m.View.LeaderID()
			if leader == "" {
				r.Errorf("%s on %s knows no leader (Leader: %q)", db.Name, m.Host.Name,
					m.View.Leader)
			} else {
				leaders[leader] = append(leaders[leader], m.Host.Name)
			}

			if m.View.Role == "leader" {
				leaderRoles++
			}
		}

		if len(leaders) > 1 {
			r.Errorf("%s members name different leaders: %v", db.Name, leaders)
		}

		if leaderRoles != 1 {
			r.Errorf("%s has %d servers with role leader, want 1", db.Name, leaderRoles)
		}
	}
}

// readChassis returns the Southbound's chassis names and the encapsulation IP of
// each chassis, read through the wrapped ovn-sbctl on h.
func readChassis(h *testbed.Host) ([]string, map[string]string, error) {
	out, err := runner.Tool(h, "ovn-sbctl", "--data=bare", "--format=csv", "--no-headings",
		"--columns=name", "list", "Chassis")
	if err != nil {
		return nil, nil, err
	}

	chassis := strings.Fields(out)
	slices.Sort(chassis)

	out, err = runner.Tool(h, "ovn-sbctl", "--data=bare", "--format=csv", "--no-headings",
		"--columns=chassis_name,ip", "list", "Encap")
	if err != nil {
		return nil, nil, err
	}

	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("parse Encap rows %q: %w", out, err)
	}

	encaps := map[string]string{}
	for _, row := range rows {
		if len(row) == 2 {
			encaps[row[0]] = row[1]
		}
	}

	return chassis, encaps, nil
}

// checkChassis checks through h's view of the Southbound that the chassis are
// exactly members, each with its own encapsulation IP.
func checkChassis(r e2e.Reporter, h *testbed.Host, members []*testbed.Host) {
	chassis, encaps, err := readChassis(h)
	if err != nil {
		r.Errorf("read chassis through %s: %v", h.Name, err)
		return
	}

	want := e2e.Names(members)
	slices.Sort(want)
	if !slices.Equal(chassis, want) {
		r.Errorf("Southbound seen from %s has chassis %v, want %v", h.Name, chassis, want)
	}

	for _, m := range members {
		got := net.ParseIP(encaps[m.Name])
		if !got.Equal(m.EncapAddr) {
			r.Errorf("chassis %s has encapsulation IP %q, want %s", m.Name, encaps[m.Name],
				m.EncapAddr)
		}
	}
}

// checkStatus checks `microovn status` on h: the members are exactly members,
// online, with central on exactly centrals; both databases have a leader and one
// server per central; and no chassis is missing.
func checkStatus(r e2e.Reporter, h *testbed.Host, members, centrals []*testbed.Host) {
	status, err := runner.ReadStatus(h)
	if err != nil {
		r.Errorf("read status on %s: %v", h.Name, err)
		return
	}

	var got []string
	for _, m := range status.Members {
		got = append(got, m.Name)

		if m.Status != "ONLINE" {
			r.Errorf("status on %s shows member %s %s, want ONLINE", h.Name, m.Name, m.Status)
		}

		wantServices := []string{"switch", "chassis"}
		if slices.ContainsFunc(centrals, func(c *testbed.Host) bool { return c.Name == m.Name }) {
			wantServices = []string{"switch", "central", "chassis"}
		}

		if !slices.Equal(m.Services, wantServices) {
			r.Errorf("status on %s shows services %v on %s, want %v", h.Name, m.Services,
				m.Name, wantServices)
		}
	}

	slices.Sort(got)
	want := e2e.Names(members)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		r.Errorf("status on %s shows members %v, want %v", h.Name, got, want)
	}

	for _, db := range status.Databases {
		if db.Leader == "" {
			r.Errorf("status on %s shows %s without a leader (error %q)", h.Name, db.Name,
				db.Error)
		}

		if len(db.Servers) != len(centrals) {
			r.Errorf("status on %s shows %d %s servers, want %d: %+v", h.Name,
				len(db.Servers), db.Name, len(centrals), db.Servers)
		}
	}

	if len(status.Databases) != len(e2e.Databases) {
		r.Errorf("status on %s shows %d databases, want %d", h.Name, len(status.Databases),
			len(e2e.Databases))
	}

	if len(status.Chassis.Missing) > 0 {
		r.Errorf("status on %s shows chassis missing from the Southbound: %v", h.Name,
			status.Chassis.Missing)
	}
}

// checkCluster runs every cluster-wide check: status seen from each member, Raft
// on each central, chassis, and the remotes of each member.
func checkCluster(r e2e.Reporter, members, centrals []*testbed.Host) {
	for _, h := range members {
		checkStatus(r, h, members, centrals)
	}

	checkRaft(r, centrals)
	checkChassis(r, members[0], members)

	for _, h := range members {
		runner.CheckRemotes(r, h, centrals)
	}
}

// controllerPid returns the pid of the running ovn-controller of h, or 0.
func controllerPid(h *testbed.Host) int {
	return h.Pids()["ovn-controller"]
}

// centralHosts returns the hosts that status shows with the central service, in
// the order of hosts.
func centralHosts(status types.Status, hosts []*testbed.Host) []*testbed.Host {
	var out []*testbed.Host
	for _, h := range hosts {
		i := slices.IndexFunc(status.Members, func(m types.MemberStatus) bool {
			return m.Name == h.Name
		})
		if i >= 0 && slices.Contains(status.Members[i].Services, "central") {
			out = append(out, h)
		}
	}

	return out
}

// ovnProcesses returns the command lines of the processes in the namespace of h that
// belong to h (their command line names its root folder), microovnd excepted.
func ovnProcesses(h *testbed.Host) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", h.NS).Output()
	if err != nil {
		return nil, fmt.Errorf("list processes in namespace %s: %w", h.NS, err)
	}

	var found []string
	for _, field := range strings.Fields(string(out)) {
		cmdline, err := os.ReadFile("/proc/" + field + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte(h.Root+"/")) {
			continue
		}

		args := strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00")
		if filepath.Base(args[0]) != "microovnd" {
			found = append(found, strings.Join(args, " "))
		}
	}

	return found, nil
}

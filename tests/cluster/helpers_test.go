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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// binEnv names the variable with the folder of the built binaries.
	binEnv = "MICROOVN_BIN"
	// commandTimeout bounds one run of microovn or of a wrapped tool.
	commandTimeout = 2 * time.Minute
	// pollInterval is the pause between two attempts of eventually.
	pollInterval = 500 * time.Millisecond
	// settleTimeout bounds the wait for every member to apply a membership change.
	// The reconcile loop runs every 3 s, and a Raft join or leave adds a few seconds.
	settleTimeout = 90 * time.Second
	// heartbeatArg makes microcluster promote new members from PENDING within about
	// a second instead of ten, so that they can be removed soon after joining.
	heartbeatArg = "--heartbeat-interval=1s"
)

// raftDatabase is one clustered OVN database as the tests address it.
type raftDatabase struct {
	name     string // OVSDB name, as cluster/status takes it
	process  string // base name of the control socket under ROOT/run/central
	port     int    // client port
	raftPort int
}

var (
	northbound = raftDatabase{"OVN_Northbound", "ovnnb_db", 6641, 6643}
	southbound = raftDatabase{"OVN_Southbound", "ovnsb_db", 6642, 6644}
	databases  = []raftDatabase{northbound, southbound}
)

// reporter takes failed conditions: *testing.T, or an attempt inside eventually.
type reporter interface {
	Errorf(format string, args ...any)
}

// attempt collects the failed conditions of one try of eventually.
type attempt struct {
	failures []string
}

func (a *attempt) Errorf(format string, args ...any) {
	a.failures = append(a.failures, fmt.Sprintf(format, args...))
}

// eventually runs check every pollInterval until it reports no failure, for at most
// timeout. When time runs out, every failure of the last try becomes a test error
// and the test stops.
func eventually(t *testing.T, condition string, timeout time.Duration, check func(r reporter)) {
	t.Helper()

	start := time.Now()
	deadline := start.Add(timeout)
	maxTries := int(timeout/pollInterval) + 1

	var last *attempt
	for try := 0; try < maxTries; try++ {
		last = &attempt{}
		check(last)

		if len(last.failures) == 0 {
			t.Logf("%s: done after %.1f s", condition, time.Since(start).Seconds())
			return
		}

		if time.Now().After(deadline) {
			break
		}

		time.Sleep(pollInterval)
	}

	for _, failure := range last.failures {
		t.Errorf("%s: not yet after %v: %s", condition, timeout, failure)
	}

	t.FailNow()
}

// binFolder returns the absolute folder with microovnd, microovn and the microovn.*
// links: $MICROOVN_BIN, or ../../bin (the repository's bin folder) when unset.
func binFolder() (string, error) {
	dir := os.Getenv(binEnv)
	if dir == "" {
		dir = filepath.Join("..", "..", "bin")
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s=%q: %w", binEnv, dir, err)
	}

	return abs, nil
}

// newBed builds a bed of hosts hosts and starts microovnd on each. The bed is
// closed when the test ends.
func newBed(t *testing.T, hosts int, ipv6 bool) *testbed.Bed {
	t.Helper()

	if os.Geteuid() != 0 {
		t.Skip("the end-to-end tests need root for network namespaces")
	}

	bin, err := binFolder()
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

	for _, h := range bed.Hosts {
		if err := h.StartDaemon(); err != nil {
			t.Fatal(err)
		}
	}

	return bed
}

// runMicroOVN runs the microovn client on h with a time limit.
func runMicroOVN(h *testbed.Host, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	return h.MicroOVN(ctx, args...)
}

// mustMicroOVN runs the microovn client on h and stops the test when it fails.
func mustMicroOVN(t *testing.T, h *testbed.Host, args ...string) string {
	t.Helper()

	out, err := runMicroOVN(h, args...)
	if err != nil {
		t.Fatal(err)
	}

	return out
}

// runTool runs the wrapped tool microovn.NAME on h, such as ovn-nbctl.
func runTool(h *testbed.Host, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	bin, err := binFolder()
	if err != nil {
		return "", err
	}

	return h.Run(ctx, filepath.Join(bin, "microovn."+name), args...)
}

// mustTool runs a wrapped tool on h and stops the test when it fails.
func mustTool(t *testing.T, h *testbed.Host, name string, args ...string) string {
	t.Helper()

	out, err := runTool(h, name, args...)
	if err != nil {
		t.Fatal(err)
	}

	return out
}

// bootstrap creates the cluster on h and sets up its Geneve underlay.
func bootstrap(t *testing.T, h *testbed.Host) {
	t.Helper()

	mustMicroOVN(t, h, "cluster", "bootstrap", "--name", h.Name,
		"--address", h.Addr.String(), "--encap-ip", h.EncapAddr.String())
	setupUnderlay(t, h)
}

// issueToken requests a join token for name from member from and returns it.
func issueToken(t *testing.T, from *testbed.Host, name string, extra ...string) string {
	t.Helper()

	args := append([]string{"cluster", "add", name}, extra...)
	out := mustMicroOVN(t, from, args...)

	token := lastLine(out)
	if token == "" {
		t.Fatalf("microovn cluster add %s on %s printed no token: %q", name, from.Name, out)
	}

	return token
}

// tryJoin runs `cluster join` on h with token under name, and keeps the token out of
// a returned error.
func tryJoin(h *testbed.Host, token, name string) (string, error) {
	out, err := runMicroOVN(h, "cluster", "join", token, "--name", name,
		"--address", h.Addr.String(), "--encap-ip", h.EncapAddr.String())
	if err != nil && len(token) > 0 {
		err = fmt.Errorf("%s", strings.ReplaceAll(err.Error(), token, "TOKEN"))
	}

	return out, err
}

// join adds h to the cluster of member from and sets up the underlay of h.
func join(t *testing.T, from, h *testbed.Host) {
	t.Helper()

	token := issueToken(t, from, h.Name)
	if _, err := tryJoin(h, token, h.Name); err != nil {
		t.Fatal(err)
	}

	setupUnderlay(t, h)
}

// setupUnderlay puts the Geneve underlay address of h on its bridge br-phy.
func setupUnderlay(t *testing.T, h *testbed.Host) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	if err := h.SetupUnderlay(ctx); err != nil {
		t.Fatal(err)
	}
}

// lastLine returns the last line of out that is not blank, without surrounding space.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")

	return strings.TrimSpace(lines[len(lines)-1])
}

// names returns the names of hosts in order.
func names(hosts []*testbed.Host) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, h.Name)
	}

	return out
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
	out, err := runMicroOVN(h, "cluster", "list", "--format", "json")
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

// readStatus returns `microovn status --format json` of h.
func readStatus(h *testbed.Host) (types.Status, error) {
	var status types.Status

	out, err := runMicroOVN(h, "status", "--format", "json")
	if err != nil {
		return status, err
	}

	if err := json.Unmarshal([]byte(out), &status); err != nil {
		return status, fmt.Errorf("decode status of %s: %w: %q", h.Name, err, out)
	}

	return status, nil
}

// raftView is the part of `ovs-appctl cluster/status` that the tests check.
type raftView struct {
	serverID string
	status   string // "cluster member", "joining cluster", ...
	role     string // leader, follower, candidate
	leader   string // server id of the leader, "self" or "unknown"
	servers  []string
}

// leaderID returns the server id of the leader this server knows, or "".
func (v raftView) leaderID() string {
	switch v.leader {
	case "self":
		return v.serverID
	case "unknown":
		return ""
	}

	return v.leader
}

// readRaft returns the cluster/status of db from the database server on h.
func readRaft(h *testbed.Host, db raftDatabase) (raftView, error) {
	ctl := filepath.Join(h.Root, "run", "central", db.process+".ctl")

	out, err := runTool(h, "ovs-appctl", "-t", ctl, "--timeout=10", "cluster/status", db.name)
	if err != nil {
		return raftView{}, err
	}

	return parseRaft(out), nil
}

// parseRaft reads the text of cluster/status. A server line looks like
// "    9b98 (9b98 at ssl:198.18.0.1:6643) (self) ...".
func parseRaft(text string) raftView {
	var view raftView

	inServers := false
	for _, line := range strings.Split(text, "\n") {
		if inServers && strings.HasPrefix(line, "    ") {
			fields := strings.Fields(line)
			if len(fields) >= 4 && fields[2] == "at" {
				view.servers = append(view.servers, strings.TrimSuffix(fields[3], ")"))
			}

			continue
		}

		inServers = false
		key, value, found := strings.Cut(line, ":")
		if !found {
			continue
		}

		value = strings.TrimSpace(value)
		switch key {
		case "Server ID":
			view.serverID, _, _ = strings.Cut(value, " ")
		case "Status":
			view.status = value
		case "Role":
			view.role = value
		case "Leader":
			view.leader = value
		case "Servers":
			inServers = true
		}
	}

	slices.Sort(view.servers)

	return view
}

// endpoints returns the sorted endpoints "ssl:ADDR:port" of hosts.
func endpoints(hosts []*testbed.Host, port int) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, "ssl:"+net.JoinHostPort(h.Addr.String(), strconv.Itoa(port)))
	}

	slices.Sort(out)

	return out
}

// splitRemote returns the sorted endpoints of a connection string "ssl:A,ssl:B".
func splitRemote(remote string) []string {
	remote = strings.Trim(strings.TrimSpace(remote), `"`)
	if remote == "" {
		return nil
	}

	out := strings.Split(remote, ",")
	slices.Sort(out)

	return out
}

// checkRaft checks on every central host that both databases are Raft members whose
// servers are exactly the centrals, and that all of them name one and the same leader.
func checkRaft(r reporter, centrals []*testbed.Host) {
	for _, db := range databases {
		want := endpoints(centrals, db.raftPort)
		leaders := map[string][]string{}
		leaderRoles := 0

		for _, h := range centrals {
			view, err := readRaft(h, db)
			if err != nil {
				r.Errorf("read %s cluster/status on %s: %v", db.name, h.Name, err)
				continue
			}

			if view.status != "cluster member" {
				r.Errorf("%s on %s has status %q, want \"cluster member\"", db.name, h.Name,
					view.status)
			}

			if !slices.Equal(view.servers, want) {
				r.Errorf("%s on %s lists servers %v, want %v", db.name, h.Name, view.servers,
					want)
			}

			leader := view.leaderID()
			if leader == "" {
				r.Errorf("%s on %s knows no leader (Leader: %q)", db.name, h.Name, view.leader)
			} else {
				leaders[leader] = append(leaders[leader], h.Name)
			}

			if view.role == "leader" {
				leaderRoles++
			}
		}

		if len(leaders) > 1 {
			r.Errorf("%s members name different leaders: %v", db.name, leaders)
		}

		if leaderRoles != 1 {
			r.Errorf("%s has %d servers with role leader, want 1", db.name, leaderRoles)
		}
	}
}

// readChassis returns the Southbound's chassis names and the encapsulation IP of
// each chassis, read through the wrapped ovn-sbctl on h.
func readChassis(h *testbed.Host) ([]string, map[string]string, error) {
	out, err := runTool(h, "ovn-sbctl", "--data=bare", "--format=csv", "--no-headings",
		"--columns=name", "list", "Chassis")
	if err != nil {
		return nil, nil, err
	}

	chassis := strings.Fields(out)
	slices.Sort(chassis)

	out, err = runTool(h, "ovn-sbctl", "--data=bare", "--format=csv", "--no-headings",
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

// checkChassis checks through the Southbound as h sees it that the chassis are
// exactly members, each with its own encapsulation IP.
func checkChassis(r reporter, h *testbed.Host, members []*testbed.Host) {
	chassis, encaps, err := readChassis(h)
	if err != nil {
		r.Errorf("read chassis through %s: %v", h.Name, err)
		return
	}

	want := names(members)
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

// readEnvFile returns the variables of ROOT/data/env/ovn.env of h.
func readEnvFile(h *testbed.Host) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(h.Root, "data", "env", "ovn.env"))
	if err != nil {
		return nil, err
	}

	values := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, found := strings.Cut(strings.TrimSpace(line), "=")
		if found && !strings.HasPrefix(key, "#") {
			values[key] = strings.Trim(value, `"`)
		}
	}

	return values, nil
}

// processArgs returns the command line of the process that the pid file ROOT/run/REL
// of h names.
func processArgs(h *testbed.Host, rel string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(h.Root, "run", rel))
	if err != nil {
		return nil, err
	}

	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("invalid pid file %s: %q", rel, data)
	}

	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return nil, fmt.Errorf("process %d of %s is gone", pid, rel)
	}

	return strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00"), nil
}

// optionValue returns the value of --name=VALUE in args, or "".
func optionValue(args []string, name string) string {
	for _, arg := range args {
		if value, found := strings.CutPrefix(arg, name+"="); found {
			return value
		}
	}

	return ""
}

// checkRemotes checks that every remote on h lists exactly the endpoints of
// centrals: ovn.env, the ovn-remote of ovn-controller, and the command line of
// ovn-northd when h is central. A host that is not central must not run ovn-northd.
func checkRemotes(r reporter, h *testbed.Host, centrals []*testbed.Host) {
	wantNB := endpoints(centrals, northbound.port)
	wantSB := endpoints(centrals, southbound.port)

	env, err := readEnvFile(h)
	if err != nil {
		r.Errorf("read ovn.env of %s: %v", h.Name, err)
	} else {
		if got := splitRemote(env["OVN_NB_CONNECT"]); !slices.Equal(got, wantNB) {
			r.Errorf("ovn.env of %s has OVN_NB_CONNECT %v, want %v", h.Name, got, wantNB)
		}

		if got := splitRemote(env["OVN_SB_CONNECT"]); !slices.Equal(got, wantSB) {
			r.Errorf("ovn.env of %s has OVN_SB_CONNECT %v, want %v", h.Name, got, wantSB)
		}
	}

	out, err := runTool(h, "ovs-vsctl", "get", "open_vswitch", ".", "external_ids:ovn-remote")
	if err != nil {
		r.Errorf("read ovn-remote of %s: %v", h.Name, err)
	} else if got := splitRemote(out); !slices.Equal(got, wantSB) {
		r.Errorf("ovn-controller of %s has ovn-remote %v, want %v", h.Name, got, wantSB)
	}

	args, err := processArgs(h, filepath.Join("ovn", "ovn-northd.pid"))
	if !slices.Contains(centrals, h) {
		if err == nil {
			r.Errorf("%s is not central but runs ovn-northd: %v", h.Name, args)
		}

		return
	}

	if err != nil {
		r.Errorf("find ovn-northd of %s: %v", h.Name, err)
		return
	}

	if got := splitRemote(optionValue(args, "--ovnnb-db")); !slices.Equal(got, wantNB) {
		r.Errorf("ovn-northd of %s has --ovnnb-db %v, want %v", h.Name, got, wantNB)
	}

	if got := splitRemote(optionValue(args, "--ovnsb-db")); !slices.Equal(got, wantSB) {
		r.Errorf("ovn-northd of %s has --ovnsb-db %v, want %v", h.Name, got, wantSB)
	}
}

// checkStatus checks `microovn status` on h: the members are exactly members,
// online, with central on exactly centrals; both databases have a leader and one
// server per central; and no chassis is missing.
func checkStatus(r reporter, h *testbed.Host, members, centrals []*testbed.Host) {
	status, err := readStatus(h)
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
	want := names(members)
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

	if len(status.Databases) != len(databases) {
		r.Errorf("status on %s shows %d databases, want %d", h.Name, len(status.Databases),
			len(databases))
	}

	if len(status.Chassis.Missing) > 0 {
		r.Errorf("status on %s shows chassis missing from the Southbound: %v", h.Name,
			status.Chassis.Missing)
	}
}

// checkCluster runs every cluster-wide check: status seen from each member, Raft
// on each central, chassis, and the remotes of each member.
func checkCluster(r reporter, members, centrals []*testbed.Host) {
	for _, h := range members {
		checkStatus(r, h, members, centrals)
	}

	checkRaft(r, centrals)
	checkChassis(r, members[0], members)

	for _, h := range members {
		checkRemotes(r, h, centrals)
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

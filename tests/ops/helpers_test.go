// Package ops holds the end-to-end tests of MicroOVN's operator features: moving
// central between members, external central addresses, status, init, custom
// encapsulation addresses and the security log. Each test builds a test bed of
// network namespaces (package testbed) and runs the real microovnd and microovn
// binaries from $MICROOVN_BIN (default /work/main/bin) with the host's OVN and Open
// vSwitch.
//
// Run as root after building the binaries:
//
//	make -s build && MICROOVN_BIN=$PWD/bin go test -count=1 -v -timeout 30m ./tests/ops/
package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
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
	// commandTimeout bounds one run of microovn or of a wrapped tool. A service
	// change or a CA change restarts processes on several members, so it can take
	// tens of seconds on a loaded machine.
	commandTimeout = 3 * time.Minute
	// pollInterval is the pause between two attempts of eventually.
	pollInterval = 500 * time.Millisecond
	// settleTimeout bounds the wait for every member to apply a change. The
	// reconcile loop runs every 3 s, and a Raft join or leave adds a few seconds.
	settleTimeout = 2 * time.Minute
	// heartbeatArg makes microcluster promote a new member from PENDING within about
	// a second instead of ten.
	heartbeatArg = "--heartbeat-interval=1s"
	// logTailSize is how much of each daemon log a failed test prints, in bytes.
	logTailSize = 4000
)

// Client ports and Raft ports of the clustered OVN databases.
const (
	northboundPort     = 6641
	southboundPort     = 6642
	northboundRaftPort = 6643
	southboundRaftPort = 6644
)

// raftDatabase is one clustered OVN database as `ovs-appctl cluster/status` names it.
type raftDatabase struct {
	name     string // OVSDB name
	control  string // base name of the control socket under ROOT/run/central
	raftPort int
}

var raftDatabases = []raftDatabase{
	{"OVN_Northbound", "ovnnb_db", northboundRaftPort},
	{"OVN_Southbound", "ovnsb_db", southboundRaftPort},
}

// binDir returns the folder of the built binaries, and skips the test when the
// test does not run as root or the folder lacks microovnd.
func binDir(t *testing.T) string {
	t.Helper()

	if os.Geteuid() != 0 {
		t.Skip("the operator tests need root for network namespaces")
	}

	bin := os.Getenv("MICROOVN_BIN")
	if bin == "" {
		bin = "/work/main/bin"
	}

	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatalf("resolve MICROOVN_BIN=%q: %v", bin, err)
	}

	if _, err := os.Stat(filepath.Join(abs, "microovnd")); err != nil {
		t.Skipf("no microovnd in %s (set MICROOVN_BIN after `make -s build`): %v", abs, err)
	}

	return abs
}

// newBed builds a bed of hosts hosts and starts microovnd on every host.
func newBed(t *testing.T, hosts int) *testbed.Bed {
	t.Helper()

	bed := buildBed(t, hosts)
	startDaemons(t, bed.Hosts)

	return bed
}

// buildBed builds a bed of hosts hosts whose microovnd runs with the short
// heartbeat, but starts no daemon. The bed is closed when the test ends, and the end
// of every daemon log is printed before that when the test failed.
func buildBed(t *testing.T, hosts int) *testbed.Bed {
	t.Helper()

	bin := binDir(t)
	bed := testbed.Start(t, testbed.Options{Hosts: hosts, Bin: bin,
		ExtraArgs: []string{heartbeatArg}})
	t.Logf("test bed %s in %s", bed.Prefix, bed.Dir)

	// Cleanups run last first, so the logs are printed before the bed is removed.
	t.Cleanup(func() { dumpLogsOnFailure(t, bed) })

	return bed
}

// startDaemons starts microovnd on every host of hosts.
func startDaemons(t *testing.T, hosts []*testbed.Host) {
	t.Helper()

	for _, h := range hosts {
		if err := h.StartDaemon(); err != nil {
			t.Fatal(err)
		}
	}
}

// dumpLogsOnFailure prints the end of the daemon log of every host of a failed test.
func dumpLogsOnFailure(t *testing.T, bed *testbed.Bed) {
	if !t.Failed() {
		return
	}

	for _, h := range bed.Hosts {
		data, err := os.ReadFile(daemonLog(h))
		if err != nil {
			continue
		}

		if len(data) > logTailSize {
			data = data[len(data)-logTailSize:]
		}

		t.Logf("end of microovnd.log of %s:\n%s", h.Name, data)
	}
}

// daemonLog returns the file that the test bed sends the output of microovnd to.
func daemonLog(h *testbed.Host) string { return filepath.Join(h.Root, "logs", "microovnd.log") }

// microovn runs the microovn client on h with a time limit and returns its combined
// output.
func microovn(h *testbed.Host, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	return h.MicroOVN(ctx, args...)
}

// mustMicroOVN runs the microovn client on h and stops the test when it fails.
func mustMicroOVN(t *testing.T, h *testbed.Host, args ...string) string {
	t.Helper()

	out, err := microovn(h, args...)
	if err != nil {
		t.Fatal(err)
	}

	return out
}

// microovnInput runs the microovn client on h with input as its standard input.
func microovnInput(h *testbed.Host, input string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	cmdArgs := append([]string{"--state-dir", h.StateDir()}, args...)
	cmd := h.Command(ctx, filepath.Join(binDirOf(), "microovn"), cmdArgs...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("microovn %s on %s: %w: %s", strings.Join(args, " "),
			h.Name, err, bytes.TrimSpace(out))
	}

	return string(out), nil
}

// binDirOf returns the folder of the binaries without the checks of binDir, for
// helpers that run after binDir passed.
func binDirOf() string {
	if bin := os.Getenv("MICROOVN_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err == nil {
			return abs
		}
	}

	return "/work/main/bin"
}

// tool runs the wrapped tool microovn.NAME, such as ovn-sbctl, on h.
func tool(h *testbed.Host, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	return h.Run(ctx, filepath.Join(binDirOf(), "microovn."+name), args...)
}

// mustTool runs a wrapped tool on h and stops the test when it fails.
func mustTool(t *testing.T, h *testbed.Host, name string, args ...string) string {
	t.Helper()

	out, err := tool(h, name, args...)
	if err != nil {
		t.Fatal(err)
	}

	return out
}

// setupUnderlay puts the Geneve address of h on its OVS bridge br-phy.
func setupUnderlay(t *testing.T, h *testbed.Host) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	if err := h.SetupUnderlay(ctx); err != nil {
		t.Fatal(err)
	}
}

// bootstrap creates a cluster on h with EncapAddr as its encapsulation address and
// sets up the underlay of h.
func bootstrap(t *testing.T, h *testbed.Host) {
	t.Helper()

	mustMicroOVN(t, h, "cluster", "bootstrap", "--name", h.Name,
		"--address", h.Addr.String(), "--encap-ip", h.EncapAddr.String())
	setupUnderlay(t, h)
}

// issueToken requests a join token for name from member from.
func issueToken(t *testing.T, from *testbed.Host, name string) string {
	t.Helper()

	out := mustMicroOVN(t, from, "cluster", "add", name)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := strings.TrimSpace(lines[len(lines)-1])
	if token == "" {
		t.Fatalf("cluster add %s on %s printed no token: %q", name, from.Name, out)
	}

	return token
}

// join adds h to the cluster of member from with EncapAddr as its encapsulation
// address and sets up the underlay of h.
func join(t *testing.T, from, h *testbed.Host) {
	t.Helper()

	token := issueToken(t, from, h.Name)
	_, err := microovn(h, "cluster", "join", token, "--name", h.Name,
		"--address", h.Addr.String(), "--encap-ip", h.EncapAddr.String())
	if err != nil {
		// The error quotes the command line, so the token, a secret, is cut out.
		t.Fatal(strings.ReplaceAll(err.Error(), token, "TOKEN"))
	}

	setupUnderlay(t, h)
}

// formCluster bootstraps the first host and joins the others one by one.
func formCluster(t *testing.T, hosts []*testbed.Host) {
	t.Helper()

	start := time.Now()
	bootstrap(t, hosts[0])
	for _, h := range hosts[1:] {
		join(t, hosts[0], h)
	}

	t.Logf("cluster of %d members formed in %.1f s", len(hosts), time.Since(start).Seconds())
}

// problems collects the failed conditions of one attempt of eventually.
type problems struct {
	list []string
}

// Errorf records one failed condition.
func (p *problems) Errorf(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// eventually runs check every pollInterval until it records no problem, for at most
// timeout. When time runs out, every problem of the last attempt becomes a test
// error and the test stops.
func eventually(t *testing.T, what string, timeout time.Duration, check func(p *problems)) {
	t.Helper()

	start := time.Now()
	maxAttempts := int(timeout/pollInterval) + 1

	var last *problems
	for range maxAttempts {
		last = &problems{}
		check(last)

		if len(last.list) == 0 {
			t.Logf("%s: done after %.1f s", what, time.Since(start).Seconds())
			return
		}

		if time.Since(start) > timeout {
			break
		}

		time.Sleep(pollInterval)
	}

	for _, problem := range last.list {
		t.Errorf("%s, still after %v: %s", what, timeout, problem)
	}

	t.FailNow()
}

// names returns the names of hosts in order.
func names(hosts []*testbed.Host) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, h.Name)
	}

	return out
}

// endpoints returns the sorted endpoints "ssl:ADDR:PORT" of hosts.
func endpoints(hosts []*testbed.Host, port int) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, "ssl:"+net.JoinHostPort(h.Addr.String(), strconv.Itoa(port)))
	}

	slices.Sort(out)

	return out
}

// splitRemote returns the sorted endpoints of a connection string "ssl:A,ssl:B",
// with surrounding quotes and space removed.
func splitRemote(remote string) []string {
	remote = strings.Trim(strings.TrimSpace(remote), `"`)
	if remote == "" {
		return nil
	}

	out := strings.Split(remote, ",")
	slices.Sort(out)

	return out
}

// readStatus returns `microovn status --format json` of h.
func readStatus(h *testbed.Host) (types.Status, error) {
	var status types.Status

	out, err := microovn(h, "status", "--format", "json")
	if err != nil {
		return status, err
	}

	if err := json.Unmarshal([]byte(out), &status); err != nil {
		return status, fmt.Errorf("decode status of %s: %w: %q", h.Name, err, out)
	}

	return status, nil
}

// memberServices returns the services of member name in status, or nil when status
// does not list it.
func memberServices(status types.Status, name string) []string {
	for _, m := range status.Members {
		if m.Name == name {
			return m.Services
		}
	}

	return nil
}

// readRaftServers returns the sorted Raft addresses "ssl:ADDR:PORT" that the
// server of db on h lists in `cluster/status`, and its Raft status line.
func readRaftServers(h *testbed.Host, db raftDatabase) ([]string, string, error) {
	ctl := filepath.Join(h.Root, "run", "central", db.control+".ctl")
	out, err := tool(h, "ovs-appctl", "-t", ctl, "--timeout=10", "cluster/status", db.name)
	if err != nil {
		return nil, "", err
	}

	var servers []string
	var status string
	inServers := false
	for _, line := range strings.Split(out, "\n") {
		// A server line reads "    9b98 (9b98 at ssl:198.18.0.1:6643) (self) ...".
		if inServers && strings.HasPrefix(line, "    ") {
			fields := strings.Fields(line)
			if len(fields) >= 4 && fields[2] == "at" {
				servers = append(servers, strings.TrimSuffix(fields[3], ")"))
			}

			continue
		}

		inServers = strings.HasPrefix(line, "Servers:")
		if value, found := strings.CutPrefix(line, "Status:"); found {
			status = strings.TrimSpace(value)
		}
	}

	slices.Sort(servers)

	return servers, status, nil
}

// checkRaft records a problem unless the NB and SB servers on every central are
// Raft members whose servers are exactly the centrals.
func checkRaft(p *problems, centrals []*testbed.Host) {
	for _, db := range raftDatabases {
		want := endpoints(centrals, db.raftPort)
		for _, h := range centrals {
			servers, status, err := readRaftServers(h, db)
			if err != nil {
				p.Errorf("read %s cluster/status on %s: %v", db.name, h.Name, err)
				continue
			}

			if status != "cluster member" {
				p.Errorf("%s on %s has Raft status %q, want \"cluster member\"", db.name,
					h.Name, status)
			}

			if !slices.Equal(servers, want) {
				p.Errorf("%s on %s lists Raft servers %v, want %v", db.name, h.Name, servers,
					want)
			}
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

// processArgs returns the command line of the live process that the pid file
// ROOT/run/REL of h names.
func processArgs(h *testbed.Host, rel string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(h.Root, "run", rel))
	if err != nil {
		return nil, err
	}

	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("invalid pid file %s of %s: %q", rel, h.Name, data)
	}

	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return nil, fmt.Errorf("process %d of %s (%s) is gone", pid, h.Name, rel)
	}

	return strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00"), nil
}

// optionValue returns VALUE of the argument NAME=VALUE in args, or "".
func optionValue(args []string, name string) string {
	for _, arg := range args {
		if value, found := strings.CutPrefix(arg, name+"="); found {
			return value
		}
	}

	return ""
}

// checkChassisRemotes records a problem unless ovn.env and the ovn-remote of
// ovn-controller on h name exactly the NB and SB endpoints of centrals.
func checkChassisRemotes(p *problems, h *testbed.Host, centrals []*testbed.Host) {
	wantNB := endpoints(centrals, northboundPort)
	wantSB := endpoints(centrals, southboundPort)

	env, err := readEnvFile(h)
	if err != nil {
		p.Errorf("read ovn.env of %s: %v", h.Name, err)
	} else {
		if got := splitRemote(env["OVN_NB_CONNECT"]); !slices.Equal(got, wantNB) {
			p.Errorf("ovn.env of %s has OVN_NB_CONNECT %v, want %v", h.Name, got, wantNB)
		}

		if got := splitRemote(env["OVN_SB_CONNECT"]); !slices.Equal(got, wantSB) {
			p.Errorf("ovn.env of %s has OVN_SB_CONNECT %v, want %v", h.Name, got, wantSB)
		}
	}

	out, err := tool(h, "ovs-vsctl", "get", "open_vswitch", ".", "external_ids:ovn-remote")
	if err != nil {
		p.Errorf("read ovn-remote of %s: %v", h.Name, err)
	} else if got := splitRemote(out); !slices.Equal(got, wantSB) {
		p.Errorf("ovn-controller of %s has ovn-remote %v, want %v", h.Name, got, wantSB)
	}
}

// checkRemotes records a problem unless every remote on h names exactly the
// endpoints of centrals: ovn.env, the ovn-remote of ovn-controller, and the
// --ovnnb-db and --ovnsb-db of ovn-northd when h is central. A member that is not
// central must not run ovn-northd.
func checkRemotes(p *problems, h *testbed.Host, centrals []*testbed.Host) {
	checkChassisRemotes(p, h, centrals)

	args, err := processArgs(h, filepath.Join("ovn", "ovn-northd.pid"))
	if !slices.Contains(centrals, h) {
		if err == nil {
			p.Errorf("%s is not central but runs ovn-northd: %v", h.Name, args)
		}

		return
	}

	if err != nil {
		p.Errorf("find ovn-northd of %s: %v", h.Name, err)
		return
	}

	wantNB := endpoints(centrals, northboundPort)
	if got := splitRemote(optionValue(args, "--ovnnb-db")); !slices.Equal(got, wantNB) {
		p.Errorf("ovn-northd of %s has --ovnnb-db %v, want %v", h.Name, got, wantNB)
	}

	wantSB := endpoints(centrals, southboundPort)
	if got := splitRemote(optionValue(args, "--ovnsb-db")); !slices.Equal(got, wantSB) {
		p.Errorf("ovn-northd of %s has --ovnsb-db %v, want %v", h.Name, got, wantSB)
	}
}

// readEncapIP returns the encapsulation address of chassis name in the Southbound
// that the wrapped ovn-sbctl on h reaches, or "" when the chassis has none.
func readEncapIP(h *testbed.Host, name string) (string, error) {
	out, err := tool(h, "ovn-sbctl", "--bare", "--columns=ip", "find", "Encap",
		"chassis_name="+name)
	if err != nil {
		return "", err
	}

	return strings.Trim(strings.TrimSpace(out), `"`), nil
}

// warningLines returns the lines of out that start with "Warning: ", without it.
func warningLines(out string) []string {
	var warnings []string
	for _, line := range strings.Split(out, "\n") {
		if warning, found := strings.CutPrefix(strings.TrimSpace(line), "Warning: "); found {
			warnings = append(warnings, warning)
		}
	}

	return warnings
}

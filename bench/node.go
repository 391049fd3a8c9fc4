package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/microovn/microovn/microovn/envfile"
	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// commandTimeout bounds one microovn command or one run of baseline.sh.
	commandTimeout = 3 * time.Minute
	// probeTimeout bounds one probe of a condition, such as one ovs-appctl call.
	probeTimeout = 5 * time.Second
	// pollInterval is the pause between two probes of a condition. It sets the
	// resolution of every waited-for time.
	pollInterval = 50 * time.Millisecond
)

// env contains the command-line settings that every node uses.
type env struct {
	bin    string // folder with microovnd, microovn and the microovn.TOOL links
	script string // path of baseline.sh
	// daemonArgs are added to every microovnd command line.
	daemonArgs []string
}

// node is one host of a bed that runs MicroOVN or the baseline. Both kinds keep their
// files in the layout of MicroOVN (see baseline.sh), so the probes below read both.
type node struct {
	host    *testbed.Host
	flavor  flavor
	layout  paths.Layout
	central bool
	env     *env
	// caDir is the folder with the baseline's CA, shared by every baseline node of
	// one cluster. It is empty for MicroOVN nodes.
	caDir string
	// phases are the times of the steps of the latest run of baseline.sh.
	phases map[string]time.Time
}

func newNode(host *testbed.Host, f flavor, e *env) *node {
	return &node{host: host, flavor: f, layout: paths.Layout{Root: host.Root}, env: e}
}

// name returns the member name, which is also the chassis name.
func (n *node) name() string { return n.host.Name }

func (n *node) nbControl() string {
	return filepath.Join(n.layout.CentralRun(), "ovnnb_db.ctl")
}

func (n *node) sbControl() string {
	return filepath.Join(n.layout.CentralRun(), "ovnsb_db.ctl")
}

func (n *node) sbSocket() string {
	return filepath.Join(n.layout.CentralRun(), "ovnsb_db.sock")
}

func (n *node) northdControl() string {
	return filepath.Join(n.layout.OVNRun(), "ovn-northd.ctl")
}

// microovn runs the microovn client of the node with args.
func (n *node) microovn(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()

	return n.host.MicroOVN(ctx, args...)
}

// tool runs the wrapped tool microovn.NAME inside the node's namespace.
func (n *node) tool(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()

	return n.host.Run(ctx, filepath.Join(n.env.bin, "microovn."+name), args...)
}

// addressArgs returns the --name, --address and --encap-ip flags of the node.
func (n *node) addressArgs() []string {
	return []string{"--name", n.name(), "--address", n.host.Addr.String(),
		"--encap-ip", n.host.EncapAddr.String()}
}

// bootstrap creates a new cluster on the node, whose microovnd must run already.
func (n *node) bootstrap(ctx context.Context) error {
	n.central = true
	if n.flavor == baseline {
		n.caDir = filepath.Join(n.host.Root, "ca")
		_, err := n.script(ctx, "bootstrap")

		return err
	}

	args := append([]string{"cluster", "bootstrap"}, n.addressArgs()...)
	_, err := n.microovn(ctx, args...)

	return err
}

// token requests a join token for n from member from.
func (n *node) token(ctx context.Context, from *node) (string, error) {
	out, err := from.microovn(ctx, "cluster", "add", n.name())
	if err != nil {
		return "", err
	}

	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := strings.TrimSpace(lines[len(lines)-1])
	if token == "" {
		return "", fmt.Errorf("microovn cluster add %s printed no token", n.name())
	}

	return token, nil
}

// joinWithToken joins the cluster that issued token. MicroOVN decides by itself
// whether the node takes the central service, so central is what the caller expects.
func (n *node) joinWithToken(ctx context.Context, token string, central bool) error {
	n.central = central
	args := append([]string{"cluster", "join", token}, n.addressArgs()...)
	if _, err := n.microovn(ctx, args...); err != nil {
		// The error quotes the command line, and the token is a secret.
		return errors.New(strings.ReplaceAll(err.Error(), token, "TOKEN"))
	}

	return nil
}

// joinBaseline adds a baseline node to the cluster of centrals: as a central member
// that joins both Raft clusters, or as a chassis only.
func (n *node) joinBaseline(ctx context.Context, centrals []*node, central bool) error {
	n.central = central
	n.caDir = centrals[0].caDir

	mode := "chassis"
	if central {
		mode = "join"
	}

	var addrs []string
	for _, c := range centrals {
		addrs = append(addrs, c.host.Addr.String())
	}

	_, err := n.script(ctx, mode, addrs...)

	return err
}

// script runs baseline.sh mode for the node with extra addresses, and returns the
// "phase NAME TIME" lines of its output.
func (n *node) script(ctx context.Context, mode string, addrs ...string) (map[string]time.Time,
	error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()

	args := append([]string{n.env.script, mode, n.host.Root, n.host.Addr.String(),
		n.host.EncapAddr.String(), n.name(), n.caDir}, addrs...)
	out, err := n.host.Run(ctx, "bash", args...)
	if err != nil {
		return nil, err
	}

	n.phases = parsePhases(out)

	return n.phases, nil
}

// appctl runs ovs-appctl against the control socket ctl. Unix sockets need no
// namespace, so it runs in the benchmark's own.
func appctl(ctx context.Context, ctl string, args ...string) (string, error) {
	full := append([]string{"--timeout=2", "-t", ctl}, args...)

	return runLocal(ctx, "ovs-appctl", full...)
}

// runLocal runs name with args with a time limit and returns its output. A returned
// error also contains the output.
func runLocal(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()

	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err,
			strings.TrimSpace(string(out)))
	}

	return string(out), nil
}

// raftView is the part of `cluster/status` that the probes look at.
type raftView struct {
	serverID string   // short id of this server
	status   string   // "cluster member", "joining cluster", ...
	role     string   // leader, follower, candidate
	leader   string   // "self", a short server id, or "unknown"
	servers  []string // short ids of every server
	// lastMsg is how long ago this server last heard from each other server, in
	// milliseconds, for the servers whose line shows it.
	lastMsg map[string]int
}

// readRaft returns the Raft status of database db from the server behind ctl.
func readRaft(ctx context.Context, ctl, db string) (raftView, error) {
	out, err := appctl(ctx, ctl, "cluster/status", db)
	if err != nil {
		return raftView{}, err
	}

	return parseRaft(out), nil
}

// parseRaft reads the text of `cluster/status` of OVS 3.1. A server line looks like
// "    9b98 (9b98 at ssl:198.18.0.1:6643) next_index=2 match_index=5 last msg 242 ms ago".
func parseRaft(text string) raftView {
	v := raftView{lastMsg: map[string]int{}}
	inServers := false
	for _, line := range strings.Split(text, "\n") {
		key, value, found := strings.Cut(line, ":")
		switch {
		case inServers && strings.HasPrefix(line, "    "):
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}

			v.servers = append(v.servers, fields[0])
			_, ago, hasMsg := strings.Cut(line, "last msg ")
			var ms int
			if _, err := fmt.Sscanf(ago, "%d ms ago", &ms); hasMsg && err == nil {
				v.lastMsg[fields[0]] = ms
			}
		case !found:
			continue
		case key == "Server ID":
			if fields := strings.Fields(value); len(fields) > 0 {
				v.serverID = fields[0]
			}
		case key == "Status":
			v.status = strings.TrimSpace(value)
		case key == "Role":
			v.role = strings.TrimSpace(value)
		case key == "Leader":
			v.leader = strings.TrimSpace(value)
		case key == "Servers":
			inServers = true
		}
	}

	return v
}

// member reports whether the server is a cluster member with a known leader.
func (v raftView) member() bool {
	return v.status == "cluster member" && v.leader != "" && v.leader != "unknown"
}

// linkFreshness is the maximum age of the latest message over a working Raft link, in
// milliseconds. The leader sends a heartbeat every third of the election timer, which
// is 1 s by default.
const linkFreshness = 2000

// linked reports whether the server has recently heard from the other end of each of
// its Raft links that carry traffic: a follower from the leader, the leader from every
// follower. Followers do not exchange messages with each other while a leader lasts,
// and the Connections line does not name the peer of an outgoing connection opened to
// a join address ("->0000"), so neither can show that a link works.
func (v raftView) linked() bool {
	fresh := func(id string) bool {
		ms, ok := v.lastMsg[id]

		return ok && ms < linkFreshness
	}

	if v.role != "leader" {
		return fresh(v.leader)
	}

	for _, id := range v.servers {
		if id != v.serverID && !fresh(id) {
			return false
		}
	}

	return true
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}

	return false
}

// databases lists the control socket getter and name of both clustered databases.
var databases = []struct {
	name    string
	control func(*node) string
}{
	{"OVN_Northbound", (*node).nbControl},
	{"OVN_Southbound", (*node).sbControl},
}

// checkMember reports whether both databases of central node n are cluster members
// with a leader, and describes what is missing otherwise.
func checkMember(ctx context.Context, n *node) (bool, string) {
	for _, db := range databases {
		v, err := readRaft(ctx, db.control(n), db.name)
		if err != nil {
			return false, err.Error()
		}

		if !v.member() {
			return false, fmt.Sprintf("%s on %s: status %q, leader %q", db.name, n.name(),
				v.status, v.leader)
		}
	}

	return true, ""
}

// northdState returns the state that ovn-northd of n reports: active, standby or paused.
func northdState(ctx context.Context, n *node) (string, error) {
	out, err := appctl(ctx, n.northdControl(), "status")
	if err != nil {
		return "", err
	}

	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "Status:")), nil
}

// chassisNames returns the chassis in the Southbound, read from the local socket of
// central node observer.
func chassisNames(ctx context.Context, observer *node) ([]string, error) {
	out, err := runLocal(ctx, "ovn-sbctl", "--db=unix:"+observer.sbSocket(), "--no-leader-only",
		"--timeout=2", "--bare", "--columns=name", "list", "Chassis")
	if err != nil {
		return nil, err
	}

	return strings.Fields(out), nil
}

// checkChassis reports whether every node of want has its chassis in the Southbound.
func checkChassis(ctx context.Context, observer *node, want []*node) (bool, string) {
	names, err := chassisNames(ctx, observer)
	if err != nil {
		return false, err.Error()
	}

	for _, n := range want {
		if !contains(names, n.name()) {
			return false, fmt.Sprintf("chassis %s not in the Southbound (has %v)", n.name(), names)
		}
	}

	return true, ""
}

// controllerConnected reports whether ovn-controller of n is connected to the
// Southbound. Its control socket is named after its pid because ovn-controller 23.03
// takes no --unixctl option.
func controllerConnected(ctx context.Context, n *node) (bool, string) {
	data, err := os.ReadFile(filepath.Join(n.layout.OVNRun(), "ovn-controller.pid"))
	if err != nil {
		return false, err.Error()
	}

	pid := strings.TrimSpace(string(data))
	ctl := filepath.Join(n.layout.OVNRun(), "ovn-controller."+pid+".ctl")

	out, err := appctl(ctx, ctl, "connection-status")
	if err != nil {
		return false, err.Error()
	}

	if strings.TrimSpace(out) != "connected" {
		return false, fmt.Sprintf("ovn-controller of %s: %s", n.name(), strings.TrimSpace(out))
	}

	return true, ""
}

// centralsOf returns the nodes of list that run central.
func centralsOf(list []*node) []*node {
	var out []*node
	for _, n := range list {
		if n.central {
			out = append(out, n)
		}
	}

	return out
}

// checkHealthy reports whether the cluster of nodes is whole. Every central database
// server must be a member with a leader, as many servers as central members and
// working links to the leader or, on the leader, to every follower. Some ovn-northd
// must be active, every chassis in the Southbound and every ovn-controller connected.
func checkHealthy(ctx context.Context, nodes []*node) (bool, string) {
	centrals := centralsOf(nodes)
	if len(centrals) == 0 {
		return false, "no central member"
	}

	active := false
	for _, c := range centrals {
		for _, db := range databases {
			v, err := readRaft(ctx, db.control(c), db.name)
			if err != nil {
				return false, err.Error()
			}

			if !v.member() || len(v.servers) != len(centrals) || !v.linked() {
				return false, fmt.Sprintf("%s on %s: status %q, leader %q, %d servers, "+
					"last messages %v ms ago", db.name, c.name(), v.status, v.leader, len(v.servers),
					v.lastMsg)
			}
		}

		if state, err := northdState(ctx, c); err == nil && state == "active" {
			active = true
		}
	}

	if !active {
		return false, "no ovn-northd is active"
	}

	if ok, detail := checkChassis(ctx, centrals[0], nodes); !ok {
		return false, detail
	}

	for _, n := range nodes {
		if ok, detail := controllerConnected(ctx, n); !ok {
			return false, detail
		}
	}

	return true, ""
}

// waitFor polls check every pollInterval until it reports true, and fails after
// limit with the last description that check gave.
func waitFor(ctx context.Context, what string, limit time.Duration,
	check func(context.Context) (bool, string)) error {
	deadline := time.Now().Add(limit)
	maxPolls := int(limit/pollInterval) + 1

	last := ""
	for poll := 0; poll < maxPolls && time.Now().Before(deadline); poll++ {
		ok, detail := check(ctx)
		if ok {
			return nil
		}

		last = detail
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}

	return fmt.Errorf("timed out after %v waiting for %s: %s", limit, what, last)
}

// sbRemote returns the Southbound remote that the wrapped tools of n use, from the
// node's env file.
func sbRemote(n *node) (string, error) {
	values, err := envfile.Read(n.layout.EnvFile())
	if err != nil {
		return "", fmt.Errorf("read env file of %s: %w", n.name(), err)
	}

	remote := values[envfile.SBConnect]
	if remote == "" {
		return "", fmt.Errorf("env file of %s has no %s", n.name(), envfile.SBConnect)
	}

	return remote, nil
}

// remotes returns the ssl endpoints of the nodes on port, joined by commas.
func remotes(nodes []*node, port int) string {
	var list []string
	for _, n := range nodes {
		list = append(list, "ssl:"+net.JoinHostPort(n.host.Addr.String(), fmt.Sprint(port)))
	}

	return strings.Join(list, ",")
}

// tlsArgs returns the client key, certificate and CA options of node n for the OVN
// command-line tools.
func tlsArgs(n *node) []string {
	return []string{"-p", n.layout.Key("client"), "-c", n.layout.Cert("client"),
		"-C", n.layout.CACert()}
}

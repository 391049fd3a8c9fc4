// Package ovn carries out operations on a member's OVN and Open vSwitch processes:
// creating and joining the clustered databases, leaving them, reading their Raft
// status, and configuring the chassis.
package ovn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/microovn/microovn/microovn/cmdrun"
	"github.com/microovn/microovn/microovn/services"
)

// Database describes one clustered OVN database.
type Database struct {
	Name     string // OVSDB name, as in cluster/status
	Short    string // "nb" or "sb"
	Process  string // process name in services.Table
	Schema   string // schema file, relative to the tools' prefix
	Port     int
	RaftPort int
	File     func(services.Config) string
}

// Northbound and Southbound are the two clustered databases.
var (
	Northbound = Database{Name: "OVN_Northbound", Short: "nb", Process: services.ProcNB,
		Schema: services.SchemaNB, Port: services.NBPort, RaftPort: services.NBRaftPort,
		File: func(c services.Config) string { return services.NBFile(c.Layout) }}
	Southbound = Database{Name: "OVN_Southbound", Short: "sb", Process: services.ProcSB,
		Schema: services.SchemaSB, Port: services.SBPort, RaftPort: services.SBRaftPort,
		File: func(c services.Config) string { return services.SBFile(c.Layout) }}
)

// Databases lists both clustered databases.
func Databases() []Database { return []Database{Northbound, Southbound} }

// ErrNoPeer means a database was to be joined but no peer address was given.
var ErrNoPeer = errors.New("no central peer to join")

// Prepare creates the database file of db unless it exists: a new Raft cluster
// when peers is empty, otherwise a file that joins the cluster of those peers the
// first time its server starts.
func (n *Node) Prepare(ctx context.Context, db Database, peers []net.IP) error {
	file := db.File(n.Config)
	if _, err := os.Stat(file); err == nil {
		return nil
	}

	tool, err := n.Tools.Path("ovsdb-tool")
	if err != nil {
		return err
	}

	local := n.Config.RaftAddress(db.RaftPort)
	var args []string
	if len(peers) == 0 {
		args = []string{"create-cluster", file, n.Tools.Schema(db.Schema), local}
	} else {
		args = []string{"join-cluster", file, db.Name, local}
		for _, ip := range peers {
			args = append(args, "ssl:"+services.HostPort(ip, db.RaftPort))
		}
	}

	_, err = cmdrun.Run(ctx, cmdrun.Options{}, tool, args...)
	if err != nil {
		_ = os.Remove(file)
		return fmt.Errorf("create the %s database file: %w", db.Name, err)
	}

	return nil
}

// StatusFailed is the cluster/status Status of a server in Raft's failure mode,
// which it enters on an I/O error and leaves only by restarting.
const StatusFailed = "failed"

// RaftStatus is the part of cluster/status that MicroOVN reads.
type RaftStatus struct {
	ServerID string
	Status   string // "cluster member", "joining cluster", "leaving cluster", ...
	Role     string // leader, follower, candidate
	Leader   string // server id of the leader, "self", or "unknown"
	Servers  []RaftServer
}

// RaftServer is one server of the Raft cluster, as listed by a peer.
type RaftServer struct {
	ID      string
	Address string // ssl:HOST:PORT
	Self    bool
}

// Member reports whether the server is a member with a known leader.
func (s RaftStatus) Member() bool {
	return s.Status == "cluster member" && s.Leader != "" && s.Leader != "unknown"
}

// ParseRaftStatus reads the text of `ovs-appctl cluster/status DB`.
func ParseRaftStatus(text string) RaftStatus {
	var st RaftStatus
	inServers := false
	for _, line := range strings.Split(text, "\n") {
		if inServers {
			if srv, ok := parseServerLine(line); ok {
				st.Servers = append(st.Servers, srv)
				continue
			}

			inServers = false
		}

		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}

		value = strings.TrimSpace(value)
		switch key {
		case "Server ID":
			st.ServerID, _, _ = strings.Cut(value, " ")
		case "Status":
			st.Status = value
		case "Role":
			st.Role = value
		case "Leader":
			st.Leader = value
		case "Servers":
			inServers = true
		}
	}

	return st
}

// parseServerLine reads "    4c1b (4c1b at ssl:198.18.0.1:6643) (self) next_index=..".
func parseServerLine(line string) (RaftServer, bool) {
	if !strings.HasPrefix(line, "    ") {
		return RaftServer{}, false
	}

	fields := strings.Fields(line)
	if len(fields) < 4 || fields[2] != "at" {
		return RaftServer{}, false
	}

	return RaftServer{
		ID:      fields[0],
		Address: strings.TrimSuffix(fields[3], ")"),
		Self:    strings.Contains(line, "(self)"),
	}, true
}

// Status returns the Raft status of db on this member.
func (n *Node) Status(ctx context.Context, db Database) (RaftStatus, error) {
	out, err := n.appctl(ctx, db.Process, "cluster/status", db.Name)
	if err != nil {
		return RaftStatus{}, err
	}

	return ParseRaftStatus(out), nil
}

// WaitMember waits until db on this member is a cluster member with a leader.
func (n *Node) WaitMember(ctx context.Context, db Database, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last RaftStatus
	var lastErr error
	for time.Now().Before(deadline) {
		last, lastErr = n.Status(ctx, db)
		if lastErr == nil && last.Member() {
			return nil
		}

		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}

	if lastErr != nil {
		return fmt.Errorf("%s not a cluster member after %s: %w", db.Name, limit, lastErr)
	}

	return fmt.Errorf("%s not a cluster member after %s (status %q, leader %q)",
		db.Name, limit, last.Status, last.Leader)
}

// Leave makes this member's server leave the Raft cluster of db and waits until it
// is out. A leaving leader hands leadership over first.
func (n *Node) Leave(ctx context.Context, db Database, limit time.Duration) error {
	st, err := n.Status(ctx, db)
	if err != nil {
		return err
	}

	if len(st.Servers) <= 1 {
		return nil
	}

	// A leader hands leadership to a follower before it leaves.
	_, err = n.appctl(ctx, db.Process, "cluster/leave", db.Name)
	if err != nil {
		return fmt.Errorf("leave the %s cluster: %w", db.Name, err)
	}

	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		st, err = n.Status(ctx, db)
		if err != nil || st.Status == "left cluster" {
			return nil
		}

		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}

	return fmt.Errorf("%s: still %q after %s of leaving", db.Name, st.Status, limit)
}

// Kick removes the server serverID from the Raft cluster of db.
func (n *Node) Kick(ctx context.Context, db Database, serverID string) error {
	_, err := n.appctl(ctx, db.Process, "cluster/kick", db.Name, serverID)
	if err != nil {
		return fmt.Errorf("remove server %s from the %s cluster: %w", serverID, db.Name, err)
	}

	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

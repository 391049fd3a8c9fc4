package e2e

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/microovn/microovn/tests/testbed"
)

// Database is one clustered OVN database as the tests address it.
type Database struct {
	// Name is the OVSDB name, as `ovs-appctl cluster/status` takes it.
	Name string
	// Control is the base name of the control socket under ROOT/run/central.
	Control string
	// Port is the client port.
	Port int
	// RaftPort is the port of the Raft cluster.
	RaftPort int
}

// The clustered OVN databases.
var (
	Northbound = Database{"OVN_Northbound", "ovnnb_db", 6641, 6643}
	Southbound = Database{"OVN_Southbound", "ovnsb_db", 6642, 6644}
	Databases  = []Database{Northbound, Southbound}
)

// RaftView is the part of `ovs-appctl cluster/status` that the tests check.
type RaftView struct {
	// ServerID is the short id of this server.
	ServerID string
	// Status is "cluster member", "joining cluster" and so on.
	Status string
	// Role is leader, follower or candidate.
	Role string
	// Leader is the server id of the leader, "self" or "unknown".
	Leader string
	// Servers are the sorted Raft addresses "ssl:ADDR:PORT" of the servers.
	Servers []string
}

// LeaderID returns the server id of the leader that this server reports, or "" when
// it reports none.
func (v RaftView) LeaderID() string {
	switch v.Leader {
	case "self":
		return v.ServerID
	case "unknown":
		return ""
	}

	return v.Leader
}

// ReadRaft returns the cluster/status of db from the database server on h.
func (r Runner) ReadRaft(h *testbed.Host, db Database) (RaftView, error) {
	ctl := filepath.Join(h.Root, "run", "central", db.Control+".ctl")

	out, err := r.Tool(h, "ovs-appctl", "-t", ctl, "--timeout=10", "cluster/status", db.Name)
	if err != nil {
		return RaftView{}, err
	}

	return ParseRaft(out), nil
}

// ParseRaft reads the text of cluster/status. A server line looks like
// "    9b98 (9b98 at ssl:198.18.0.1:6643) (self) ...".
func ParseRaft(text string) RaftView {
	var view RaftView

	inServers := false
	for _, line := range strings.Split(text, "\n") {
		if inServers && strings.HasPrefix(line, "    ") {
			fields := strings.Fields(line)
			if len(fields) >= 4 && fields[2] == "at" {
				view.Servers = append(view.Servers, strings.TrimSuffix(fields[3], ")"))
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
			view.ServerID, _, _ = strings.Cut(value, " ")
		case "Status":
			view.Status = value
		case "Role":
			view.Role = value
		case "Leader":
			view.Leader = value
		case "Servers":
			inServers = true
		}
	}

	slices.Sort(view.Servers)

	return view
}

// RaftMember is the cluster/status of one database on one host.
type RaftMember struct {
	Host *testbed.Host
	View RaftView
}

// CheckRaftServers reports a failure unless db on every central is a Raft member
// whose servers are exactly the centrals. It returns the views that it could read,
// in the order of centrals.
func (r Runner) CheckRaftServers(rep Reporter, db Database,
	centrals []*testbed.Host,
) []RaftMember {
	want := Endpoints(centrals, db.RaftPort)

	var members []RaftMember
	for _, h := range centrals {
		view, err := r.ReadRaft(h, db)
		if err != nil {
			rep.Errorf("read %s cluster/status on %s: %v", db.Name, h.Name, err)
			continue
		}

		if view.Status != "cluster member" {
			rep.Errorf("%s on %s has Raft status %q, want \"cluster member\"", db.Name,
				h.Name, view.Status)
		}

		if !slices.Equal(view.Servers, want) {
			rep.Errorf("%s on %s lists Raft servers %v, want %v", db.Name, h.Name,
				view.Servers, want)
		}

		members = append(members, RaftMember{Host: h, View: view})
	}

	return members
}

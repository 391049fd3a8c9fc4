package ovn

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/services"
)

// singleServerStatus is the output of `ovs-appctl -t CTL cluster/status
// OVN_Northbound` from ovsdb-server 3.1.0 (Debian 12) serving a cluster of one,
// created with `ovsdb-tool create-cluster` on tcp:127.0.0.1:16643.
const singleServerStatus = `6b44
Name: OVN_Northbound
Cluster ID: 7179 (717970d8-19a0-4538-afd4-224bb6bcd473)
Server ID: 6b44 (6b44966b-29c0-434e-8c92-041f45a986ca)
Address: tcp:127.0.0.1:16643
Status: cluster member
Role: leader
Term: 1
Leader: self
Vote: self

Last Election started 1510 ms ago, reason: timeout
Last Election won: 1510 ms ago
Election timer: 1000
Log: [2, 3]
Entries not yet committed: 0
Entries not yet applied: 0
Connections:
Disconnections: 0
Servers:
    6b44 (6b44 at tcp:127.0.0.1:16643) (self) next_index=2 match_index=2
`

// followerStatus is singleServerStatus edited by hand into the view of a
// follower in a cluster of three on TLS, one server on IPv6.
const followerStatus = `a1b2
Name: OVN_Northbound
Cluster ID: 7179 (717970d8-19a0-4538-afd4-224bb6bcd473)
Server ID: a1b2 (a1b2c3d4-5e6f-4a0b-8c1d-2e3f4a5b6c7d)
Address: ssl:198.18.0.2:6643
Status: cluster member
Role: follower
Term: 3
Leader: 6b44
Vote: 6b44

Last Election started 52100 ms ago, reason: timeout
Election timer: 1000
Log: [2, 9]
Entries not yet committed: 0
Entries not yet applied: 0
Connections: ->6b44 ->c9d0 <-6b44 <-c9d0
Disconnections: 0
Servers:
    6b44 (6b44 at ssl:198.18.0.1:6643) last msg 120 ms ago
    a1b2 (a1b2 at ssl:198.18.0.2:6643) (self)
    c9d0 (c9d0 at ssl:[fd00::3]:6643) last msg 130 ms ago
`

func TestParseRaftStatusSingleServer(t *testing.T) {
	st := ParseRaftStatus(singleServerStatus)

	if st.ServerID != "6b44" {
		t.Errorf("ServerID = %q, want 6b44", st.ServerID)
	}

	if st.Status != "cluster member" {
		t.Errorf("Status = %q, want cluster member", st.Status)
	}

	if st.Role != "leader" {
		t.Errorf("Role = %q, want leader", st.Role)
	}

	if st.Leader != "self" {
		t.Errorf("Leader = %q, want self", st.Leader)
	}

	want := []RaftServer{{ID: "6b44", Address: "tcp:127.0.0.1:16643", Self: true}}
	if !slices.Equal(st.Servers, want) {
		t.Errorf("Servers = %+v, want %+v", st.Servers, want)
	}

	if !st.Member() {
		t.Errorf("Member() = false for %+v, want true", st)
	}
}

func TestParseRaftStatusFollowerOfThree(t *testing.T) {
	st := ParseRaftStatus(followerStatus)

	if st.ServerID != "a1b2" {
		t.Errorf("ServerID = %q, want a1b2", st.ServerID)
	}

	if st.Role != "follower" {
		t.Errorf("Role = %q, want follower", st.Role)
	}

	if st.Leader != "6b44" {
		t.Errorf("Leader = %q, want 6b44", st.Leader)
	}

	want := []RaftServer{
		{ID: "6b44", Address: "ssl:198.18.0.1:6643"},
		{ID: "a1b2", Address: "ssl:198.18.0.2:6643", Self: true},
		{ID: "c9d0", Address: "ssl:[fd00::3]:6643"},
	}
	if !slices.Equal(st.Servers, want) {
		t.Errorf("Servers = %+v, want %+v", st.Servers, want)
	}

	if !st.Member() {
		t.Errorf("Member() = false for %+v, want true", st)
	}
}

func TestParseRaftStatusNoServersOrGarbage(t *testing.T) {
	for _, text := range []string{"", "no such database\n", "Servers:\n\n"} {
		st := ParseRaftStatus(text)
		if len(st.Servers) != 0 {
			t.Errorf("ParseRaftStatus(%q).Servers = %+v, want none", text, st.Servers)
		}

		if st.Member() {
			t.Errorf("ParseRaftStatus(%q).Member() = true, want false", text)
		}
	}
}

func TestRaftStatusMember(t *testing.T) {
	cases := []struct {
		status string
		leader string
		want   bool
	}{
		{"cluster member", "self", true},
		{"cluster member", "6b44", true},
		{"cluster member", "unknown", false},
		{"cluster member", "", false},
		{"joining cluster", "6b44", false},
		{"leaving cluster", "6b44", false},
		{"left cluster", "unknown", false},
		{"disconnected from the cluster (election timeout)", "unknown", false},
	}
	for _, tc := range cases {
		st := RaftStatus{Status: tc.status, Leader: tc.leader}
		if got := st.Member(); got != tc.want {
			t.Errorf("Member() with status %q and leader %q = %v, want %v", tc.status,
				tc.leader, got, tc.want)
		}
	}
}

func TestParseRaftStatusJoining(t *testing.T) {
	text := strings.NewReplacer(
		"Status: cluster member", "Status: joining cluster",
		"Leader: 6b44", "Leader: unknown",
	).Replace(followerStatus)
	st := ParseRaftStatus(text)

	if st.Status != "joining cluster" {
		t.Errorf("Status = %q, want joining cluster", st.Status)
	}

	if st.Member() {
		t.Errorf("Member() = true while joining, want false")
	}
}

func TestChassisSettingsPerDatapath(t *testing.T) {
	c := services.Config{
		Member:   "node1",
		Address:  net.ParseIP("198.18.0.1"),
		EncapIP:  net.ParseIP("198.18.1.1"),
		Centrals: []net.IP{net.ParseIP("198.18.0.1"), net.ParseIP("fd00::2")},
		Datapath: services.DatapathSystem,
	}
	want := map[string]string{
		"system-id":      "node1",
		"hostname":       "node1",
		"ovn-remote":     "ssl:198.18.0.1:6642,ssl:[fd00::2]:6642",
		"ovn-encap-type": "geneve",
		"ovn-encap-ip":   "198.18.1.1",
	}

	got := ChassisSettings(c)
	for key, value := range want {
		if got[key] != value {
			t.Errorf("system datapath: %s = %q, want %q", key, got[key], value)
		}
	}

	if v, ok := got["ovn-bridge-datapath-type"]; ok {
		t.Errorf("system datapath sets ovn-bridge-datapath-type=%q, want it unset", v)
	}

	if len(got) != len(want) {
		t.Errorf("system datapath settings = %q, want exactly %q", got, want)
	}

	c.Datapath = services.DatapathNetdev
	got = ChassisSettings(c)
	if got["ovn-bridge-datapath-type"] != "netdev" {
		t.Errorf("netdev datapath: ovn-bridge-datapath-type = %q, want netdev",
			got["ovn-bridge-datapath-type"])
	}

	if got["ovn-encap-ip"] != "198.18.1.1" {
		t.Errorf("netdev datapath: ovn-encap-ip = %q, want 198.18.1.1", got["ovn-encap-ip"])
	}
}

func TestPrepareCreateOrJoinArgs(t *testing.T) {
	cases := []struct {
		name  string
		peers []net.IP
		want  func(n *Node) []string
	}{
		{"create", nil, func(n *Node) []string {
			return []string{"create-cluster", services.NBFile(n.Config.Layout),
				n.Tools.Schema(services.SchemaNB), "ssl:198.18.0.1:6643"}
		}},
		{"join", []net.IP{net.ParseIP("198.18.0.2"), net.ParseIP("fd00::3")},
			func(n *Node) []string {
				return []string{"join-cluster", services.NBFile(n.Config.Layout),
					"OVN_Northbound", "ssl:198.18.0.1:6643", "ssl:198.18.0.2:6643",
					"ssl:[fd00::3]:6643"}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, argsFile := newRecordingNode(t)
			if err := n.Prepare(context.Background(), Northbound, tc.peers); err != nil {
				t.Fatalf("Prepare: %v", err)
			}

			data, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatalf("fake ovsdb-tool did not run: %v", err)
			}

			got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if want := tc.want(n); !slices.Equal(got, want) {
				t.Errorf("ovsdb-tool args:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestPrepareKeepsExistingFile(t *testing.T) {
	n, argsFile := newRecordingNode(t)
	file := services.NBFile(n.Config.Layout)
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(file, []byte("existing"), 0o640); err != nil {
		t.Fatal(err)
	}

	if err := n.Prepare(context.Background(), Northbound, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}

	if _, err := os.Stat(argsFile); err == nil {
		t.Errorf("Prepare ran ovsdb-tool although %s exists", file)
	}
}

// newRecordingNode returns a Node at 198.18.0.1 whose ovsdb-tool is a script that
// writes its arguments, one a line, to the returned file.
func newRecordingNode(t *testing.T) (*Node, string) {
	t.Helper()

	prefix := t.TempDir()
	argsFile := filepath.Join(t.TempDir(), "args")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + argsFile + "\n"
	tool := filepath.Join(prefix, "usr/bin/ovsdb-tool")
	if err := os.MkdirAll(filepath.Dir(tool), 0o755); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	n := &Node{
		Tools: services.Tools{Prefix: prefix},
		Config: services.Config{
			Layout:  paths.Layout{Root: t.TempDir()},
			Member:  "node1",
			Address: net.ParseIP("198.18.0.1"),
		},
	}

	return n, argsFile
}

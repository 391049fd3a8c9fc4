package services

import (
	"net"
	"strconv"
	"strings"

	"github.com/microovn/microovn/microovn/paths"
)

// OVN's well-known ports: clients of the Northbound and Southbound databases, and
// their Raft peers.
const (
	NBPort     = 6641
	SBPort     = 6642
	NBRaftPort = 6643
	SBRaftPort = 6644
)

// Datapath types of Open vSwitch bridges.
const (
	DatapathSystem = "system" // the openvswitch kernel module
	DatapathNetdev = "netdev" // the userspace datapath
)

// Config is everything the command lines of one member's processes depend on.
type Config struct {
	Layout   paths.Layout
	Member   string   // cluster member name, also the chassis system-id
	Address  net.IP   // address the databases listen on
	EncapIP  net.IP   // Geneve tunnel endpoint of the chassis
	Centrals []net.IP // addresses of every central member, this one included if central
	Datapath string   // DatapathSystem or DatapathNetdev
}

// HostPort returns host:port with IPv6 addresses in brackets, as OVS endpoints
// and URLs write them.
func HostPort(ip net.IP, port int) string {
	return net.JoinHostPort(ip.String(), strconv.Itoa(port))
}

// Remotes returns the OVSDB connection string "ssl:A:port,ssl:B:port" for addrs.
func Remotes(addrs []net.IP, port int) string {
	parts := make([]string, 0, len(addrs))
	for _, ip := range addrs {
		parts = append(parts, "ssl:"+HostPort(ip, port))
	}

	return strings.Join(parts, ",")
}

// Listen returns the passive TLS endpoint "pssl:port:addr" (IPv6 in brackets).
func Listen(ip net.IP, port int) string {
	host := ip.String()
	if ip.To4() == nil {
		host = "[" + host + "]"
	}

	return "pssl:" + strconv.Itoa(port) + ":" + host
}

// NBRemote is the Northbound connection string of the cluster.
func (c Config) NBRemote() string { return Remotes(c.Centrals, NBPort) }

// SBRemote is the Southbound connection string of the cluster.
func (c Config) SBRemote() string { return Remotes(c.Centrals, SBPort) }

// RaftAddress returns this member's Raft endpoint for the database on raftPort.
func (c Config) RaftAddress(raftPort int) string {
	return "ssl:" + HostPort(c.Address, raftPort)
}

// Package cluster holds the multi-node end-to-end tests of MicroOVN. Each test
// builds a test bed of network namespaces (package testbed) and runs the real
// microovnd and microovn binaries from $MICROOVN_BIN (default ../../bin) with the
// host's OVN and Open vSwitch. The tests check what an operator would check:
// cluster membership, Raft status, database remotes, chassis and forwarding.
//
// The tests need root. They run one after another because the Raft election
// timers of OVN (1 s) leave little room for several clusters on a small machine.
package cluster

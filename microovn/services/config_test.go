package services

import (
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
)

func TestHostPortIPv4AndIPv6(t *testing.T) {
	cases := []struct {
		ip   string
		port int
		want string
	}{
		{"198.18.0.1", NBPort, "198.18.0.1:6641"},
		{"fd00::1", SBPort, "[fd00::1]:6642"},
		{"::ffff:198.18.0.2", NBRaftPort, "198.18.0.2:6643"},
	}
	for _, tc := range cases {
		got := HostPort(net.ParseIP(tc.ip), tc.port)
		if got != tc.want {
			t.Errorf("HostPort(%s, %d) = %q, want %q", tc.ip, tc.port, got, tc.want)
		}
	}
}

func TestRemotesJoinsEveryAddress(t *testing.T) {
	cases := []struct {
		name  string
		addrs []string
		port  int
		want  string
	}{
		{"none", nil, NBPort, ""},
		{"one IPv4", []string{"198.18.0.1"}, NBPort, "ssl:198.18.0.1:6641"},
		{"IPv4 and IPv6", []string{"198.18.0.1", "fd00::2", "198.18.0.3"}, SBPort,
			"ssl:198.18.0.1:6642,ssl:[fd00::2]:6642,ssl:198.18.0.3:6642"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Remotes(parseIPs(t, tc.addrs...), tc.port)
			if got != tc.want {
				t.Errorf("Remotes(%v, %d) = %q, want %q", tc.addrs, tc.port, got, tc.want)
			}
		})
	}
}

func TestListenBracketsIPv6(t *testing.T) {
	cases := []struct {
		ip   string
		want string
	}{
		{"198.18.0.1", "pssl:6641:198.18.0.1"},
		{"fd00::1", "pssl:6641:[fd00::1]"},
		{"::", "pssl:6641:[::]"},
	}
	for _, tc := range cases {
		got := Listen(net.ParseIP(tc.ip), NBPort)
		if got != tc.want {
			t.Errorf("Listen(%s, 6641) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}

func TestConfigRemotesAndRaftAddress(t *testing.T) {
	c := testConfig(t)

	if got, want := c.NBRemote(), "ssl:198.18.0.1:6641,ssl:198.18.0.2:6641,ssl:[fd00::3]:6641"; got != want {
		t.Errorf("NBRemote() = %q, want %q", got, want)
	}

	if got, want := c.SBRemote(), "ssl:198.18.0.1:6642,ssl:198.18.0.2:6642,ssl:[fd00::3]:6642"; got != want {
		t.Errorf("SBRemote() = %q, want %q", got, want)
	}

	if got, want := c.RaftAddress(SBRaftPort), "ssl:198.18.0.1:6644"; got != want {
		t.Errorf("RaftAddress(%d) = %q, want %q", SBRaftPort, got, want)
	}

	c.Address = net.ParseIP("fd00::3")
	if got, want := c.RaftAddress(NBRaftPort), "ssl:[fd00::3]:6643"; got != want {
		t.Errorf("RaftAddress(%d) with IPv6 = %q, want %q", NBRaftPort, got, want)
	}
}

func TestValidateKnownAndUnknown(t *testing.T) {
	for _, name := range []string{Switch, Central, Chassis} {
		if err := Validate(name); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", name, err)
		}
	}

	for _, name := range []string{"centrall", "", "Central"} {
		err := Validate(name)
		if !errors.Is(err, ErrUnknownService) {
			t.Errorf("Validate(%q) = %v, want ErrUnknownService", name, err)
			continue
		}

		if !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("Validate(%q) error %q does not quote the name", name, err)
		}

		if !strings.Contains(err.Error(), "switch, central, chassis") {
			t.Errorf("Validate(%q) error %q does not list the valid services", name, err)
		}
	}
}

func TestSortStartOrderWithoutDuplicates(t *testing.T) {
	cases := []struct {
		in   []string
		want []string
	}{
		{nil, []string{}},
		{[]string{Chassis, Central, Switch}, []string{Switch, Central, Chassis}},
		{[]string{Chassis, Switch, Chassis}, []string{Switch, Chassis}},
		{[]string{"bogus", Central}, []string{Central}},
	}
	for _, tc := range cases {
		got := Sort(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Sort(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestNamesSwitchBeforeChassis(t *testing.T) {
	names := Names()
	if i, j := slices.Index(names, Switch), slices.Index(names, Chassis); i < 0 || j < 0 || i > j {
		t.Errorf("Names() = %v: switch must come before chassis", names)
	}
}

// parseIPs parses each address or fails the test.
func parseIPs(t *testing.T, addrs ...string) []net.IP {
	t.Helper()

	var out []net.IP
	for _, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil {
			t.Fatalf("invalid test address %q", a)
		}

		out = append(out, ip)
	}

	return out
}
